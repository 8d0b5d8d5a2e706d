"""Turn a drawing or an uploaded picture of a digit into an MNIST-style 28x28 image.

MNIST's own recipe (LeCun et al. 1998): white ink on black, the digit's bounding box scaled to fit
20x20, then placed in a 28x28 frame so that its centre of mass sits at the centre.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from core.common.images import ImageInputError, load_image


def editor_composite(value):
    """A Gradio ImageEditor/Sketchpad value (dict) -> its composite image; anything else unchanged."""
    if isinstance(value, dict):
        composite = value.get("composite")
        if composite is None:
            layers = [layer for layer in value.get("layers") or [] if layer is not None]
            composite = layers[-1] if layers else value.get("background")
        return composite
    return value


def to_mnist(value, ink_threshold: float = 0.15) -> np.ndarray:
    """Any drawing/photo of one digit -> float array (28, 28) in [0, 1], white digit on black."""
    gray = np.asarray(load_image(editor_composite(value), mode="L", max_side=512), dtype=np.float32) / 255.0
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    ink = 1.0 - gray if border.mean() > 0.5 else gray  # dark strokes on light paper -> invert
    rows, cols = np.nonzero(ink > ink_threshold)
    if len(rows) == 0:
        raise ImageInputError("No digit found: the canvas is empty. Draw a digit (dark strokes on white).")
    crop = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = 20.0 / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize(size, Image.Resampling.LANCZOS),
                       dtype=np.float32) / 255.0
    frame = np.zeros((28, 28), np.float32)
    top, left = (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2
    frame[top : top + small.shape[0], left : left + small.shape[1]] = small
    center_y, center_x = ndimage.center_of_mass(frame)
    shifted = ndimage.shift(frame, (14 - center_y, 14 - center_x), order=1, mode="constant")
    return np.clip(shifted / max(shifted.max(), 1e-6), 0, 1)
