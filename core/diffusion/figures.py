"""Pictures of a diffusion run: the reverse trajectory as a strip and as an animation, pixel-exact."""

from __future__ import annotations

import secrets
from pathlib import Path

import torch
from PIL import Image

from core.common.display import pixel_grid
from core.common.upkeep import keep_newest

TILE = 96  # samples are enlarged to about 96 px (32x32 at 3x, 64x64 at 2x), nearest neighbour: pixels stay pixels
LARGE = 256  # a side-by-side comparison of a few images: tiles large enough to see what differs


def grid(images: torch.Tensor, columns: int = 8, tile: int = TILE) -> Image.Image:
    """(B, C, S, S) in [-1, 1] -> one picture, each image enlarged to about `tile` px by whole-pixel blocks."""
    scale = max(1, round(tile / images.shape[-1]))
    return Image.fromarray(pixel_grid(images, columns=columns, scale=scale, value_range=(-1, 1)))


def pick_steps(count: int, shown: int = 10) -> list[int]:
    """Indices of `shown` steps spread over a run of `count`, always ending at the last."""
    return sorted({round(i * (count - 1) / max(shown - 1, 1)) for i in range(min(shown, count))})


def trajectory_strip(trajectory, index: int = 0, shown: int = 10) -> Image.Image:
    """Top row: x_t after each shown step; bottom row: the model's guess of x0 at that step."""
    steps = pick_steps(len(trajectory.samples), shown)
    top = [trajectory.samples[i][index] for i in steps]
    bottom = [trajectory.predicted_x0[i][index] for i in steps]
    return grid(torch.stack(top + bottom), columns=len(steps))


def write_animation(trajectory, folder: Path, index: int = 0, keep: int = 64) -> Path:
    """A GIF of x_t (left) beside the predicted x0 (right), a frame per step, the last held; the folder keeps
    the newest `keep` files (bounded disk use)."""
    frames = [grid(torch.stack([x[index], x0[index]]), columns=2)
              for x, x0 in zip(trajectory.samples, trajectory.predicted_x0, strict=True)]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"walk-{secrets.token_hex(8)}.gif"  # not torch's generator: a seeded caller would repeat names
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=[120] * (len(frames) - 1) + [2000], loop=0)
    keep_newest(folder, "*.gif", keep, spare=path)
    return path
