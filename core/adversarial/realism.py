"""Realism without Inception weights: can a small classifier, trained here, tell real from generated?

Train a small CNN on half of the real and half of the generated images, then measure its accuracy on
the other halves. 50% means it cannot tell them apart (best); 100% means every sample is caught. This
is the classifier two-sample test (Lopez-Paz & Oquab, ICLR 2017) on features we learn ourselves, since
FID's Inception network cannot be downloaded here.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class RealismScore:
    accuracy: float  # held-out accuracy of the real-vs-generated classifier (0.5 = indistinguishable)
    test_count: int  # held-out images it was measured on

    def describe(self) -> str:
        return f"{self.accuracy:.1%} real-vs-generated accuracy on {self.test_count} held-out images (50% is best)"


def critic(channels: int, width: int = 32) -> nn.Sequential:
    """Three strided convolutions and a linear read-out: sees textures and shapes, trains in seconds."""
    return nn.Sequential(
        nn.Conv2d(channels, width, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(2 * width, 4 * width, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * width, 1),
    )


def realism_accuracy(real: torch.Tensor, generated: torch.Tensor, steps: int = 300, batch_size: int = 64,
                     seed: int = 0) -> RealismScore:
    """real, generated: (N, C, H, W) in [0, 1], same C, H, W; the first half of each trains, the rest tests."""
    if real.shape[1:] != generated.shape[1:]:
        raise ValueError(f"real {tuple(real.shape[1:])} and generated {tuple(generated.shape[1:])} must match in C, H, W")
    count = min(len(real), len(generated))
    if count < 8:
        raise ValueError(f"need at least 8 images of each kind, got {count}")
    generator = torch.Generator().manual_seed(seed)
    real = real[torch.randperm(len(real), generator=generator)[:count]]
    generated = generated[torch.randperm(len(generated), generator=generator)[:count]]
    half = count // 2
    train_x = torch.cat([real[:half], generated[:half]])
    train_y = torch.cat([torch.ones(half), torch.zeros(half)])
    test_x = torch.cat([real[half:], generated[half:]])
    test_y = torch.cat([torch.ones(count - half), torch.zeros(count - half)])

    with torch.enable_grad():  # callers often evaluate under no_grad; the critic still has to learn
        model = _train_critic(train_x, train_y, seed, steps, batch_size, generator)
    with torch.no_grad():
        predictions = torch.cat([model(test_x[i : i + 256] * 2 - 1).squeeze(1) > 0 for i in range(0, len(test_x), 256)])
    return RealismScore(float((predictions.float() == test_y).float().mean()), len(test_y))


def _train_critic(train_x, train_y, seed, steps, batch_size, generator) -> nn.Module:
    torch.manual_seed(seed)
    model = critic(train_x.shape[1])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(steps):
        index = torch.randint(len(train_x), (min(batch_size, len(train_x)),), generator=generator)
        images = train_x[index]
        flip = torch.rand(len(images), generator=generator) < 0.5  # mirror images: a tell must survive it
        images = torch.where(flip[:, None, None, None], images.flip(3), images)
        loss = F.binary_cross_entropy_with_logits(model(images * 2 - 1).squeeze(1), train_y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()
