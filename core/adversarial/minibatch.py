"""Minibatch standard deviation (Karras et al., ProGAN 2018): a feature that lets D see variety.

A collapsed generator's samples look alike, which no single image shows. Appending, to every sample in a
group, the average standard deviation of D's features across that group gives D one number that is low
for a batch of near-copies, so D can punish collapse and G is pushed to spread out.
"""

from __future__ import annotations

import torch


def minibatch_stddev(x: torch.Tensor, group_size: int = 4) -> torch.Tensor:
    """(B, C, H, W) -> (B, C + 1, H, W): the extra channel is the group's mean feature std (constant per group)."""
    batch, channels, height, width = x.shape
    group = min(group_size, batch)
    if batch % group:
        group = 1
    y = x.float().reshape(group, -1, channels, height, width)
    y = (y.var(dim=0, unbiased=False) + 1e-8).sqrt().mean(dim=(1, 2, 3))  # (B / group,)
    y = y.repeat(group)[:, None, None, None].expand(-1, 1, height, width).to(x.dtype)
    return torch.cat([x, y], dim=1)
