"""Autoencoder objectives as plain functions: reconstruction (summed per image, averaged over the batch) and,
for a VAE, the KL divergence of the encoder's Gaussian from the N(0, I) prior (Kingma & Welling 2014)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def reconstruction_loss(output: torch.Tensor, target: torch.Tensor, kind: str = "bce") -> torch.Tensor:
    """"bce" (pixels in [0, 1] read as Bernoulli probabilities, the VAE paper's choice) or "mse"."""
    if kind == "bce":
        return F.binary_cross_entropy(output.clamp(1e-6, 1 - 1e-6), target, reduction="none").flatten(1).sum(1).mean()
    if kind == "mse":
        return F.mse_loss(output, target, reduction="none").flatten(1).sum(1).mean()
    raise ValueError(f"loss must be 'bce' or 'mse', got {kind!r}")


def kl_to_standard_normal(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(log_var)) || N(0, I)), summed over the code, averaged over the batch."""
    return (-0.5 * (1 + log_var - mean**2 - log_var.exp()).sum(1)).mean()


def vae_loss(output, target, mean, log_var, kind: str = "bce", kl_weight: float = 1.0) -> tuple[torch.Tensor, dict]:
    """The (negative) ELBO with a KL weight (beta-VAE when != 1): loss and its parts, for the log."""
    reconstruction = reconstruction_loss(output, target, kind)
    if log_var is None:  # a plain (or denoising) autoencoder
        return reconstruction, {"reconstruction": reconstruction.detach()}
    kl = kl_to_standard_normal(mean, log_var)
    return reconstruction + kl_weight * kl, {"reconstruction": reconstruction.detach(), "kl": kl.detach()}
