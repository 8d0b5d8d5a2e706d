"""Gatys, Ecker & Bethge (CVPR 2016): optimise an image so that its deep features match a content photo's and
their Gram matrices match a style image's. With no content term it is texture synthesis (NeurIPS 2015).

`transfer` is a generator: it yields after every step, so a Space can show the image as it forms and stop at
a step count (never at a time limit: a busy server still shows the outcome).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F


def gram(features: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, C): which channels fire together, wherever they fire (the layout is gone).
    Divided by H * W, so an image and a crop of the same texture give the same matrix."""
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (h * w)


class PyramidImage:
    """An image as the sum of a Laplacian-like pyramid of logits (full size, 1/2, 1/4 ...), upsampled and squashed
    to [0, 1]. Adam moves every level's values alike, so large areas change as readily as single pixels: the
    optimisation paints strokes and regions instead of the pixel noise a non-VGG network lets through (an image
    parameterisation, Mordvintsev et al., Distill 2018)."""

    def __init__(self, start: torch.Tensor, levels: int = 5):
        height, width = start.shape[-2:]
        self.size = (height, width)
        self.levels = [torch.logit(start.clamp(0.02, 0.98)).requires_grad_(True)]
        for level in range(1, levels):
            scale = 2**level
            if min(height, width) // scale < 2:
                break
            self.levels.append(torch.zeros(1, 3, height // scale, width // scale, requires_grad=True))

    @property
    def parameters(self) -> list[torch.Tensor]:
        return self.levels

    def __call__(self) -> torch.Tensor:
        logits = self.levels[0]
        for coarse in self.levels[1:]:
            logits = logits + F.interpolate(coarse, size=self.size, mode="bilinear", align_corners=False)
        return torch.sigmoid(logits)


@dataclass
class Step:
    step: int
    image: torch.Tensor  # (1, 3, H, W) in [0, 1]
    content_loss: float
    style_loss: float


def style_losses(network, image, style_grams, content_maps, content_levels, style_levels):
    maps = network(image)
    style = sum(F.mse_loss(gram(maps[i]), style_grams[i]) / style_grams[i].pow(2).mean().clamp_min(1e-12)
                for i in style_levels) / len(style_levels)
    content = image.new_zeros(()) if content_maps is None else sum(
        F.mse_loss(maps[i], content_maps[i]) / content_maps[i].pow(2).mean().clamp_min(1e-12)
        for i in content_levels) / len(content_levels)
    return content, style


def transfer(network, content: torch.Tensor | None, style: torch.Tensor, steps: int = 200, style_weight: float = 1.0,
             content_levels=(2,), style_levels=None, learning_rate: float = 0.03, seed: int = 0,
             size: tuple[int, int] | None = None, pyramid_levels: int = 5) -> Iterator[Step]:
    """Content (1, 3, H, W) or None (texture synthesis) and style (1, 3, h, w), both in [0, 1] -> a Step per step.

    Each loss is relative (divided by its target's size), so `style_weight` means the same on any network:
    1 = style and content count alike. The image starts from the content photo (from noise without one) and is
    optimised in logit space, so it stays in [0, 1]; Adam, because its steps are even and can be counted.
    """
    if content is not None:
        start = content.clamp(0.02, 0.98)  # logits of 0 or 1 would be infinite
    else:
        generator = torch.Generator().manual_seed(seed)
        h, w = size or style.shape[-2:]
        start = (0.5 + 0.1 * torch.randn(1, 3, h, w, generator=generator)).clamp(0.02, 0.98)
    image_of = PyramidImage(start, levels=pyramid_levels)
    with torch.no_grad():
        style_maps = network(style)
        style_levels = tuple(range(len(style_maps))) if style_levels is None else tuple(style_levels)
        style_grams = {i: gram(style_maps[i]) for i in style_levels}
        # the content's maps from the starting image itself, so that step 1 starts at a content loss of exactly 0
        content_maps = None if content is None else dict(enumerate(network(image_of())))
    # Adam scales every gradient to a step of `lr`, even rounding noise: its eps says which gradients are none
    optimiser = torch.optim.Adam(image_of.parameters, lr=learning_rate * 4, eps=1e-6)  # logits: 4x pixel steps
    for step in range(1, steps + 1):
        image = image_of()
        content_loss, style_loss = style_losses(network, image, style_grams, content_maps, content_levels,
                                                style_levels)
        loss = content_loss + style_weight * style_loss
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        with torch.no_grad():
            shown = Step(step, image_of(), float(content_loss), float(style_loss))
        # yielded outside the no_grad block: a Space resumes a generator on any of its worker threads, and a
        # block left open at a yield kept grad off in the thread that entered it (a later handler on that
        # thread, the image-manifold autoencoder's training, then failed: "does not require grad")
        yield shown
