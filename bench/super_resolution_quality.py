"""x4 super-resolution on a standard test set: PSNR/SSIM (Y, border cropped) and realism of the texture.

    python -m bench.super_resolution_quality --data ../shared/data/photos/bsd100

Each high-resolution image (sides trimmed to a multiple of 4) is shrunk x4 with bicubic (PIL, as MATLAB's
imresize) and upscaled back by bicubic and by the three models. PSNR and SSIM are on the luma channel with
a 4-pixel border cropped, as published tables are (BSD100 x4: bicubic 25.96, ESPCN 26.87, SRResNet 27.58 dB).
Realism: the critic of `core.adversarial.realism` on 64x64 crops at the same places of the originals and of each
method's output, over several splits (50% = indistinguishable from the real photos; 100% = all caught).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from core.adversarial.realism import realism_accuracy
from core.common.data import ImageFolder
from core.common.metrics import psnr_y, ssim_y
from core.hub import load_pretrained
from core.super_resolution.model import (
    SuperResolutionNet,
    crop_to_multiple,
    pil_bicubic_upscale,
    pil_downscale,
    upscale,
)

MODELS = {"L2": "manifold-lab/sr-x4-l2", "perceptual": "manifold-lab/sr-x4-perceptual", "GAN": "manifold-lab/sr-x4-gan"}


def crops(images: list[np.ndarray], per_image: int, side: int, seed: int) -> torch.Tensor:
    """The same `per_image` random side x side crops of every image (same places for every method)."""
    rng = np.random.default_rng(seed)
    out = []
    for image in images:
        for _ in range(per_image):
            top, left = rng.integers(0, image.shape[0] - side), rng.integers(0, image.shape[1] - side)
            out.append(torch.from_numpy(image[top : top + side, left : left + side]).permute(2, 0, 1))
    return torch.stack(out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/photos/bsd100", help="held-out high-resolution photos")
    parser.add_argument("--count", type=int, default=100, help="how many photos")
    parser.add_argument("--repeats", type=int, default=3, help="critic splits per method")
    args = parser.parse_args(argv)
    torch.set_grad_enabled(False)

    models = {name: load_pretrained(SuperResolutionNet, repo)[0] for name, repo in MODELS.items()}
    folder = ImageFolder(args.data)
    outputs: dict[str, list[np.ndarray]] = {"original": [], "bicubic": [], **{name: [] for name in models}}
    scores = {name: ([], []) for name in outputs if name != "original"}
    seconds = dict.fromkeys(scores, 0.0)
    for index in range(min(args.count, len(folder))):
        high = crop_to_multiple(folder.load(index), 4)
        low = pil_downscale(high, 4)
        reference = np.asarray(high, np.float32) / 255
        outputs["original"].append(reference)
        for name in scores:
            started = time.perf_counter()
            result = pil_bicubic_upscale(low, 4) if name == "bicubic" else upscale(models[name], low)
            seconds[name] += time.perf_counter() - started
            result = np.asarray(result, np.float32) / 255
            outputs[name].append(result)
            scores[name][0].append(psnr_y(reference, result))
            scores[name][1].append(ssim_y(reference, result))

    count = len(outputs["original"])
    real = crops(outputs["original"], 8, 64, seed=0)
    print(f"x4 super-resolution on {count} images of {args.data} (Y channel, 4-pixel border cropped)\n")
    print(f"{'method':<12} {'PSNR (dB)':>10} {'vs bicubic':>11} {'SSIM':>7} {'critic accuracy':>18} {'ms/image':>9}")
    bicubic_psnr = np.mean(scores["bicubic"][0])
    for name, (psnrs, ssims) in scores.items():
        fake = crops(outputs[name], 8, 64, seed=0)
        realism = [realism_accuracy(real, fake, seed=seed).accuracy for seed in range(args.repeats)]
        print(f"{name:<12} {np.mean(psnrs):>10.2f} {np.mean(psnrs) - bicubic_psnr:>+11.2f} {np.mean(ssims):>7.4f} "
              f"{np.mean(realism):>11.1%} ± {np.std(realism):.1%} {seconds[name] / count * 1000:>9.1f}")


if __name__ == "__main__":
    main()
