"""Feature networks for style transfer that we can own: no ImageNet VGG weights reach this project.

`RandomPyramidFeatures` is a network nobody trained. Random convolutions are already good texture descriptors
(Ustyuzhaninov, Brendel, Gatys & Bethge, ICLR 2017: a single layer of random filters of many sizes rivals VGG
for texture synthesis); we take the many sizes from an image pyramid instead of huge kernels (a 5x5 filter on
the image shrunk 8 times sees 40 pixels), which keeps a step cheap on a CPU. Each level is two random
convolutions with ReLUs; their Gram matrices are the style, the coarse levels' maps the content. Five levels,
narrow where the maps are large: a step of the optimisation at 256 px costs about 0.17 s on one CPU thread.
(Piloted beside it, by eye on the same pairs: the encoder of the image-prediction Space's street segmenter,
trained on 367 CamVid photos, whose Gram matrices left the photo under coloured pixel noise.)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ImageNet-free input statistics: a pixel in [0, 1] centred on mid-grey.
MEAN, STD = 0.45, 0.25


class RandomPyramidFeatures(nn.Module):
    """Image (B, 3, H, W) in [0, 1] -> one feature map per pyramid level (finest first).

    Args:
        widths: channels of each level's features, finest level first (level i sees the image shrunk 2**i
            times); narrow where the maps are large, so a step stays cheap.
        kernel: size of each level's first filter (the second is 3x3).
        seed: the random filters are a function of this seed alone (torch's CPU generator), so every machine
            builds the same network and nothing is downloaded; `tests/test_style_transfer.py` pins a few of its
            values.
    """

    def __init__(self, widths: tuple[int, ...] = (16, 32, 64, 128, 128), kernel: int = 5, seed: int = 0):
        super().__init__()
        widths = tuple(widths)
        generator = torch.Generator().manual_seed(seed)
        self.stages = nn.ModuleList()
        for width in widths:
            first = nn.Conv2d(3, width // 2, kernel, padding=kernel // 2, padding_mode="replicate")
            second = nn.Conv2d(width // 2, width, 3, padding=1, padding_mode="replicate")
            for conv in (first, second):
                fan_in = conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1]
                weight = torch.randn(conv.weight.shape, generator=generator) * (2 / fan_in) ** 0.5  # He
                conv.weight.data.copy_(weight)
                conv.bias.data.zero_()
            self.stages.append(nn.Sequential(first, nn.ReLU(), second, nn.ReLU()))
        self.requires_grad_(False)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        x = (image - MEAN) / STD
        maps = []
        for level, stage in enumerate(self.stages):
            if level:  # a smooth half-size (not 2x2 blocks: their gradients paint blocks into the image)
                x = F.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=True, align_corners=False)
            maps.append(stage(x))
        return maps
