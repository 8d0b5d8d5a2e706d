"""x4 super-resolution recipe: one network, three losses (L2, deep features, deep features + GAN).

    python -m train.super_resolution --loss l2 --output_dir outputs/sr-l2
    python -m train.super_resolution --loss feature --init outputs/sr-l2/final --output_dir outputs/sr-feature
    python -m train.super_resolution --loss feature+gan --init outputs/sr-l2/final --output_dir outputs/sr-gan

As in SRGAN (Ledig et al. 2017), the feature and GAN models start from the L2 model's weights. High-
resolution crops come from --data; their low-resolution inputs are made on the fly with antialiased
bicubic downscaling, rounded to 8 bits, the same degradation the benchmark uses.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from core.adversarial.features import FeatureLoss, feature_network
from core.adversarial.losses import discriminator_loss, frozen, generator_loss
from core.common.data import RandomCrops, image_source
from core.common.metrics import psnr_y, ssim_y
from core.pix2pix.networks import PatchDiscriminator
from core.super_resolution.losses import FeatureWeights, feature_objective
from core.super_resolution.model import (
    SuperResolutionNet,
    crop_to_multiple,
    downscale,
    pil_bicubic_upscale,
    pil_downscale,
    upscale,
)
from train.args import add_photo_data_args, common_parser
from train.loop import Recipe, train

LOSSES = ("l2", "feature", "feature+gan")


def low_resolution(high: torch.Tensor, scale: int) -> torch.Tensor:
    """What a camera file would hold: antialiased bicubic downscale, rounded to 8 bits."""
    return (downscale(high, scale) * 255).round() / 255


class SuperResolutionRecipe(Recipe):
    name = "super_resolution"
    release = "sr"
    license = "mit"

    def __init__(self, args):
        super().__init__(args)
        if args.loss not in LOSSES:
            raise ValueError(f"--loss must be one of {LOSSES}")
        self.feature_loss, self.feature_description = None, ""
        if args.loss != "l2":
            network, self.feature_description = feature_network(args.feature_net)
            self.feature_loss = FeatureLoss(network)
        if args.loss == "feature+gan":
            self.also_release = ("discriminator",)
        label = {"l2": "L2 (pixel MSE)", "feature": "deep-feature loss",
                 "feature+gan": "deep-feature + adversarial loss"}[args.loss]
        self.title = f"x{args.scale} super-resolution, {label}"
        losses = {
            "l2": "the mean squared error to the high-resolution crop",
            "feature": (f"a feature-matching loss (Johnson et al. 2016) on {self.feature_description}, plus "
                        f"{args.consistency_weight:g} x MSE between the output downscaled x{args.scale} and the input "
                        "(colours stay put without pulling detail towards the blurry mean) and a small anchor, "
                        f"{args.pixel_weight:g} x the pixel MSE, against grid artefacts"),
            "feature+gan": (f"the feature loss (on {self.feature_description}, plus {args.consistency_weight:g} x the "
                            f"downscale consistency MSE and {args.pixel_weight:g} x the pixel MSE) and {args.adversarial_weight:g} x a non-saturating GAN loss from an unconditional "
                            "PatchGAN discriminator on the high-resolution crops (SRGAN, Ledig et al. 2017)"),
        }[args.loss]
        start = f" Initialised from {args.init} (the L2 model), as SRGAN does." if args.init else ""
        self.description = (f"`core.super_resolution.model.SuperResolutionNet` (width {args.width}, {args.blocks} residual "
                            f"blocks, sub-pixel output over a bicubic base) trained with {losses}.{start}")
        self.data_description = (f"{args.crop}x{args.crop} random crops (flips, 90-degree turns) of {args.data}; "
                                 f"evaluated on {args.eval_data}: PSNR/SSIM on Y, {args.scale}-pixel border cropped")

    def build_models(self):
        a = self.args
        if a.init:
            sr = SuperResolutionNet.from_pretrained(a.init)
        else:
            sr = SuperResolutionNet(scale=a.scale, width=a.width, blocks=a.blocks)
        models = {"sr": sr}
        if a.loss == "feature+gan":
            models["discriminator"] = PatchDiscriminator(out_channels=3, base_channels=a.d_channels, layers=a.d_layers,
                                                         conditional=False)
        return models

    def build_optimizers(self, models):
        return {name: torch.optim.Adam(model.parameters(), lr=self.args.learning_rate) for name, model in models.items()}

    def build_dataset(self):
        return RandomCrops(image_source(self.args.data), crop=self.args.crop, length=self.args.batch_size * 1000)

    def training_step(self, models, high, update):
        a = self.args
        sr = models["sr"]
        low = low_resolution(high, a.scale)
        output = sr(low).float()
        if a.loss == "l2":
            loss = F.mse_loss(output, high)
            update("sr", loss)
            return {"loss": loss.detach(), "psnr": -10 * torch.log10(loss.detach().clamp_min(1e-10))}
        metrics = {}
        if a.loss == "feature+gan":  # (1) D: real crops vs super-resolved crops
            discriminator = models["discriminator"]
            d_loss = 0.5 * discriminator_loss(discriminator(None, high * 2 - 1), discriminator(None, output.detach() * 2 - 1))
            update("discriminator", d_loss)
            metrics["d_loss"] = d_loss.detach()
        weights = FeatureWeights(a.feature_weight, a.consistency_weight, a.pixel_weight)
        loss, parts = feature_objective(output, high, low, a.scale, self.feature_loss.to(high.device), weights)
        if a.loss == "feature+gan":  # (2) G: fool D, through a frozen D
            with frozen(discriminator):
                adversarial = generator_loss(discriminator(None, output * 2 - 1))
            loss = loss + a.adversarial_weight * adversarial
            metrics["adversarial"] = adversarial.detach()
        update("sr", loss)
        return {**metrics, **parts, "psnr": -10 * torch.log10(parts["pixel_mse"].clamp_min(1e-10))}

    def eval_images(self, count: int) -> list[Image.Image]:
        folder = image_source(self.args.eval_data)
        return [crop_to_multiple(folder.load(i), self.args.scale) for i in range(min(count, len(folder)))]

    @torch.no_grad()
    def sample_images(self, models, device):
        high = crop_to_multiple(self.eval_images(1)[0], self.args.scale)
        low = pil_downscale(high, self.args.scale)
        rows = [pil_bicubic_upscale(low, self.args.scale), upscale(models["sr"], low), high]
        return torch.stack([torch.from_numpy(np.asarray(r, np.float32) / 255).permute(2, 0, 1) for r in rows])

    @torch.no_grad()
    def evaluate(self, models, device):
        sr = models["sr"]
        scores = {"psnr_y": [], "ssim_y": [], "bicubic_psnr_y": [], "bicubic_ssim_y": []}
        for high in self.eval_images(self.args.eval_count):
            low = pil_downscale(high, self.args.scale)
            reference = np.asarray(high, np.float32) / 255
            for prefix, result in (("", upscale(sr, low)), ("bicubic_", pil_bicubic_upscale(low, self.args.scale))):
                result = np.asarray(result, np.float32) / 255
                scores[f"{prefix}psnr_y"].append(psnr_y(reference, result, self.args.scale))
                scores[f"{prefix}ssim_y"].append(ssim_y(reference, result, self.args.scale))
        return {name: float(np.mean(values)) for name, values in scores.items()}


def parse_args(argv=None):
    parser = common_parser(__doc__)
    group = parser.add_argument_group("super-resolution")
    add_photo_data_args(group, crop=128)
    group.add_argument("--loss", default="l2", choices=LOSSES, help="what the network is trained to minimise")
    group.add_argument("--init", default=None, help="start from these released weights (a final/ folder)")
    group.add_argument("--scale", type=int, default=4, help="upscaling factor")
    group.add_argument("--width", type=int, default=48, help="feature channels")
    group.add_argument("--blocks", type=int, default=8, help="residual blocks")
    group.add_argument("--feature_net", default="colorizer", choices=["vgg16", "colorizer"],
                       help="the feature loss's network: our colourizer's features (offline; the releases) or "
                            "VGG-16 from the Hub; chosen here, never by whether the Hub answers")
    group.add_argument("--d_channels", type=int, default=32, help="feature+gan: PatchGAN width")
    group.add_argument("--d_layers", type=int, default=3, help="feature+gan: PatchGAN strided layers")
    group.add_argument("--feature_weight", type=float, default=1.0, help="weight of the feature loss")
    group.add_argument("--consistency_weight", type=float, default=100.0,
                       help="weight of MSE(downscale(output), input) in the feature losses")
    group.add_argument("--pixel_weight", type=float, default=10.0,
                       help="weight of the pixel MSE in the feature losses (a small anchor against grid artefacts)")
    group.add_argument("--adversarial_weight", type=float, default=5e-3,
                       help="weight of the GAN loss (SRGAN: 1e-3 beside a rescaled VGG loss; ESRGAN: 5e-3)")
    parser.set_defaults(learning_rate=5e-4, batch_size=16, max_steps=10000, lr_schedule="cosine", warmup_steps=200,
                        eval_count=100, sample_every=1000, checkpoint_every=500, mixed_precision="bf16")
    return parser.parse_args(argv)


def main(argv=None):
    return train(SuperResolutionRecipe(parse_args(argv)))


if __name__ == "__main__":
    main()
