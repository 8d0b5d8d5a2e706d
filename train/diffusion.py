"""Diffusion recipe: a DDPM (eps-prediction, cosine schedule) on digits or faces, sampled with DDIM.

    python -m train.diffusion --data ../shared/data/mnist --output_dir outputs/digits-diffusion
    python -m train.diffusion --data ../shared/data/faces/ffhq256 --block_channels 32,64,128 \\
        --output_dir outputs/faces-diffusion

`--data` is an MNIST folder (the four idx files), a folder of images, or hub:<dataset id>.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from core.adversarial.realism import realism_accuracy
from core.common.data import image_source
from core.common.mnist import FILES as MNIST_FILES
from core.common.mnist import load_mnist
from core.diffusion.model import DiffusionModel, add_noise, sample
from train.args import common_parser
from train.loop import Recipe, train


def is_mnist_folder(spec: str) -> bool:
    return Path(spec).is_dir() and (Path(spec) / MNIST_FILES["train"][0]).exists()


class ImageTensors(torch.utils.data.Dataset):
    """Images (N, C, S, S) in [-1, 1] held in memory; mirrored at random where that keeps them valid."""

    def __init__(self, images: torch.Tensor, mirror: bool):
        self.images, self.mirror = images, mirror

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        image = self.images[index]
        return image.flip(2) if self.mirror and torch.rand(()) < 0.5 else image


def load_images(spec: str, size: int, split: str) -> torch.Tensor:
    """(N, C, size, size) in [0, 1]: MNIST digits padded from 28 px, or photos resized (10% held out)."""
    if is_mnist_folder(spec):
        images, _ = load_mnist(spec, "train" if split == "train" else "test")
        digits = torch.from_numpy(images.copy()).float().div(255)[:, None]
        pad = (size - 28) // 2
        return F.pad(digits, (pad, size - 28 - pad, pad, size - 28 - pad)) if size >= 28 else \
            F.interpolate(digits, size=(size, size), mode="area")
    folder = image_source(spec, size=size, split=split, val_fraction=0.1)
    return torch.stack([folder[i] for i in range(len(folder))])


def blobs(count: int = 32, size: int = 16) -> torch.Tensor:
    """Soft discs at a few places: a stand-in data set for --dry_run, in [0, 1]."""
    grid = torch.linspace(-1, 1, size)
    yy, xx = torch.meshgrid(grid, grid, indexing="ij")
    shifts = torch.arange(count) % 4 * 0.3 - 0.45
    return torch.stack([((xx - s) ** 2 + yy**2 < 0.2).float()[None].expand(3, -1, -1) * 0.9 for s in shifts])


class DiffusionRecipe(Recipe):
    name = "diffusion"
    release = "model"
    license = "mit"

    def __init__(self, args):
        super().__init__(args)
        digits = is_mnist_folder(args.data)
        self.license = "cc-by-sa-3.0" if digits else "cc-by-nc-sa-4.0"
        what = "digits" if digits else "images"
        self.title = f"DDPM, {args.image_size}x{args.image_size} {what} (diffusers UNet2DModel)"
        self.description = (
            "A denoising diffusion model (Ho et al. 2020): a diffusers `UNet2DModel` predicts the noise eps in "
            f"x_t, trained with the plain MSE on eps, uniformly drawn t of {args.num_train_timesteps}, a "
            f"{args.beta_schedule} noise schedule and an EMA of the weights (decay {args.ema_decay:g}). "
            "Sample with DDIM (25 steps) or ancestral DDPM through `core.diffusion.model.sample`.")
        self.data_description = (f"{args.data} at {args.image_size}x{args.image_size}"
                                 + (" (MNIST train; realism scored on MNIST test)" if digits
                                    else " (10% held out for the realism score)"))

    def build_models(self):
        a = self.args
        if a.dry_run:
            return {"model": DiffusionModel(image_size=16, channels=3, block_channels=(8, 16), attention_levels=(1,),
                                            num_train_timesteps=a.num_train_timesteps, norm_groups=4)}
        channels = 1 if is_mnist_folder(a.data) else 3
        return {"model": DiffusionModel(image_size=a.image_size, channels=channels, block_channels=a.block_channels,
                                        attention_levels=a.attention_levels, layers_per_block=a.layers_per_block,
                                        num_train_timesteps=a.num_train_timesteps, beta_schedule=a.beta_schedule,
                                        norm_groups=a.norm_groups)}

    def build_dataset(self):
        if self.args.dry_run:
            return ImageTensors(blobs() * 2 - 1, mirror=True)
        return ImageTensors(load_images(self.args.data, self.args.image_size, "train") * 2 - 1,
                            mirror=not is_mnist_folder(self.args.data))

    def training_step(self, models, clean, update):
        model = models["model"]
        wrapped = getattr(model, "module", model)
        noise = torch.randn_like(clean)
        timesteps = torch.randint(0, wrapped.num_train_timesteps, (clean.shape[0],), device=clean.device)
        noisy = add_noise(wrapped, clean, noise, timesteps)
        loss = F.mse_loss(model(noisy, timesteps).float(), noise)
        update("model", loss)
        return {"loss": loss.detach()}

    grid_columns = 8

    @torch.no_grad()
    def sample_images(self, models, device):
        model = getattr(models["model"], "module", models["model"])
        images = sample(model, list(range(16)), steps=25).final
        return (images * 0.5 + 0.5).expand(-1, 3, -1, -1)

    @torch.no_grad()
    def evaluate(self, models, device):
        """Realism (classifier two-sample test, 50% best) of 25-step DDIM samples against held-out images."""
        model = models["model"]
        if self.args.dry_run:
            real = blobs(16)
        else:
            real = load_images(self.args.data, self.args.image_size, "val")[: self.args.eval_count]
        fake = torch.cat([sample(model, list(range(i, min(i + 100, len(real)))), steps=25).final
                          for i in range(0, len(real), 100)]).cpu() * 0.5 + 0.5
        return {"realism_accuracy_ddim25": realism_accuracy(real, fake).accuracy}


def int_list(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def parse_args(argv=None):
    parser = common_parser(__doc__)
    group = parser.add_argument_group("diffusion")
    group.add_argument("--data", default="../shared/data/mnist",
                       help="an MNIST folder (idx files), a folder of images, or hub:<dataset id>")
    group.add_argument("--image_size", type=int, default=32, help="training resolution (MNIST is padded 28 -> 32)")
    group.add_argument("--block_channels", type=int_list, default=(32, 64, 64), help="U-Net widths per resolution")
    group.add_argument("--attention_levels", type=int_list, default=(2,), help="resolutions with self-attention")
    group.add_argument("--layers_per_block", type=int, default=1, help="ResNet blocks per resolution")
    group.add_argument("--norm_groups", type=int, default=8, help="GroupNorm groups (widths must divide)")
    group.add_argument("--num_train_timesteps", type=int, default=1000, help="T of the forward process")
    group.add_argument("--beta_schedule", default="squaredcos_cap_v2", choices=["linear", "squaredcos_cap_v2"])
    group.add_argument("--eval_count", type=int, default=500, help="held-out images for the realism score")
    parser.set_defaults(learning_rate=5e-4, batch_size=64, max_steps=4000, lr_schedule="cosine", warmup_steps=200,
                        ema_decay=0.999, mixed_precision="bf16", sample_every=500)
    return parser.parse_args(argv)


def main(argv=None):
    return train(DiffusionRecipe(parse_args(argv)))


if __name__ == "__main__":
    main()
