"""A judge that knows faces: dlib's pretrained models, for the GAN and diffusion face benches (never a Space).

- `detected`: the share of images in which dlib's HOG frontal-face detector finds a face, at 256 px.
- `embed`: dlib's 128-D face-recognition embedding (a ResNet trained on ~3 million faces) of each image,
  after aligning the face by its 68 landmarks; where the detector finds no face, the FFHQ framing's fixed
  face box is used, so a failed sample is still measured (and lands far from the real faces).
- `FaceReport`: detected, face-FD and face-KID (with bootstrap intervals) against held-out real faces, and
  the gap (FD_model - FD_floor) / (FD_nvidia - FD_floor) that makes every FD a ratio measured in one run.

Install: `pip install -r bench/requirements.txt` (dlib-bin, face-recognition-models).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from core.common.distribution_metrics import bootstrap_interval, feature_fd, kernel_distance
from core.common.face_alignment import dlib_models

JUDGE_SIZE = 256  # samples are upscaled (bicubic) to this before the detector and the embedding


models = dlib_models  # (detector, 68-landmark predictor, face-recognition ResNet), loaded once


def to_judge(image) -> np.ndarray:
    """A PIL image, uint8 array or float array/tensor (H, W, 3) or (3, H, W) in [0, 1] -> (256, 256, 3) uint8."""
    if hasattr(image, "detach"):
        image = image.detach().float().cpu().numpy()
    if isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[0] == 3 and image.shape[-1] != 3:
        image = image.transpose(1, 2, 0)
    if isinstance(image, np.ndarray) and image.dtype != np.uint8:
        image = (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
    picture = image if isinstance(image, Image.Image) else Image.fromarray(image)
    return np.asarray(picture.convert("RGB").resize((JUDGE_SIZE, JUDGE_SIZE), Image.Resampling.BICUBIC))


def find_face(pixels: np.ndarray):
    """The largest face the HOG detector finds in a (256, 256, 3) image, or None."""
    detector, _, _ = models()
    faces = detector(pixels, 0)
    return max(faces, key=lambda r: r.area()) if len(faces) else None


def fixed_box():
    """Where FFHQ's alignment puts the face in a 256 px frame (measured on real faces: the detector's median box)."""
    import dlib

    return dlib.rectangle(45, 78, 194, 228)


def embed(images) -> tuple[np.ndarray, np.ndarray]:
    """(N, 128) landmark-aligned face embeddings and (N,) booleans: did the detector find the face?"""
    _, predictor, recognizer = models()
    features, found = [], []
    for image in images:
        pixels = to_judge(image)
        box = find_face(pixels)
        found.append(box is not None)
        shape = predictor(pixels, box if box is not None else fixed_box())
        features.append(np.asarray(recognizer.compute_face_descriptor(pixels, shape), dtype=np.float64))
    return np.stack(features), np.asarray(found)


@dataclass(frozen=True)
class FaceScore:
    source: str
    count: int
    detected: float
    fd: float
    fd_interval: tuple[float, float]
    kid: float
    kid_interval: tuple[float, float]
    gap: float | None = None  # (FD - floor) / (FD of NVIDIA's StyleGAN - floor): 0 = real, 1 = NVIDIA


def score(source: str, features: np.ndarray, found: np.ndarray, reference: np.ndarray) -> FaceScore:
    """Detected share, FD and KID (with 90% bootstrap intervals) of `features` against `reference`."""
    return FaceScore(source, len(features), float(found.mean()), feature_fd(features, reference),
                     bootstrap_interval(feature_fd, features, reference, repeats=100),
                     kernel_distance(features, reference),
                     bootstrap_interval(kernel_distance, features, reference, repeats=100))


def with_gaps(scores: list[FaceScore], floor: str, nvidia: str) -> list[FaceScore]:
    by_name = {s.source: s for s in scores}
    low, high = by_name[floor].fd, by_name[nvidia].fd
    return [FaceScore(**{**s.__dict__, "gap": (s.fd - low) / (high - low)}) for s in scores]


def box_landmarks(image) -> np.ndarray:
    """68 landmarks (68, 2) in units of the face box (0..1 across the detected box; the fixed FFHQ box if none)."""
    _, predictor, _ = models()
    pixels = to_judge(image)
    box = find_face(pixels) or fixed_box()
    shape = predictor(pixels, box)
    points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
    return (points - [box.left(), box.top()]) / [max(box.width(), 1), max(box.height(), 1)]


def mixing_keeps_coarse(coarse, fine, mixed) -> bool:
    """Style mixing's test: do the mix's landmarks (face geometry) lie closer to the coarse source's than the fine's?"""
    a, b, m = (box_landmarks(image) for image in (coarse, fine, mixed))
    return float(np.linalg.norm(m - a, axis=1).mean()) < float(np.linalg.norm(m - b, axis=1).mean())


def nearest_distances(features: np.ndarray, bank: np.ndarray) -> np.ndarray:
    """Each row's Euclidean distance to its nearest row of `bank` (face embeddings), in blocks."""
    bank_norms = (bank**2).sum(1)
    out = []
    for start in range(0, len(features), 512):
        block = features[start : start + 512]
        squared = (block**2).sum(1)[:, None] + bank_norms[None] - 2 * block @ bank.T
        out.append(np.sqrt(np.maximum(squared.min(1), 0)))
    return np.concatenate(out)


def copying_ratio(samples: np.ndarray, held_out: np.ndarray, training: np.ndarray) -> float:
    """Median nearest-training-face distance of the samples over that of held-out real faces (Kynkäänniemi-style
    memorisation check): below 1, samples sit closer to the training faces than new real faces do."""
    return float(np.median(nearest_distances(samples, training)) / np.median(nearest_distances(held_out, training)))
