"""What a diffusion model trains and is judged on: images from any `--data` source as one tensor."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from core.common.data import image_source


def load_images(spec: str, size: int, split: str) -> torch.Tensor:
    """(N, C, size, size) in [0, 1]; MNIST's 28 px digits are padded to `size` (not stretched), 10% of a
    folder held out."""
    folder = image_source(spec, split=split, val_fraction=0.1, **({} if spec.startswith("mnist:") else {"size": size}))
    images = torch.stack([folder[i] for i in range(len(folder))])
    if images.shape[-1] < size:
        pad = (size - images.shape[-1]) // 2
        images = F.pad(images, (pad, size - images.shape[-1] - pad, pad, size - images.shape[-1] - pad))
    return images


@dataclass
class CaptionedImages:
    """Images with the words that describe them: what the text-to-image teaser trains on."""

    images: torch.Tensor  # (N, 3, S, S) in [0, 1]
    captions: list[str]
    categories: list[str]  # one coarse label per image, what the guidance check asks a classifier for


SHAPES, COLOURS = ("disc", "square"), {"red": (0.9, 0.1, 0.1), "green": (0.1, 0.8, 0.2), "blue": (0.1, 0.2, 0.9)}


def synthetic_captioned(size: int) -> CaptionedImages:
    """Six kinds of picture a tiny model learns in minutes: a red, green or blue disc or square on white, each
    drawn 8 times a little further right (48 different images)."""
    grid = torch.linspace(-1, 1, size)
    yy, xx = torch.meshgrid(grid, grid, indexing="ij")
    images, captions, categories = [], [], []
    for copy in range(8):
        x = xx - 0.04 * (copy - 3.5)
        # soft edges, so that every shift changes some pixels
        masks = {"disc": torch.sigmoid(20 * (0.45 - x**2 - yy**2)),
                 "square": torch.sigmoid(20 * (0.6 - torch.maximum(x.abs(), yy.abs())))}
        for shape in SHAPES:
            for colour, rgb in COLOURS.items():
                images.append(1 - masks[shape] * (1 - torch.tensor(rgb)[:, None, None]))
                captions.append(f"{colour} {shape}, shapes")
                categories.append(shape)
    return CaptionedImages(torch.stack(images), captions, categories)


def load_captioned(spec: str, size: int, split: str) -> CaptionedImages:
    """An .npz from `train.emoji_data` (its own train/val split), or synthetic:captioned for tests."""
    if spec == "synthetic:captioned":
        return synthetic_captioned(size)
    with np.load(spec) as data:
        keep = data["split"] == split
        images = torch.from_numpy(data["images"][keep]).permute(0, 3, 1, 2).float() / 255
        captions, categories = [str(c) for c in data["caption"][keep]], [str(c) for c in data["category"][keep]]
    if images.shape[-1] != size:
        images = F.interpolate(images, size=(size, size), mode="area")
    return CaptionedImages(images, captions, categories)
