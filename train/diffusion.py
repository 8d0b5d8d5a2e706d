"""Diffusion recipe: a DDPM (cosine schedule, eps or v prediction, optional Min-SNR weighting), sampled with DDIM.

    python -m train.diffusion --data mnist:../shared/data/mnist --output_dir outputs/digits-diffusion
    python -m train.diffusion --data ../shared/data/faces/ffhq256 --block_channels 32,64,128 \\
        --output_dir outputs/faces-diffusion

`--data` follows core.common.data: a folder of images, mnist:<dir>, hub:<dataset id> or synthetic:<kind>.

With `--text`, the model is conditioned on each picture's words and sampled with classifier-free guidance
(core.diffusion.text); `--data` is then an .npz of captioned pictures (train.emoji_data) or synthetic:captioned:

    python -m train.emoji_data --package emoji-datasource-google-16.0.0.tgz --output outputs/data/emoji32.npz
    python -m train.diffusion --text --data outputs/data/emoji32.npz --output_dir outputs/runs/emoji-diffusion
"""

from __future__ import annotations

import random
from collections import Counter

import torch

from core.adversarial.realism import realism_accuracy
from core.diffusion.data import load_captioned, load_images
from core.diffusion.guidance_check import category_prompt, train_judge
from core.diffusion.losses import diffusion_loss
from core.diffusion.model import PREDICTION_TYPES, DiffusionModel, sample
from core.diffusion.text import MAX_WORDS, NOTHING, PAD, TextToImageModel, sample_from_text, words_of
from train.args import common_parser
from train.loop import Recipe, train


class ImageTensors(torch.utils.data.Dataset):
    """Images (N, C, S, S) in [-1, 1] held in memory; mirrored at random where that keeps them valid."""

    def __init__(self, images: torch.Tensor, mirror: bool):
        self.images, self.mirror = images, mirror

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        image = self.images[index]
        return image.flip(2) if self.mirror and torch.rand(()) < 0.5 else image


class DiffusionRecipe(Recipe):
    name = "diffusion"
    release = "model"
    license = "mit"

    def __init__(self, args):
        super().__init__(args)
        digits = args.data.startswith("mnist:")
        self.license = "cc-by-sa-3.0" if digits else "cc-by-nc-sa-4.0"
        what = "digits" if digits else "images"
        self.title = f"DDPM, {args.image_size}x{args.image_size} {what} (diffusers UNet2DModel)"
        self.description = (
            "A denoising diffusion model (Ho et al. 2020): a diffusers `UNet2DModel` predicts "
            + ("the noise eps" if args.prediction_type == "epsilon" else "v (Salimans & Ho 2022)") + " in x_t, "
            + ("trained with the plain MSE" if args.min_snr_gamma is None else
               f"trained with Min-SNR-{args.min_snr_gamma:g} weighting (Hang et al. 2023)")
            + f", uniformly drawn t of {args.num_train_timesteps}, a "
            f"{args.beta_schedule} noise schedule and an EMA of the weights (decay {args.ema_decay:g}). "
            "Sample with DDIM (25 steps) or ancestral DDPM through `core.diffusion.model.sample`.")
        self.data_description = (f"{args.data} at {args.image_size}x{args.image_size}"
                                 + (" (MNIST train; realism scored on MNIST test)" if digits
                                    else " (10% held out for the realism score)"))

    def build_models(self):
        a = self.args
        channels = 1 if a.data.startswith("mnist:") else 3
        self.model = DiffusionModel(image_size=a.image_size, channels=channels, block_channels=a.block_channels,
                                    attention_levels=a.attention_levels, layers_per_block=a.layers_per_block,
                                    num_train_timesteps=a.num_train_timesteps, beta_schedule=a.beta_schedule,
                                    norm_groups=a.norm_groups, prediction_type=a.prediction_type)
        return {"model": self.model}

    def build_dataset(self):
        return ImageTensors(load_images(self.args.data, self.args.image_size, "train") * 2 - 1,
                            mirror=not self.args.data.startswith("mnist:"))

    def training_step(self, models, clean, update):
        loss = diffusion_loss(self.model, clean, self.args.min_snr_gamma, network=models["model"])
        update("model", loss)
        return {"loss": loss.detach()}

    grid_columns = 8

    @torch.no_grad()
    def sample_images(self, models, device):
        images = sample(models["model"], list(range(16)), steps=25).final
        return (images * 0.5 + 0.5).expand(-1, 3, -1, -1)

    @torch.no_grad()
    def evaluate(self, models, device):
        """Realism (classifier two-sample test, 50% best) of 25-step DDIM samples against held-out images."""
        model = models["model"]
        real = load_images(self.args.data, self.args.image_size, "val")[: self.args.eval_count]
        fake = torch.cat([sample(model, list(range(i, min(i + 100, len(real)))), steps=25).final
                          for i in range(0, len(real), 100)]).cpu() * 0.5 + 0.5
        return {"realism_accuracy_ddim25": realism_accuracy(real, fake).accuracy}


