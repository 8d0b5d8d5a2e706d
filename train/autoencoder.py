"""Autoencoder recipe: plain, denoising or variational ConvAutoencoder on MNIST or image patches.

    # the digits autoencoder with a 2-D code (the Space's latent map)
    python -m train.autoencoder --data mnist:../shared/data/mnist --latent_dim 2 --output_dir outputs/ae2
    # the same network as a denoising autoencoder
    python -m train.autoencoder --data mnist:../shared/data/mnist --latent_dim 16 \\
        --corruption gaussian salt_and_pepper mask --corruption_level 0.5 --output_dir outputs/dae
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from core.autoencoder.losses import vae_loss
from core.autoencoder.model import ConvAutoencoder
from core.common.corruptions import KINDS, corrupt, random_corruption
from core.common.data import image_source
from train.args import common_parser
from train.loop import Recipe, train


def load_split(spec: str, split: str, image_size: int, channels: int):
    """Images as (C, S, S) tensors from any `--data` source (core.common.data); MNIST's "val" is its test set."""
    kwargs = {} if spec.startswith("mnist:") else {"size": image_size, "mode": "L" if channels == 1 else "RGB"}
    return image_source(spec, split=split, val_fraction=0.1, **kwargs)


class AutoencoderRecipe(Recipe):
    name = "autoencoder"
    release = "autoencoder"
    license = "cc-by-sa-3.0"

    def __init__(self, args):
        super().__init__(args)
        kind = "variational " if args.variational else ("denoising " if args.corruption != ["none"] else "")
        self.title = f"Convolutional {kind}autoencoder, {args.latent_dim}-D code"
        self.description = (
            f"A {kind}convolutional autoencoder (`core.autoencoder.model.ConvAutoencoder`) with a "
            f"{args.latent_dim}-dimensional code, trained with {args.loss.upper()} reconstruction loss"
            + (f" on inputs corrupted by {', '.join(args.corruption)} (level up to {args.corruption_level})"
               if args.corruption != ["none"] else "") + ".")
        self.data_description = "MNIST train split (60,000 digits); evaluated on the first 2,000 of the 10,000 test digits" if \
            args.data.startswith("mnist:") else f"{args.data} (train split; 10% held out for evaluation)"

    def build_models(self):
        a = self.args
        return {"autoencoder": ConvAutoencoder(in_channels=a.channels, image_size=a.image_size,
                                               base_channels=a.base_channels, hidden_dim=a.hidden_dim,
                                               latent_dim=a.latent_dim, variational=a.variational)}

    def build_dataset(self):
        return load_split(self.args.data, "train", self.args.image_size, self.args.channels)

    def corrupted(self, clean: torch.Tensor) -> torch.Tensor:
        if self.args.corruption == ["none"]:
            return clean
        return random_corruption(clean, tuple(self.args.corruption), self.args.corruption_level)

    def training_step(self, models, batch, update):
        clean = batch[0] if isinstance(batch, (list, tuple)) else batch
        output, mean, log_var = models["autoencoder"](self.corrupted(clean))
        loss, metrics = vae_loss(output, clean, mean, log_var, self.args.loss, self.args.kl_weight)
        update("autoencoder", loss)
        mse = F.mse_loss(output.detach(), clean).item()
        return {"loss": loss.detach(), **metrics, "psnr": -10 * math.log10(max(mse, 1e-10))}

    def held_out(self, count: int):
        data = load_split(self.args.data, "val", self.args.image_size, self.args.channels)
        items = [data[i] for i in range(min(count, len(data)))]
        return torch.stack([item[0] if isinstance(item, tuple) else item for item in items])

    @torch.no_grad()
    def sample_images(self, models, device):
        clean = self.held_out(8).to(device)
        noisy = self.corrupted(clean) if self.args.corruption != ["none"] else clean
        output = models["autoencoder"](noisy)[0]
        return torch.cat([noisy.clamp(0, 1), output, clean])  # rows: input, reconstruction, target

    grid_columns = 8

    @torch.no_grad()
    def evaluate(self, models, device):
        model = models["autoencoder"]
        clean = self.held_out(self.args.eval_count).to(device)
        results = {"mse": F.mse_loss(model(clean)[0], clean).item()}
        results["psnr_db"] = -10 * math.log10(results["mse"])
        if self.args.corruption != ["none"]:
            generator = torch.Generator().manual_seed(0)
            for kind, level in (("gaussian", 0.3), ("salt_and_pepper", 0.2), ("mask", 0.4)):
                noisy = corrupt(clean, kind, level, generator)
                mse = F.mse_loss(model(noisy)[0], clean).item()
                results[f"psnr_db_{kind}_{level}"] = -10 * math.log10(mse)
                results[f"psnr_db_{kind}_{level}_input"] = -10 * math.log10(F.mse_loss(noisy.clamp(0, 1), clean).item())
        return results


def parse_args(argv=None):
    parser = common_parser(__doc__)
    group = parser.add_argument_group("autoencoder")
    group.add_argument("--data", default="mnist:../shared/data/mnist",
                       help="mnist:<dir>, a folder of images, hub:<dataset id> or synthetic:<kind> (core.common.data)")
    group.add_argument("--eval_count", type=int, default=2000, help="held-out images for the final metrics")
    group.add_argument("--image_size", type=int, default=28, help="side of the (square) images")
    group.add_argument("--channels", type=int, default=1, help="1 (grayscale) or 3 (colour)")
    group.add_argument("--base_channels", type=int, default=32, help="width of the first convolution")
    group.add_argument("--hidden_dim", type=int, default=256, help="fully connected width around the code")
    group.add_argument("--latent_dim", type=int, default=2, help="size of the code (2 draws a map)")
    group.add_argument("--variational", action="store_true", help="train a VAE (sampled code + KL term)")
    group.add_argument("--kl_weight", type=float, default=1.0, help="weight of the KL term (VAE only)")
    group.add_argument("--loss", default="bce", choices=["bce", "mse"], help="reconstruction loss")
    group.add_argument("--corruption", nargs="+", default=["none"], choices=["none", *KINDS],
                       help="corruptions for a denoising autoencoder (one drawn per image)")
    group.add_argument("--corruption_level", type=float, default=0.5, help="levels drawn uniformly in [0, this]")
    # Defaults = the released digits models' recipe (see their model cards).
    parser.set_defaults(learning_rate=1e-3, batch_size=128, max_steps=6000, ema_decay=0.999)
    args = parser.parse_args(argv)
    if "none" in args.corruption and len(args.corruption) > 1:
        parser.error("--corruption none cannot be combined with other kinds")
    return args


def main(argv=None):
    return train(AutoencoderRecipe(parse_args(argv)))


if __name__ == "__main__":
    main()
