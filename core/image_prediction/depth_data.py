"""Faces with pseudo depth maps (`train.face_depth_data`'s array file), augmented for training, and a synthetic twin.

The array file holds `images` (N, S, S, 3) uint8, `depth` (N, S, S) MediaPipe's relative z in image widths
(smaller is nearer), `mask` (N, S, S) where the face mesh covers, and `split` per face ("train" / "val").
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset


def load_face_depth(path: str, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images, depth as float32, mask) of one split, faces without a mesh left out."""
    data = np.load(path)
    keep = (data["split"] == split) & data["mask"].any(axis=(1, 2))
    return data["images"][keep], data["depth"][keep].astype(np.float32), data["mask"][keep]


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
