"""pix2pix quality on held-out pairs: L1 and PSNR of each twin, realism (L1 + cGAN must beat L1 only), and the
checkerboard.

    python -m bench.pix2pix_quality
    python -m bench.pix2pix_quality --tasks facades --strips bench/figures   # and a README strip per task
    MANIFOLD_WEIGHTS_PIX2PIX_FACADES_L1_CGAN=outputs/p2p/facades-l1-cgan/final python -m bench.pix2pix_quality

Realism is `core.adversarial.realism`: a small critic learns real-vs-generated on half of the held-out targets and
half of a model's outputs for the *other* inputs, and is scored on the rest; 50% = cannot tell (mean ± SD over
critic splits). Inpainting is judged on 48x48 crops around each hole (a real photo at its own hole's place): on
whole images, where most pixels are the real photo, the critic is blind to smears it sees at once in the crop. Grid: `core.common.metrics.period_energy` of the outputs over that of the real photos at 1/2 and
1/4 cycles per pixel, the periods of one and two stride-2 upsamplings (1.0 = as much as real photos have).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from core.adversarial.realism import realism_accuracy
from core.common.display import pixel_grid
from core.common.metrics import period_energy, psnr
from core.hub import load_pretrained
from core.pix2pix.networks import UNetGenerator
from core.pix2pix.tasks import PairedImages

HELD_OUT = {  # set: (task, data, direction, split): never seen in training
    "facades": ("facades", "../shared/data/facades/val", "BtoA", "all"),
    "edges2shoes": ("edges2shoes", "../shared/data/edges2shoes/val", "BtoA", "all"),
    "grayscale": ("grayscale", "../shared/data/photos/bsd100", "BtoA", "all"),
    "inpainting": ("inpainting", "../shared/data/faces/ffhq256", "BtoA", "val"),
    # FFHQ holds out only 105 faces; NVIDIA's StyleGAN faces are 1,000 more the model never saw, photo-like at 128 px
    "inpainting-nv": ("inpainting", "../shared/data/faces/stylegan256", "BtoA", "all"),
}


CROP = 48  # inpainting is judged on this square around each hole's centre (the 128 px image's 37%)


def hole_crops(images: torch.Tensor, holes: torch.Tensor, size: int = CROP) -> torch.Tensor:
    """(N, C, S, S) -> (N, C, size, size): the square centred on each hole's centroid (kept inside the image).
    A real photo is cropped where its own hole would have been, so both sides show the same kind of place."""
    crops = []
    for image, hole in zip(images, holes, strict=True):
        ys, xs = torch.nonzero(hole[0] > 0.5, as_tuple=True)
        side = image.shape[-1]
        cy, cx = (int(ys.float().mean()), int(xs.float().mean())) if len(ys) else (side // 2, side // 2)
        top, left = (min(max(c - size // 2, 0), side - size) for c in (cy, cx))
        crops.append(image[:, top : top + size, left : left + size])
    return torch.stack(crops)


@torch.inference_mode()
def outputs_of(model, conditions, batch=25):
    return torch.cat([model(conditions[i : i + batch]) for i in range(0, len(conditions), batch)])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200, help="held-out pairs per set (at most)")
    parser.add_argument("--repeats", type=int, default=3, help="critic splits")
    parser.add_argument("--tasks", nargs="+", default=list(HELD_OUT), choices=list(HELD_OUT),
                        help="which held-out sets (inpainting-nv: the inpainting twins on NVIDIA's StyleGAN faces)")
    parser.add_argument("--strips", type=Path, help="write pix2pix-<set>.png here: input, L1, L1 + cGAN, truth")
    args = parser.parse_args(argv)
    print(f"pix2pix on held-out pairs at 128x128 (realism: {args.repeats} critic splits; 50% is best; "
          "grid: outputs' power at the upsampling periods over real photos')\n")
    print(f"{'held-out set':<13} {'model':<10} {'pairs':>5} {'L1':>7} {'PSNR dB':>8} {'realism':>16} {'grid 1/2':>9} "
          f"{'grid 1/4':>9}  weights")
    for held_out in args.tasks:
        task, data, direction, split = HELD_OUT[held_out]
        pairs = PairedImages(task, data, 128, direction, split=split, jitter=False)
        torch.manual_seed(0)  # the same holes for both twins
        items = [pairs[i] for i in range(min(args.count, len(pairs)))]
        conditions, targets = (torch.stack(x) for x in zip(*items, strict=True))
        half = len(items) // 2
        real_photos = ((targets + 1) / 2).permute(0, 2, 3, 1).numpy()
        real_grid = {p: period_energy(real_photos, p) for p in (2, 4)}
        strip = [conditions[:4, :3]]
        for objective in ("l1", "l1-cgan"):
            model, source = load_pretrained(UNetGenerator, f"manifold-lab/pix2pix-{task}-{objective}")
            fakes = outputs_of(model, conditions)
            if task == "inpainting":  # as the Space shows it: the photo outside the hole, the model inside
                hole = conditions[:, 3:] * 0.5 + 0.5
                fakes = targets * (1 - hole) + fakes * hole
            l1 = float((fakes - targets).abs().mean())
            scores = np.mean([psnr(((t + 1) / 2).permute(1, 2, 0).numpy(), ((f + 1) / 2).clamp(0, 1).permute(1, 2, 0).numpy())
                              for f, t in zip(fakes, targets, strict=True)])
            # real targets of the first half vs outputs for the second half: no input appears on both sides
            real, generated = (targets[:half] + 1) / 2, ((fakes[half:] + 1) / 2).clamp(0, 1)
            if task == "inpainting":  # most of a whole image is the real photo: judge the hole and its rim only
                real, generated = hole_crops(real, hole[:half]), hole_crops(generated, hole[half:])
            realism = [realism_accuracy(real, generated, seed=s).accuracy for s in range(args.repeats)]
            photos = ((fakes + 1) / 2).clamp(0, 1).permute(0, 2, 3, 1).numpy()
            grid = {p: period_energy(photos, p) / real_grid[p] for p in (2, 4)}
            where = source.path if source.kind == "local" else source.kind
            print(f"{held_out:<13} {objective:<10} {len(items):>5} {l1:>7.4f} {scores:>8.2f} "
                  f"{np.mean(realism):>9.1%} ± {np.std(realism):.1%} {grid[2]:>8.2f}x {grid[4]:>8.2f}x  {where}")
            strip.append(fakes[:4])
        if args.strips:  # rows: input, L1 only, L1 + cGAN, truth; four held-out pairs across
            args.strips.mkdir(parents=True, exist_ok=True)
            rows = torch.stack([*strip, targets[:4]])  # (4 rows, 4 pairs, C, H, W)
            tiles = rows.transpose(0, 1).reshape(-1, *rows.shape[2:])  # pair by pair: one pair per row
            Image.fromarray(pixel_grid(tiles, columns=4, value_range=(-1, 1))).save(args.strips / f"pix2pix-{held_out}.png")


if __name__ == "__main__":
    main()
