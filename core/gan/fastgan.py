"""A small FastGAN (Liu et al., "Towards Faster and Stabilized GAN Training for High-fidelity Few-shot Image
Synthesis", ICLR 2021): a GAN designed for ~1,000 training images and little compute.

G: z -> 4x4 -> upsampling blocks (nearest x2, 3x3 conv, batch norm, GLU) -> RGB in [-1, 1], with skip-layer
excitation (SLE): a low-resolution map gates the channels of a high-resolution one, so global shape steers
fine texture through a short path. D: strided residual-style blocks down to 8x8, a patch of logits, and two
small decoders that must rebuild the (augmented) real image from D's 8x8 features and a random quarter of
its 16x16 features: a self-supervised task that keeps D's features about the whole face, not a few tells
(the paper's answer to D overfitting a small set). Every convolution is spectrally normalised, as there.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn
from torch.nn.utils import spectral_norm

from core.common.seeds import seed_noise


def _conv(in_channels: int, out_channels: int, kernel: int, stride: int = 1, padding: int = 0) -> nn.Module:
    return spectral_norm(nn.Conv2d(in_channels, out_channels, kernel, stride, padding, bias=False))


def _widths(image_size: int, base_channels: int) -> dict[int, int]:
    """Channels at each resolution 4..image_size: wide where maps are small, base_channels at the top."""
    if image_size < 16 or 2 ** int(math.log2(image_size)) != image_size:
        raise ValueError(f"image_size must be a power of two >= 16, got {image_size}")
    sizes = [2**k for k in range(2, int(math.log2(image_size)) + 1)]
    return {size: base_channels * min(8, max(1, image_size // (2 * size))) for size in sizes}


class UpBlock(nn.Module):
    """(B, C_in, S, S) -> (B, C_out, 2S, 2S): nearest upsampling, then two 3x3 conv + BN + GLU."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"),
            _conv(in_channels, 2 * out_channels, 3, padding=1), nn.BatchNorm2d(2 * out_channels), nn.GLU(dim=1),
            _conv(out_channels, 2 * out_channels, 3, padding=1), nn.BatchNorm2d(2 * out_channels), nn.GLU(dim=1),
        )

    def forward(self, x):
        return self.body(x)


class SkipLayerExcitation(nn.Module):
    """Gate a high-resolution map's channels by a low-resolution one (squeeze-excite across scales)."""

    def __init__(self, low_channels: int, high_channels: int):
        super().__init__()
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(4), _conv(low_channels, high_channels, 4), nn.SiLU(),  # (B, C_high, 1, 1)
            _conv(high_channels, high_channels, 1), nn.Sigmoid(),
        )

    def forward(self, low, high):
        return high * self.gate(low)


