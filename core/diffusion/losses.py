"""The DDPM objective: add noise of a random level t to clean images, ask the network what was added.

Uniform t; the target is the noise (epsilon) or v, by the model's `prediction_type`. With `min_snr_gamma`,
each sample's squared error is weighted by min(SNR_t, gamma) / SNR_t (epsilon) or / (SNR_t + 1) (v), the
Min-SNR-gamma weighting of Hang et al. (2023): the easy, nearly clean levels stop dominating the gradient,
which speeds small models' training several-fold. gamma = 5 is the paper's choice.
"""

from __future__ import annotations

import torch

from core.diffusion.model import DiffusionModel, add_noise


def diffusion_loss(model: DiffusionModel, clean: torch.Tensor, min_snr_gamma: float | None = None,
                   network=None) -> torch.Tensor:
    """Mean (weighted) squared error of the network's prediction for `clean` (B, C, S, S) in [-1, 1].

    `network`: the callable to run (an Accelerate-wrapped copy of `model`); `model` supplies the schedule.
    """
    network = network or model
    noise = torch.randn_like(clean)
    timesteps = torch.randint(0, model.num_train_timesteps, (clean.shape[0],), device=clean.device)
    noisy = add_noise(model, clean, noise, timesteps)
    alpha_bar = model.alphas_cumprod.to(clean.device)[timesteps].view(-1, *[1] * (clean.ndim - 1))
    if model.prediction_type == "v_prediction":
        target = alpha_bar.sqrt() * noise - (1 - alpha_bar).sqrt() * clean
    else:
        target = noise
    error = (network(noisy, timesteps).float() - target).pow(2).flatten(1).mean(1)  # (B,)
    if min_snr_gamma is None:
        return error.mean()
    snr = (alpha_bar / (1 - alpha_bar)).flatten()
    weight = snr.clamp(max=min_snr_gamma) / (snr + 1 if model.prediction_type == "v_prediction" else snr)
    return (weight * error).mean()