class CaptionedTensors(torch.utils.data.Dataset):
    """(image in [-1, 1], word ids): each caption thinned to a random part of its words, or, `drop` of the time,
    to no description at all, so the one network learns p(x | words) for short and long prompts, and p(x)."""

    def __init__(self, images: torch.Tensor, word_ids: list[list[int]], drop: float):
        self.images, self.word_ids, self.drop = images, word_ids, drop

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        ids = torch.full((MAX_WORDS,), PAD, dtype=torch.long)
        words = self.word_ids[index]
        if random.random() < self.drop or not words:
            kept = [NOTHING]
        else:
            keep = random.uniform(0.2, 1.0)  # how much of the caption a prompt says, from a word or two to all of it
            kept = [w for w in words if random.random() < keep] or [random.choice(words)]
        ids[: len(kept[:MAX_WORDS])] = torch.tensor(kept[:MAX_WORDS])
        return self.images[index], ids


PREVIEW_PROMPTS = ("red heart", "blue heart", "cat face", "dog face", "pizza", "car", "flag", "grinning face")


class TextToImageRecipe(DiffusionRecipe):
    """The same DDPM objective, the U-Net also given the caption's words (core.diffusion.text)."""

    def __init__(self, args):
        super().__init__(args)
        self.license = "apache-2.0"
        self.title = f"Text-to-image DDPM, {args.image_size}x{args.image_size} emoji (bag of words + classifier-free guidance)"
        self.description = (
            "A denoising diffusion model (a diffusers `UNet2DModel`) conditioned on a description: each known word "
            "has a learned vector, a description is their mean, added to the U-Net's timestep embedding. Captions are "
            f"thinned at random in training and dropped {args.condition_drop:.0%} of the time, so the same network is "
            "also the unconditional model; sample with classifier-free guidance (Ho & Salimans 2022) through "
            "`core.diffusion.text.sample_from_text`.")
        self.data_description = (f"{args.data} at {args.image_size}x{args.image_size}: emoji pictures with the words "
                                 "of their names, short names, subcategory and category (train.emoji_data); a tenth "
                                 "of the emoji held out for the guidance check")
        self.captioned = load_captioned(args.data, args.image_size, "train")

    def build_models(self):
        a = self.args
        counts = Counter(w for caption in self.captioned.captions for w in dict.fromkeys(words_of(caption)))
        vocabulary = tuple(sorted(counts, key=lambda w: (-counts[w], w)))
        self.model = TextToImageModel(vocabulary=vocabulary, image_size=a.image_size, block_channels=a.block_channels,
                                      attention_levels=a.attention_levels, layers_per_block=a.layers_per_block,
                                      num_train_timesteps=a.num_train_timesteps, beta_schedule=a.beta_schedule,
                                      norm_groups=a.norm_groups, prediction_type=a.prediction_type,
                                      word_gain=a.word_gain)
        return {"model": self.model}

    def build_dataset(self):
        ids = [[self.model.word_ids[w] for w in dict.fromkeys(words_of(c))] for c in self.captioned.captions]
        return CaptionedTensors(self.captioned.images * 2 - 1, ids, self.args.condition_drop)

    def training_step(self, models, batch, update):
        clean, word_ids = batch
        network = models["model"]
        loss = diffusion_loss(self.model, clean, self.args.min_snr_gamma,
                              network=lambda noisy, t: network(noisy, t, word_ids))
        update("model", loss)
        return {"loss": loss.detach()}

    @torch.no_grad()
    def sample_images(self, models, device):
        """Two seeds of each preview prompt at guidance 3, a column per prompt."""
        model = models["model"]
        rows = [torch.cat([sample_from_text(model, prompt, [seed], steps=25, guidance=3.0).final
                           for prompt in PREVIEW_PROMPTS]) for seed in (0, 1)]
        return torch.cat(rows) * 0.5 + 0.5

    @torch.no_grad()
    def evaluate(self, models, device):
        """How often a classifier trained on the same pictures finds the prompted category, by guidance."""
        model, a = models["model"], self.args
        val = load_captioned(a.data, a.image_size, "val")
        judge = train_judge(self.captioned.images, self.captioned.categories, val.images, val.categories,
                            steps=a.judge_steps)
        metrics = {"judge_val_accuracy": judge.val_accuracy}
        seeds = list(range(a.eval_count))
        for guidance in (0.0, 1.0, 3.0):
            rates = [judge.rate(sample_from_text(model, category_prompt(c), seeds, steps=25, guidance=guidance).final
                                * 0.5 + 0.5, c) for c in judge.classes]
            metrics[f"category_rate_guidance_{guidance:g}"] = sum(rates) / len(rates)
        return metrics


