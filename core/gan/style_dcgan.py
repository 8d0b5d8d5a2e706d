"""A style-based DCGAN: StyleGAN's generator idea (Karras et al., CVPR 2019) on DCGAN's layers.

A mapping network turns z into w, and w drives every layer: the first w is the 4x4 input (as z is in a DCGAN),
and each layer's batch norm takes its scale and bias from that layer's own w (StyleGAN's "AdaIN" normalised per
instance; here batch norm, as in DCGAN). Feeding two ws to different layers (style mixing) combines two faces:
the coarse ones (4x4 and 8x8) set pose and face shape, the fine ones (32x32, 64x64) colour and texture.
Mixing regularisation in training (a random crossover layer, p 0.9) keeps neighbouring layers from relying on
each other's w, so the fine layers must learn to use their own.

Why the first w enters as the input rather than StyleGAN's learned constant: this generator starts from the
trained DCGAN (`adopt`), and the mapping network starts as the identity (w = normalised z), so on its first
step it makes the DCGAN's faces. A version with the constant input, whose z input was faded out over 2,500
steps while the styles were to take over, collapsed to one face as the fade ended: the styles had not learned
to carry identity (measured: README of bench/RESULTS.md, style-based DCGAN).
"""

from __future__ import annotations

import math

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from core.gan.dcgan import DCGANGenerator, _stages
from core.gan.stylegan import EqualLinear, StyleGANGenerator


class StyledBatchNorm(nn.Module):
    """Batch norm whose per-channel scale and bias are shifted by an affine map of w (conditional BN), then ReLU."""

    def __init__(self, channels: int, w_dim: int, lr_multiplier: float):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.weight = nn.Parameter(torch.ones(channels))  # the scale and bias when the style says nothing
        self.bias = nn.Parameter(torch.zeros(channels))
        # equalized learning rate, as StyleGAN's affines, sped up by `lr_multiplier` (stored in the config: it
        # also scales the weights at run time)
        self.style = EqualLinear(w_dim, 2 * channels, lr_multiplier=lr_multiplier)
        nn.init.zeros_(self.style.weight)  # styles start silent: a warm start computes exactly the DCGAN

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        scale, shift = self.style(w).chunk(2, dim=1)  # (B, C) each
        scale, shift = (self.weight + scale)[:, :, None, None], (self.bias + shift)[:, :, None, None]
        return torch.relu(self.norm(x) * scale + shift)


class ResidualMapping(nn.Module):
    """z (B, latent_dim) -> w (B, w_dim): normalised z plus an MLP that starts at zero and learns at 1/10 of the
    rate (StyleGAN: 1/100 of a 10x larger rate). Starting as the identity is what lets a DCGAN's input layer work on w."""

    def __init__(self, latent_dim: int, w_dim: int, layers: int):
        super().__init__()
        if latent_dim != w_dim:
            raise ValueError(f"the residual mapping needs w_dim == latent_dim, got {w_dim} and {latent_dim}")
        self.layers = nn.ModuleList([EqualLinear(latent_dim, w_dim, lr_multiplier=0.1, activation=i < layers - 1)
                                     for i in range(layers)])
        nn.init.zeros_(self.layers[-1].weight)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = z * torch.rsqrt(z.pow(2).mean(dim=1, keepdim=True) + 1e-8)
        x = z
        for layer in self.layers:
            x = layer(x)
        return z + x