class FastGANGenerator(nn.Module, PyTorchModelHubMixin):
    """z (B, latent_dim) -> images (B, 3, S, S) in [-1, 1]."""

    def __init__(self, latent_dim: int = 128, image_size: int = 64, base_channels: int = 32):
        super().__init__()
        self.latent_dim, self.image_size = latent_dim, image_size
        widths = _widths(image_size, base_channels)
        self.sizes = sorted(widths)
        self.start = nn.Sequential(  # (B, latent, 1, 1) -> (B, w4, 4, 4)
            nn.Unflatten(1, (latent_dim, 1, 1)),
            spectral_norm(nn.ConvTranspose2d(latent_dim, 2 * widths[4], 4, bias=False)),
            nn.BatchNorm2d(2 * widths[4]), nn.GLU(dim=1),
        )
        self.ups = nn.ModuleList(UpBlock(widths[size], widths[2 * size]) for size in self.sizes[:-1])
        # SLE from 4 and 8 px onto the two highest resolutions (the paper gates 128..512 from 8..32 at 1024 px)
        self.excite = nn.ModuleDict({str(high): SkipLayerExcitation(widths[high // 8], widths[high])
                                     for high in self.sizes[-2:] if high // 8 >= 4})
        self.to_rgb = _conv(widths[image_size], 3, 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected z of shape (B, {self.latent_dim}), got {tuple(z.shape)}")
        features = {4: self.start(z)}
        for size, up in zip(self.sizes[:-1], self.ups, strict=True):
            x = up(features[size])  # (B, w, 2S, 2S)
            if str(2 * size) in self.excite:
                x = self.excite[str(2 * size)](features[2 * size // 8], x)
            features[2 * size] = x
        return torch.tanh(self.to_rgb(features[self.image_size]))

    @torch.no_grad()
    def sample(self, seeds: list[int], truncation: float = 1.0) -> torch.Tensor:
        """One image per seed, in [0, 1]; truncation < 1 pulls z towards 0."""
        codes = seed_noise(seeds, self.latent_dim).to(self.to_rgb.weight_orig.device)
        return (self(codes * truncation) + 1) / 2


class DownBlock(nn.Module):
    """(B, C_in, S, S) -> (B, C_out, S/2, S/2): a strided conv path averaged with a pooled shortcut."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.main = nn.Sequential(
            _conv(in_channels, out_channels, 4, 2, 1), nn.BatchNorm2d(out_channels), nn.LeakyReLU(0.2),
            _conv(out_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels), nn.LeakyReLU(0.2),
        )
        self.shortcut = nn.Sequential(nn.AvgPool2d(2), _conv(in_channels, out_channels, 1),
                                      nn.BatchNorm2d(out_channels), nn.LeakyReLU(0.2))

    def forward(self, x):
        return (self.main(x) + self.shortcut(x)) / 2


class Decoder(nn.Module):
    """(B, C, 8, 8) features -> (B, 3, 32, 32) image: D's self-supervised reconstruction head."""

    def __init__(self, in_channels: int, width: int = 32):
        super().__init__()
        self.body = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"), _conv(in_channels, 2 * width, 3, padding=1),
            nn.BatchNorm2d(2 * width), nn.GLU(dim=1),
            nn.Upsample(scale_factor=2, mode="nearest"), _conv(width, 2 * width, 3, padding=1),
            nn.BatchNorm2d(2 * width), nn.GLU(dim=1),
            _conv(width, 3, 3, padding=1), nn.Tanh(),
        )

    def forward(self, x):
        return self.body(x)


class FastGANDiscriminator(nn.Module, PyTorchModelHubMixin):
    """images (B, 3, S, S) in [-1, 1] -> logits (B,); `output=` also gives the patch logits or the reconstructions."""

    outputs = ("logit", "patches", "reconstruct")

    def __init__(self, image_size: int = 64, base_channels: int = 32):
        super().__init__()
        if image_size < 32:
            raise ValueError(f"the discriminator's decoders need image_size >= 32, got {image_size}")
        self.image_size = image_size
        widths = _widths(image_size, base_channels)
        sizes = sorted(widths, reverse=True)  # image_size, ..., 8
        self.stem = nn.Sequential(_conv(3, widths[image_size], 3, padding=1), nn.LeakyReLU(0.2))
        self.downs = nn.ModuleList(DownBlock(widths[size], widths[size // 2]) for size in sizes if size > 8)
        self.head = nn.Sequential(  # (B, w8, 8, 8) -> (B, 1, 5, 5) patch logits
            _conv(widths[8], widths[8], 1), nn.BatchNorm2d(widths[8]), nn.LeakyReLU(0.2), _conv(widths[8], 1, 4),
        )
        self.decode_whole = Decoder(widths[8])
        self.decode_part = Decoder(widths[16])

    def features(self, images):
        x = self.stem(images)
        maps = {}
        for down in self.downs:
            x = down(x)
            maps[x.shape[-1]] = x
        return maps  # {S/2: ..., 16: (B, w16, 16, 16), 8: (B, w8, 8, 8)}

    def forward(self, images: torch.Tensor, output: str = "logit", quarter: int = 0):
        """What D computes, chosen by `output`; every use goes through `forward`, since a DistributedDataParallel
        wrapper (training on several processes) has no other methods and synchronises only what `forward` runs.

        "logit": (B,) one logit per image, the mean over patches (what the quiz and the G step read).
        "patches": (B, 25) one logit per overlapping patch. The hinge loss is taken per patch, as in the paper's
            code: on the mean, D stops learning from an image once the mean clears the margin, however wrong one
            patch is (our first pilot's faces kept a smeared band across the eyes that D never pushed against).
        "reconstruct": the patch logits, then (rebuilt whole image, its target) and (rebuilt quarter `quarter`
            of 0..3, its target), each (B, 3, 32, 32): D's self-supervised task on real images.
        """
        if output not in self.outputs:
            raise ValueError(f"output must be one of {', '.join(self.outputs)}, got {output!r}")
        maps = self.features(images)
        patches = self.head(maps[8]).flatten(1)  # (B, 25)
        if output == "logit":
            return patches.mean(dim=1)
        if output == "patches":
            return patches
        if quarter not in range(4):
            raise ValueError(f"quarter must be 0..3 (top left, top right, bottom left, bottom right), got {quarter}")
        top, left = divmod(quarter, 2)
        part = maps[16][:, :, top * 8 : top * 8 + 8, left * 8 : left * 8 + 8]  # (B, w16, 8, 8)
        half = images.shape[-1] // 2
        part_target = images[:, :, top * half : top * half + half, left * half : left * half + half]
        whole = self.decode_whole(maps[8])  # (B, 3, 32, 32)
        return (patches,
                (whole, F.interpolate(images, size=whole.shape[-1], mode="area")),
                (self.decode_part(part), F.interpolate(part_target, size=whole.shape[-1], mode="area")))


def reconstruction_loss(pairs) -> torch.Tensor:
    """Mean L1 between each rebuilt image and its target (the paper uses LPIPS, whose weights we cannot fetch)."""
    return sum((rebuilt - target).abs().mean() for rebuilt, target in pairs)
