"""pix2pix (Isola, Zhu, Zhou & Efros, CVPR 2017): a U-Net generator and a PatchGAN discriminator.

G maps an input image (labels, edges, a gray or masked photo) to an output photo; the U-Net's skip
connections carry the input's layout straight to the decoder. D judges (input, output) *pairs*, patch by
patch: conditional, so "a plausible photo" is not enough, it must fit the input. G's loss is D's verdict
plus lambda * L1 to the target; L1 alone hedges between possible outputs and blurs.
"""

from __future__ import annotations

import math

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "instance":  # what batch norm with batch size 1 (the paper's setting) amounts to
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    raise ValueError(f"norm must be 'instance' or 'batch', got {kind!r}")


class UNetGenerator(nn.Module, PyTorchModelHubMixin):
    """(B, in_channels, S, S) in [-1, 1] -> (B, out_channels, S, S) in [-1, 1].

    Args:
        image_size: the training resolution (its longer side); the U-Net halves it down to 1x1 (7 levels at
            128 px, 8 at 256 px, as in the paper). Any multiple of 2**depth runs at inference.
        depth: fewer levels than that (None: down to 1x1). 5 levels at 128 px stop at 4x4, so a 128x96 street
            scene (a multiple of 32 both ways) keeps its 4:3 frame.
        base_channels, max_channels: width at full resolution, doubling per level up to the cap.
        norm: "instance" or "batch". dropout: in the three innermost decoder levels (the paper's noise).
        upsample: "transpose" (the paper's 4x4 stride-2 transposed conv) or "resize" (nearest x2, then a
            3x3 conv). A transposed conv whose kernel is not a multiple of its stride paints some output
            pixels from more taps than others: a grid at the stride's period that a GAN loss can amplify
            (Odena et al., "Deconvolution and Checkerboard Artifacts", Distill 2016). Resize-conv cannot.
    """

    def __init__(self, in_channels: int = 3, out_channels: int = 3, image_size: int = 128, base_channels: int = 32,
                 max_channels: int = 128, norm: str = "instance", dropout: float = 0.5, upsample: str = "transpose",
                 depth: int | None = None):
        super().__init__()
        full_depth = int(math.log2(image_size))
        if image_size < 16 or 2**full_depth != image_size:
            raise ValueError(f"image_size must be a power of two >= 16, got {image_size}")
        if depth is not None and not 3 <= depth <= full_depth:
            raise ValueError(f"depth must be between 3 and {full_depth} at {image_size} px, got {depth}")
        self.depth = depth or full_depth
        if upsample not in ("transpose", "resize"):
            raise ValueError(f"upsample must be 'transpose' or 'resize', got {upsample!r}")
        self.in_channels, self.image_size = in_channels, image_size
        widths = [min(max_channels, base_channels * 2**i) for i in range(self.depth)]  # per level, outer first
        self.down = nn.ModuleList()
        previous = in_channels
        for level, width in enumerate(widths):  # conv 4x4 stride 2: size / 2
            layers = [] if level == 0 else [nn.LeakyReLU(0.2)]
            layers.append(nn.Conv2d(previous, width, 4, stride=2, padding=1, bias=level in (0, self.depth - 1)))
            if 0 < level < self.depth - 1:  # no norm on the first level nor on the 1x1 bottleneck
                layers.append(_norm(norm, width))
            self.down.append(nn.Sequential(*layers))
            previous = width
        self.up = nn.ModuleList()
        for level in reversed(range(self.depth)):  # size x 2 per level
            incoming = widths[level] * (1 if level == self.depth - 1 else 2)  # skip concatenated, except innermost
            outgoing = out_channels if level == 0 else widths[level - 1]
            if upsample == "transpose":
                grow = [nn.ConvTranspose2d(incoming, outgoing, 4, stride=2, padding=1, bias=level == 0)]
            else:  # reflect padding: zero padding darkens the border, which the outermost levels then repeat
                grow = [nn.Upsample(scale_factor=2, mode="nearest"),
                        nn.Conv2d(incoming, outgoing, 3, padding=1, padding_mode="reflect", bias=level == 0)]
            layers = [nn.ReLU(), *grow]
            if level > 0:
                layers.append(_norm(norm, outgoing))
            if level > 0 and level >= self.depth - 3 and dropout > 0:
                layers.append(nn.Dropout(dropout))
            self.up.append(nn.Sequential(*layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected (B, {self.in_channels}, H, W), got {tuple(x.shape)}")
        if x.shape[-1] % 2**self.depth or x.shape[-2] % 2**self.depth:
            raise ValueError(f"height and width must be multiples of {2**self.depth}, got {tuple(x.shape[-2:])}")
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
        x = self.up[0](skips.pop())  # innermost
        for block in self.up[1:]:
            x = block(torch.cat([x, skips.pop()], dim=1))  # (B, 2C, h, w): decoder + encoder features
        return torch.tanh(x)


class PatchDiscriminator(nn.Module, PyTorchModelHubMixin):
    """(input, output) pair -> a grid of logits, one per overlapping patch ("is this patch real?").

    `layers` strided convs: 3 gives the paper's 70x70 receptive field (for 256 px); 2 gives 34x34, the
    same share of a 128 px image. `conditional=False` is the paper's unconditional ablation (D sees
    only the output). `spectral_norm` bounds every conv's gain, a standard brake on a D that wins too fast.
    """

    def __init__(self, in_channels: int = 3, out_channels: int = 3, base_channels: int = 64, layers: int = 3,
                 norm: str = "instance", conditional: bool = True, spectral_norm: bool = False):
        super().__init__()
        self.conditional = conditional
        previous = out_channels + (in_channels if conditional else 0)
        blocks = [nn.Conv2d(previous, base_channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        width = base_channels
        for index in range(1, layers + 1):
            stride = 2 if index < layers else 1
            out = base_channels * min(2**index, 8)
            blocks += [nn.Conv2d(width, out, 4, stride=stride, padding=1, bias=False), _norm(norm, out),
                       nn.LeakyReLU(0.2)]
            width = out
        blocks.append(nn.Conv2d(width, 1, 4, stride=1, padding=1))
        if spectral_norm:  # each conv 1-Lipschitz (Miyato et al. 2018): D cannot win by sharpening its weights
            blocks = [nn.utils.parametrizations.spectral_norm(b) if isinstance(b, nn.Conv2d) else b for b in blocks]
        self.body = nn.Sequential(*blocks)
        self.layers = layers

    @property
    def receptive_field(self) -> int:
        """Pixels of the input that one output logit sees (70 for layers=3)."""
        field = 1
        for stride in reversed([2] * self.layers + [1, 1]):  # walk back from the output: k=4 everywhere
            field = field * stride + (4 - stride)
        return field

    def forward(self, condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        x = torch.cat([condition, image], dim=1) if self.conditional else image
        return self.body(x)  # (B, 1, ~S/2**layers, ~S/2**layers)
