"""Tiny synthetic image sets: what tests train on (`--data synthetic:<kind>`), made on the spot, seeded.

Every kind is a (count, 3, size, size) float tensor in [0, 1] with structure a small model can learn in a
few steps: "discs" (coloured discs on gray, at a few places), "fields" (smooth random colour), "gratings"
(sinusoidal stripes at random angles and frequencies), "strokes" (white bars and rings on black, like
digits), "pairs" (a disc's outline beside the filled disc: a paired A|B set, 2 size wide).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

KINDS = ("discs", "fields", "gratings", "strokes", "pairs")


def synthetic_images(kind: str, count: int = 64, size: int = 32, seed: int = 0) -> torch.Tensor:
    if kind not in KINDS:
        raise ValueError(f"unknown synthetic kind {kind!r}; choose one of {', '.join(KINDS)}")
    generator = torch.Generator().manual_seed(seed)
    grid = torch.linspace(-1, 1, size)
    yy, xx = torch.meshgrid(grid, grid, indexing="ij")
    images = []
    for index in range(count):
        if kind == "fields":
            image = F.interpolate(torch.rand(1, 3, 4, 4, generator=generator), size=(size, size), mode="bilinear",
                                  align_corners=False)[0]
        elif kind == "gratings":
            angle, frequency = torch.rand(2, generator=generator) * torch.tensor([math.pi, 12.0]) + torch.tensor([0, 3.0])
            wave = 0.5 + 0.4 * torch.sin(frequency * (xx * torch.cos(angle) + yy * torch.sin(angle)))
            image = wave.expand(3, -1, -1) * torch.rand(3, 1, 1, generator=generator).add(0.5).clamp(max=1)
        elif kind == "strokes":
            angle = math.pi * index / count
            bar = (torch.abs(xx * math.cos(angle) + yy * math.sin(angle)) < 0.15).float()
            ring = (torch.abs(xx**2 + yy**2 - 0.4) < 0.1).float()
            image = (bar if index % 2 else ring).expand(3, -1, -1)
        else:  # discs, and pairs built from them
            centre = 0.3 * (index % 3 - 1)
            disc = ((xx - centre) ** 2 + yy**2 < 0.3).float()
            colour = torch.tensor([0.9 * (index % 2), 0.5, 0.2])[:, None, None]
            image = 0.5 + disc * (colour - 0.5)
            if kind == "pairs":
                edge = (torch.abs((xx - centre) ** 2 + yy**2 - 0.3) < 0.06).float()
                image = torch.cat([1 - edge.expand(3, -1, -1), image], dim=2)  # A (outline) | B (disc)
        images.append(image.clamp(0, 1))
    return torch.stack(images)
