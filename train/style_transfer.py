"""Feed-forward style transfer recipe (Johnson et al. 2016): one network per painting, trained on photos.

    python -m train.style_transfer --style spaces/style-transfer/styles/van-gogh-auvers.jpg \
        --output_dir outputs/style-van-gogh-auvers

The loss is the optimisation's (`core.style_transfer.gatys.style_losses`): the network's output must keep each
training crop's content maps and match the painting's Gram matrices on the random feature network the Space
uses. Photos: BSDS500 train; held out: BSD100.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from core.common.data import RandomCrops, image_source
from core.style_transfer.features import RandomPyramidFeatures
from core.style_transfer.gatys import gram, style_losses
from core.style_transfer.transform import StyleTransformNet, stylise
from train.args import add_photo_data_args, common_parser
from train.loop import Recipe, train


def load_style(path: str, side: int) -> torch.Tensor:
    image = Image.open(path).convert("RGB")
    image.thumbnail((side, side))
    return torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float() / 255


class StyleTransferRecipe(Recipe):
    name = "style_transfer"
    release = "transform"
    license = "mit"

    def __init__(self, args):
        super().__init__(args)
        self.features = RandomPyramidFeatures(seed=args.feature_seed)
        if args.style.startswith("synthetic:"):  # tests: red stripes, no file needed
            self.style = torch.zeros(1, 3, 64, 64)
            self.style[:, 0, :, ::4] = 1
            self.style_title = "synthetic stripes"
        else:
            self.style = load_style(args.style, args.style_size)
            self.style_title = args.style_title or args.style
        with torch.no_grad():
            maps = self.features(self.style)
        self.style_levels = tuple(range(len(maps)))
        self.style_grams = {i: gram(m) for i, m in enumerate(maps)}
        self.title = f"Feed-forward style transfer: {self.style_title}"
        self.description = (
            f"`core.style_transfer.transform.StyleTransformNet` (width {args.width}, {args.blocks} residual blocks) "
            f"trained to paint photos in the style of {self.style_title} (Johnson et al. 2016): content maps "
            f"(level {args.content_level}) and Gram matrices (all levels, style weight {args.style_weight:g}) of "
            f"`core.style_transfer.features.RandomPyramidFeatures` (seed {args.feature_seed}: random filters, "
            f"not VGG), the loss the Space's optimisation uses.")
        self.data_description = (f"{args.crop}x{args.crop} random crops (flips, 90-degree turns) of {args.data}; "
                                 f"the style image {args.style} at {args.style_size} px; held out: {args.eval_data}")

    def build_models(self):
        return {"transform": StyleTransformNet(width=self.args.width, blocks=self.args.blocks, style=self.style_title)}

    def build_optimizers(self, models):
        return {"transform": torch.optim.Adam(models["transform"].parameters(), lr=self.args.learning_rate)}

    def build_dataset(self):
        return RandomCrops(image_source(self.args.data), crop=self.args.crop, length=self.args.batch_size * 1000)

    def losses(self, painted, photos):
        with torch.no_grad():
            content_maps = dict(enumerate(self.features(photos)))
        grams = {i: g.expand(len(photos), -1, -1) for i, g in self.style_grams.items()}
        return style_losses(self.features, painted, grams, content_maps, (self.args.content_level,), self.style_levels)

    def training_step(self, models, photos, update):
        painted = models["transform"](photos)
        content, style = self.losses(painted, photos)
        update("transform", content + self.args.style_weight * style)
        return {"content_loss": content.detach(), "style_loss": style.detach()}

    def held_out(self, count: int) -> list[Image.Image]:
        folder = image_source(self.args.eval_data)
        images = []
        for index in range(min(count, len(folder))):
            image = folder.load(index).convert("RGB")
            image.thumbnail((256, 256))
            images.append(image)
        return images

    @torch.no_grad()
    def sample_images(self, models, device):
        rows = []
        for image in self.held_out(2):
            rows.append(torch.from_numpy(np.array(image)).permute(2, 0, 1).float() / 255)
            rows.append(torch.from_numpy(np.array(stylise(models["transform"], image))).permute(2, 0, 1).float() / 255)
        height = min(r.shape[1] for r in rows)
        width = min(r.shape[2] for r in rows)
        return torch.stack([r[:, :height, :width] for r in rows])

    @torch.no_grad()
    def evaluate(self, models, device):
        """The same two losses on held-out photos at 256 px (lower = closer to the photo / to the painting)."""
        totals = {"content_loss": [], "style_loss": []}
        for image in self.held_out(self.args.eval_count):
            photo = torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float() / 255
            content, style = self.losses(models["transform"](photo), photo)
            totals["content_loss"].append(float(content))
            totals["style_loss"].append(float(style))
        return {f"eval_{name}": float(np.mean(values)) for name, values in totals.items()}


def parse_args(argv=None):
    parser = common_parser(__doc__)
    group = parser.add_argument_group("style transfer")
    add_photo_data_args(group, crop=128)
    group.add_argument("--style", required=True, help="the painting (an image file), or synthetic:stripes")
    group.add_argument("--style_title", default="", help="the painting's name, for the card and the Space")
    group.add_argument("--style_size", type=int, default=256, help="the painting's long side, pixels")
    group.add_argument("--style_weight", type=float, default=20.0, help="Gram loss weight against the content loss")
    group.add_argument("--content_level", type=int, default=2, help="the feature level whose maps keep the content")
    group.add_argument("--feature_seed", type=int, default=0, help="the random feature network's seed (the Space's: 0)")
    group.add_argument("--width", type=int, default=16, help="transform network: channels at full resolution")
    group.add_argument("--blocks", type=int, default=5, help="transform network: residual blocks")
    parser.set_defaults(learning_rate=1e-3, batch_size=4, max_steps=4000, eval_count=20, sample_every=500,
                        checkpoint_every=500, lr_schedule="cosine", warmup_steps=100)
    return parser.parse_args(argv)


def main(argv=None):
    return train(StyleTransferRecipe(parse_args(argv)))


if __name__ == "__main__":
    main()
