"""GAN recipe: DCGAN with the non-saturating loss, lazy R1 and differentiable augmentation.

    python -m train.gan --data ../shared/data/faces/ffhq256 --image_size 64 --output_dir outputs/dcgan-faces

The release is the EMA of G (D stays in the resumable checkpoints).
"""

from __future__ import annotations

import torch

from core.data import ImageFolder
from core.diffaugment import diff_augment
from core.gan import DCGANDiscriminator, DCGANGenerator, discriminator_loss, generator_loss, r1_penalty
from core.realism import realism_accuracy
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


class Blobs(torch.utils.data.Dataset):
    """Coloured discs on gray: a stand-in data set for --dry_run."""

    def __len__(self):
        return 32

    def __getitem__(self, index):
        grid = torch.linspace(-1, 1, 16)
        yy, xx = torch.meshgrid(grid, grid, indexing="ij")
        disc = ((xx - 0.3 * (index % 3 - 1)) ** 2 + yy**2 < 0.3).float()
        return torch.stack([disc * (index % 2), disc * 0.5, -disc]) * 0.8


class GanRecipe(Recipe):
    name = "gan"
    release = "generator"
    license = "cc-by-nc-sa-4.0"

    def __init__(self, args):
        super().__init__(args)
        self.title = f"DCGAN, {args.image_size}x{args.image_size} faces"
        self.description = ("A DCGAN (`core.gan`) trained with the non-saturating loss, lazy R1 (gamma "
                            f"{args.r1_gamma:g} every {args.r1_every} steps) and differentiable augmentation "
                            "(colour, translation, cutout) on both real and generated images.")
        self.data_description = f"{args.data} at {args.image_size}x{args.image_size} (10% held out for the realism score)"
        self.fixed_z = None
        self.step = 0

    def build_models(self):
        size = 16 if self.args.dry_run else self.args.image_size
        width = 8 if self.args.dry_run else self.args.base_channels
        return {"generator": DCGANGenerator(latent_dim=self.args.latent_dim, image_size=size, base_channels=width),
                "discriminator": DCGANDiscriminator(image_size=size, base_channels=width)}

    def build_optimizers(self, models):
        betas = (0.5, 0.99)
        return {name: torch.optim.Adam(model.parameters(), lr=self.args.learning_rate, betas=betas)
                for name, model in models.items()}

    def build_dataset(self):
        if self.args.dry_run:
            return Blobs()
        return InMemoryImages(ImageFolder(self.args.data, size=self.args.image_size, split="train", val_fraction=0.1))

    def training_step(self, models, real, update):
        generator, discriminator = models["generator"], models["discriminator"]
        z = torch.randn(real.shape[0], self.args.latent_dim, device=real.device)
        # (1) Update D: maximize log D(x) + log(1 - D(G(z))), on augmented images
        fake = generator(z).detach()
        d_loss = discriminator_loss(discriminator(diff_augment(real)), discriminator(diff_augment(fake)))
        metrics = {"d_loss": d_loss.detach()}
        if self.step % self.args.r1_every == 0:  # lazy R1, scaled up to keep its average weight
            real_input = real.detach().requires_grad_(True)
            penalty = r1_penalty(real_input, discriminator(real_input))
            d_loss = d_loss + 0.5 * self.args.r1_gamma * self.args.r1_every * penalty
            metrics["r1"] = penalty.detach()
        update("discriminator", d_loss)
        # (2) Update G: maximize log D(G(z)); D is frozen so G's step leaves no gradient in it
        discriminator.requires_grad_(False)
        g_loss = generator_loss(discriminator(diff_augment(generator(z))))
        update("generator", g_loss)
        discriminator.requires_grad_(True)
        self.step += 1
        return {**metrics, "g_loss": g_loss.detach()}

    @torch.no_grad()
    def sample_images(self, models, device):
        generator = getattr(models["generator"], "module", models["generator"])
        if self.fixed_z is None:
            self.fixed_z = torch.randn(16, self.args.latent_dim, generator=torch.Generator().manual_seed(0))
        return (generator(self.fixed_z.to(device)) + 1) / 2

    grid_columns = 8

    @torch.no_grad()
    def evaluate(self, models, device):
        if self.args.dry_run:
            real = torch.stack([Blobs()[i] for i in range(16)]) * 0.5 + 0.5
        else:
            real = torch.stack(list(ImageFolder(self.args.data, size=self.args.image_size, split="val",
                                                val_fraction=0.1)))
        generator = models["generator"]
        fake = torch.cat([generator.sample(list(range(i, i + 50))) for i in range(0, len(real), 50)])[: len(real)]
        return {"realism_accuracy": realism_accuracy(real, fake.cpu()).accuracy}


def parse_args(argv=None):
    parser = common_parser(__doc__)
    group = parser.add_argument_group("gan")
    group.add_argument("--data", default="../shared/data/faces/ffhq256", help="folder of training images")
    group.add_argument("--image_size", type=int, default=64, help="training resolution (a power of two)")
    group.add_argument("--latent_dim", type=int, default=128, help="size of z")
    group.add_argument("--base_channels", type=int, default=32, help="width at the highest resolution")
    group.add_argument("--r1_gamma", type=float, default=0.1, help="R1 weight (StyleGAN2: 10 at 1024 px)")
    group.add_argument("--r1_every", type=int, default=16, help="lazy regularisation interval")
    parser.set_defaults(learning_rate=2e-4, batch_size=32, max_grad_norm=0.0, ema_decay=0.999)
    return parser.parse_args(argv)


def main(argv=None):
    return train(GanRecipe(parse_args(argv)))


if __name__ == "__main__":
    main()
