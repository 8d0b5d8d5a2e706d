"""CamVid street scenes for semantic segmentation: classes, colours, a cached loader, class weights, augmentation.

A data folder holds `images/<name>.jpg|png` (photos) and `labels/<name>.png` (one byte per pixel, the class id),
paired by file name: CamVid as prepared for SegNet (Brostow et al. 2009; Badrinarayanan, Kendall & Cipolla 2017).
Decoding 367 JPEGs costs seconds, so a folder is decoded once, at the working size, into one .npz cache.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import Dataset

CLASS_NAMES = ("sky", "building", "pole", "road", "pavement", "tree", "sign/symbol", "fence", "car", "pedestrian",
               "bicyclist")
NUM_CLASSES = len(CLASS_NAMES)  # 11
VOID = 11  # unlabelled pixels: ignored by the loss and by every score
# SegNet's CamVid palette (the colours of the original CamVid release), one RGB triple per class id; void is black.
CLASS_COLOURS = ((128, 128, 128), (128, 0, 0), (192, 192, 128), (128, 64, 128), (60, 40, 222), (128, 128, 0),
                 (192, 128, 128), (64, 64, 128), (64, 0, 128), (64, 64, 0), (0, 128, 192))
VOID_COLOUR = (0, 0, 0)
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")


def legend() -> dict[str, str]:
    """{class name: '#rrggbb'} for a colour key (`core.common.display.palette_legend`)."""
    return {name: "#" + bytes(colour).hex() for name, colour in zip(CLASS_NAMES, CLASS_COLOURS, strict=True)}


def colourize(labels: np.ndarray) -> np.ndarray:
    """(H, W) class ids -> (H, W, 3) uint8 colours; void and anything out of range is black."""
    palette = np.array([*CLASS_COLOURS, *[VOID_COLOUR] * (256 - NUM_CLASSES)], dtype=np.uint8)
    return palette[np.asarray(labels, dtype=np.uint8)]


def find_pairs(folder: str | Path) -> list[tuple[Path, Path]]:
    """(photo, label map) paths under `folder`/images and `folder`/labels, paired by stem, sorted."""
    folder = Path(folder)
    images, labels = folder / "images", folder / "labels"
    if not images.is_dir() or not labels.is_dir():
        raise FileNotFoundError(f"{folder} must hold images/ and labels/ folders (CamVid layout)")
    photos = {p.stem: p for p in images.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES}
    pairs = [(photos[p.stem], p) for p in sorted(labels.glob("*.png")) if p.stem in photos]
    if not pairs:
        raise FileNotFoundError(f"no photo in {images} has a label map of the same name in {labels}")
    return pairs


def decode_folder(folder: str | Path, width: int, height: int, cache_dir: str | Path | None = "outputs/cache"):
    """All pairs of `folder` at `width` x `height`: photos (N, H, W, 3) uint8 and labels (N, H, W) uint8.

    Photos are resized with a box filter, labels with nearest neighbour (a class id is not a quantity to average).
    The result is kept in `cache_dir` (None: no cache) under a key of the folder, its files and their times."""
    pairs = find_pairs(folder)
    key = hashlib.sha1(f"{Path(folder).resolve()}|{width}x{height}".encode())
    for photo, label in pairs:
        key.update(f"{photo.name}:{photo.stat().st_mtime_ns}:{label.name}:{label.stat().st_mtime_ns}".encode())
    cache = Path(cache_dir) / f"camvid-{width}x{height}-{key.hexdigest()[:12]}.npz" if cache_dir else None
    if cache is not None and cache.exists():
        with np.load(cache) as stored:
            return stored["images"], stored["labels"]
    images = np.stack([np.asarray(Image.open(p).convert("RGB").resize((width, height), Image.Resampling.BOX))
                       for p, _ in pairs])
    labels = np.stack([np.asarray(Image.open(q).convert("L").resize((width, height), Image.Resampling.NEAREST))
                       for _, q in pairs])
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(f".{os.getpid()}.tmp.npz")  # one per process: several may build it at once
        np.savez(partial, images=images, labels=labels)
        partial.replace(cache)  # atomic
    return images, labels


def class_frequencies(labels: np.ndarray) -> np.ndarray:
    """freq(c) = pixels of class c / pixels of the images in which c appears (void left out), per class."""
    counts = np.zeros(NUM_CLASSES)
    present_pixels = np.zeros(NUM_CLASSES)
    for label in labels:
        per_class = np.bincount(label.ravel(), minlength=256)[:NUM_CLASSES]
        counts += per_class
        present_pixels += (per_class > 0) * label.size
    return counts / np.maximum(present_pixels, 1)


def median_frequency_weights(labels: np.ndarray) -> np.ndarray:
    """Median frequency balancing (Eigen & Fergus 2015, used by SegNet on CamVid): weight(c) = median(freq) / freq(c).
    Rare classes (poles, signs, cyclists) count more per pixel; a class absent from the labels gets weight 0."""
    frequency = class_frequencies(labels)
    present = frequency > 0
    weights = np.zeros(NUM_CLASSES)
    weights[present] = np.median(frequency[present]) / frequency[present]
    return weights.astype(np.float32)


def augment(image: torch.Tensor, label: torch.Tensor, crop: tuple[int, int], scale: tuple[float, float],
            generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Random scale, horizontal flip and a (height, width) crop of one pair: (3, H, W) float, (H, W) long.

    Streets are not symmetric upside down, so only left-right flips. Where the scaled image is smaller than the
    crop, the pad is void (ignored by the loss) and gray in the photo."""
    factor = float(torch.empty(1).uniform_(*scale, generator=generator))
    height, width = (max(1, round(side * factor)) for side in label.shape)
    image = F.interpolate(image[None], size=(height, width), mode="bilinear", align_corners=False)[0]
    label = F.interpolate(label[None, None].float(), size=(height, width), mode="nearest")[0, 0].long()
    if torch.rand(1, generator=generator) < 0.5:
        image, label = image.flip(-1), label.flip(-1)
    crop_h, crop_w = crop
    pad_h, pad_w = max(0, crop_h - height), max(0, crop_w - width)
    if pad_h or pad_w:
        image = F.pad(image, (0, pad_w, 0, pad_h), value=0.5)
        label = F.pad(label, (0, pad_w, 0, pad_h), value=VOID)
    top = int(torch.randint(0, image.shape[1] - crop_h + 1, (1,), generator=generator))
    left = int(torch.randint(0, image.shape[2] - crop_w + 1, (1,), generator=generator))
    return image[:, top : top + crop_h, left : left + crop_w], label[top : top + crop_h, left : left + crop_w]


