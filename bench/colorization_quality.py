"""Colourization quality on held-out photos: colourfulness and ab-error AuC, L2 vs classification.

    python -m bench.colorization_quality --data ../shared/data/photos/bsd100
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from core.colorization.model import Colorizer
from core.colorization.view import colorize_both
from core.common.color import colorfulness, rgb_to_lab
from core.common.data import ImageFolder
from core.common.metrics import ab_error_auc
from core.hub import load_pretrained


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/photos/bsd100", help="held-out colour photos")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--temperature", type=float, default=0.38)
    args = parser.parse_args(argv)

    l2_model, l2_source = load_pretrained(Colorizer, "manifold-lab/colorizer-l2")
    class_model, class_source = load_pretrained(Colorizer, "manifold-lab/colorizer-classification")
    folder = ImageFolder(args.data)
    rows = {"ground truth": [], "L2 regression": [], "classification": []}
    auc = {"L2 regression": [], "classification": [], "gray (a = b = 0)": []}
    for index in range(min(args.count, len(folder))):
        rgb = np.asarray(folder.load(index), dtype=np.float32) / 255
        result = colorize_both(rgb, l2_model, class_model, args.temperature)
        truth_ab = rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1))[1:].numpy()
        rows["ground truth"].append(colorfulness(rgb))
        for name, output in (("L2 regression", result.l2), ("classification", result.classification)):
            rows[name].append(colorfulness(output))
            auc[name].append(ab_error_auc(rgb_to_lab(torch.from_numpy(output).permute(2, 0, 1))[1:].numpy(), truth_ab))
        auc["gray (a = b = 0)"].append(ab_error_auc(np.zeros_like(truth_ab), truth_ab))
    count = len(rows["ground truth"])
    print(f"Colourization on {count} held-out photos of {args.data} (T = {args.temperature}; "
          f"weights: {l2_source.kind}, {class_source.kind})\n")
    print(f"{'output':<18} {'colourfulness':>14} {'ab AuC (0-150)':>15}")
    for name in ("ground truth", "L2 regression", "classification", "gray (a = b = 0)"):
        colour = f"{np.mean(rows[name]):.1f}" if name in rows else ""
        area = f"{np.mean(auc[name]) * 100:.1f}%" if name in auc else ""
        print(f"{name:<18} {colour:>14} {area:>15}")
    ratio = np.mean(rows["classification"]) / np.mean(rows["L2 regression"])
    print(f"\nclassification / L2 colourfulness: {ratio:.2f}x")


if __name__ == "__main__":
    main()
