"""GAN recipe: DCGAN, style-based DCGAN, StyleGAN2-style or FastGAN, with differentiable augmentation; the non-saturating loss and
lazy R1 (DCGAN, StyleGAN), or the hinge loss and D's self-supervised reconstruction (FastGAN).

    python -m train.gan --arch stylegan --data ../shared/data/faces/ffhq256 --image_size 64 --output_dir outputs/stylegan-faces
    python -m train.gan --arch fastgan --data ../shared/data/faces/ffhq256 --image_size 64 --output_dir outputs/fastgan-faces
    python -m train.gan --arch style-dcgan --data outputs/data/faces64.npz --init_from generator=core/bundled_weights/dcgan-faces \
        --init_from discriminator=core/bundled_weights/dcgan-faces-discriminator --base_channels 64 --d_base_channels 32 \
        --output_dir outputs/style-dcgan-faces

The release is the EMA of G in final/, and D (live weights) in final/discriminator/ for the quiz.
"""

from __future__ import annotations

import json

import numpy as np
import torch

from core.adversarial.diffaugment import diff_augment
from core.adversarial.losses import discriminator_loss, frozen, generator_loss, r1_penalty
from core.adversarial.realism import realism_accuracy
from core.common.data import ImageFolder, image_source
from core.gan.dcgan import DCGANDiscriminator, DCGANGenerator
from core.gan.fastgan import FastGANDiscriminator, FastGANGenerator, reconstruction_loss
from core.gan.style_dcgan import StyleDCGANGenerator
from core.gan.stylegan import StyleGANDiscriminator, StyleGANGenerator
from train.args import common_parser
from train.loop import Recipe, train


class InMemoryImages(torch.utils.data.Dataset):
    """Decoded, resized images in [-1, 1], held in memory (1,000 faces at 64x64 are 49 MB)."""

    def __init__(self, folder: ImageFolder):
        self.images = torch.stack([folder[i] for i in range(len(folder))]) * 2 - 1

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        image = self.images[index]
        return image.flip(2) if torch.rand(()) < 0.5 else image  # mirrored faces are faces too


def face_set_description(path: str) -> str:
    """A card's data line for a face set from train.face_data: what is in it, how it was split, under which terms."""
    with np.load(path) as arrays:
        manifest = json.loads(str(arrays["manifest"]))
    parts = [f"{counts['credit']}, {counts['licence']}: {counts['train']:,} training faces, {counts['val']:,} held out"
             for name, counts in manifest["sources"].items()]
    return (f"`{path}`, faces framed like FFHQ at {manifest['size']}x{manifest['size']} by `python -m train.face_data` "
            f"(dlib's 68 landmarks; near-duplicates dropped): " + "; ".join(parts) + ". Non-commercial terms apply.")


