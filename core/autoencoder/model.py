"""Convolutional autoencoder with a small latent code (2-D for plotting), optionally variational.

Encoder: strided convolutions to a (base*2, S/4, S/4) map, then a linear layer to the code.
Decoder: the mirror image. Trained plainly it is an autoencoder (Hinton & Salakhutdinov 2006); fed
corrupted inputs it is a denoising autoencoder (Vincent et al. 2008); with `variational=True` the
encoder outputs a mean and log-variance and the code is sampled (Kingma & Welling 2014).
"""

from __future__ import annotations

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn


class ConvAutoencoder(nn.Module, PyTorchModelHubMixin):
    """Image (B, C, S, S) in [0, 1] -> code (B, latent_dim) -> image.

    Args:
        in_channels: 1 for digits, 3 for colour.
        image_size: S, divisible by 4 (28 for MNIST).
        base_channels: width of the first convolution; the second has twice as many.
        hidden_dim: width of the fully connected layer around the code.
        latent_dim: size of the code (2 draws a map of the data set).
        variational: encode to a Gaussian and sample from it (a VAE).
    """

    def __init__(self, in_channels: int = 1, image_size: int = 28, base_channels: int = 32, hidden_dim: int = 256,
                 latent_dim: int = 2, variational: bool = False):
        super().__init__()
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4, got {image_size}")
        self.in_channels, self.image_size, self.latent_dim = in_channels, image_size, latent_dim
        self.variational = variational
        self.feature_shape = (base_channels * 2, image_size // 4, image_size // 4)
        features = base_channels * 2 * (image_size // 4) ** 2
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, base_channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # (B, c, S/2, S/2)
            nn.Conv2d(base_channels, base_channels * 2, 4, stride=2, padding=1), nn.BatchNorm2d(base_channels * 2),
            nn.LeakyReLU(0.2),  # (B, 2c, S/4, S/4)
            nn.Flatten(), nn.Linear(features, hidden_dim), nn.LeakyReLU(0.2),
            nn.Linear(hidden_dim, latent_dim * (2 if variational else 1)),
        )
        self.decoder_input = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, features), nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(base_channels * 2, base_channels, 4, stride=2, padding=1),
            nn.BatchNorm2d(base_channels), nn.ReLU(),  # (B, c, S/2, S/2)
            nn.ConvTranspose2d(base_channels, in_channels, 4, stride=2, padding=1), nn.Sigmoid(),  # (B, C, S, S)
        )

    def _check(self, images: torch.Tensor) -> None:
        expected = (self.in_channels, self.image_size, self.image_size)
        if images.ndim != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"expected images of shape (B, {expected[0]}, {expected[1]}, {expected[2]}), "
                             f"got {tuple(images.shape)}")

    def encode_distribution(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(mean, log-variance) of the code; log-variance is None for a plain autoencoder."""
        self._check(images)
        out = self.encoder(images)
        if self.variational:
            mean, log_var = out.chunk(2, dim=1)
            return mean, log_var.clamp(-12, 8)
        return out, None

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """The code of each image (the mean, for a VAE): (B, latent_dim)."""
        return self.encode_distribution(images)[0]

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        if codes.ndim != 2 or codes.shape[1] != self.latent_dim:
            raise ValueError(f"expected codes of shape (B, {self.latent_dim}), got {tuple(codes.shape)}")
        features = self.decoder_input(codes).view(-1, *self.feature_shape)
        return self.decoder(features)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Returns (reconstruction, mean code, log-variance or None); a VAE samples while training."""
        mean, log_var = self.encode_distribution(images)
        code = mean
        if self.variational and self.training:
            code = mean + torch.randn_like(mean) * (0.5 * log_var).exp()  # reparameterisation trick
        return self.decode(code), mean, log_var
