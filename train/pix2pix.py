"""pix2pix recipe: U-Net G and PatchGAN D, L1 + cGAN (or an ablation), on a paired folder or any photos.

    python -m train.pix2pix --task facades --data ../shared/data/facades/train --eval_data ../shared/data/facades/val
    python -m train.pix2pix --task facades --objective l1 ...        # the L1-only twin
    python -m train.pix2pix --task inpainting --data ../shared/data/faces/ffhq256
    python -m train.pix2pix --task streets --data ../shared/data/camvid/train --eval_data ../shared/data/camvid/val
    python -m train.pix2pix --task paired --data hub:user/maps --direction AtoB   # aerial -> map, from the Hub

The release is G (EMA); the paper's ablations are flags: --objective l1 | cgan | l1+cgan, --unconditional.
"""

from __future__ import annotations

import numpy as np
import torch

from core.adversarial.losses import discriminator_loss, frozen, generator_loss
from core.common.metrics import psnr
from core.pix2pix.networks import PatchDiscriminator, UNetGenerator
from core.pix2pix.streets import HEIGHT, WIDTH, StreetPairs
from core.pix2pix.tasks import TASKS, PairedImages
from train.args import common_parser
from train.loop import Recipe, train


class Pix2PixRecipe(Recipe):
    name = "pix2pix"
    release = "generator"
    license = "mit"

    def __init__(self, args):
        super().__init__(args)
        objective = {"l1+cgan": f"L1 (lambda {args.l1_weight:g}) + conditional GAN ({args.gan_mode})",
                     "l1": "L1 only (the blurry baseline)", "cgan": f"cGAN only ({args.gan_mode}), no L1"}[args.objective]
        if args.unconditional and args.objective != "l1":
            objective += ", unconditional D (sees only the output)"
        self.title = f"pix2pix {args.task}, {dict(l1='L1 only', cgan='cGAN only').get(args.objective, 'L1 + cGAN')}"
        self.description = (f"A U-Net generator (`core.pix2pix.networks`) trained for {args.task} "
                            f"({TASKS[args.task].description if args.task in TASKS else args.direction}) with "
                            f"{objective}; {args.upsample} upsampling in G; PatchGAN D with {args.d_layers} strided layers, "
                            f"{args.norm} norm{', spectral norm' if args.spectral_norm else ''}, learning rate "
                            f"{args.d_learning_rate or args.learning_rate:g} (G {args.learning_rate:g})"
                            f"{'; the loss sees the photo outside the hole, as the Space shows it' if args.task == 'inpainting' else ''}"
                            " - after "
                            "Isola et al., Image-to-Image Translation with Conditional Adversarial Networks (CVPR 2017).")
        if "ffhq" in args.data.lower():  # models trained on FFHQ inherit its non-commercial licence
            self.license = "cc-by-nc-sa-4.0"
        frame = f"{WIDTH}x{HEIGHT}" if args.task == "streets" else f"{args.image_size}x{args.image_size}"
        self.data_description = (f"{args.data}, {frame} with resize-crop-mirror jitter; "
                                 f"evaluated on {args.eval_data or 'a 10% hash split'}")
        if args.task == "streets":
            self.license = "other"  # CamVid: research use
            self.data_description += ("; CamVid (Brostow, Fauqueur & Cipolla 2009, as prepared for SegNet): research "
                                      "use, cite. Inputs are the label maps in SegNet's CamVid colours, void black")
        if args.task == "inpainting":
            self.data_description += ("; holes are the Space's brush strokes (`core.pix2pix.tasks.brush_mask`: 1-3 "
                                      "strokes 3-14% of the side wide, 30% of first strokes across the eyes, 40% of "
                                      "the others scribbles), covering 2-16% of the image (5th-95th percentile)")

    @property
    def input_channels(self) -> int:
        return TASKS[self.args.task].input_channels if self.args.task in TASKS else 3

    def build_models(self):
        a = self.args
        models = {"generator": UNetGenerator(in_channels=self.input_channels, image_size=a.image_size,
                                             base_channels=a.base_channels, max_channels=a.max_channels, norm=a.norm,
                                             upsample=a.upsample, depth=a.depth)}
        if self.args.objective != "l1":
            models["discriminator"] = PatchDiscriminator(in_channels=self.input_channels, base_channels=a.base_channels,
                                                         layers=self.args.d_layers, norm=self.args.norm,
                                                         conditional=not self.args.unconditional,
                                                         spectral_norm=self.args.spectral_norm)
        return models

    def build_optimizers(self, models):
        rates = {"generator": self.args.learning_rate, "discriminator": self.args.d_learning_rate or self.args.learning_rate}
        return {name: torch.optim.Adam(model.parameters(), lr=rates[name], betas=(0.5, 0.999)) for name, model in models.items()}

    def build_dataset(self):
        if self.args.task == "streets":
            return StreetPairs(self.args.data)
        split = "all" if self.args.eval_data else "train"
        return PairedImages(self.args.task, self.args.data, self.args.image_size, self.args.direction, split=split)

    def training_step(self, models, batch, update):
        condition, target = batch
        generator = models["generator"]
        fake = self.as_shown(condition, target, generator(condition))
        metrics = {}
        if "discriminator" in models:
            discriminator = models["discriminator"]
            # (1) Update D: real pairs -> 1, generated pairs -> 0, patch by patch
            d_loss = 0.5 * discriminator_loss(discriminator(condition, target), discriminator(condition, fake.detach()),
                                              self.args.gan_mode)  # halved, as the paper slows D relative to G
            update("discriminator", d_loss)
            metrics["d_loss"] = d_loss.detach()
            # (2) Update G: fool D on its pair (through a frozen D), and stay near the target in L1
            with frozen(discriminator):
                adversarial = generator_loss(discriminator(condition, fake), self.args.gan_mode)
            metrics["g_gan"] = adversarial.detach()
        else:
            adversarial = torch.zeros((), device=fake.device)
        l1 = (fake - target).abs().mean()
        weight = 0.0 if self.args.objective == "cgan" else self.args.l1_weight
        update("generator", adversarial + weight * l1)
        return {**metrics, "l1": l1.detach()}

    def as_shown(self, condition, photo, fake):
        """Inpainting: the photo outside the hole and G's output inside, what the Space shows and D should judge.
        L1 then counts only the hole, and D cannot tell real from fake by G's copy of the known pixels."""
        if self.args.task != "inpainting":
            return fake
        hole = condition[:, 3:] * 0.5 + 0.5
        return photo * (1 - hole) + fake * hole

    def eval_pairs(self):
        if self.args.task == "streets":
            return StreetPairs(self.args.eval_data or self.args.data, jitter=False)
        data, split = (self.args.eval_data, "all") if self.args.eval_data else (self.args.data, "val")
        return PairedImages(self.args.task, data, self.args.image_size, self.args.direction, split=split, jitter=False)

    @torch.no_grad()
    def sample_images(self, models, device):
        generator = models["generator"]
        pairs = self.eval_pairs()
        torch.manual_seed(0)  # the same inpainting holes in every grid
        condition, target = (torch.stack(x) for x in zip(*[pairs[i] for i in range(min(6, len(pairs)))], strict=True))
        fake = self.as_shown(condition, target, generator(condition.to(device)).cpu())
        shown = condition[:, :3]  # inpainting: the photo with its hole
        return (torch.cat([shown, fake, target]) + 1) / 2

    grid_columns = 6

    @torch.no_grad()
    def evaluate(self, models, device):
        generator = models["generator"]
        pairs = self.eval_pairs()
        torch.manual_seed(0)
        l1, scores = [], []
        for index in range(min(len(pairs), self.args.eval_count)):
            condition, target = pairs[index]
            fake = self.as_shown(condition[None], target[None], generator(condition[None].to(device)).cpu())[0]
            l1.append(float((fake - target).abs().mean()))
            scores.append(psnr(((target + 1) / 2).permute(1, 2, 0).numpy(), ((fake + 1) / 2).clamp(0, 1).permute(1, 2, 0).numpy()))
        return {"l1": float(np.mean(l1)), "psnr": float(np.mean(scores))}


