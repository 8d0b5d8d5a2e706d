"""Small real image sets that ship inside installed packages, so every app works offline at once.

- digits: 1,797 handwritten digits, 8x8 (scikit-learn; UCI optical digits)
- faces: 100 faces from Labeled Faces in the Wild, 25x25 (scikit-image `lfw_subset`)
- patches: 2,000 grayscale 12x12 patches cut from scikit-image's sample photos
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

NATURAL_PHOTOS = ("astronaut", "camera", "coffee", "chelsea", "rocket", "brick", "grass", "coins", "horse")


@dataclass(frozen=True)
class ImageSet:
    name: str
    images: np.ndarray  # (N, H, W) float in [0, 1], grayscale
    labels: np.ndarray | None
    credit: str

    @property
    def shape(self) -> tuple[int, int]:
        return self.images.shape[1:]

    def flat(self) -> np.ndarray:
        return self.images.reshape(len(self.images), -1)


@cache
def digits() -> ImageSet:
    from sklearn.datasets import load_digits

    data = load_digits()
    return ImageSet("digits", data.images / 16.0, data.target, "UCI optical digits via scikit-learn (8x8)")


@cache
def faces() -> ImageSet:
    from skimage.data import lfw_subset

    images = lfw_subset()[:100]  # the first 100 are faces, the rest non-faces
    return ImageSet("faces", images.astype(np.float64), None, "Labeled Faces in the Wild subset via scikit-image (25x25)")


def gray_photo(name: str) -> np.ndarray:
    """A scikit-image sample photo as grayscale float in [0, 1]."""
    from skimage import data
    from skimage.color import rgb2gray
    from skimage.util import img_as_float

    image = img_as_float(getattr(data, name)())
    return rgb2gray(image) if image.ndim == 3 else image


@cache
def natural_patches(count: int = 2000, size: int = 12, seed: int = 0, min_contrast: float = 0.03) -> ImageSet:
    """Random patches with some texture: flat ones (std < min_contrast, a third of them: sky, black
    borders) are drawn again, as patch-statistics studies do, so PCA sees edges and texture."""
    rng = np.random.default_rng(seed)
    photos = [gray_photo(name) for name in NATURAL_PHOTOS]
    patches = []
    while len(patches) < count:
        photo = photos[len(patches) % len(photos)]
        top = rng.integers(0, photo.shape[0] - size)
        left = rng.integers(0, photo.shape[1] - size)
        patch = photo[top : top + size, left : left + size]
        if patch.std() >= min_contrast:
            patches.append(patch)
    return ImageSet("patches", np.stack(patches), None, "patches of scikit-image sample photos")


IMAGE_SETS = {"digits": digits, "faces": faces, "natural patches": natural_patches}


def load_image_set(name: str) -> ImageSet:
    if name not in IMAGE_SETS:
        raise ValueError(f"unknown image set {name!r}; choose one of {', '.join(IMAGE_SETS)}")
    return IMAGE_SETS[name]()
