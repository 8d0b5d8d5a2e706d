"""Walking a generator's latent space: paths between two seeds, in z or in StyleGAN's w.

A straight line in z passes near 0, where a Gaussian code is atypical (its norm is about sqrt(D)); the
spherical path (slerp, White 2016) keeps every code at the typical radius; StyleGAN's w is where styles
live and is meant to be walked in straight lines (Karras et al. 2019).
"""

from __future__ import annotations

import torch

from core.common.seeds import seed_noise

PATHS = ("linear in w", "spherical in z", "linear in z")


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between codes a and b (D,) at fractions t (T,): stays at a Gaussian's typical radius."""
    cos = torch.dot(a / a.norm(), b / b.norm()).clamp(-1 + 1e-7, 1 - 1e-7)
    angle = torch.acos(cos)
    t = t[:, None]
    return (torch.sin((1 - t) * angle) * a + torch.sin(t * angle) * b) / torch.sin(angle)


@torch.no_grad()
def interpolate(generator, seed_a: int, seed_b: int, steps: int, path: str = "linear in w") -> torch.Tensor:
    """`steps` images from seed_a's face to seed_b's along `path` (one of PATHS): (steps, 3, S, S) in [0, 1]."""
    if path not in PATHS:
        raise ValueError(f"path must be one of {', '.join(PATHS)}, got {path!r}")
    z = seed_noise([seed_a, seed_b], generator.latent_dim).to(generator.constant.device)
    t = torch.linspace(0, 1, steps, device=z.device)
    if path == "linear in w":
        w = generator.map(z)
        ws = (1 - t[:, None]) * w[0] + t[:, None] * w[1]
    elif path == "spherical in z":
        ws = generator.map(slerp(z[0], z[1], t))
    else:
        ws = generator.map((1 - t[:, None]) * z[0] + t[:, None] * z[1])
    return ((generator.synthesize(ws) + 1) / 2).clamp(0, 1)


@torch.no_grad()
def style_mixing_row(generator, coarse_seed: int, fine_seed: int, truncation: float = 1.0,
                     crossovers: tuple[int, ...] = (4, 8, 16, 32)) -> torch.Tensor:
    """A, then A's styles up to each crossover resolution with B's above it, then B: (len + 2, 3, S, S) in [0, 1]."""
    mixed = [generator.mix(coarse_seed, fine_seed, generator.coarse_layers(r), truncation)[0] for r in crossovers]
    return torch.stack([generator.sample([coarse_seed], truncation)[0], *mixed, generator.sample([fine_seed], truncation)[0]])
