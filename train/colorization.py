"""Colourization recipe: the same Colorizer trained with an L2 (regression) or a classification loss.

    python -m train.colorization --head regression     --output_dir outputs/colorizer-l2
    python -m train.colorization --head classification --output_dir outputs/colorizer-classification

Both read the same photos with the same crops and schedule, so the only difference is the loss.
The classification model's ab bins and prior are measured on the training photos before training.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from core.colorization import ab_bins
from core.colorization.model import (
    DEFAULT_TEMPERATURE,
    Colorizer,
    ab_regression_loss,
    rebalanced_cross_entropy,
)
from core.common.color import colorfulness, lab_to_rgb, rgb_to_lab
from core.common.data import RandomCrops, image_source, load_photos
from core.common.metrics import ab_error_auc
from train.args import add_photo_data_args, common_parser
from train.loop import Recipe, train


def split_lab(rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """RGB (B, 3, H, W) -> L (B, 1, H, W) and ab averaged over 4x4 blocks (B, 2, H/4, W/4)."""
    lab = rgb_to_lab(rgb)
    return lab[:, :1], F.avg_pool2d(lab[:, 1:], 4)


class ColorizationRecipe(Recipe):
    name = "colorization"
    release = "colorizer"
    license = "mit"

    def __init__(self, args):
        super().__init__(args)
        self.title = f"Colourization, {args.head} head"
        self.description = (
            "A Colorizer (`core.colorization.model`) predicting ab from L"
            + (" as a distribution over quantized ab bins, trained with class-rebalanced cross-entropy "
               f"(lambda {args.rebalance:g}) and decoded by the annealed mean (T = {args.temperature:g})" if args.head == "classification"
               else " directly, trained with an L2 loss (it regresses to the mean colour)")
            + " - after Zhang, Isola & Efros, Colorful Image Colorization (ECCV 2016).")
        self.data_description = f"{args.crop}x{args.crop} random crops of {args.data}; evaluated on {args.eval_data}"
        self._training_images = None

    def build_dataset(self):
        if self._training_images is None:
            self._training_images = RandomCrops(image_source(self.args.data), crop=self.args.crop,
                                                length=self.args.batch_size * 1000)
        return self._training_images

    def measure_gamut(self):
        """ab histogram of every training photo (quarter resolution, as the targets)."""
        counts = np.zeros((len(ab_bins.CENTERS_1D),) * 2)
        images = [torch.from_numpy(a).permute(2, 0, 1)[None].float().div(255) for a in self.build_dataset().arrays]
        for rgb in images:
            counts += ab_bins.ab_histogram(split_lab(rgb)[1])
        return ab_bins.gamut_from_histogram(counts)

    def build_models(self):
        channels = self.args.base_channels
        if self.args.head == "regression":
            return {"colorizer": Colorizer(head="regression", num_bins=0, base_channels=channels)}
        centers, prior = self.measure_gamut()
        model = Colorizer(head="classification", num_bins=len(centers), base_channels=channels)
        smooth = ab_bins.smoothed_prior(centers, prior, sigma=5.0)
        model.ab_centers.copy_(torch.from_numpy(centers))
        model.prior.copy_(torch.from_numpy(smooth))
        model.class_weights.copy_(torch.from_numpy(ab_bins.rebalancing_weights(smooth, mix=self.args.rebalance)))
        self.model = model  # read its bins and weights here; `models` may be wrapped for several GPUs
        return {"colorizer": model}

    def training_step(self, models, rgb, update):
        model = models["colorizer"]
        lightness, target_ab = split_lab(rgb)
        output = model(lightness)
        if self.args.head == "classification":
            soft = ab_bins.soft_encode(target_ab, self.model.ab_centers)
            loss = rebalanced_cross_entropy(output, soft, self.model.class_weights)
        else:
            loss = ab_regression_loss(output, target_ab)
        update("colorizer", loss)
        return {"loss": loss.detach()}

    def eval_images(self, count: int) -> list[np.ndarray]:
        return load_photos(self.args.eval_data, count)

    @torch.no_grad()
    def predict(self, model, rgb: torch.Tensor) -> torch.Tensor:
        lightness = rgb_to_lab(rgb)[:, :1]
        ab = model.colorize(lightness, temperature=self.args.temperature) if self.args.head == "classification" \
            else model.colorize(lightness)
        return lab_to_rgb(torch.cat([lightness, ab], dim=1))

    @torch.no_grad()
    def sample_images(self, models, device):
        rgb = torch.stack([torch.from_numpy(im[:96, :96]).permute(2, 0, 1) for im in self.eval_images(4)]).to(device)
        gray = rgb_to_lab(rgb)[:, :1].repeat(1, 3, 1, 1) / 100
        return torch.cat([gray, self.predict(models["colorizer"], rgb), rgb])

    grid_columns = 4

    @torch.no_grad()
    def evaluate(self, models, device):
        predicted, truth, aucs = [], [], []
        for image in self.eval_images(self.args.eval_count):
            rgb = torch.from_numpy(image).permute(2, 0, 1)[None].to(device)
            output = self.predict(models["colorizer"], rgb)
            aucs.append(ab_error_auc(rgb_to_lab(output)[0, 1:], rgb_to_lab(rgb)[0, 1:]))
            predicted.append(colorfulness(output[0].permute(1, 2, 0).cpu().numpy()))
            truth.append(colorfulness(image))
        return {"colorfulness": float(np.mean(predicted)), "colorfulness_ground_truth": float(np.mean(truth)),
                "ab_error_auc": float(np.mean(aucs))}


def parse_args(argv=None):
    parser = common_parser(__doc__)
    group = parser.add_argument_group("colorization")
    group.add_argument("--head", default="classification", choices=["classification", "regression"],
                       help="the loss: Q-way rebalanced cross-entropy, or L2 on ab")
    add_photo_data_args(group, crop=96)
    group.add_argument("--base_channels", type=int, default=32, help="network width")
    group.add_argument("--rebalance", type=float, default=0.5, help="lambda: mix of prior and uniform")
    group.add_argument("--temperature", type=float, default=DEFAULT_TEMPERATURE,
                       help="annealed-mean temperature for samples (the Space's default)")
    # Defaults = the released models' recipe (see their model cards), so a plain run reproduces them.
    parser.set_defaults(learning_rate=1e-3, batch_size=16, max_steps=5000, lr_schedule="cosine", warmup_steps=200,
                        ema_decay=0.999)
    return parser.parse_args(argv)


def main(argv=None):
    return train(ColorizationRecipe(parse_args(argv)))


if __name__ == "__main__":
    main()