class StyleDCGANGenerator(nn.Module, PyTorchModelHubMixin):
    """z (B, latent_dim) -> images (B, channels, S, S) in [-1, 1], with StyleGAN's interface (map, synthesize, mix).

    Args:
        latent_dim: size of z (and of w). mapping_layers: depth of the mapping MLP (StyleGAN2-ADA: 2).
        image_size: output size, a power of two >= 8. base_channels: DCGAN's width parameter (64: 512 at 4x4).
        channels: 3 for RGB. style_lr_multiplier: how much faster the styles' affine maps learn than the rest.
            Starting from a DCGAN, its input layer already carries the face: at 4x the styles had barely moved
            after 500 steps (swapping a 16x16 w changed pixels by 0.014 against 0.54 for the input w), so 16x.
    """

    def __init__(self, latent_dim: int = 128, mapping_layers: int = 2, image_size: int = 64, base_channels: int = 64,
                 channels: int = 3, style_lr_multiplier: float = 16.0):
        super().__init__()
        self.latent_dim = self.w_dim = latent_dim
        self.image_size = image_size
        stages = _stages(image_size)
        width = base_channels * 2 ** (stages - 1)
        self.mapping = ResidualMapping(latent_dim, latent_dim, mapping_layers)
        self.register_buffer("w_avg", torch.zeros(latent_dim))  # running mean of w: the truncation centre
        self.project = nn.Sequential(nn.Linear(latent_dim, width * 16), nn.Unflatten(1, (width, 4, 4)))  # the first w
        self.norms = nn.ModuleList([StyledBatchNorm(width, latent_dim, style_lr_multiplier)])
        self.ups = nn.ModuleList()
        for _ in range(stages):
            self.ups.append(nn.ConvTranspose2d(width, width // 2, 4, stride=2, padding=1))  # size x2, width / 2
            self.norms.append(StyledBatchNorm(width // 2, latent_dim, style_lr_multiplier))
            width //= 2
        self.to_rgb = nn.Conv2d(width, channels, 3, padding=1)
        self.num_ws = len(self.norms)  # one w per resolution: 4 (the input and its style), 8, ..., S

    @property
    def constant(self) -> torch.Tensor:  # what sampling code reads the device from (StyleGAN's name)
        return self.to_rgb.weight

    map = StyleGANGenerator.map  # z -> w with truncation and the running mean of w: the same attributes, same code

    def synthesize(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        """ws (B, num_ws, w_dim) or w (B, w_dim) for every layer -> images in [-1, 1] (`noise_mode`: StyleGAN's
        interface; there is no noise)."""
        if ws.ndim == 2:
            ws = ws[:, None].expand(-1, self.num_ws, -1)
        x = self.project(ws[:, 0])  # (B, C, 4, 4)
        for index, norm in enumerate(self.norms):
            if index > 0:
                x = self.ups[index - 1](x)
            x = norm(x, ws[:, index])
        return torch.tanh(self.to_rgb(x))

    def forward(self, z: torch.Tensor, truncation: float = 1.0, style_mixing_prob: float = 0.0) -> torch.Tensor:
        """Training entry point: in train mode it tracks the mean w; with `style_mixing_prob`, a second z
        drives the layers after a random crossover."""
        w = self.map(z, truncation, track_w_avg=self.training)
        ws = w[:, None].repeat(1, self.num_ws, 1)  # (B, num_ws, w_dim)
        if style_mixing_prob > 0 and torch.rand(()) < style_mixing_prob:
            crossover = int(torch.randint(1, self.num_ws, ()))
            ws[:, crossover:] = self.map(torch.randn_like(z), truncation)[:, None]
        return self.synthesize(ws)

    def coarse_layers(self, up_to_resolution: int = 8) -> int:
        """How many ws drive resolutions <= `up_to_resolution` (the 'coarse' styles: pose, face shape)."""
        return int(math.log2(up_to_resolution)) - 1

    sample = StyleGANGenerator.sample  # one image per seed, and style mixing: written once, for both generators
    mix = StyleGANGenerator.mix

    @torch.no_grad()
    def adopt(self, dcgan: DCGANGenerator) -> None:
        """Start as a copy of a trained DCGAN: its layers, its batch-norm statistics, its scales and biases as the
        styles' starting point; its z input layer takes w, which starts as normalised z."""
        linear = dcgan.project[0]
        if linear.weight.shape != self.project[0].weight.shape or len(dcgan.body) != 3 * len(self.ups):
            raise ValueError("adopt: the DCGAN needs the same latent_dim, image_size and base_channels")
        self.project[0].load_state_dict(linear.state_dict())
        dcgan_norms = [dcgan.project[2]] + [m for m in dcgan.body if isinstance(m, nn.BatchNorm2d)]
        for mine, theirs in zip(self.norms, dcgan_norms, strict=True):
            mine.weight.copy_(theirs.weight)
            mine.bias.copy_(theirs.bias)
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                getattr(mine.norm, name).copy_(getattr(theirs, name))
        ups = [m for m in dcgan.body if isinstance(m, nn.ConvTranspose2d)]
        for mine, theirs in zip(self.ups, ups, strict=True):
            mine.load_state_dict(theirs.state_dict())
        self.to_rgb.load_state_dict(dcgan.to_rgb.state_dict())

    adopts = DCGANGenerator  # what `train.checkpoints.warm_start` reads a release as, when it is not one of ours
