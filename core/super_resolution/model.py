"""x4 single-image super-resolution: a fast residual network with a sub-pixel (pixel-shuffle) output.

All work happens at the low resolution, as in ESPCN (Shi et al. 2016): residual blocks without batch
norm (EDSR, Lim et al. 2017), then one convolution makes scale^2 sub-pixels per colour and
pixel-shuffle lays them out. The network predicts the *detail missing from a bicubic upscale*, so an
untrained net starts at bicubic quality. The same network is trained three ways (L2, feature loss,
feature + adversarial) to show the lecture's trade-off between PSNR and plausible texture.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from PIL import Image
from torch import nn


class ResidualBlock(nn.Module):
    def __init__(self, channels: int, scale: float):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.scale = scale

    def forward(self, x):
        return x + self.scale * self.conv2(F.relu(self.conv1(x)))


class SuperResolutionNet(nn.Module, PyTorchModelHubMixin):
    """Low-resolution image (B, 3, h, w) in [0, 1] -> (B, 3, scale*h, scale*w), any h and w.

    Args:
        scale: upscaling factor (4 in the lecture).
        width: feature channels of the body.
        blocks: residual blocks (EDSR-style: conv-ReLU-conv, scaled by `residual_scale`).
        residual_scale: EDSR's trick for stable training of deeper bodies.
    """

    def __init__(self, scale: int = 4, width: int = 48, blocks: int = 8, residual_scale: float = 0.2,
                 channels: int = 3):
        super().__init__()
        self.scale, self.channels = scale, channels
        self.head = nn.Conv2d(channels, width, 3, padding=1)
        self.body = nn.Sequential(*[ResidualBlock(width, residual_scale) for _ in range(blocks)],
                                  nn.Conv2d(width, width, 3, padding=1))
        self.to_subpixels = nn.Conv2d(width, channels * scale * scale, 3, padding=1)
        nn.init.zeros_(self.to_subpixels.weight)  # start as plain bicubic: detail = 0
        nn.init.zeros_(self.to_subpixels.bias)

    def forward(self, low: torch.Tensor) -> torch.Tensor:
        if low.ndim != 4 or low.shape[1] != self.channels:
            raise ValueError(f"expected (B, {self.channels}, h, w), got {tuple(low.shape)}")
        features = self.head(low * 2 - 1)
        features = features + self.body(features)
        detail = F.pixel_shuffle(self.to_subpixels(features), self.scale)
        return upscale_bicubic(low, self.scale) + detail


def upscale_bicubic(low: torch.Tensor, scale: int) -> torch.Tensor:
    return F.interpolate(low, scale_factor=scale, mode="bicubic", align_corners=False)


def downscale(high: torch.Tensor, scale: int) -> torch.Tensor:
    """The degradation the models learn to invert: antialiased bicubic, as MATLAB's imresize (and PIL) do."""
    height, width = high.shape[-2] // scale, high.shape[-1] // scale
    return F.interpolate(high, size=(height, width), mode="bicubic", antialias=True, align_corners=False).clamp(0, 1)


def crop_to_multiple(image: Image.Image, multiple: int) -> Image.Image:
    """Trim the right and bottom edges so both sides divide by `multiple` (benchmarks do the same)."""
    width, height = image.size
    return image.crop((0, 0, width - width % multiple, height - height % multiple))


def pil_downscale(image: Image.Image, scale: int) -> Image.Image:
    """Bicubic downscale of a PIL image by `scale` (sides first trimmed to a multiple of it)."""
    image = crop_to_multiple(image, scale)
    return image.resize((image.width // scale, image.height // scale), Image.Resampling.BICUBIC)


def pil_bicubic_upscale(image: Image.Image, scale: int) -> Image.Image:
    """The classic baseline (Keys' a=-0.5, as MATLAB's imresize) that published tables compare against."""
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.BICUBIC)


@torch.no_grad()
def upscale(model: SuperResolutionNet, image: Image.Image, tile: int = 192) -> Image.Image:
    """Run the model on an RGB PIL image, in overlapping tiles so memory stays bounded for any size."""
    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255
    low = torch.from_numpy(array).permute(2, 0, 1)[None]
    high = run_tiled(model, low, tile=tile).float().cpu()
    return Image.fromarray((high[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8))


def run_tiled(model: SuperResolutionNet, low: torch.Tensor, tile: int = 192, overlap: int = 8) -> torch.Tensor:
    """model(low) computed tile by tile; tiles overlap by `overlap` low-res pixels and the margins are dropped."""
    _, _, height, width = low.shape
    device = next(model.parameters()).device
    if height <= tile and width <= tile:
        return model(low.to(device)).cpu()
    scale = model.scale
    out = torch.empty(low.shape[0], low.shape[1], height * scale, width * scale)
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            y0, x0 = max(top - overlap, 0), max(left - overlap, 0)
            y1, x1 = min(top + tile + overlap, height), min(left + tile + overlap, width)
            result = model(low[..., y0:y1, x0:x1].to(device)).cpu()
            keep_y, keep_x = (top - y0) * scale, (left - x0) * scale
            rows, cols = min(tile, height - top) * scale, min(tile, width - left) * scale
            out[..., top * scale : top * scale + rows, left * scale : left * scale + cols] = \
                result[..., keep_y : keep_y + rows, keep_x : keep_x + cols]
    return out
