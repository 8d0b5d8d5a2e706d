"""Labels -> street judged as the pix2pix paper judged it: the FCN-score.

    python -m bench.pix2pix_fcn_score --data ../shared/data/camvid/val
    python -m bench.pix2pix_fcn_score --strip bench/figures/pix2pix-streets.png
    MANIFOLD_WEIGHTS_PIX2PIX_STREETS_L1_CGAN=outputs/p2p/streets-l1-cgan/final python -m bench.pix2pix_fcn_score

Each held-out label map goes through both twins (L1 only, L1 + cGAN) at 128x96; our street segmenter
(`manifold-lab/camvid-segmenter-skips`, trained on real CamVid photos only) labels each generated street, and the
labels it reads back are scored against the map the street was generated from: per-pixel accuracy, per-class
accuracy and class IoU, void left out. The real photos, brought to the same 128x96, are the ceiling. A
generator whose streets the segmenter reads as the map it was given made the right things in the right places;
a blur of the average street scores low (Isola et al. 2017, Tables 1-2, on Cityscapes with an FCN-8s: L1
0.42 / 0.15 / 0.11, L1 + cGAN 0.66 / 0.23 / 0.17, real photos 0.80 / 0.26 / 0.21).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from core.common.display import pixel_grid
from core.hub import load_pretrained
from core.image_prediction.camvid import CLASS_NAMES
from core.image_prediction.model import SegmentationNet
from core.image_prediction.scores import SegmentationScores
from core.pix2pix.networks import UNetGenerator
from core.pix2pix.streets import StreetPairs, read_back

TWINS = {"L1 only": "manifold-lab/pix2pix-streets-l1", "L1 + cGAN": "manifold-lab/pix2pix-streets-l1-cgan"}
SEGMENTER = "manifold-lab/camvid-segmenter-skips"
PAPER = {"L1 only": (0.42, 0.15, 0.11), "L1 + cGAN": (0.66, 0.23, 0.17), "real photos": (0.80, 0.26, 0.21)}


@torch.inference_mode()
def fcn_scores(generators: dict, segmenter, pairs: StreetPairs, count: int) -> tuple[dict, list]:
    """{source: SegmentationScores.result()} for each generator and the real photos, and per pair the images
    (label colours, each generator's street, the real photo), all (3, 96, 128) in [0, 1]."""
    scores = {name: SegmentationScores() for name in [*generators, "real photos"]}
    shown = []
    for index in range(min(count, len(pairs))):
        condition, photo = pairs[index]
        labels = pairs.class_ids(index)
        streets = {name: ((g(condition[None])[0] + 1) / 2).clamp(0, 1) for name, g in generators.items()}
        streets["real photos"] = (photo + 1) / 2
        for name, street in streets.items():
            scores[name].add(read_back(segmenter, street), labels)
        shown.append([(condition + 1) / 2, *streets.values()])
    return {name: s.result() for name, s in scores.items()}, shown


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/camvid/val", help="a folder with images/ and labels/")
    parser.add_argument("--count", type=int, default=1000, help="at most this many pairs")
    parser.add_argument("--strip", type=Path, help="write a PNG: labels, L1 only, L1 + cGAN, the real photo; 4 rows")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1"))))

    generators = {name: load_pretrained(UNetGenerator, repo)[0] for name, repo in TWINS.items()}
    segmenter, _ = load_pretrained(SegmentationNet, SEGMENTER)
    pairs = StreetPairs(args.data, jitter=False, cache_dir=None)
    results, shown = fcn_scores(generators, segmenter, pairs, args.count)
    print(f"FCN-score on {min(args.count, len(pairs))} pairs of {args.data} at 128x96, read by {SEGMENTER} "
          "(per-pixel acc. / per-class acc. / class IoU; the paper's Cityscapes numbers in brackets)")
    for name, result in results.items():
        paper = PAPER[name]
        print(f"{name:12s} per-pixel accuracy {result['global_accuracy']:.3f}  per-class accuracy "
              f"{result['class_accuracy']:.3f}  class IoU {result['mean_iou']:.3f}   "
              f"[paper {paper[0]:.2f} / {paper[1]:.2f} / {paper[2]:.2f}]")
    print("per-class IoU: " + ", ".join(CLASS_NAMES))
    for name, result in results.items():
        print(f"{name:12s} " + " ".join("  -  " if np.isnan(v) else f"{v:.2f}" for v in result["iou"]))
    if args.strip:
        rows = [shown[i] for i in np.linspace(0, len(shown) - 1, min(4, len(shown))).round().astype(int)]
        grid = pixel_grid(torch.stack([image for row in rows for image in row]), columns=len(rows[0]), scale=2)
        args.strip.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(grid).save(args.strip)
        print(f"strip: {args.strip} (columns: labels, {', '.join(results)})")


if __name__ == "__main__":
    main()
