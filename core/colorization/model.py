"""Colourization network with a regression head (L2 on ab) or a classification head (Q ab bins).

Zhang, Isola & Efros, "Colorful Image Colorization" (ECCV 2016), in miniature: the lightness L goes in,
ab comes out at a quarter of the resolution and is upsampled, as in the paper. The classification
model carries its ab bins, their prior and the rebalancing weights as buffers, so one safetensors file
holds everything needed to decode.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from core.colorization.ab_bins import AB_RANGE, annealed_mean

# The annealed-mean temperature that makes our classification model as colourful as real photos on held-out
# BSD100 (bench.colorization_quality: 0.95x); the paper's 0.38 overshoots by 9% here, 18% on Kodak24.
DEFAULT_TEMPERATURE = 0.8


def conv(in_channels: int, out_channels: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride, padding=dilation, dilation=dilation),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class Colorizer(nn.Module, PyTorchModelHubMixin):
    """L (B, 1, H, W) in [0, 100] -> ab logits (B, Q, H/4, W/4) or ab values (B, 2, H/4, W/4).

    Args:
        head: "classification" (Q-way logits, rebalanced cross-entropy) or "regression" (ab, L2).
        num_bins: Q, the in-gamut ab bins (0 for regression).
        base_channels: width at half resolution; x2 at 1/4, x4 at 1/8.
    """

    def __init__(self, head: str = "classification", num_bins: int = 313, base_channels: int = 32):
        super().__init__()
        if head not in ("classification", "regression"):
            raise ValueError(f"head must be 'classification' or 'regression', got {head!r}")
        if head == "classification" and num_bins < 2:
            raise ValueError("a classification head needs num_bins >= 2")
        self.head_type = head
        c = base_channels
        self.down1 = nn.Sequential(conv(1, c), conv(c, c, stride=2))  # (B, c, H/2, W/2)
        self.down2 = nn.Sequential(conv(c, 2 * c), conv(2 * c, 2 * c, stride=2))  # (B, 2c, H/4, W/4)
        self.down3 = nn.Sequential(conv(2 * c, 4 * c), conv(4 * c, 4 * c, stride=2))  # (B, 4c, H/8, W/8)
        self.context = nn.Sequential(conv(4 * c, 4 * c, dilation=2), conv(4 * c, 4 * c, dilation=4),
                                     conv(4 * c, 4 * c, dilation=2))  # wide receptive field, same size
        self.up = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)  # (B, 2c, H/4, W/4)
        self.fuse = nn.Sequential(conv(4 * c, 2 * c), conv(2 * c, 2 * c))
        self.head = nn.Conv2d(2 * c, num_bins if head == "classification" else 2, 1)
        bins = num_bins if head == "classification" else 0
        self.register_buffer("ab_centers", torch.zeros(bins, 2))
        self.register_buffer("prior", torch.zeros(bins))
        self.register_buffer("class_weights", torch.ones(bins))

    def forward(self, lightness: torch.Tensor) -> torch.Tensor:
        if lightness.ndim != 4 or lightness.shape[1] != 1:
            raise ValueError(f"expected L of shape (B, 1, H, W), got {tuple(lightness.shape)}")
        if lightness.shape[-1] % 8 or lightness.shape[-2] % 8:
            raise ValueError(f"H and W must be multiples of 8, got {tuple(lightness.shape[-2:])}; see `colorize`")
        x = (lightness - 50) / 50
        quarter = self.down2(self.down1(x))
        x = self.context(self.down3(quarter))
        x = self.fuse(torch.cat([self.up(x), quarter], dim=1))
        out = self.head(x)
        return out if self.head_type == "classification" else out * AB_RANGE

    def ab_distribution(self, lightness: torch.Tensor) -> torch.Tensor:
        """Predicted probabilities over the ab bins, (B, Q, H/4, W/4)."""
        if self.head_type != "classification":
            raise ValueError("only the classification model predicts a distribution")
        return torch.softmax(self(lightness), dim=1)

    @staticmethod
    def pad(lightness: torch.Tensor) -> torch.Tensor:
        """L (B, 1, H, W) of any size, replicate-padded to multiples of 8 (the network's stride)."""
        height, width = lightness.shape[-2:]
        pad_h, pad_w = -height % 8, -width % 8
        return F.pad(lightness, (0, pad_w, 0, pad_h), mode="replicate") if pad_h or pad_w else lightness

    @staticmethod
    def full_resolution(ab_quarter: torch.Tensor, height: int, width: int) -> torch.Tensor:
        """ab at the network's quarter resolution -> (B, 2, H, W): bilinear up, the padding cut off."""
        ab = F.interpolate(ab_quarter, scale_factor=4, mode="bilinear", align_corners=False)
        return ab[..., :height, :width]

    def colorize(self, lightness: torch.Tensor, temperature: float = DEFAULT_TEMPERATURE) -> torch.Tensor:
        """L (B, 1, H, W) of any size -> ab (B, 2, H, W): pad to a multiple of 8, predict, upsample."""
        padded = self.pad(lightness)
        if self.head_type == "classification":
            ab = annealed_mean(self.ab_distribution(padded), self.ab_centers, temperature)
        else:
            ab = self(padded)
        return self.full_resolution(ab, *lightness.shape[-2:])


def rebalanced_cross_entropy(logits: torch.Tensor, soft_targets: torch.Tensor, class_weights: torch.Tensor):
    """Zhang et al.'s loss: per-pixel cross-entropy with soft targets, weighted by the target's rarest bin."""
    per_pixel = -(soft_targets * F.log_softmax(logits, dim=1)).sum(dim=1)  # (B, h, w)
    weights = class_weights[soft_targets.argmax(dim=1)]  # weight of the closest bin
    return (weights * per_pixel).mean()


def ab_regression_loss(predicted_ab: torch.Tensor, target_ab: torch.Tensor) -> torch.Tensor:
    """Plain L2 on ab (in units of AB_RANGE): the loss that regresses to the mean colour."""
    return F.mse_loss(predicted_ab / AB_RANGE, target_ab / AB_RANGE)
