"""Toy recipe: a tiny convolutional denoiser on synthetic blob images.

It exists to exercise the shared loop end to end in seconds on a CPU (tests, CI, a first try of the
trainer), with randomness in every step so that resume-equals-uninterrupted is a real check.

    python -m train.toy --output_dir outputs/toy --max_steps 200
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn
from torch.utils.data import Dataset

from train.args import common_parser
from train.loop import Recipe, train


class ToyDenoiser(nn.Module, PyTorchModelHubMixin):
    """Three 3x3 convolutions predicting the noise in a grayscale image (DnCNN in miniature)."""

    def __init__(self, channels: int = 16, in_channels: int = 1):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, padding=1), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(),
            nn.Conv2d(channels, in_channels, 3, padding=1),
        )

    def forward(self, noisy: torch.Tensor) -> torch.Tensor:
        return noisy - self.body(noisy)  # residual: the network estimates the noise


class BlobImages(Dataset):
    """Deterministic 16x16 images of one soft Gaussian blob each, in [0, 1]."""

    def __init__(self, count: int = 256, size: int = 16, seed: int = 0):
        generator = torch.Generator().manual_seed(seed)
        centers = torch.rand(count, 2, generator=generator) * size
        widths = 1.5 + 3 * torch.rand(count, 1, 1, generator=generator)
        grid = torch.arange(size, dtype=torch.float32)
        dy = (grid[None, :, None] - centers[:, 0, None, None]) ** 2
        dx = (grid[None, None, :] - centers[:, 1, None, None]) ** 2
        self.images = torch.exp(-(dx + dy) / (2 * widths**2))[:, None]  # (N, 1, size, size)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.images[index]


class ToyRecipe(Recipe):
    name = "toy"
    title = "Toy denoiser (loop smoke test)"
    description = "A three-layer residual denoiser on synthetic blobs: checks the shared training loop."
    data_description = "synthetic Gaussian blobs, 16x16, generated from the seed"

    def build_models(self):
        return {"model": ToyDenoiser(channels=self.args.channels)}

    def build_dataset(self):
        return BlobImages(count=self.args.dataset_size, seed=self.args.seed)

    def training_step(self, models, clean, update):
        noisy = clean + self.args.noise_sigma * torch.randn_like(clean)
        loss = F.mse_loss(models["model"](noisy), clean)
        update("model", loss)
        return {"loss": loss.detach(), "psnr": -10 * math.log10(max(loss.item(), 1e-12))}

    @torch.no_grad()
    def sample_images(self, models, device):
        clean = BlobImages(count=4, seed=12345).images.to(device)
        noisy = clean + self.args.noise_sigma * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0)).to(device)
        return torch.cat([noisy.clamp(0, 1), models["model"](noisy).clamp(0, 1), clean])  # rows: noisy, out, clean

    grid_columns = 4


def parse_args(argv=None):
    parser = common_parser(__doc__)
    toy = parser.add_argument_group("toy")
    toy.add_argument("--channels", type=int, default=16, help="hidden channels of the denoiser")
    toy.add_argument("--dataset_size", type=int, default=256, help="number of synthetic images")
    toy.add_argument("--noise_sigma", type=float, default=0.2, help="std of the Gaussian noise added in training")
    return parser.parse_args(argv)


def main(argv=None):
    return train(ToyRecipe(parse_args(argv)))


if __name__ == "__main__":
    main()
