"""Street-scene segmentation recipe: one of the twins (with or without skip connections) on CamVid.

    python -m train.image_prediction --twin skips --output_dir outputs/runs/image-prediction-skips
    python -m train.image_prediction --twin no-skips --output_dir outputs/runs/image-prediction-no-skips
    python -m train.image_prediction --data synthetic:streets --eval_data synthetic:streets --dry_run   # plumbing

Per-pixel cross-entropy with median-frequency class weights, void ignored; photos decoded once at the working
size (--width x --height, cached in outputs/cache), then randomly scaled, flipped and cropped. The twins differ in
--twin only: same widths, blocks, steps and data, so the skip connections are the one variable.
"""

from __future__ import annotations

import numpy as np
import torch

from core.image_prediction.camvid import (
    NUM_CLASSES,
    VOID,
    SegmentationPairs,
    colourize,
    decode_folder,
    median_frequency_weights,
    synthetic_streets,
)
from core.image_prediction.model import SegmentationNet, label_map, predict, segmentation_loss
from core.image_prediction.scores import SegmentationScores
from train.args import common_parser
from train.loop import Recipe, train


def integers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(","))


class SegmentationRecipe(Recipe):
    name = "image_prediction"
    release = "segmenter"
    license = "other"  # CamVid: research use (see the card's data line)

    def __init__(self, args):
        super().__init__(args)
        skips = args.twin == "skips"
        self.title = f"CamVid street-scene segmenter, {'with' if skips else 'without'} skip connections"
        self.description = (
            f"An encoder-decoder (`core.image_prediction.model.SegmentationNet`, widths {args.widths}, blocks "
            f"{args.blocks}) {'with U-Net-like skip connections' if skips else 'without skip connections (FCN-32s-like)'}, "
            f"trained from scratch to label each pixel as one of {NUM_CLASSES} classes; per-pixel cross-entropy with "
            f"{'median-frequency class weights' if args.class_weighting == 'median' else 'no class weights'}, void ignored."
            " After Long et al., Fully Convolutional Networks for Semantic Segmentation (CVPR 2015), and Ronneberger "
            "et al., U-Net (MICCAI 2015).")
        self.data_description = (f"{args.data} at {args.width}x{args.height}, random scale {args.min_scale:g}-"
                                 f"{args.max_scale:g}, left-right flips, {args.crop_width}x{args.crop_height} crops; "
                                 f"evaluated on {args.eval_data} at its own resolution. CamVid: Brostow, Fauqueur & "
                                 "Cipolla (2009), as prepared for SegNet; research use")
        self.images, self.labels = self.load(args.data, args.width, args.height)
        weights = (median_frequency_weights(self.labels) if args.class_weighting == "median"
                   else (np.bincount(self.labels.ravel(), minlength=256)[:NUM_CLASSES] > 0).astype(np.float32))
        self.class_weights = torch.from_numpy(weights)

    def load(self, data: str, width: int, height: int):
        if data.startswith("synthetic:"):  # a tiny seeded street set for tests and dry runs
            return synthetic_streets(count=16, width=width, height=height)
        return decode_folder(data, width, height, self.args.cache_dir)

    def build_models(self):
        a = self.args
        model = SegmentationNet(num_classes=NUM_CLASSES, widths=a.widths, blocks=a.blocks, skips=a.twin == "skips",
                                input_width=a.width, input_height=a.height)
        return {"segmenter": model.to(memory_format=torch.channels_last) if a.channels_last else model}

    def build_optimizers(self, models):
        return {"segmenter": torch.optim.AdamW(models["segmenter"].parameters(), lr=self.args.learning_rate,
                                               weight_decay=self.args.weight_decay)}

    def build_dataset(self):
        a = self.args
        return SegmentationPairs(self.images, self.labels, crop=(a.crop_height, a.crop_width),
                                 scale=(a.min_scale, a.max_scale))

    def training_step(self, models, batch, update):
        photos, labels = batch  # (B, 3, h, w) in [0, 1], (B, h, w) class ids with VOID
        if self.args.channels_last:
            photos = photos.contiguous(memory_format=torch.channels_last)
        logits = models["segmenter"](photos)  # (B, 11, h, w)
        loss = segmentation_loss(logits, labels, self.class_weights.to(logits.device), void=VOID)
        update("segmenter", loss)
        labelled = labels != VOID
        accuracy = (logits.max(1).indices == labels)[labelled].float().mean()
        return {"loss": loss.detach(), "pixel_accuracy": accuracy.detach()}

    def eval_pairs(self):
        """Held-out photos and labels at the eval set's own resolution (the bench's protocol)."""
        a = self.args
        if a.eval_data.startswith("synthetic:"):
            images, labels = synthetic_streets(count=4, width=a.width, height=a.height, seed=1)
        else:
            images, labels = decode_folder(a.eval_data, a.eval_width, a.eval_height, a.cache_dir)
        return images[: a.eval_count], labels[: a.eval_count]

    @torch.no_grad()
    def sample_images(self, models, device):
        """Rows: four held-out photos spread over the set (neighbours are frames of one video), the model's labels,
        the true labels (void black)."""
        images, labels = self.eval_pairs()
        spread = np.linspace(0, len(images) - 1, 4).round().astype(int)
        images, labels = images[spread], labels[spread]
        photos = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
        predicted = [label_map(predict(models["segmenter"], photo.to(device))).cpu().numpy() for photo in photos]
        as_tensor = lambda maps: torch.from_numpy(np.stack([colourize(m) for m in maps])).permute(0, 3, 1, 2) / 255  # noqa: E731
        return torch.cat([photos, as_tensor(predicted), as_tensor(labels)])

    grid_columns = 4

    @torch.no_grad()
    def evaluate(self, models, device):
        images, labels = self.eval_pairs()
        scores = SegmentationScores()
        for image, label in zip(images, labels, strict=True):
            photo = torch.from_numpy(image).permute(2, 0, 1).float().to(device) / 255
            scores.add(label_map(predict(models["segmenter"], photo)).cpu().numpy(), label)
        result = scores.result()
        return {key: value for key, value in result.items() if key != "iou"}


