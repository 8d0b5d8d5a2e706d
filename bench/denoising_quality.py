"""Denoising quality on held-out photos: the trained network vs the best-tuned classical filters.

    python -m bench.denoising_quality --data ../shared/data/photos/bsd100 --sigma 25

Every classical filter gets the true noise level and its strength tuned on these very images (an
oracle advantage), so "beats the best classical filter" is a strict bar. The network is blind.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from core.common.data import ImageFolder
from core.common.metrics import psnr, ssim
from core.denoising.classical import CLASSICAL
from core.denoising.model import DenoisingUNet
from core.hub import load_pretrained

STRENGTHS = {"Gaussian blur": [6, 8, 10, 12], "median 3x3": [3], "non-local means": [0.4, 0.5, 0.6, 0.8],
             "total variation": [0.6, 0.8, 1.0]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/photos/bsd100", help="held-out clean photos")
    parser.add_argument("--sigma", type=float, default=25, help="Gaussian noise std in units of 1/255")
    parser.add_argument("--count", type=int, default=100, help="how many photos")
    parser.add_argument("--weights", default="manifold-lab/natural-image-denoiser", help="repo id or folder")
    args = parser.parse_args(argv)

    folder = ImageFolder(args.data)
    images = [np.asarray(folder.load(i), dtype=np.float32) / 255 for i in range(min(args.count, len(folder)))]
    rng = np.random.default_rng(0)
    sigma = args.sigma / 255
    noisy = [np.clip(im + rng.normal(0, sigma, im.shape), 0, 1).astype(np.float32) for im in images]
    rows = [("noisy input", np.mean([psnr(c, n) for c, n in zip(images, noisy, strict=True)]),
             np.mean([ssim(c, n) for c, n in zip(images, noisy, strict=True)]), 0.0, "")]
    for name, method in CLASSICAL.items():
        best = None
        for strength in STRENGTHS[name]:
            kwargs = {"size": strength} if name == "median 3x3" else {"strength": strength}
            started = time.perf_counter()
            outs = [np.clip(method(n, sigma, **kwargs), 0, 1) for n in noisy]
            seconds = (time.perf_counter() - started) / len(outs)
            score = np.mean([psnr(c, o) for c, o in zip(images, outs, strict=True)])
            if best is None or score > best[1]:
                best = (name, score, np.mean([ssim(c, o) for c, o in zip(images, outs, strict=True)]), seconds,
                        f"strength {strength}")
        rows.append(best)
    if args.weights.startswith(("/", ".")):
        import os

        from core.hub import override_variable

        os.environ[override_variable("natural-image-denoiser")] = args.weights
    model, source = load_pretrained(DenoisingUNet, "manifold-lab/natural-image-denoiser")
    with torch.inference_mode():
        started = time.perf_counter()
        outs = [model(torch.from_numpy(n).permute(2, 0, 1)[None])[0].permute(1, 2, 0).clamp(0, 1).numpy()
                for n in noisy]
        seconds = (time.perf_counter() - started) / len(outs)
    network = ("trained network", np.mean([psnr(c, o) for c, o in zip(images, outs, strict=True)]),
               np.mean([ssim(c, o) for c, o in zip(images, outs, strict=True)]), seconds, f"{source.kind} weights")
    rows.append(network)
    best_classical = max(rows[1:-1], key=lambda r: r[1])
    print(f"Colour denoising, Gaussian sigma {args.sigma:g}/255, {len(images)} photos of {args.data}\n")
    print(f"{'method':<18} {'PSNR dB':>8} {'SSIM':>6} {'s/image':>8}  setting")
    for name, score, structural, seconds, note in rows:
        print(f"{name:<18} {score:>8.2f} {structural:>6.3f} {seconds:>8.3f}  {note}")
    print(f"\nnetwork - best classical ({best_classical[0]}): {network[1] - best_classical[1]:+.2f} dB")


if __name__ == "__main__":
    main()
