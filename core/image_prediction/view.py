"""What the labeling tab shows for one photo: each twin's label map over the photo, its uncertainty, its errors.

Kept apart from the Space so a test (and the bench) can check the pictures' meaning without Gradio: the overlay
is the class colour blended with the photo, uncertainty is the per-pixel entropy of the predicted distribution
(0 = sure, log 11 = a uniform guess over the 11 classes), errors are the pixels whose predicted class differs
from the annotators' (void pixels, whose truth is unknown, are shown grey).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from core.image_prediction.camvid import NUM_CLASSES, colourize
from core.image_prediction.model import SegmentationNet, label_map, predict
from core.image_prediction.scores import SegmentationScores

MAX_ENTROPY = math.log(NUM_CLASSES)
RIGHT, WRONG, UNKNOWN = (40, 160, 60), (220, 30, 30), (128, 128, 128)


@dataclass
class Labeling:
    """One twin's result on one photo: class ids (H, W) uint8, entropy (H, W) float32 in nats, time in ms."""

    labels: np.ndarray
    entropy: np.ndarray
    milliseconds: float


def label_photo(model: SegmentationNet, photo: np.ndarray, clock=time.perf_counter) -> Labeling:
    """(H, W, 3) uint8 photo -> the model's labels and their entropy at the photo's own size."""
    started = clock()
    tensor = torch.from_numpy(np.array(photo, dtype=np.uint8)).permute(2, 0, 1).float().div_(255)
    probabilities = predict(model, tensor, keep_aspect=True)
    labels = label_map(probabilities).to(torch.uint8).numpy()
    entropy = -(probabilities * probabilities.clamp_min(1e-8).log()).sum(0).numpy().astype(np.float32)
    return Labeling(labels, entropy, (clock() - started) * 1000)


def overlay(photo: np.ndarray, labels: np.ndarray, opacity: float = 0.6) -> np.ndarray:
    """The class colours over the photo, `opacity` of colour (0: the photo, 1: the label map alone)."""
    blended = (1 - opacity) * photo.astype(np.float32) + opacity * colourize(labels).astype(np.float32)
    return blended.round().astype(np.uint8)


def uncertainty_image(entropy: np.ndarray) -> np.ndarray:
    """Entropy as a grey picture: black = sure, white = a uniform guess over every class (log 11 nats)."""
    grey = np.clip(entropy / MAX_ENTROPY, 0, 1) * 255
    return np.repeat(grey.round().astype(np.uint8)[..., None], 3, axis=2)


def error_image(photo: np.ndarray, predicted: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Right pixels green, wrong ones red, void (unknown truth) grey, over a faint copy of the photo."""
    colours = np.empty(predicted.shape + (3,), dtype=np.float32)
    colours[:] = RIGHT
    colours[predicted != truth] = WRONG
    colours[truth >= NUM_CLASSES] = UNKNOWN
    return (0.25 * photo.astype(np.float32) + 0.75 * colours).round().astype(np.uint8)


def photo_scores(predicted: np.ndarray, truth: np.ndarray) -> dict:
    """The bench's scores (core.image_prediction.scores) for one photo."""
    scores = SegmentationScores()
    scores.add(predicted, truth)
    return scores.result()
