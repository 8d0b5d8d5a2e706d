"""Natural-image denoiser recipe: DenoisingUNet on random crops, blind to the Gaussian noise level.

    python -m train.denoising --data ../shared/data/photos/bsds500-train \\
        --eval_data ../shared/data/photos/bsd100 --output_dir outputs/natural-image-denoiser
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from core.common.data import RandomCrops, image_source, load_photos
from core.common.metrics import psnr
from core.denoising.model import DenoisingUNet
from train.args import add_photo_data_args, common_parser
from train.loop import Recipe, train


class DenoiserRecipe(Recipe):
    name = "denoising"
    release = "denoiser"
    title = "Natural-image denoiser (small residual U-Net)"
    license = "mit"

    def __init__(self, args):
        super().__init__(args)
        self.description = (
            "A blind Gaussian denoiser for colour photos (`core.denoising.model.DenoisingUNet`): it predicts the "
            f"noise and subtracts it. Trained on noise levels sigma in [0, {args.max_sigma:g}]/255.")
        self.data_description = f"{args.crop}x{args.crop} random crops of {args.data}; evaluated on {args.eval_data}"

    def build_models(self):
        a = self.args
        return {"denoiser": DenoisingUNet(base_channels=a.base_channels, levels=a.levels,
                                          blocks_per_level=a.blocks_per_level)}

    def build_optimizers(self, models):
        return {"denoiser": torch.optim.Adam(models["denoiser"].parameters(), lr=self.args.learning_rate)}

    def build_dataset(self):
        folder = image_source(self.args.data)
        return RandomCrops(folder, crop=self.args.crop, length=self.args.batch_size * 1000)

    def training_step(self, models, clean, update):
        sigma = torch.rand(clean.shape[0], 1, 1, 1, device=clean.device) * self.args.max_sigma / 255
        noisy = clean + torch.randn_like(clean) * sigma
        loss = F.mse_loss(models["denoiser"](noisy), clean)
        update("denoiser", loss)
        return {"loss": loss.detach(), "psnr": -10 * math.log10(max(loss.item(), 1e-10))}

    def eval_images(self, count):
        return load_photos(self.args.eval_data, count)

    @torch.no_grad()
    def sample_images(self, models, device):
        clean = torch.from_numpy(self.eval_images(1)[0]).permute(2, 0, 1)[None, :, :96, :96].to(device)
        noisy = clean + torch.randn(clean.shape, generator=torch.Generator().manual_seed(0)).to(device) * 25 / 255
        return torch.cat([noisy.clamp(0, 1), models["denoiser"](noisy).clamp(0, 1), clean])

    @torch.no_grad()
    def evaluate(self, models, device):
        images = self.eval_images(self.args.eval_count)
        results = {}
        for sigma in (15, 25, 50):
            generator = np.random.default_rng(sigma)
            scores = []
            for clean in images:
                noisy = clean + generator.normal(0, sigma / 255, clean.shape).astype(np.float32)
                batch = torch.from_numpy(noisy).permute(2, 0, 1)[None].to(device)
                out = models["denoiser"](batch)[0].permute(1, 2, 0).clamp(0, 1).cpu().numpy()
                scores.append(psnr(clean, out))
            results[f"psnr_db_sigma{sigma}"] = float(np.mean(scores))
        return results


def parse_args(argv=None):
    parser = common_parser(__doc__)
    group = parser.add_argument_group("denoiser")
    add_photo_data_args(group, crop=64)
    group.add_argument("--max_sigma", type=float, default=55, help="noise std drawn uniformly in [0, this]/255")
    group.add_argument("--base_channels", type=int, default=32, help="top-level width of the U-Net")
    group.add_argument("--levels", type=int, default=3, help="resolutions in the U-Net")
    group.add_argument("--blocks_per_level", type=int, default=2, help="residual blocks per level and direction")
    # Defaults = the released model's recipe (see its model card), so a plain run reproduces it.
    parser.set_defaults(learning_rate=1e-3, batch_size=16, max_steps=16000, lr_schedule="cosine", warmup_steps=300,
                        ema_decay=0.999)
    return parser.parse_args(argv)


def main(argv=None):
    recipe = DenoiserRecipe(parse_args(argv))
    return train(recipe)


if __name__ == "__main__":
    main()