def parse_args(argv=None):
    parser = common_parser(__doc__)
    group = parser.add_argument_group("pix2pix")
    group.add_argument("--task", default="facades", choices=[*TASKS, "paired"],
                       help="paired tasks read A|B folders; edges, grayscale, inpainting make pairs from photos")
    group.add_argument("--data", default="../shared/data/facades/train",
                       help="a folder, hub:<dataset id> or synthetic:<kind> (core.common.data; synthetic:pairs is A|B)")
    group.add_argument("--eval_data", default=None, help="held-out folder (default: a 10%% split of --data)")
    group.add_argument("--eval_count", type=int, default=100, help="held-out pairs to evaluate")
    group.add_argument("--direction", default=None, choices=["AtoB", "BtoA"], help="input half of A|B (task default)")
    group.add_argument("--objective", default="l1+cgan", choices=["l1+cgan", "l1", "cgan"], help="the paper's ablations")
    group.add_argument("--unconditional", action="store_true", help="D sees only the output (ablation)")
    group.add_argument("--gan_mode", default="vanilla", choices=["vanilla", "lsgan"], help="adversarial loss")
    group.add_argument("--l1_weight", type=float, default=100.0, help="lambda")
    group.add_argument("--image_size", type=int, default=128, help="training resolution (power of two)")
    group.add_argument("--base_channels", type=int, default=32, help="G and D width at full resolution")
    group.add_argument("--max_channels", type=int, default=128, help="G's widest level")
    group.add_argument("--d_layers", type=int, default=2, help="D's strided layers: 2 -> 34 px patches, 3 -> 70 px")
    group.add_argument("--norm", default="instance", choices=["instance", "batch"], help="normalisation in G and D")
    group.add_argument("--upsample", default="resize", choices=["resize", "transpose"],
                       help="G's decoder: nearest x2 + 3x3 conv (no checkerboard), or the paper's transposed conv")
    group.add_argument("--depth", type=int, default=None,
                       help="U-Net levels (default: down to 1x1; streets: 5, so 128x96 fits)")
    group.add_argument("--spectral_norm", action="store_true", help="spectral norm on every conv of D")
    group.add_argument("--d_learning_rate", type=float, default=None, help="D's learning rate (default: G's)")
    parser.set_defaults(learning_rate=2e-4, batch_size=8, max_grad_norm=0.0)
    args = parser.parse_args(argv)
    if args.task == "streets":
        if args.image_size != WIDTH:
            parser.error(f"--task streets trains at {WIDTH}x{HEIGHT}: --image_size must be {WIDTH}")
        args.depth = args.depth or 5
    if args.direction is None:
        args.direction = TASKS[args.task].direction if args.task in TASKS else "AtoB"
    return args


def main(argv=None):
    return train(Pix2PixRecipe(parse_args(argv)))


if __name__ == "__main__":
    main()
