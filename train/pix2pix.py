"""pix2pix recipe: U-Net G and PatchGAN D, L1 + cGAN (or an ablation), on a paired folder or any photos.

    python -m train.pix2pix --task facades --data ../shared/data/facades/train --eval_data ../shared/data/facades/val
    python -m train.pix2pix --task facades --objective l1 ...        # the L1-only twin
    python -m train.pix2pix --task inpainting --data ../shared/data/faces/ffhq256
    python -m train.pix2pix --task paired --data hub:user/maps --direction AtoB   # aerial -> map, from the Hub

The release is G (EMA); the paper's ablations are flags: --objective l1 | cgan | l1+cgan, --unconditional.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import ImageOps

from core.adversarial.losses import discriminator_loss, generator_loss
from core.common.data import PairedFolder, image_source
from core.common.images import to_tensor
from core.common.metrics import psnr
from core.pix2pix.networks import PatchDiscriminator, UNetGenerator
from core.pix2pix.tasks import TASKS, jitter_pair, make_input
from train.args import common_parser
from train.loop import Recipe, train


class PairedImages(torch.utils.data.Dataset):
    """(input, target) in [-1, 1], jittered: from an A|B folder, or made on the fly from photos.

    Images are decoded once and kept as uint8 at 1.125 x size (2,000 pairs at 144 px: 250 MB).
    """

    def __init__(self, task: str, data: str, size: int, direction: str = "BtoA", split: str = "all",
                 jitter: bool = True):
        self.task, self.size, self.jitter = task, size, jitter
        stored = int(round(size * 1.125)) if jitter else size
        if TASKS.get(task, TASKS["facades"]).source == "paired":
            folder = PairedFolder(data, size=stored, direction=direction, split=split, val_fraction=0.1)
            pairs = [folder[i] for i in range(len(folder))]
            self.conditions = torch.stack([(c * 255).round().to(torch.uint8) for c, _ in pairs])
            self.targets = torch.stack([(t * 255).round().to(torch.uint8) for _, t in pairs])
        else:
            folder = image_source(data, split=split, val_fraction=0.1)
            self.conditions = None
            self.targets = torch.stack([(to_tensor(ImageOps.fit(folder.load(i), (stored, stored))) * 255).round()
                                        .to(torch.uint8) for i in range(len(folder))])  # centre square

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        # one generator per item, seeded from the global RNG: a seeded (and resumed) run repeats its jitter
        generator = torch.Generator().manual_seed(int(torch.randint(2**62, ())))
        target = self.targets[index].float() / 255
        condition = self.conditions[index].float() / 255 if self.conditions is not None else target[:0]
        if self.jitter:
            condition, target = jitter_pair(condition, target, self.size, generator)
        if self.conditions is None:
            condition = make_input(self.task, target, generator)
        return condition * 2 - 1, target * 2 - 1


class ToyPairs(torch.utils.data.Dataset):
    """Discs on gray; input = their outline, or the task's own input: a stand-in data set for --dry_run and tests."""

    def __init__(self, task: str = "facades"):
        self.task = task

    def __len__(self):
        return 16

    def __getitem__(self, index):
        grid = torch.linspace(-1, 1, 32)
        yy, xx = torch.meshgrid(grid, grid, indexing="ij")
        radius = (xx - 0.2 * (index % 3 - 1)) ** 2 + yy**2
        target = torch.stack([(radius < 0.4).float() * (index % 2), (radius < 0.4).float() * 0.5,
                              -(radius < 0.4).float()]) * 0.8
        if TASKS.get(self.task, TASKS["facades"]).source == "photos":
            return make_input(self.task, (target + 1) / 2, torch.Generator().manual_seed(index)) * 2 - 1, target
        outline = ((radius - 0.4).abs() < 0.08).float()
        return (1 - 2 * outline).expand(3, -1, -1).clone(), target


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
        self.title = f"pix2pix {args.task}, {objective.split(' (')[0]}"
        self.description = (f"A U-Net generator (`core.pix2pix.networks`) trained for {args.task} "
                            f"({TASKS[args.task].description if args.task in TASKS else args.direction}) with "
                            f"{objective}; PatchGAN D with {args.d_layers} strided layers, {args.norm} norm - after "
                            "Isola et al., Image-to-Image Translation with Conditional Adversarial Networks (CVPR 2017).")
        if "ffhq" in args.data.lower():  # models trained on FFHQ inherit its non-commercial licence
            self.license = "cc-by-nc-sa-4.0"
        self.data_description = (f"{args.data}, {args.image_size}x{args.image_size} with resize-crop-mirror jitter; "
                                 f"evaluated on {args.eval_data or 'a 10% hash split'}")

    @property
    def input_channels(self) -> int:
        return TASKS[self.args.task].input_channels if self.args.task in TASKS else 3

    def build_models(self):
        size = 32 if self.args.dry_run else self.args.image_size
        base = 8 if self.args.dry_run else self.args.base_channels
        models = {"generator": UNetGenerator(in_channels=self.input_channels, image_size=size, base_channels=base,
                                             max_channels=4 * base if self.args.dry_run else self.args.max_channels,
                                             norm=self.args.norm)}
        if self.args.objective != "l1":
            models["discriminator"] = PatchDiscriminator(in_channels=self.input_channels, base_channels=base,
                                                         layers=self.args.d_layers, norm=self.args.norm,
                                                         conditional=not self.args.unconditional)
        return models

    def build_optimizers(self, models):
        return {name: torch.optim.Adam(model.parameters(), lr=self.args.learning_rate, betas=(0.5, 0.999))
                for name, model in models.items()}

    def build_dataset(self):
        if self.args.dry_run:
            return ToyPairs(self.args.task)
        split = "all" if self.args.eval_data else "train"
        return PairedImages(self.args.task, self.args.data, self.args.image_size, self.args.direction, split=split)

    def training_step(self, models, batch, update):
        condition, target = batch
        generator = models["generator"]
        fake = generator(condition)
        metrics = {}
        if "discriminator" in models:
            discriminator = models["discriminator"]
            # (1) Update D: real pairs -> 1, generated pairs -> 0, patch by patch
            d_loss = 0.5 * discriminator_loss(discriminator(condition, target), discriminator(condition, fake.detach()),
                                              self.args.gan_mode)  # halved, as the paper slows D relative to G
            update("discriminator", d_loss)
            metrics["d_loss"] = d_loss.detach()
            # (2) Update G: fool D on its pair, and stay near the target in L1
            discriminator.requires_grad_(False)
            adversarial = generator_loss(discriminator(condition, fake), self.args.gan_mode)
            discriminator.requires_grad_(True)
            metrics["g_gan"] = adversarial.detach()
        else:
            adversarial = torch.zeros((), device=fake.device)
        l1 = (fake - target).abs().mean()
        weight = 0.0 if self.args.objective == "cgan" else self.args.l1_weight
        update("generator", adversarial + weight * l1)
        return {**metrics, "l1": l1.detach()}

    def eval_pairs(self):
        if self.args.dry_run:
            return ToyPairs(self.args.task)
        data, split = (self.args.eval_data, "all") if self.args.eval_data else (self.args.data, "val")
        return PairedImages(self.args.task, data, self.args.image_size, self.args.direction, split=split, jitter=False)

    @torch.no_grad()
    def sample_images(self, models, device):
        generator = getattr(models["generator"], "module", models["generator"])
        pairs = self.eval_pairs()
        torch.manual_seed(0)  # the same inpainting holes in every grid
        condition, target = (torch.stack(x) for x in zip(*[pairs[i] for i in range(min(6, len(pairs)))], strict=True))
        fake = generator(condition.to(device)).cpu()
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
            fake = generator(condition[None].to(device)).cpu()[0]
            l1.append(float((fake - target).abs().mean()))
            scores.append(psnr(((target + 1) / 2).permute(1, 2, 0).numpy(), ((fake + 1) / 2).clamp(0, 1).permute(1, 2, 0).numpy()))
        return {"l1": float(np.mean(l1)), "psnr": float(np.mean(scores))}


def parse_args(argv=None):
    parser = common_parser(__doc__)
    group = parser.add_argument_group("pix2pix")
    group.add_argument("--task", default="facades", choices=[*TASKS, "paired"],
                       help="paired tasks read A|B folders; edges, grayscale, inpainting make pairs from photos")
    group.add_argument("--data", default="../shared/data/facades/train", help="folder or hub:<dataset id>")
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
    parser.set_defaults(learning_rate=2e-4, batch_size=8, max_grad_norm=0.0)
    args = parser.parse_args(argv)
    if args.direction is None:
        args.direction = TASKS[args.task].direction if args.task in TASKS else "AtoB"
    return args


def main(argv=None):
    return train(Pix2PixRecipe(parse_args(argv)))


if __name__ == "__main__":
    main()
