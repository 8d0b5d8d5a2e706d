"""Image corruptions for denoising: each takes images in [0, 1] and a level, and hits that level.

- gaussian: additive noise with standard deviation `level` (sigma 25/255 ~ 0.098 is the benchmark)
- salt_and_pepper: a fraction `level` of pixels set to 0 or 1 (half each)
- mask: a fraction `level` of pixels dropped to 0 (Vincent et al. 2008's "masking noise")
"""

from __future__ import annotations

import torch

KINDS = ("gaussian", "salt_and_pepper", "mask")


def gaussian(images: torch.Tensor, sigma: float | torch.Tensor, generator: torch.Generator | None = None,
             clip: bool = False) -> torch.Tensor:
    noise = torch.randn(images.shape, generator=generator, device=images.device, dtype=images.dtype)
    noisy = images + noise * sigma
    return noisy.clamp(0, 1) if clip else noisy


def _pixel_mask(images: torch.Tensor, fraction, generator) -> torch.Tensor:
    """One draw per pixel position, shared by its channels, so a hit pixel is hit in every channel."""
    shape = (images.shape[0], 1, *images.shape[2:])
    return torch.rand(shape, generator=generator, device=images.device) < fraction


def salt_and_pepper(images: torch.Tensor, amount: float | torch.Tensor,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    hit = _pixel_mask(images, amount, generator)
    salt = torch.rand(hit.shape, generator=generator, device=images.device) < 0.5
    return torch.where(hit, salt.to(images.dtype).expand_as(images), images)


def mask(images: torch.Tensor, fraction: float | torch.Tensor, generator: torch.Generator | None = None):
    return images.masked_fill(_pixel_mask(images, fraction, generator), 0.0)


def corrupt(images: torch.Tensor, kind: str, level: float | torch.Tensor,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """Apply one corruption kind at `level` (a float, or a (B, 1, 1, 1) tensor of per-image levels)."""
    if kind == "none":
        return images
    if kind not in KINDS:
        raise ValueError(f"unknown corruption {kind!r}; choose one of none, {', '.join(KINDS)}")
    if isinstance(level, float | int) and not 0 <= level <= 1:
        raise ValueError(f"corruption level must be in [0, 1], got {level}")
    return {"gaussian": gaussian, "salt_and_pepper": salt_and_pepper, "mask": mask}[kind](images, level, generator)


def random_corruption(images: torch.Tensor, kinds: tuple[str, ...], max_level: float) -> torch.Tensor:
    """Training-time corruption: per image, a random kind from `kinds` at a level uniform in [0, max_level]."""
    batch = images.shape[0]
    levels = torch.rand(batch, 1, 1, 1, device=images.device) * max_level
    choice = torch.randint(len(kinds), (batch,), device=images.device)
    out = images.clone()
    for index, kind in enumerate(kinds):
        chosen = choice == index
        if chosen.any():
            out[chosen] = corrupt(images[chosen], kind, levels[chosen])
    return out
