"""A small StyleGAN2-style generator and its residual discriminator (Karras et al., CVPR 2020).

G = mapping network (z -> w, an 'intermediate' space that need not be Gaussian) + synthesis network
(a learned 4x4 constant, upsampled; every conv is *modulated* by a style from w and *demodulated* to
unit output variance; per-pixel noise adds stochastic detail; toRGB outputs are summed across
resolutions). Truncation pulls w towards the mean w; style mixing feeds different w to coarse and fine
layers. Every layer uses the equalized learning rate (weights ~ N(0, 1), scaled at run time).

Deliberately left out, for CPU speed: the FIR (blur) filters of up/downsampling (bilinear and average
pooling instead) and path-length regularisation.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from core.adversarial.minibatch import minibatch_stddev
from core.common.seeds import seed_noise

GAIN = math.sqrt(2)  # leaky ReLU(0.2) with this gain keeps activations at unit variance


class EqualLinear(nn.Module):
    """Linear layer with the equalized learning rate; `lr_multiplier` slows a layer (mapping: 0.01)."""

    def __init__(self, in_features: int, out_features: int, bias_init: float = 0.0, lr_multiplier: float = 1.0,
                 activation: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init)))
        self.weight_gain, self.lr_multiplier, self.activation = lr_multiplier / math.sqrt(in_features), lr_multiplier, activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.linear(x, self.weight * self.weight_gain, self.bias * self.lr_multiplier)
        return F.leaky_relu(x, 0.2) * GAIN if self.activation else x


class EqualConv2d(nn.Module):
    """Conv with the equalized learning rate (the discriminator's layers)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True, activation: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain, self.activation = 1 / math.sqrt(in_channels * kernel_size**2), activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x, self.weight * self.weight_gain, self.bias, padding=self.weight.shape[-1] // 2)
        return F.leaky_relu(x, 0.2) * GAIN if self.activation else x


class MappingNetwork(nn.Module):
    """z (B, latent_dim) -> w (B, w_dim): normalise z, then an MLP that learns at `lr_multiplier` of the rate
    (StyleGAN: 1% of its 0.0025; a recipe with a 10x smaller rate gives it 10%)."""

    def __init__(self, latent_dim: int, w_dim: int, layers: int, lr_multiplier: float = 0.01):
        super().__init__()
        widths = [latent_dim] + [w_dim] * layers
        self.layers = nn.Sequential(*[EqualLinear(a, b, lr_multiplier=lr_multiplier, activation=True)
                                      for a, b in zip(widths[:-1], widths[1:], strict=True)])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = z * torch.rsqrt(z.pow(2).mean(dim=1, keepdim=True) + 1e-8)
        return self.layers(z)


class ModulatedConv(nn.Module):
    """A conv whose input channels are scaled by a style from w (StyleGAN2's modulation).

    Computed as scale input -> shared conv, which equals the per-sample weight `w_ijk * s_i` but runs as
    one ordinary batched conv; `demodulation` gives the factor that brings each output back to unit
    variance (StyleGAN2's fix for the 'water droplet' blobs of StyleGAN's AdaIN).
    """

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, kernel_size: int = 3, upsample: bool = False):
        super().__init__()
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)  # styles start at 1: an ordinary conv
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        # GAIN: the leaky-ReLU gain of the layer before, folded into this weight (one scalar, not a pass over x)
        self.weight_gain = GAIN / math.sqrt(in_channels * kernel_size**2)
        self.upsample = upsample

    def forward(self, x: torch.Tensor, styles: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        weight = self.weight * self.weight_gain  # (C_out, C_in, k, k)
        return F.conv2d(x * styles[:, :, None, None], weight, padding=weight.shape[-1] // 2)

    def demodulation(self, styles: torch.Tensor) -> torch.Tensor:
        """1 / ||weight * style|| per (sample, output channel): (B, C_out, 1, 1)."""
        weight = self.weight * self.weight_gain
        norms = weight.pow(2).sum(dim=(2, 3)) @ styles.pow(2).T  # (C_out, B)
        return torch.rsqrt(norms.T + 1e-8)[:, :, None, None]


class StyledLayer(nn.Module):
    """Modulated + demodulated conv, per-pixel noise (scaled by a learned strength), bias, leaky ReLU."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, upsample: bool = False):
        super().__init__()
        self.conv = ModulatedConv(in_channels, out_channels, w_dim, upsample=upsample)
        self.noise_strength = nn.Parameter(torch.zeros(()))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        # fixed noise: same seed, same image (noise_mode="const"); saved with the weights
        self.register_buffer("const_noise", torch.randn(1, 1, resolution, resolution))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str) -> torch.Tensor:
        styles = self.conv.affine(w)  # (B, C_in)
        x = self.conv(x, styles)  # (B, C_out, H, W), before demodulation
        if noise_mode == "random":
            noise = torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype)
        elif noise_mode == "const":
            noise = self.const_noise.to(x.dtype)
        else:
            noise = torch.zeros((), dtype=x.dtype, device=x.device)
        # demodulate and add noise in one pass over x; the activation's gain is folded into the next layer
        x = torch.addcmul(noise * self.noise_strength.to(x.dtype), x, self.conv.demodulation(styles).to(x.dtype))
        return F.leaky_relu(x + self.bias[None, :, None, None].to(x.dtype), 0.2)


class StyleGANGenerator(nn.Module, PyTorchModelHubMixin):
    """z (B, latent_dim) -> images (B, channels, S, S) in [-1, 1].

    Args:
        latent_dim: size of z. w_dim: size of w. mapping_layers: depth of the mapping MLP.
        image_size: output size, a power of two >= 8.
        channel_base, max_channels: width at resolution r is min(max_channels, channel_base // r).
        channels: 3 for RGB.
        noise: per-pixel noise inputs. Off, every detail must come from w: in short runs on little data, G
            otherwise leans on the noise and its faces come out mottled (measured: issue 17).
    """

    def __init__(self, latent_dim: int = 128, w_dim: int = 128, mapping_layers: int = 4, image_size: int = 64,
                 channel_base: int = 2048, max_channels: int = 256, channels: int = 3, noise: bool = True):
        super().__init__()
        self.noise = noise
        if image_size < 8 or 2 ** int(math.log2(image_size)) != image_size:
            raise ValueError(f"image_size must be a power of two >= 8, got {image_size}")
        self.latent_dim, self.w_dim, self.image_size = latent_dim, w_dim, image_size
        self.resolutions = [2**i for i in range(2, int(math.log2(image_size)) + 1)]  # 4, 8, ..., S
        width = {r: min(max_channels, channel_base // r) for r in self.resolutions}
        self.mapping = MappingNetwork(latent_dim, w_dim, mapping_layers)
        self.register_buffer("w_avg", torch.zeros(w_dim))  # running mean of w: the truncation centre
        self.constant = nn.Parameter(torch.randn(1, width[4], 4, 4))
        self.layers, self.to_rgb = nn.ModuleList(), nn.ModuleList()
        previous = width[4]
        for r in self.resolutions:
            if r > 4:
                self.layers.append(StyledLayer(previous, width[r], w_dim, r, upsample=True))
            self.layers.append(StyledLayer(width[r] if r > 4 else previous, width[r], w_dim, r))
            self.to_rgb.append(ModulatedConv(width[r], channels, w_dim, kernel_size=1))  # not demodulated
            previous = width[r]
        self.rgb_bias = nn.Parameter(torch.zeros(len(self.resolutions), channels))
        self.num_ws = len(self.layers) + 1  # one w per styled layer, and the last toRGB

    def map(self, z: torch.Tensor, truncation: float = 1.0, track_w_avg: bool = False) -> torch.Tensor:
        """z (B, latent_dim) -> w (B, w_dim), pulled towards the mean w by `truncation` (psi)."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected z of shape (B, {self.latent_dim}), got {tuple(z.shape)}")
        w = self.mapping(z)
        if track_w_avg:
            self.w_avg.copy_(self.w_avg.lerp(w.detach().float().mean(0), 0.005))
        return self.w_avg.to(w.dtype).lerp(w, truncation) if truncation != 1 else w

    def synthesize(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        """ws (B, num_ws, w_dim) or w (B, w_dim) for every layer -> images in [-1, 1]."""
        noise_mode = noise_mode if self.noise else "none"
        if ws.ndim == 2:
            ws = ws[:, None].expand(-1, self.num_ws, -1)
        x = self.constant.expand(ws.shape[0], -1, -1, -1).to(ws.dtype)  # (B, C, 4, 4)
        image, layer = None, 0
        for index, to_rgb in enumerate(self.to_rgb):
            for _ in range(1 if index == 0 else 2):  # 4x4: one conv; then upsample-conv + conv per resolution
                x = self.layers[layer](x, ws[:, layer], noise_mode)
                layer += 1
            rgb = to_rgb(x, to_rgb.affine(ws[:, layer])) + self.rgb_bias[index][None, :, None, None]  # skip architecture
            image = rgb if image is None else F.interpolate(image, scale_factor=2, mode="bilinear",
                                                             align_corners=False) + rgb
        return image

    def forward(self, z: torch.Tensor, truncation: float = 1.0, noise_mode: str = "random",
                style_mixing_prob: float = 0.0) -> torch.Tensor:
        """Training entry point: in train mode it tracks the mean w; with `style_mixing_prob`, a second z
        drives the layers after a random crossover, so no layer may rely on its neighbours' style."""
        w = self.map(z, truncation, track_w_avg=self.training)
        ws = w[:, None].repeat(1, self.num_ws, 1)  # (B, num_ws, w_dim)
        if style_mixing_prob > 0 and torch.rand(()) < style_mixing_prob:
            crossover = int(torch.randint(1, self.num_ws, ()))
            ws[:, crossover:] = self.map(torch.randn_like(z), truncation)[:, None]
        return self.synthesize(ws, noise_mode)

    def coarse_layers(self, up_to_resolution: int = 8) -> int:
        """How many ws drive resolutions <= `up_to_resolution` (StyleGAN's 'coarse' styles: pose, face shape)."""
        return 1 + 2 * (int(math.log2(up_to_resolution)) - 2)

    @torch.no_grad()
    def sample(self, seeds: list[int], truncation: float = 1.0) -> torch.Tensor:
        """One image per seed, clamped to [0, 1]: same seed, same image (constant noise)."""
        codes = seed_noise(seeds, self.latent_dim).to(self.constant.device)
        return ((self.synthesize(self.map(codes, truncation)) + 1) / 2).clamp(0, 1)  # G's output is unbounded

    @torch.no_grad()
    def mix(self, coarse_seed: int, fine_seed: int, crossover: int, truncation: float = 1.0) -> torch.Tensor:
        """Style mixing: layers before `crossover` take w of `coarse_seed`, the rest of `fine_seed`; [0, 1]."""
        w = self.map(seed_noise([coarse_seed, fine_seed], self.latent_dim).to(self.constant.device), truncation)  # (2, w_dim)
        ws = w[1].expand(self.num_ws, -1).clone()
        ws[:crossover] = w[0]
        return ((self.synthesize(ws[None]) + 1) / 2).clamp(0, 1)


class DiscriminatorBlock(nn.Module):
    """Two convs and a halving, plus a 1x1 skip: out = (main + skip) / sqrt(2) (the residual D)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = EqualConv2d(in_channels, in_channels, 3)
        self.conv2 = EqualConv2d(in_channels, out_channels, 3)
        self.skip = EqualConv2d(in_channels, out_channels, 1, bias=False, activation=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = self.skip(F.avg_pool2d(x, 2))
        x = F.avg_pool2d(self.conv2(self.conv1(x)), 2)
        return (x + skip) / math.sqrt(2)


class StyleGANDiscriminator(nn.Module, PyTorchModelHubMixin):
    """images (B, channels, S, S) in [-1, 1] -> logits (B,); minibatch standard deviation at 4x4."""

    def __init__(self, image_size: int = 64, channel_base: int = 2048, max_channels: int = 256, channels: int = 3,
                 stddev_group: int = 4):
        super().__init__()
        resolutions = [2**i for i in range(int(math.log2(image_size)), 1, -1)]  # S, S/2, ..., 4
        if image_size < 8 or resolutions[0] != image_size:
            raise ValueError(f"image_size must be a power of two >= 8, got {image_size}")
        width = {r: min(max_channels, channel_base // r) for r in resolutions}
        self.image_size, self.stddev_group = image_size, stddev_group
        self.from_rgb = EqualConv2d(channels, width[image_size], 1)
        self.blocks = nn.Sequential(*[DiscriminatorBlock(width[r], width[r // 2]) for r in resolutions[:-1]])
        self.conv = EqualConv2d(width[4] + 1, width[4], 3)
        self.fc = EqualLinear(width[4] * 16, width[4], activation=True)
        self.out = EqualLinear(width[4], 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.from_rgb(images))  # (B, C, 4, 4)
        x = self.conv(minibatch_stddev(x, self.stddev_group))
        return self.out(self.fc(x.flatten(1))).squeeze(1)
