"""Structured prediction recipes: street-scene labels (the two CamVid twins) and face depth.

    python -m train.image_prediction --twin skips --output_dir outputs/runs/image-prediction-skips
    python -m train.image_prediction --twin no-skips --output_dir outputs/runs/image-prediction-no-skips
    python -m train.image_prediction --data synthetic:streets --eval_data synthetic:streets --dry_run   # plumbing
    python -m train.image_prediction --task depth --data outputs/data/face-depth64.npz \
        --output_dir outputs/runs/face-depth
    python -m train.image_prediction --task depth --data synthetic:faces --dry_run                      # plumbing

Labels: per-pixel cross-entropy with median-frequency class weights, void ignored; photos decoded once at the
working size (--width x --height, cached in outputs/cache), then randomly scaled, flipped and cropped. The twins
differ in --twin only: same widths, blocks, steps and data, so the skip connections are the one variable.

Depth: Eigen et al.'s coarse + fine networks on aligned faces and their MediaPipe pseudo depth maps
(`train.face_depth_data`), the scale-invariant loss inside the face, flips and small shifts; scored on the held-out
split against the mean face's depth (the answer that ignores the photo).
"""

from __future__ import annotations

import argparse

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
from core.image_prediction.depth import CAMERA_DISTANCE as CAMERA
from core.image_prediction.depth import FaceDepthNet, depth_loss, log_depth_target, scale_invariant_error
from core.image_prediction.depth_data import FaceDepthPairs, load_face_depth, synthetic_faces
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


class FaceDepthRecipe(Recipe):
    name = "image_prediction"
    release = "depth"
    license = "other"  # faces: FFHQ CC BY-NC-SA 4.0, CelebA research use (see the card's data line)
    title = "Face depth from one photo (Eigen-style coarse + fine networks)"

    def __init__(self, args):
        super().__init__(args)
        self.description = (
            f"`core.image_prediction.depth.FaceDepthNet` (coarse widths {args.widths}, fully connected {args.hidden}, "
            f"fine width {args.fine_width}): a coarse network with a global view and a fine network that refines it, "
            "predicting log depth and a face mask, trained with the scale-invariant error (lambda 0.5). After Eigen, "
            "Puhrsch & Fergus, Depth Map Prediction from a Single Image using a Multi-Scale Deep Network (NeurIPS 2014).")
        self.data_description = (
            f"{args.data}: aligned 64x64 faces (`python -m train.face_data`: FFHQ, CC BY-NC-SA 4.0, Karras, Laine & "
            "Aila, NVIDIA; CelebA, non-commercial research use only, Liu, Luo, Wang & Tang, CUHK) with pseudo depth "
            "maps from MediaPipe's 478-point face mesh (`python -m train.face_depth_data`, mediapipe 0.10.14), "
            f"left-right flips and shifts up to {args.shift} px; evaluated on the held-out split. Non-commercial terms "
            "apply.")
        if args.data.startswith("synthetic:"):
            self.train_set, self.eval_set = synthetic_faces(32), synthetic_faces(8, seed=1)
        else:
            self.train_set, self.eval_set = load_face_depth(args.data, "train"), load_face_depth(args.data, "val")
        images, depth, mask = self.train_set  # the mean face: the answer that ignores the photo (the baseline)
        target = np.log(CAMERA + depth)
        covered = mask.sum(0)
        mean = np.where(covered > 0, (target * mask).sum(0) / np.maximum(covered, 1), np.log(CAMERA))
        self.mean_face = torch.from_numpy(mean).float()[None, None]

    def build_models(self):
        a = self.args
        model = FaceDepthNet(image_size=self.train_set[0].shape[1], widths=a.widths, hidden=a.hidden,
                             fine_width=a.fine_width)
        model.mean_face.copy_(self.mean_face)  # the prior it refines (a checkpoint or --init_from overrides it)
        return {"depth": model}

    def build_optimizers(self, models):
        return {"depth": torch.optim.AdamW(models["depth"].parameters(), lr=self.args.learning_rate,
                                           weight_decay=self.args.weight_decay)}

    def build_dataset(self):
        return FaceDepthPairs(*self.train_set, shift=self.args.shift)

    def training_step(self, models, batch, update):
        photos, depth, mask = batch
        log_depth, mask_logit = models["depth"](photos)
        loss = depth_loss(log_depth, mask_logit, log_depth_target(depth), mask, mask_weight=self.args.mask_weight)
        update("depth", loss)
        error = scale_invariant_error(log_depth.detach().float(), log_depth_target(depth), mask, weight=1.0)
        return {"loss": loss.detach(), "si_rmse": error.sqrt()}

    def held_out(self, device):
        images, depth, mask = (torch.from_numpy(a) for a in self.eval_set[:3])
        photos = images.permute(0, 3, 1, 2).float().to(device) / 255
        return photos, log_depth_target(depth[:, None]).to(device), mask[:, None].to(device)

    @torch.no_grad()
    def sample_images(self, models, device):
        """Rows: four held-out faces, their target depth, the predicted depth (both inside the target's mask, each
        shown near = bright over its own range), the predicted face mask."""
        photos, target, mask = self.held_out(device)
        spread = torch.linspace(0, len(photos) - 1, 4).round().long()
        photos, target, mask = photos[spread], target[spread], mask[spread]
        log_depth, mask_logit = models["depth"](photos)

        def shown(values):
            inside = torch.where(mask, values, torch.nan).flatten(1)
            low, high = inside.nanquantile(0.02, 1)[:, None, None, None], inside.nanquantile(0.98, 1)[:, None, None, None]
            return torch.where(mask, 1 - ((values - low) / (high - low + 1e-6)).clamp(0, 1), 0).expand(-1, 3, -1, -1)

        return torch.cat([photos, shown(target), shown(log_depth), mask_logit.sigmoid().expand(-1, 3, -1, -1)]).cpu()

    grid_columns = 4

    @torch.no_grad()
    def evaluate(self, models, device):
        """Scale-invariant log RMSE inside the held-out faces' masks, the network against the mean face, and the
        face mask's intersection over union."""
        photos, target, mask = self.held_out(device)
        network, mean_face, union, overlap = [], [], 0, 0
        for start in range(0, len(photos), 64):
            batch = slice(start, start + 64)
            log_depth, mask_logit = models["depth"](photos[batch])
            for predicted, errors in ((log_depth, network), (self.mean_face.to(device).expand_as(log_depth), mean_face)):
                errors += [scale_invariant_error(predicted[i:i + 1], target[batch][i:i + 1], mask[batch][i:i + 1],
                                                 weight=1.0).sqrt().item() for i in range(len(predicted))]
            guess = mask_logit > 0
            overlap += (guess & mask[batch]).sum().item()
            union += (guess | mask[batch]).sum().item()
        return {"si_rmse": float(np.mean(network)), "si_rmse_mean_face": float(np.mean(mean_face)),
                "mask_iou": overlap / max(union, 1), "faces": len(network)}