class SegmentationPairs(Dataset):
    """Photos (3, H, W) float in [0, 1] and labels (H, W) long from decoded arrays; augmented when `crop` is given.

    Without `crop`, items are the whole images as stored (evaluation). Augmentation draws from the global RNG,
    which the training loop seeds per process."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, crop: tuple[int, int] | None = None,
                 scale: tuple[float, float] = (0.75, 1.5)):
        if images.shape[:3] != labels.shape:
            raise ValueError(f"images {images.shape} and labels {labels.shape} disagree")
        self.images, self.labels, self.crop, self.scale = images, labels, crop, scale

    @classmethod
    def from_folder(cls, folder, width: int, height: int, cache_dir="outputs/cache", **kwargs) -> SegmentationPairs:
        return cls(*decode_folder(folder, width, height, cache_dir), **kwargs)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        image = torch.from_numpy(self.images[index]).permute(2, 0, 1).float() / 255  # (3, H, W)
        label = torch.from_numpy(self.labels[index]).long()  # (H, W)
        if self.crop is not None:
            image, label = augment(image, label, self.crop, self.scale)
        return image, label


def synthetic_streets(count: int = 16, width: int = 64, height: int = 48, seed: int = 0):
    """A tiny seeded stand-in for CamVid (tests, dry runs): sky over buildings over road, with a car and a pole,
    each class a noisy colour of its own; a few void pixels. Returns (images, labels) like `decode_folder`."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, height, width, 3), dtype=np.uint8)
    labels = np.zeros((count, height, width), dtype=np.uint8)
    for index in range(count):
        label = np.full((height, width), 0, dtype=np.uint8)  # sky
        horizon, road = rng.integers(height // 5, height // 2), rng.integers(height // 2 + 2, height - 4)
        label[horizon:] = 1  # building
        label[road:] = 3  # road
        left, size = rng.integers(0, width - width // 3), rng.integers(width // 8, width // 3)
        label[road - size // 2 : road + size // 3, left : left + size] = 8  # car
        pole = rng.integers(0, width - 2)
        label[horizon // 2 : road, pole : pole + 2] = 2  # pole
        label[rng.random((height, width)) < 0.02] = VOID
        colours = np.array([*CLASS_COLOURS, VOID_COLOUR], dtype=np.float32)
        image = colours[label] + rng.normal(0, 20, (height, width, 3))
        images[index], labels[index] = np.clip(image, 0, 255).astype(np.uint8), label
    return images, labels
