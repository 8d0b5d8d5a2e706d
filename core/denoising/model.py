"""A fast natural-image denoiser: a small residual U-Net run at half resolution.

DnCNN's lesson (Zhang et al. 2017) is to predict the noise, not the image, and to train on many
random crops; DnCNN itself (17 full-resolution layers) is too slow for a 2-vCPU Space. Here the
image is first folded into 2x2 pixel blocks (pixel-unshuffle, as FFDNet does), then a three-level
U-Net with residual blocks sees a wide context cheaply; pixel-shuffle unfolds the noise estimate.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(F.relu(self.conv1(x)))


class DenoisingUNet(nn.Module, PyTorchModelHubMixin):
    """Noisy image (B, C, H, W) in [0, 1] -> denoised image, any H and W.

    Args:
        in_channels: 3 for colour, 1 for grayscale.
        base_channels: width of the top level (after pixel-unshuffle); each level below doubles it.
        levels: number of resolutions in the U-Net body.
        blocks_per_level: residual blocks at each level, on the way down and again on the way up.
    """

    def __init__(self, in_channels: int = 3, base_channels: int = 48, levels: int = 3, blocks_per_level: int = 1):
        super().__init__()
        self.in_channels, self.levels = in_channels, levels
        widths = [base_channels * 2**i for i in range(levels)]
        self.head = nn.Conv2d(in_channels * 4, widths[0], 3, padding=1)
        self.down_blocks = nn.ModuleList(
            nn.Sequential(*[ResidualBlock(w) for _ in range(blocks_per_level)]) for w in widths)
        self.downsample = nn.ModuleList(nn.Conv2d(w, w * 2, 2, stride=2) for w in widths[:-1])
        self.upsample = nn.ModuleList(nn.ConvTranspose2d(w * 2, w, 2, stride=2) for w in widths[:-1])
        self.up_blocks = nn.ModuleList(
            nn.Sequential(*[ResidualBlock(w) for _ in range(blocks_per_level)]) for w in widths[:-1])
        self.tail = nn.Conv2d(widths[0], in_channels * 4, 3, padding=1)

    @property
    def multiple(self) -> int:
        """Input sides are padded to a multiple of this (2 for the unshuffle, x2 per extra level)."""
        return 2 ** self.levels

    def forward(self, noisy: torch.Tensor) -> torch.Tensor:
        if noisy.ndim != 4 or noisy.shape[1] != self.in_channels:
            raise ValueError(f"expected (B, {self.in_channels}, H, W), got {tuple(noisy.shape)}")
        # 1. Pad to a multiple of 2^levels (reflect keeps the border statistics natural).
        height, width = noisy.shape[-2:]
        pad_h, pad_w = -height % self.multiple, -width % self.multiple
        mode = "reflect" if min(height, width) > max(pad_h, pad_w) else "replicate"
        x = F.pad(noisy, (0, pad_w, 0, pad_h), mode=mode) if pad_h or pad_w else noisy
        # 2. Fold 2x2 blocks into channels: (B, 4C, H/2, W/2).
        x = self.head(F.pixel_unshuffle(x, 2))
        # 3. U-Net body: down with residual blocks, up with skip connections.
        skips = []
        for level in range(self.levels):
            x = self.down_blocks[level](x)
            if level < self.levels - 1:
                skips.append(x)
                x = self.downsample[level](x)  # (B, 2w, h/2, w/2)
        for level in reversed(range(self.levels - 1)):
            x = self.up_blocks[level](self.upsample[level](x) + skips[level])
        # 4. Unfold the noise estimate and subtract it.
        noise = F.pixel_shuffle(self.tail(x), 2)[..., :height, :width]
        return noisy - noise