def parse_depth_args(argv):
    parser = common_parser(__doc__)
    parser.add_argument("--task", choices=["labels", "depth"], default="labels")
    group = parser.add_argument_group("depth")
    group.add_argument("--data", default="outputs/data/face-depth64.npz",
                       help="`python -m train.face_depth_data`'s array file, or synthetic:faces")
    group.add_argument("--widths", type=integers, default=(32, 64, 96, 128), help="coarse network's channels per level")
    group.add_argument("--hidden", type=int, default=512, help="coarse network's fully connected width")
    group.add_argument("--fine_width", type=int, default=32, help="fine network's channels")
    group.add_argument("--shift", type=int, default=4, help="random shifts up to this many pixels")
    group.add_argument("--mask_weight", type=float, default=1.0,
                       help="weight of the face mask's cross-entropy beside the depth error (0.1 left the mask blurry)")
    group.add_argument("--weight_decay", type=float, default=1e-4, help="AdamW weight decay")
    # fp32: this machine's CPU has no bf16 instructions (bf16 autocast: 9.3 s a step against 1.2 at batch 32);
    # fine width 32 and batch 16: 0.22 s a step on one thread
    parser.set_defaults(learning_rate=1e-3, batch_size=16, max_steps=3000, lr_schedule="cosine", warmup_steps=100,
                        ema_decay=0.999, checkpoint_every=500, sample_every=500)
    return parser.parse_args(argv)


def parse_args(argv=None):
    task = argparse.ArgumentParser(add_help=False)
    task.add_argument("--task", choices=["labels", "depth"], default="labels",
                      help="labels: CamVid street scenes (the twins); depth: faces")
    if task.parse_known_args(argv)[0].task == "depth":
        return parse_depth_args(argv)
    parser = common_parser(__doc__)
    parser.add_argument("--task", choices=["labels", "depth"], default="labels",
                        help="labels: CamVid street scenes (the twins); depth: faces")
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
    args = parse_args(argv)
    return train(FaceDepthRecipe(args) if args.task == "depth" else SegmentationRecipe(args))


if __name__ == "__main__":
    main()
