"""Johnson, Alahi & Fei-Fei (ECCV 2016): a feed-forward network trained to do one style's optimisation in one pass.

Trained with the same loss as `core.style_transfer.gatys` (content maps of the photo, Gram matrices of the
painting, on the same random feature network), over many photos: it amortises the optimisation. The shape is
Johnson's (a 9x9 convolution, two stride-2 convolutions down, residual blocks, two up, a 9x9 convolution back to
RGB) with instance normalisation (Ulyanov et al. 2016), nearest-neighbour upsampling before each convolution up
(no transposed convolutions: no checkerboard), and half of Johnson's width: about 185 ms at 256x170 on one CPU
thread (bench/RESULTS.md), some 50 times less than the optimisation's default 80 steps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from huggingface_hub import PyTorchModelHubMixin
from PIL import Image
from torch import nn


def conv(in_channels: int, out_channels: int, kernel: int, stride: int = 1) -> nn.Sequential:
    """Reflection-padded convolution -> instance norm -> ReLU."""
    return nn.Sequential(nn.ReflectionPad2d(kernel // 2), nn.Conv2d(in_channels, out_channels, kernel, stride),
                         nn.InstanceNorm2d(out_channels, affine=True), nn.ReLU(inplace=True))


class Residual(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(conv(channels, channels, 3), nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3),
                                  nn.InstanceNorm2d(channels, affine=True))

    def forward(self, x):
        return x + self.body(x)


class StyleTransformNet(nn.Module, PyTorchModelHubMixin):
    """Photo (B, 3, H, W) in [0, 1] -> the photo in one style, same size, in [0, 1].

    Args:
        width: channels at full resolution (x2 and x4 at the two lower ones); Johnson used 32.
        blocks: residual blocks at 1/4 resolution; Johnson used 5.
        style: the painting's title, for the Space (the weights know only one style).
    """

    def __init__(self, width: int = 16, blocks: int = 5, style: str = ""):
        super().__init__()
        self.style = style
        self.down = nn.Sequential(conv(3, width, 9), conv(width, 2 * width, 3, 2), conv(2 * width, 4 * width, 3, 2))
        self.residuals = nn.Sequential(*[Residual(4 * width) for _ in range(blocks)])
        self.up = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), conv(4 * width, 2 * width, 3),
                                nn.Upsample(scale_factor=2, mode="nearest"), conv(2 * width, width, 3),
                                nn.ReflectionPad2d(4), nn.Conv2d(width, 3, 9))

    def forward(self, photo: torch.Tensor) -> torch.Tensor:
        height, width = photo.shape[-2:]
        pad_h, pad_w = -height % 4, -width % 4  # two halvings and two doublings: a multiple of 4 comes back
        x = nn.functional.pad(photo, (0, pad_w, 0, pad_h), mode="replicate") * 2 - 1
        x = self.up(self.residuals(self.down(x)))
        return torch.sigmoid(x[..., :height, :width])


def network_repo(painting_file: str) -> str:
    """The Hub repo of a painting's network (`van-gogh-auvers.jpg` -> manifold-lab/style-ff-van-gogh-auvers), as
    train.style_transfer's releases are named; its offline twin is core/bundled_weights/<the repo's name>."""
    return f"manifold-lab/style-ff-{Path(painting_file).stem}"


@torch.inference_mode()
def stylise(network: StyleTransformNet, image: Image.Image) -> Image.Image:
    """A PIL photo -> the network's painting of it."""
    photo = torch.from_numpy(np.array(image.convert("RGB"))).permute(2, 0, 1)[None].float() / 255
    painted = network(photo)[0]
    return Image.fromarray((painted.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))