def parse_args(argv=None):
    parser = common_parser(__doc__)
    group = parser.add_argument_group("segmentation")
    group.add_argument("--twin", default="skips", choices=["skips", "no-skips"],
                       help="decoder with U-Net-like skip connections, or without (FCN-32s-like)")
    group.add_argument("--data", default="../shared/data/camvid/train",
                       help="a folder with images/ and labels/ (CamVid layout), or synthetic:streets")
    group.add_argument("--eval_data", default="../shared/data/camvid/val", help="held-out folder (same layout)")
    group.add_argument("--eval_count", type=int, default=101, help="held-out pairs to evaluate on")
    group.add_argument("--eval_width", type=int, default=480, help="held-out labels are scored at this size")
    group.add_argument("--eval_height", type=int, default=360)
    group.add_argument("--cache_dir", default="outputs/cache", help="decoded folders are kept here as .npz")
    group.add_argument("--width", type=int, default=240, help="working size: photos decoded (and predicted) at it")
    group.add_argument("--height", type=int, default=180)
    group.add_argument("--crop_width", type=int, default=176, help="training crop, after random scaling")
    group.add_argument("--crop_height", type=int, default=128)
    group.add_argument("--min_scale", type=float, default=0.75, help="random scale range of the working-size photo")
    group.add_argument("--max_scale", type=float, default=1.5)
    group.add_argument("--widths", type=integers, default=(16, 32, 64, 128), help="channels per level, e.g. 16,32,64,128")
    group.add_argument("--blocks", type=integers, default=(1, 2, 2, 4), help="residual blocks per encoder level")
    group.add_argument("--class_weighting", default="median", choices=["median", "none"],
                       help="median-frequency balancing (SegNet) or plain cross-entropy")
    group.add_argument("--weight_decay", type=float, default=1e-4, help="AdamW weight decay")
    group.add_argument("--no_channels_last", dest="channels_last", action="store_false",
                       help="NCHW tensors (channels-last is the default: on 1 CPU thread with bf16, 0.45 s a step "
                            "against 0.57 s)")
    # Defaults = the pilot's recipe: bf16 autocast, batch 8, cosine from 2e-3.
    parser.set_defaults(learning_rate=2e-3, batch_size=8, max_steps=3000, lr_schedule="cosine", warmup_steps=100,
                        mixed_precision="bf16", ema_decay=0.999, checkpoint_every=250, sample_every=250)
    return parser.parse_args(argv)


def main(argv=None):
    return train(SegmentationRecipe(parse_args(argv)))


if __name__ == "__main__":
    main()