def int_list(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def parse_args(argv=None):
    parser = common_parser(__doc__)
    group = parser.add_argument_group("diffusion")
    group.add_argument("--data", default="mnist:../shared/data/mnist",
                       help="a folder of images, mnist:<dir>, hub:<dataset id> or synthetic:<kind> (core.common.data)")
    group.add_argument("--image_size", type=int, default=32, help="training resolution (MNIST is padded 28 -> 32)")
    group.add_argument("--block_channels", type=int_list, default=(32, 64, 64), help="U-Net widths per resolution")
    group.add_argument("--attention_levels", type=int_list, default=(2,), help="resolutions with self-attention")
    group.add_argument("--layers_per_block", type=int, default=1, help="ResNet blocks per resolution")
    group.add_argument("--norm_groups", type=int, default=8, help="GroupNorm groups (widths must divide)")
    group.add_argument("--num_train_timesteps", type=int, default=1000, help="T of the forward process")
    group.add_argument("--beta_schedule", default="squaredcos_cap_v2", choices=["linear", "squaredcos_cap_v2"])
    group.add_argument("--prediction_type", default="epsilon", choices=PREDICTION_TYPES, help="what the U-Net predicts")
    group.add_argument("--min_snr_gamma", type=float, default=None, help="Min-SNR-gamma loss weighting (paper: 5)")
    group.add_argument("--eval_count", type=int, default=500,
                       help="held-out images for the realism score (--text: samples per category for the guidance check)")
    group.add_argument("--text", action="store_true", help="condition on each picture's words (core.diffusion.text)")
    group.add_argument("--condition_drop", type=float, default=0.15, help="--text: how often a caption is dropped")
    group.add_argument("--word_gain", type=float, default=10.0,
                       help="--text: the description vector's scale against the timestep embedding (core.diffusion.text)")
    group.add_argument("--judge_steps", type=int, default=600, help="--text: training steps of the guidance check's classifier")
    parser.set_defaults(learning_rate=5e-4, batch_size=64, max_steps=4000, lr_schedule="cosine", warmup_steps=200,
                        ema_decay=0.999, mixed_precision="bf16", sample_every=500)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    return train(TextToImageRecipe(args) if args.text else DiffusionRecipe(args))


if __name__ == "__main__":
    main()
