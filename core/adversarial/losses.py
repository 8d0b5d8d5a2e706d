"""GAN objectives as plain functions, shared by the DCGAN/StyleGAN, pix2pix and super-resolution recipes.

`mode`: "vanilla" is the log-loss of Goodfellow et al. (2014), with G's non-saturating form -log D(G(z));
"lsgan" the least-squares loss of Mao et al. (2017); "hinge" the margin loss of SAGAN/BigGAN and FastGAN (D pushes
real logits above 1 and fakes below -1, and stops pushing there). Logits in, scalar losses out.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn.functional as F

MODES = ("vanilla", "lsgan", "hinge")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, mode: str = "vanilla") -> torch.Tensor:
    """D's loss: real -> 1, fake -> 0 (every patch, for a PatchGAN). Vanilla: -log D(x) - log(1 - D(G(z)))."""
    if mode == "lsgan":
        return (real_logits - 1).pow(2).mean() + fake_logits.pow(2).mean()
    if mode == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    if mode != "vanilla":
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()  # softplus: stable log-sigmoid


def generator_loss(fake_logits: torch.Tensor, mode: str = "vanilla") -> torch.Tensor:
    """G's loss. Vanilla is non-saturating, -log D(G(z)): strong gradients while D is winning."""
    if mode == "lsgan":
        return (fake_logits - 1).pow(2).mean()
    if mode == "hinge":
        return -fake_logits.mean()
    if mode != "vanilla":
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return F.softplus(-fake_logits).mean()


def r1_penalty(real_images: torch.Tensor, real_logits: torch.Tensor) -> torch.Tensor:
    """E ||grad_x D(x)||^2 on real data: keeps D smooth where the data is (Mescheder et al. 2018)."""
    (gradient,) = torch.autograd.grad(real_logits.sum(), real_images, create_graph=True)
    return gradient.pow(2).flatten(1).sum(1).mean()


@contextmanager
def frozen(discriminator: torch.nn.Module):
    """G's step through D: D's parameters take no gradient from it (and cost no backward work)."""
    discriminator.requires_grad_(False)
    try:
        yield discriminator
    finally:
        discriminator.requires_grad_(True)
