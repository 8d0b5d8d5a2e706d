"""Segmentation scores as the CamVid papers report them (SegNet, ENet), plus one for boundaries.

All come from one confusion matrix summed over a whole set (not averaged per image), void pixels left out:
global accuracy (pixels right), class-average accuracy (mean per-class recall), per-class IoU and its mean
(Everingham et al., PASCAL VOC), and boundary accuracy: pixels right among those within `radius` px of an edge
between two labelled classes (a trimap band, as in Kohli et al. 2009), where a coarse model loses most.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import binary_dilation

from core.image_prediction.camvid import NUM_CLASSES


def confusion(predicted: np.ndarray, labels: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """(classes, classes) pixel counts, rows = true class, columns = predicted; pixels labelled void (or any id
    >= num_classes) are left out."""
    keep = labels < num_classes
    pairs = labels[keep].astype(np.int64) * num_classes + predicted[keep].astype(np.int64)
    return np.bincount(pairs, minlength=num_classes**2).reshape(num_classes, num_classes)


def boundary_band(labels: np.ndarray, radius: int = 3) -> np.ndarray:
    """(H, W) bool: labelled pixels within `radius` px (a square window) of an edge between two different classes.
    Edges against void are not edges: where void is, the truth is unknown."""
    labelled = labels < NUM_CLASSES
    edges = np.zeros(labels.shape, dtype=bool)
    for axis in (0, 1):
        before = labels.take(range(labels.shape[axis] - 1), axis=axis)
        after = labels.take(range(1, labels.shape[axis]), axis=axis)
        both = labelled.take(range(labels.shape[axis] - 1), axis=axis) & labelled.take(range(1, labels.shape[axis]), axis=axis)
        differ = (before != after) & both
        pad = [(0, 0), (0, 0)]
        pad[axis] = (0, 1)
        edges |= np.pad(differ, pad)  # the pixel before the change
        pad[axis] = (1, 0)
        edges |= np.pad(differ, pad)  # and the one after it
    if radius > 0:
        edges = binary_dilation(edges, structure=np.ones((2 * radius - 1, 2 * radius - 1), dtype=bool))
    return edges & labelled


class SegmentationScores:
    """Accumulates predictions over a set: `add(predicted, labels)` per image, then `result()`."""

    def __init__(self, num_classes: int = NUM_CLASSES, boundary_radius: int = 3):
        self.num_classes, self.boundary_radius = num_classes, boundary_radius
        self.matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
        self.boundary_right = self.boundary_total = 0

    def add(self, predicted: np.ndarray, labels: np.ndarray) -> None:
        """(H, W) predicted class ids and true labels of one image."""
        if predicted.shape != labels.shape:
            raise ValueError(f"prediction {predicted.shape} and labels {labels.shape} differ in shape")
        self.matrix += confusion(predicted, labels, self.num_classes)
        band = boundary_band(labels, self.boundary_radius)
        self.boundary_right += int((predicted[band] == labels[band]).sum())
        self.boundary_total += int(band.sum())

    def result(self) -> dict:
        """global_accuracy, class_accuracy, mean_iou, boundary_accuracy (fractions in [0, 1]) and iou (per class,
        NaN for a class that is neither in the labels nor predicted; means skip NaN)."""
        matrix = self.matrix.astype(np.float64)
        right, truth, predicted = np.diag(matrix), matrix.sum(1), matrix.sum(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            recall = np.where(truth > 0, right / truth, np.nan)
            union = truth + predicted - right
            iou = np.where(union > 0, right / union, np.nan)
        return {"global_accuracy": float(right.sum() / max(matrix.sum(), 1)),
                "class_accuracy": float(np.nanmean(recall)) if np.isfinite(recall).any() else float("nan"),
                "mean_iou": float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan"),
                "boundary_accuracy": self.boundary_right / max(self.boundary_total, 1),
                "iou": iou.tolist()}