class GanRecipe(Recipe):
    name = "gan"
    release = "generator"
    also_release = ("discriminator",)
    license = "cc-by-nc-sa-4.0"

    def __init__(self, args):
        super().__init__(args)
        model = {"dcgan": "A DCGAN (`core.gan.dcgan`)",
                 "stylegan": "A StyleGAN2-style generator and residual discriminator (`core.gan.stylegan`), with "
                             f"style mixing (p {args.style_mixing_prob:g}),",
                 "style-dcgan": "A style-based DCGAN (`core.gan.style_dcgan`: a mapping network z -> w, the first w as the "
                                "4x4 input and every batch norm's scale and bias from its layer's w; style mixing p "
                                f"{args.style_mixing_prob:g}) "
                                "and DCGAN's discriminator,",
                 "fastgan": "A FastGAN (`core.gan.fastgan`: skip-layer excitation in G, spectral norm, a "
                            f"self-supervised reconstruction loss on D, weight {args.reconstruction_weight:g})"}[args.arch]
        names = {"dcgan": "DCGAN", "style-dcgan": "Style-based DCGAN", "stylegan": "StyleGAN2-style GAN", "fastgan": "FastGAN"}
        self.title = f"{names[args.arch]}, {args.image_size}x{args.image_size} faces"
        loss = {"vanilla": "the non-saturating loss", "hinge": "the hinge loss", "lsgan": "the least-squares loss"}
        penalty = f", lazy R1 (gamma {args.r1_gamma:g} every {args.r1_every} steps)" if args.r1_gamma > 0 else ""
        self.description = (f"{model} trained with {loss[args.loss]}{penalty} and differentiable augmentation "
                            f"({', '.join(args.augment)}) on both real and generated images.")
        self.data_description = (face_set_description(args.data) if args.data.endswith(".npz") else
                                 f"{args.data} at {args.image_size}x{args.image_size} (10% held out for the realism score)")

    def augment(self, images):
        return diff_augment(images, self.args.augment)

    def build_models(self):
        size = self.args.image_size
        if self.args.arch == "stylegan":
            base = self.args.channel_base
            return {"generator": StyleGANGenerator(latent_dim=self.args.latent_dim, w_dim=self.args.latent_dim,
                                                   mapping_layers=self.args.mapping_layers, image_size=size,
                                                   channel_base=base, max_channels=base // 4,
                                                   noise=self.args.noise == "on"),
                    "discriminator": StyleGANDiscriminator(image_size=size, channel_base=self.args.d_channel_base or base,
                                                           max_channels=(self.args.d_channel_base or base) // 4)}
        width = self.args.base_channels
        if self.args.arch == "style-dcgan":
            return {"generator": StyleDCGANGenerator(latent_dim=self.args.latent_dim,
                                                     mapping_layers=self.args.mapping_layers, image_size=size,
                                                     base_channels=width),
                    "discriminator": DCGANDiscriminator(image_size=size, base_channels=self.args.d_base_channels or width,
                                                        stddev_group=self.args.stddev_group)}
        if self.args.arch == "fastgan":
            return {"generator": FastGANGenerator(latent_dim=self.args.latent_dim, image_size=size, base_channels=width),
                    "discriminator": FastGANDiscriminator(image_size=size, base_channels=width)}
        return {"generator": DCGANGenerator(latent_dim=self.args.latent_dim, image_size=size, base_channels=width),
                "discriminator": DCGANDiscriminator(image_size=size, base_channels=self.args.d_base_channels or width,
                                                    stddev_group=self.args.stddev_group)}

    def generate(self, generator, z):
        if self.args.arch in ("stylegan", "style-dcgan"):
            return generator(z, style_mixing_prob=self.args.style_mixing_prob)
        return generator(z)

    def build_optimizers(self, models):
        betas = {"stylegan": (0.0, 0.99), "dcgan": (0.5, 0.99), "style-dcgan": (0.5, 0.99), "fastgan": (0.5, 0.999)}[self.args.arch]  # StyleGAN2: no momentum
        return {name: torch.optim.Adam(model.parameters(), lr=self.args.learning_rate, betas=betas)
                for name, model in models.items()}

    def build_dataset(self):
        return InMemoryImages(image_source(self.args.data, size=self.args.image_size, split="train", val_fraction=0.1))

    def training_step(self, models, real, update):
        generator, discriminator = models["generator"], models["discriminator"]
        z = torch.randn(real.shape[0], self.args.latent_dim, device=real.device)
        loss = self.args.loss
        # (1) Update D: maximize log D(x) + log(1 - D(G(z))), on augmented images
        fake = self.generate(generator, z).detach()
        if self.args.arch == "fastgan":  # D also rebuilds the real image and a random quarter from its features
            # (through D's forward, with output=: the only way into a module wrapped for several processes)
            real_logits, *rebuilt = discriminator(self.augment(real), output="reconstruct",
                                                  quarter=int(torch.randint(4, ())))
            reconstruction = reconstruction_loss(rebuilt)
            d_loss = (discriminator_loss(real_logits, discriminator(self.augment(fake), output="patches"), loss)
                      + self.args.reconstruction_weight * reconstruction)
            metrics = {"d_loss": d_loss.detach(), "reconstruction": reconstruction.detach()}
        else:
            d_loss = discriminator_loss(discriminator(self.augment(real)), discriminator(self.augment(fake)), loss)
            metrics = {"d_loss": d_loss.detach()}
        if self.args.r1_gamma > 0 and self.step % self.args.r1_every == 0:  # lazy R1, scaled up to keep its average weight
            real_input = real.detach().requires_grad_(True)
            penalty = r1_penalty(real_input, discriminator(real_input))
            d_loss = d_loss + 0.5 * self.args.r1_gamma * self.args.r1_every * penalty
            metrics["r1"] = penalty.detach()
        update("discriminator", d_loss)
        # (2) Update G: maximize log D(G(z)), through a frozen D
        with frozen(discriminator):
            g_loss = generator_loss(discriminator(self.augment(self.generate(generator, z))), loss)
            update("generator", g_loss)
        return {**metrics, "g_loss": g_loss.detach()}

    @torch.no_grad()
    def sample_images(self, models, device):
        return models["generator"].sample(list(range(16))).to(device)

    grid_columns = 8

    @torch.no_grad()
    def evaluate(self, models, device):
        real = torch.stack(list(image_source(self.args.data, size=self.args.image_size, split="val", val_fraction=0.1)))
        generator = models["generator"]
        fake = torch.cat([generator.sample(list(range(i, i + 50))) for i in range(0, len(real), 50)])[: len(real)]
        return {"realism_accuracy": realism_accuracy(real, fake.cpu()).accuracy}


def parse_args(argv=None):
    parser = common_parser(__doc__)
    group = parser.add_argument_group("gan")
    group.add_argument("--arch", default="dcgan", choices=["dcgan", "style-dcgan", "stylegan", "fastgan"],
                       help="generator and discriminator")
    group.add_argument("--loss", default=None, choices=["vanilla", "hinge", "lsgan"],
                       help="GAN loss (default: hinge for fastgan, else vanilla, i.e. non-saturating)")
    group.add_argument("--reconstruction_weight", type=float, default=1.0,
                       help="fastgan: weight of D's self-supervised reconstruction loss")
    group.add_argument("--augment", type=lambda text: tuple(x for x in text.split(",") if x), default=None,
                       help="DiffAugment policy, e.g. color,translation,cutout (default; color,translation for fastgan)")
    group.add_argument("--data", default="../shared/data/faces/ffhq256",
                       help="a folder of images, hub:<dataset id> or synthetic:<kind> (core.common.data)")
    group.add_argument("--image_size", type=int, default=64, help="training resolution (a power of two)")
    group.add_argument("--latent_dim", type=int, default=128, help="size of z")
    group.add_argument("--base_channels", type=int, default=32, help="width at the highest resolution")
    group.add_argument("--d_base_channels", type=int, default=None, help="dcgan, style-dcgan: D's width (default: G's)")
    group.add_argument("--stddev_group", type=int, default=0,
                       help="dcgan: minibatch standard deviation in D over groups of this size (0: off; StyleGAN's D: 4)")
    group.add_argument("--channel_base", type=int, default=1024,
                       help="stylegan: width at resolution r is min(channel_base / 4, channel_base / r)")
    group.add_argument("--d_channel_base", type=int, default=None, help="stylegan: D's channel_base (default: G's)")
    group.add_argument("--mapping_layers", type=int, default=None,
                       help="stylegan, style-dcgan: depth of the mapping network z -> w (default 4; style-dcgan 2, "
                            "as StyleGAN2-ADA's setting for new data sets)")
    group.add_argument("--noise", default="on", choices=["on", "off"], help="stylegan: per-pixel noise inputs")
    group.add_argument("--style_mixing_prob", type=float, default=0.9, help="stylegan: style mixing regularisation")
    group.add_argument("--r1_gamma", type=float, default=None,
                       help="R1 weight, 0 for none (default 0.1; 0 for fastgan, whose D has batch norm; StyleGAN2: 10 at 1024 px)")
    group.add_argument("--r1_every", type=int, default=16, help="lazy regularisation interval")
    parser.set_defaults(learning_rate=2e-4, batch_size=32, max_grad_norm=0.0, ema_decay=0.999)
    args = parser.parse_args(argv)
    if args.loss is None:
        args.loss = "hinge" if args.arch == "fastgan" else "vanilla"
    if args.augment is None:
        args.augment = ("color", "translation") if args.arch == "fastgan" else ("color", "translation", "cutout")
    if args.mapping_layers is None:
        args.mapping_layers = 2 if args.arch == "style-dcgan" else 4
    if args.r1_gamma is None:
        args.r1_gamma = 0.0 if args.arch == "fastgan" else 0.1
    return args


def main(argv=None):
    return train(GanRecipe(parse_args(argv)))


if __name__ == "__main__":
    main()
