"""A GAN on 2-D points, small enough to train live: watch D become G's loss, and G collapse onto modes.

Goodfellow et al. (2014): D learns to tell data from G's samples; G follows D's gradient. In 2-D the
whole game is visible: D's decision surface over the plane, G's samples moving on it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

MAX_STEPS = 5000  # bounded CPU per session: a run stops by itself at this many steps ...
MAX_SECONDS = 60.0  # ... or after this long, whichever comes first
GRID = 60  # D's decision surface is drawn on GRID x GRID points


def ring(count: int, generator: torch.Generator) -> torch.Tensor:
    """8 Gaussians on a circle of radius 2: the classic mode-collapse test."""
    modes = torch.randint(8, (count,), generator=generator).float() * (2 * math.pi / 8)
    centers = 2 * torch.stack([modes.cos(), modes.sin()], dim=1)
    return centers + 0.05 * torch.randn(count, 2, generator=generator)


def spiral(count: int, generator: torch.Generator) -> torch.Tensor:
    t = 3 * math.pi * torch.rand(count, generator=generator).sqrt()
    points = torch.stack([t * t.cos(), t * t.sin()], dim=1) / (1.5 * math.pi)
    return points + 0.04 * torch.randn(count, 2, generator=generator)


def two_moons(count: int, generator: torch.Generator) -> torch.Tensor:
    t = math.pi * torch.rand(count, generator=generator)
    upper = torch.rand(count, generator=generator) < 0.5
    x = torch.where(upper, t.cos(), 1 - t.cos())
    y = torch.where(upper, t.sin(), 0.5 - t.sin())
    return torch.stack([x - 0.5, y - 0.25], dim=1) * 1.6 + 0.06 * torch.randn(count, 2, generator=generator)


DISTRIBUTIONS = {"ring of 8 Gaussians": ring, "spiral": spiral, "two moons": two_moons}


def mlp(inputs: int, outputs: int, hidden: int, activation: type[nn.Module]) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, hidden), activation(), nn.Linear(hidden, hidden), activation(),
                         nn.Linear(hidden, hidden), activation(), nn.Linear(hidden, outputs))


@dataclass
class LabConfig:
    distribution: str = "ring of 8 Gaussians"
    steps: int = 2000
    generator_lr: float = 1e-3
    discriminator_lr: float = 1e-3
    discriminator_steps: int = 1  # D updates per G update
    loss: str = "non-saturating"  # or "minimax": G minimises log(1 - D(G(z))), which saturates early on
    batch_size: int = 256
    latent_dim: int = 2
    hidden: int = 64
    snapshot_every: int = 100
    seed: int = 0
    max_seconds: float = MAX_SECONDS

    def validate(self) -> LabConfig:
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"unknown distribution {self.distribution!r}; choose one of {', '.join(DISTRIBUTIONS)}")
        if self.loss not in ("non-saturating", "minimax"):
            raise ValueError(f"loss must be 'non-saturating' or 'minimax', got {self.loss!r}")
        if not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"steps must be between 1 and {MAX_STEPS}, got {self.steps}")
        for name in ("generator_lr", "discriminator_lr"):
            if not 0 < getattr(self, name) <= 0.1:
                raise ValueError(f"{name} must be in (0, 0.1], got {getattr(self, name)}")
        if not 1 <= self.discriminator_steps <= 10:
            raise ValueError(f"discriminator_steps must be between 1 and 10, got {self.discriminator_steps}")
        self.max_seconds = min(self.max_seconds, MAX_SECONDS)
        self.snapshot_every = max(10, self.snapshot_every)
        return self


class LabRun:
    """One user's run, kept in their gr.State: Stop sets `stopped`, and the running lab ends at its next
    snapshot, keeping its plots (cancelling the event instead would turn every output into an error badge)."""

    stopped = False


@dataclass
class Snapshot:
    step: int
    real: np.ndarray  # (N, 2)
    fake: np.ndarray  # (N, 2)
    surface: np.ndarray  # (GRID, GRID) D's probability of "real"
    extent: tuple[float, float]  # the square [lo, hi]^2 the surface covers
    generator_losses: list[float] = field(default_factory=list)
    discriminator_losses: list[float] = field(default_factory=list)
    modes_covered: int | None = None  # ring only: modes with at least 1/4 of their fair share of samples
    finished: str | None = None  # why the run ended, on the last snapshot

    def status(self, total_steps: int) -> str:
        """One line for the page: where the run is, its losses, the modes it covers, how it ended."""
        text = (f"Step {self.step} of {total_steps}; D loss {self.discriminator_losses[-1]:.3f}, "
                f"G loss {self.generator_losses[-1]:.3f}.")
        if self.modes_covered is not None:
            text += f" Modes covered: {self.modes_covered} of 8" + (" (mode collapse)" if self.modes_covered < 6 else "")
        if self.finished == "stopped":
            text += " **Stopped.**"
        elif self.finished:
            text += f" **Done: {self.finished}.**"
        return text


def modes_covered(fake: np.ndarray, radius: float = 2.0, share: float = 0.25) -> int:
    """For the ring: how many of the 8 modes hold at least `share` of a fair 1/8 of the samples nearby."""
    angles = np.arange(8) * 2 * np.pi / 8
    centers = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    distances = np.linalg.norm(fake[:, None] - centers[None], axis=2)
    nearest, close = distances.argmin(axis=1), distances.min(axis=1) < 0.5
    counts = np.bincount(nearest[close], minlength=8)
    return int(np.sum(counts >= share * len(fake) / 8))


def train_lab(config: LabConfig, clock: Callable[[], float] = time.monotonic,
              should_stop: Callable[[], bool] = lambda: False) -> Iterator[Snapshot]:
    """Train G and D, yielding a Snapshot every `snapshot_every` steps and a final one (bounded).

    The run ends at `config.steps`, after `config.max_seconds` by `clock` (tests pass their own clock), or at
    the first snapshot after `should_stop()` turns true (the Space's Stop button).
    """
    config.validate()
    torch.manual_seed(config.seed)
    data_rng = torch.Generator().manual_seed(config.seed)
    sample_real = DISTRIBUTIONS[config.distribution]
    generator = mlp(config.latent_dim, 2, config.hidden, nn.ReLU)
    discriminator = mlp(2, 1, config.hidden, lambda: nn.LeakyReLU(0.2))
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.generator_lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=config.discriminator_lr, betas=(0.5, 0.999))
    fixed_z = torch.randn(512, config.latent_dim, generator=torch.Generator().manual_seed(1))
    shown_real = sample_real(512, torch.Generator().manual_seed(2))
    g_losses, d_losses = [], []
    started = clock()
    for step in range(1, config.steps + 1):
        # (1) Update D: maximize log D(x) + log(1 - D(G(z)))
        for _ in range(config.discriminator_steps):
            real = sample_real(config.batch_size, data_rng)
            fake = generator(torch.randn(config.batch_size, config.latent_dim)).detach()
            logits_real, logits_fake = discriminator(real), discriminator(fake)
            d_loss = F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real)) + \
                F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
        # (2) Update G: maximize log D(G(z)) (non-saturating) or minimize log(1 - D(G(z))) (minimax)
        logits = discriminator(generator(torch.randn(config.batch_size, config.latent_dim)))
        if config.loss == "non-saturating":
            g_loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        else:
            g_loss = -F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        g_losses.append(g_loss.item())
        d_losses.append(d_loss.item())
        out_of_time = clock() - started > config.max_seconds
        at_snapshot = step % config.snapshot_every == 0 or step == 1
        stopped = at_snapshot and should_stop()
        last = step == config.steps or out_of_time or stopped
        if at_snapshot or last:
            reason = None
            if step == config.steps:
                reason = f"finished {config.steps} steps"
            elif stopped:
                reason = "stopped"
            elif out_of_time:
                reason = f"stopped at the {config.max_seconds:g} s limit"
            yield snapshot(generator, discriminator, fixed_z, shown_real, step, g_losses, d_losses,
                           config.distribution, reason)
        if last:
            return


@torch.no_grad()
def snapshot(generator, discriminator, fixed_z, shown_real, step, g_losses, d_losses, distribution, reason):
    fake = generator(fixed_z).numpy()
    real = shown_real.numpy()
    bound = float(max(3.0, np.abs(real).max() + 0.5))
    axis = torch.linspace(-bound, bound, GRID)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    surface = torch.sigmoid(discriminator(torch.stack([xx.ravel(), yy.ravel()], dim=1))).view(GRID, GRID).numpy()
    covered = modes_covered(fake) if distribution == "ring of 8 Gaussians" else None
    return Snapshot(step, real, fake, surface, (-bound, bound), list(g_losses), list(d_losses), covered, reason)
