"""Differentiable augmentation (Zhao et al., NeurIPS 2020): augment real AND generated images before D.

With 1,000 faces, D memorises the training set and G's signal collapses. Augmenting every image D sees
with the same differentiable random colour shift, translation and cutout stops that, while G still gets
gradients through the augmentation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def color(x: torch.Tensor) -> torch.Tensor:
    """Random brightness, saturation and contrast per image (x in [-1, 1])."""
    batch = x.shape[0]
    x = x + (torch.rand(batch, 1, 1, 1, device=x.device) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (torch.rand(batch, 1, 1, 1, device=x.device) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (torch.rand(batch, 1, 1, 1, device=x.device) + 0.5) + mean


def translation(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to `ratio` of its size, filling with zeros."""
    batch, _, height, width = x.shape
    shift = torch.stack([torch.randint(-int(height * ratio), int(height * ratio) + 1, (batch,)),
                         torch.randint(-int(width * ratio), int(width * ratio) + 1, (batch,))], dim=1).float()
    theta = torch.zeros(batch, 2, 3, device=x.device)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, 0, 2] = -2 * shift[:, 1].to(x.device) / width
    theta[:, 1, 2] = -2 * shift[:, 0].to(x.device) / height
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)


def cutout(x: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    """Zero a random square of `ratio` of the size in each image."""
    batch, _, height, width = x.shape
    size_h, size_w = int(height * ratio), int(width * ratio)
    top = torch.randint(0, height - size_h + 1, (batch, 1, 1), device=x.device)
    left = torch.randint(0, width - size_w + 1, (batch, 1, 1), device=x.device)
    rows = torch.arange(height, device=x.device).view(1, -1, 1)
    cols = torch.arange(width, device=x.device).view(1, 1, -1)
    inside = (rows >= top) & (rows < top + size_h) & (cols >= left) & (cols < left + size_w)
    return x * (~inside).unsqueeze(1).to(x.dtype)


AUGMENTS = {"color": color, "translation": translation, "cutout": cutout}


def diff_augment(x: torch.Tensor, policy: tuple[str, ...] = ("color", "translation", "cutout")) -> torch.Tensor:
    """The augmentations of `policy`, in order. FastGAN's code uses colour and translation only: its D, with
    spectral norm in every layer, cannot tell real from fake through a cutout of half the image."""
    unknown = set(policy) - set(AUGMENTS)
    if unknown:
        raise ValueError(f"unknown augmentation {sorted(unknown)}: choose from {list(AUGMENTS)}")
    for name in policy:
        x = AUGMENTS[name](x)
    return x
