"""Colourization quality on held-out photos: colourfulness and ab-error AuC (raw and class-rebalanced,
as Zhang et al. 2016 report both), L2 vs classification, and the annealed-mean temperature T swept.

    python -m bench.colorization_quality --data ../shared/data/photos/bsd100

The photos are split in two: T is chosen on the even-numbered half (the T whose colourfulness is closest
to the photos' own) and every number is reported on the odd-numbered half, so the choice is not graded on
the photos it was made on.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from core.colorization.model import Colorizer
from core.colorization.view import colorize_both, redecode
from core.common.color import colorfulness, rgb_to_lab
from core.common.data import ImageFolder
from core.common.metrics import ab_error_auc, rebalanced_pixel_weights
from core.hub import load_pretrained

TEMPERATURES = (0.2, 0.3, 0.38, 0.5, 0.6, 0.7, 0.8, 1.0)


def lab_ab(rgb: np.ndarray) -> np.ndarray:
    return rgb_to_lab(torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float())[1:].numpy()


def measure(folder, indices, l2_model, class_model, temperatures) -> dict:
    """Mean colourfulness and AuCs per output over `indices` ("T=0.5" rows for the classification model)."""
    centers, prior = class_model.ab_centers.numpy(), class_model.prior.numpy()
    rows: dict[str, dict[str, list]] = {}

    def add(name, colour, auc=None, rebalanced=None):
        row = rows.setdefault(name, {"colourfulness": [], "auc": [], "rebalanced": []})
        row["colourfulness"].append(colour)
        if auc is not None:
            row["auc"].append(auc)
            row["rebalanced"].append(rebalanced)

    for index in indices:
        rgb = np.asarray(folder.load(index), dtype=np.float32) / 255
        truth = lab_ab(rgb)
        weights = rebalanced_pixel_weights(truth, centers, prior)
        result = colorize_both(rgb, l2_model, class_model, temperatures[0])
        add("ground truth", colorfulness(rgb))
        l2_ab = lab_ab(result.l2)
        add("L2 regression", colorfulness(result.l2), ab_error_auc(l2_ab, truth),
            ab_error_auc(l2_ab, truth, pixel_weights=weights))
        gray = np.zeros_like(truth)
        add("gray (a = b = 0)", 0.0, ab_error_auc(gray, truth), ab_error_auc(gray, truth, pixel_weights=weights))
        for temperature in temperatures:
            output = redecode(result, centers, temperature).classification
            ab = lab_ab(output)
            add(f"classification T={temperature:g}", colorfulness(output), ab_error_auc(ab, truth),
                ab_error_auc(ab, truth, pixel_weights=weights))
    return {name: {key: float(np.mean(values)) if values else None for key, values in row.items()}
            for name, row in rows.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/photos/bsd100", help="held-out colour photos")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--temperatures", type=float, nargs="+", default=list(TEMPERATURES))
    args = parser.parse_args(argv)

    l2_model, l2_source = load_pretrained(Colorizer, "manifold-lab/colorizer-l2")
    class_model, class_source = load_pretrained(Colorizer, "manifold-lab/colorizer-classification")
    folder = ImageFolder(args.data)
    count = min(args.count, len(folder))
    choose = measure(folder, range(0, count, 2), l2_model, class_model, args.temperatures)
    truth = choose["ground truth"]["colourfulness"]
    best = min(args.temperatures, key=lambda t: abs(choose[f"classification T={t:g}"]["colourfulness"] - truth))
    report = measure(folder, range(1, count, 2), l2_model, class_model, args.temperatures)

    print(f"Colourization of {args.data}: T chosen on {len(range(0, count, 2))} photos (colourfulness closest to "
          f"theirs: T = {best:g}), reported on the other {len(range(1, count, 2))} "
          f"(weights: {l2_source.kind}, {class_source.kind})\n")
    print(f"{'output':<28} {'colourfulness':>14} {'vs truth':>9} {'ab AuC':>8} {'AuC rebal.':>11}")
    truth = report["ground truth"]["colourfulness"]
    for name, row in report.items():
        colour = row["colourfulness"]
        ratio = f"{colour / truth:.2f}x" if name != "gray (a = b = 0)" else ""
        auc = f"{row['auc'] * 100:.1f}%" if row["auc"] is not None else ""
        rebalanced = f"{row['rebalanced'] * 100:.1f}%" if row["rebalanced"] is not None else ""
        mark = "  <- chosen T" if name == f"classification T={best:g}" else ""
        print(f"{name:<28} {colour:>14.1f} {ratio:>9} {auc:>8} {rebalanced:>11}{mark}")


if __name__ == "__main__":
    main()
