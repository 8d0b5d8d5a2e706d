"""A small segmenter for street photos, in two twins: an encoder-decoder with and without skip connections.

Both twins share one architecture and one parameter budget; the only difference is whether the decoder adds the
encoder's feature map of the same resolution before refining it. Without skips, everything the decoder knows
passes through the 1/16-resolution bottleneck, as in FCN-32s (Long, Shelhamer & Darrell, CVPR 2015): the classes
are right, the boundaries blobby. With skips (FCN-8s, U-Net: Ronneberger et al., MICCAI 2015) the fine levels
bring edges back. The encoder's residual blocks, and dilation at the bottleneck for context, follow ENet/ERFNet's
recipe for a fast model trained from scratch.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

# Channel statistics of CamVid's photos (train split, [0, 1] scale), so the first layer sees centred inputs.
PHOTO_MEAN = (0.41, 0.43, 0.43)
PHOTO_STD = (0.30, 0.31, 0.31)


def conv_block(in_channels: int, out_channels: int, stride: int = 1) -> nn.Sequential:
    """3x3 conv -> batch norm -> ReLU."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class ResidualBlock(nn.Module):
    """x + (conv-BN-ReLU-conv-BN)(x), then ReLU; `dilation` widens the view at no cost in parameters."""

    def __init__(self, channels: int, dilation: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False)
        self.norm1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False)
        self.norm2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        return F.relu(x + self.norm2(self.conv2(F.relu(self.norm1(self.conv1(x))))))


class SegmentationNet(nn.Module, PyTorchModelHubMixin):
    """Photo (B, 3, H, W) in [0, 1] -> class logits (B, num_classes, H, W), any H and W.

    Args:
        num_classes: output classes (CamVid: 11; void is not a class, it is ignored).
        widths: channels at 1/2, 1/4, 1/8, 1/16 ... of the input; one level per entry.
        blocks: residual blocks per encoder level (the deepest level's are dilated 1, 2, 4, 8, 1, ...).
        skips: True adds each encoder level's features into the decoder at the same resolution (U-Net-like);
            False is the twin without skip connections (FCN-32s-like). Same parameters either way.
        input_width, input_height: the resolution it was trained at; `core.image_prediction.predict` resizes
            photos to it (any size runs, but objects are recognised at the scale they were learned).
    """

    def __init__(self, num_classes: int = 11, widths: tuple[int, ...] = (16, 32, 64, 128),
                 blocks: tuple[int, ...] = (1, 2, 2, 4), skips: bool = True, input_width: int = 240,
                 input_height: int = 180):
        super().__init__()
        widths, blocks = tuple(widths), tuple(blocks)
        if len(widths) != len(blocks) or len(widths) < 2:
            raise ValueError(f"widths and blocks need one entry per level (2 or more), got {widths} and {blocks}")
        self.num_classes, self.skips, self.levels = num_classes, skips, len(widths)
        self.input_size = (input_height, input_width)
        self.register_buffer("mean", torch.tensor(PHOTO_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(PHOTO_STD).view(1, 3, 1, 1), persistent=False)
        deepest = len(widths) - 1
        self.down = nn.ModuleList()  # level i: stride-2 conv into widths[i], then its residual blocks
        for level, (width, count) in enumerate(zip(widths, blocks, strict=True)):
            previous = 3 if level == 0 else widths[level - 1]
            dilations = [2 ** (j % 4) if level == deepest else 1 for j in range(count)]
            self.down.append(nn.Sequential(conv_block(previous, width, stride=2),
                                           *[ResidualBlock(width, d) for d in dilations]))
        self.up = nn.ModuleList()  # from level i + 1 to level i: x2, conv to widths[i], (+ skip), residual block
        for level in reversed(range(deepest)):
            self.up.append(nn.ModuleDict({"grow": conv_block(widths[level + 1], widths[level]),
                                          "refine": ResidualBlock(widths[level])}))
        self.classifier = nn.Conv2d(widths[0], num_classes, 1)

    @property
    def multiple(self) -> int:
        return 2**self.levels

    def forward(self, photo: torch.Tensor) -> torch.Tensor:
        if photo.ndim != 4 or photo.shape[1] != 3:
            raise ValueError(f"expected photos (B, 3, H, W), got {tuple(photo.shape)}")
        # 1. Normalise and pad to a multiple of 2^levels.
        height, width = photo.shape[-2:]
        x = (photo - self.mean) / self.std
        x = F.pad(x, (0, -width % self.multiple, 0, -height % self.multiple), mode="replicate")
        # 2. Encoder: (B, widths[i], H/2^(i+1), W/2^(i+1)) at level i.
        features = []
        for block in self.down:
            x = block(x)
            features.append(x)
        # 3. Decoder: back up to 1/2 resolution, with or without the encoder's features.
        for step, level in zip(self.up, reversed(range(self.levels - 1)), strict=True):
            x = step["grow"](F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False))
            if self.skips:
                x = x + features[level]
            x = step["refine"](x)
        # 4. Classify at 1/2 resolution, upsample the logits to the input's size.
        logits = self.classifier(x)  # (B, classes, H'/2, W'/2)
        logits = F.interpolate(logits, scale_factor=2, mode="bilinear", align_corners=False)
        return logits[..., :height, :width]


def segmentation_loss(logits: torch.Tensor, labels: torch.Tensor, class_weights: torch.Tensor | None = None,
                      void: int = 11) -> torch.Tensor:
    """Per-pixel cross-entropy, each pixel weighted by its class's weight, void pixels ignored; (B, C, H, W) logits
    and (B, H, W) labels. Normalised by the weights of the counted pixels (PyTorch's weighted mean)."""
    return F.cross_entropy(logits.float(), labels, weight=class_weights, ignore_index=void)


def working_size(model: SegmentationNet, height: int, width: int) -> tuple[int, int]:
    """(height, width) with about as many pixels as the training resolution and the aspect of `height` x `width`,
    each side a multiple of 4 (CamVid's 4:3 gives the training size itself) and at least 16."""
    scale = math.sqrt(model.input_size[0] * model.input_size[1] / (height * width))
    return tuple(max(16, round(side * scale / 4) * 4) for side in (height, width))


@torch.no_grad()
def predict(model: SegmentationNet, photo: torch.Tensor, keep_aspect: bool = False) -> torch.Tensor:
    """(3, H, W) photo in [0, 1] -> (num_classes, H, W) class probabilities: run at the model's training
    resolution, the logits resized back to the photo's own size. `keep_aspect`: the same number of pixels as
    training, at the photo's own aspect (a portrait photo squeezed to 4:3 is not a street the model has seen)."""
    height, width = photo.shape[-2:]
    size = model.input_size if not keep_aspect else working_size(model, height, width)
    x = F.interpolate(photo[None], size=size, mode="bilinear", align_corners=False, antialias=True)
    logits = F.interpolate(model(x), size=(height, width), mode="bilinear", align_corners=False)
    return logits.softmax(1)[0]


def label_map(probabilities: torch.Tensor) -> torch.Tensor:
    """(classes, H, W) -> (H, W) the most probable class. `max(0).indices`, not `argmax(0)`: on the CPU torch's
    argmax across the channel axis took 95 ms for a 480x360 map, max 11 ms (one thread)."""
    return probabilities.max(0).indices
