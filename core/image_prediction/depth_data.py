"""Faces with pseudo depth maps (`train.face_depth_data`'s array file), augmented for training, and a synthetic twin.

The array file holds `images` (N, S, S, 3) uint8, `depth` (N, S, S) MediaPipe's relative z in image widths
(smaller is nearer), `mask` (N, S, S) where the face mesh covers, and `split` per face ("train" / "val").
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

MAX_DEPTH_RANGE = 0.6  # image widths, nearest to farthest inside a face: beyond it, the mesh fit went wrong
SPIKE = 0.05  # image widths: a pixel this far from its 5x5 neighbourhood's median is a spike


def despike(depth: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(N, S, S) depth with single-pixel spikes replaced by their neighbourhood's median. About 2% of the meshes
    have one, mostly at an open mouth (the refined lip landmarks, looked at): up to 2 image widths off, which would
    dominate a squared loss."""
    from scipy.ndimage import median_filter

    median = median_filter(depth, size=(1, 5, 5), mode="nearest")
    spikes = mask & (np.abs(depth - median) > SPIKE)
    return np.where(spikes, median, depth)


def usable_faces(depth: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Which faces have a mesh whose depth is plausible: half of them span 0.35 image widths from the nose tip to
    the jaw's edge, 95% under 0.45; what still spans more than 0.6 after `despike` is left out."""
    covered = mask.any(axis=(1, 2))
    span = np.where(mask, depth, -np.inf).max(axis=(1, 2)) - np.where(mask, depth, np.inf).min(axis=(1, 2))
    return covered & (span <= MAX_DEPTH_RANGE)


def load_face_depth(path: str, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images, depth as float32 and despiked, mask) of one split, faces without a plausible mesh left out."""
    data = np.load(path)
    chosen = data["split"] == split
    depth, mask = despike(data["depth"][chosen].astype(np.float32), data["mask"][chosen]), data["mask"][chosen]
    keep = usable_faces(depth, mask)
    return data["images"][chosen][keep], depth[keep], mask[keep]


def synthetic_faces(count: int, size: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded stand-ins for tests and dry runs: a lit ellipsoid on a flat background, its depth and its mask."""
    rng = np.random.default_rng(seed)
    ys, xs = (np.mgrid[0:size, 0:size] + 0.5) / size
    images = np.zeros((count, size, size, 3), np.uint8)
    depth = np.zeros((count, size, size), np.float32)
    mask = np.zeros((count, size, size), bool)
    for i in range(count):
        cx, cy = rng.uniform(0.4, 0.6, 2)
        rx, ry = rng.uniform(0.2, 0.3), rng.uniform(0.25, 0.35)
        r2 = ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2
        inside = r2 < 1
        height = np.sqrt(np.clip(1 - r2, 0, 1))  # the ellipsoid's bulge towards the camera
        light = rng.normal(size=3) * [1, 1, 0] + [0, 0, 2]
        gy, gx = np.gradient(height)
        normal = np.stack([-gx * size, -gy * size, np.ones_like(height)], -1)
        shade = np.clip((normal / np.linalg.norm(normal, axis=-1, keepdims=True)) @ (light / np.linalg.norm(light)), 0, 1)
        colour = rng.uniform(0.4, 1.0, 3)
        background = rng.uniform(0, 1, 3)
        images[i] = (np.where(inside[..., None], shade[..., None] * colour, background) * 255).astype(np.uint8)
        depth[i] = np.where(inside, -0.12 * height, 0)
        mask[i] = inside
    return images, depth, mask


class FaceDepthPairs(Dataset):
    """(photo (3, S, S) in [0, 1], depth (1, S, S), mask (1, S, S)) with left-right flips and small shifts (up to
    `shift` pixels, as an upload is rarely framed exactly like the aligned faces); depth and mask move with the
    photo, and pixels shifted in from outside are not in the mask. Draws from torch's global RNG, which the
    training loop seeds per process."""

    def __init__(self, images: np.ndarray, depth: np.ndarray, mask: np.ndarray, shift: int = 4):
        if not images.shape[:3] == depth.shape == mask.shape:
            raise ValueError(f"images {images.shape}, depth {depth.shape} and mask {mask.shape} disagree")
        self.images, self.depth, self.mask, self.shift = images, depth, mask, shift

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        image, depth, mask = self.images[index], self.depth[index], self.mask[index]
        if torch.rand(()) < 0.5:
            image, depth, mask = image[:, ::-1], depth[:, ::-1], mask[:, ::-1]
        if self.shift:
            size, s = image.shape[0], self.shift
            top, left = torch.randint(0, 2 * s + 1, (2,)).tolist()
            image = np.pad(image, ((s, s), (s, s), (0, 0)), mode="reflect")[top:top + size, left:left + size]
            depth = np.pad(depth, s)[top:top + size, left:left + size]
            mask = np.pad(mask, s)[top:top + size, left:left + size]
        photo = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float() / 255
        return (photo, torch.from_numpy(np.ascontiguousarray(depth))[None],
                torch.from_numpy(np.ascontiguousarray(mask))[None])
