"""DCGAN (Radford, Metz & Chintala, ICLR 2016): the baseline image GAN (its losses: core.adversarial.losses).

G: a code z -> 4x4 feature map -> transposed convolutions doubling the size -> RGB in [-1, 1].
D: the mirror image, strided convolutions down to 4x4 -> one logit ("real"). No batch norm in D, so
the R1 penalty (Mescheder et al. 2018) is well defined per sample.
"""

from __future__ import annotations

import math

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from core.adversarial.minibatch import minibatch_stddev
from core.common.seeds import seed_noise


def _stages(image_size: int) -> int:
    stages = int(math.log2(image_size)) - 2
    if image_size < 8 or 2 ** (stages + 2) != image_size:
        raise ValueError(f"image_size must be a power of two >= 8, got {image_size}")
    return stages


class DCGANGenerator(nn.Module, PyTorchModelHubMixin):
    """z (B, latent_dim) -> images (B, channels, S, S) in [-1, 1]; widths halve as the size doubles."""

    def __init__(self, latent_dim: int = 128, image_size: int = 64, base_channels: int = 64, channels: int = 3):
        super().__init__()
        self.latent_dim, self.image_size = latent_dim, image_size
        stages = _stages(image_size)
        width = base_channels * 2 ** (stages - 1)
        self.project = nn.Sequential(nn.Linear(latent_dim, width * 16), nn.Unflatten(1, (width, 4, 4)),
                                     nn.BatchNorm2d(width), nn.ReLU())  # (B, w, 4, 4)
        blocks = []
        for _ in range(stages):
            blocks += [nn.ConvTranspose2d(width, width // 2, 4, stride=2, padding=1), nn.BatchNorm2d(width // 2),
                       nn.ReLU()]  # size x2, width / 2
            width //= 2
        self.body = nn.Sequential(*blocks)
        self.to_rgb = nn.Conv2d(width, channels, 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected z of shape (B, {self.latent_dim}), got {tuple(z.shape)}")
        return torch.tanh(self.to_rgb(self.body(self.project(z))))

    @torch.no_grad()
    def sample(self, seeds: list[int], truncation: float = 1.0) -> torch.Tensor:
        """One image per seed, in [0, 1]; truncation < 1 pulls z towards 0 (the 'average' face)."""
        codes = seed_noise(seeds, self.latent_dim).to(self.to_rgb.weight.device)
        return (self(codes * truncation) + 1) / 2

    @torch.no_grad()
    def widen_from(self, narrow: DCGANGenerator, seed: int = 0) -> None:
        """Become a wider copy of `narrow` that computes exactly its images (Net2WiderNet, Chen et al. 2016).

        Every feature channel of `narrow` is repeated `factor` times (weights, biases and batch-norm statistics
        copied, so the copies stay equal in train and eval mode), and the next layer's weights on the copies are
        random shares of the old weight that sum to it: the output is unchanged, yet the copies get different
        gradients and grow apart as training goes on (equal shares, or zeros in new channels, would never)."""
        layers = lambda g: [m for m in g.modules() if isinstance(m, (nn.Linear, nn.ConvTranspose2d, nn.Conv2d))]  # noqa: E731
        norms = lambda g: [m for m in g.modules() if isinstance(m, nn.BatchNorm2d)]  # noqa: E731
        mine, theirs = layers(self), layers(narrow)
        if (self.latent_dim, self.image_size) != (narrow.latent_dim, narrow.image_size) or len(mine) != len(theirs):
            raise ValueError("widen_from: the narrow generator needs the same latent_dim and image_size")
        factor = self.to_rgb.in_channels // narrow.to_rgb.in_channels
        if factor < 1 or self.to_rgb.in_channels != factor * narrow.to_rgb.in_channels:
            raise ValueError(f"widen_from: base_channels must be a whole multiple of the narrow one's, got "
                             f"{self.to_rgb.in_channels} from {narrow.to_rgb.in_channels}")
        rng = torch.Generator().manual_seed(seed)

        def repeat_out(tensor, dim, spatial=1):  # channel c of the wide layer is channel c % old of the narrow one
            shape = list(tensor.shape)
            grouped = tensor.reshape(shape[:dim] + [shape[dim] // spatial, spatial] + shape[dim + 1:])
            grouped = torch.cat([grouped] * factor, dim=dim)
            return grouped.reshape(shape[:dim] + [shape[dim] * factor] + shape[dim + 1:])

        def share_in(tensor, dim):  # split each old input weight into `factor` random positive shares
            wide = torch.cat([tensor] * factor, dim=dim)
            shares = torch.rand(wide.shape, generator=rng) + 0.5
            total = sum(shares.narrow(dim, i * tensor.shape[dim], tensor.shape[dim]) for i in range(factor))
            return wide * shares / torch.cat([total] * factor, dim=dim)

        for index, (wide, old) in enumerate(zip(mine, theirs, strict=True)):
            weight, bias = old.weight, old.bias
            if index > 0:  # its input channels are the previous layer's repeated ones
                weight = share_in(weight, 0 if isinstance(old, nn.ConvTranspose2d) else 1)
            if index < len(mine) - 1:  # its output channels get repeated (the Linear's come in 4x4 blocks)
                out_dim, spatial = (1, 1) if isinstance(old, nn.ConvTranspose2d) else (0, 16 if index == 0 else 1)
                weight, bias = repeat_out(weight, out_dim, spatial), repeat_out(bias, 0, spatial)
            wide.weight.copy_(weight)
            wide.bias.copy_(bias)
        for wide, old in zip(norms(self), norms(narrow), strict=True):
            for name in ("weight", "bias", "running_mean", "running_var"):
                getattr(wide, name).copy_(torch.cat([getattr(old, name)] * factor))
            wide.num_batches_tracked.copy_(old.num_batches_tracked)


class DCGANDiscriminator(nn.Module, PyTorchModelHubMixin):
    """images (B, channels, S, S) in [-1, 1] -> logits (B,).

    `stddev_group` > 0 appends the minibatch standard deviation (core.adversarial.minibatch) before the last
    strided convolution, so D can see a batch of look-alikes; that convolution then takes one more input
    channel, the last one (a D grown from one without it starts identical when that channel's weights are 0).
    """

    def __init__(self, image_size: int = 64, base_channels: int = 64, channels: int = 3, stddev_group: int = 0):
        super().__init__()
        self.image_size, self.stddev_group = image_size, stddev_group
        stages = _stages(image_size)
        layers, width = [nn.Conv2d(channels, base_channels, 3, padding=1), nn.LeakyReLU(0.2)], base_channels
        for stage in range(stages):
            extra = 1 if stddev_group and stage == stages - 1 else 0
            layers += [nn.Conv2d(width + extra, width * 2, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]  # size / 2
            width *= 2
        self.body = nn.Sequential(*layers)  # (B, w, 4, 4)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(width * 16, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if not self.stddev_group:
            return self.head(self.body(images)).squeeze(1)
        x = minibatch_stddev(self.body[:-2](images), self.stddev_group)  # at 2x the final 4x4
        return self.head(self.body[-2:](x)).squeeze(1)
