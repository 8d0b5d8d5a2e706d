"""What a diffusion model trains and is judged on: images from any `--data` source as one tensor."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from core.common.data import image_source


def load_images(spec: str, size: int, split: str) -> torch.Tensor:
    """(N, C, size, size) in [0, 1]; MNIST's 28 px digits are padded to `size` (not stretched), 10% of a
    folder held out."""
    folder = image_source(spec, split=split, val_fraction=0.1, **({} if spec.startswith("mnist:") else {"size": size}))
    images = torch.stack([folder[i] for i in range(len(folder))])
    if images.shape[-1] < size:
        pad = (size - images.shape[-1]) // 2
        images = F.pad(images, (pad, size - images.shape[-1] - pad, pad, size - images.shape[-1] - pad))
    return images
