"""Street-scene segmentation on held-out photos: the twins with and without skip connections, scored as the
CamVid papers score (global and class-average accuracy, mean and per-class IoU) plus boundary accuracy.

    python -m bench.segmentation_quality --data ../shared/data/camvid/val
    python -m bench.segmentation_quality --data DIR --weights skips=outputs/runs/image-prediction-skips/final \\
        --weights no-skips=outputs/runs/image-prediction-no-skips/final --strip outputs/segmentation-strip.png

DIR holds images/<name>.jpg|png and labels/<name>.png (class ids 0-10, 11 = void), paired by name; any size:
each photo is predicted as the Space predicts it (resized to the model's working size, logits resized back) and
scored at its label map's own resolution, void left out. Anchor (CamVid test, 480x360, from scratch): ENet,
0.37 M parameters, class-average accuracy 68.3%, mean IoU 51.3% (Paszke et al. 2016).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from core.common.display import pixel_grid
from core.hub import load_pretrained, override_variable
from core.image_prediction.camvid import CLASS_NAMES, colourize, find_pairs
from core.image_prediction.model import SegmentationNet, label_map, predict
from core.image_prediction.scores import SegmentationScores

TWINS = {"no-skips": "manifold-lab/camvid-segmenter-no-skips", "skips": "manifold-lab/camvid-segmenter-skips"}


def load_pairs(folder: str | Path, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(photo (H, W, 3) uint8, labels (H, W) uint8) pairs; a photo whose size differs from its labels is resized
    to them (the labels are the truth, at their own resolution)."""
    pairs = []
    for photo_path, label_path in find_pairs(folder)[:count]:
        labels = Image.open(label_path).convert("L")
        photo = Image.open(photo_path).convert("RGB")
        if photo.size != labels.size:
            photo = photo.resize(labels.size, Image.Resampling.BICUBIC)
        pairs.append((np.array(photo), np.array(labels)))
    return pairs


@torch.inference_mode()
def score_model(model: SegmentationNet, pairs, boundary_radius: int = 3) -> tuple[dict, list[np.ndarray], float]:
    """Scores over all pairs (`SegmentationScores.result()`), the predicted maps, and seconds per photo."""
    scores, maps, seconds = SegmentationScores(boundary_radius=boundary_radius), [], 0.0
    for photo, labels in pairs:
        tensor = torch.from_numpy(photo).permute(2, 0, 1).float() / 255
        started = time.perf_counter()
        predicted = label_map(predict(model, tensor, keep_aspect=True)).numpy().astype(np.uint8)
        seconds += time.perf_counter() - started
        scores.add(predicted, labels)
        maps.append(predicted)
    return scores.result(), maps, seconds / max(len(pairs), 1)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/camvid/val", help="a folder with images/ and labels/")
    parser.add_argument("--count", type=int, default=1000, help="at most this many pairs")
    parser.add_argument("--weights", action="append", default=[], metavar="TWIN=FOLDER",
                        help="score a trained folder (outputs/<run>/final) as twin 'skips' or 'no-skips' instead of "
                             "the release (repeatable)")
    parser.add_argument("--twins", nargs="+", default=list(TWINS), choices=list(TWINS), help="which twins")
    parser.add_argument("--boundary_radius", type=int, default=3, help="boundary band half-width, pixels")
    parser.add_argument("--strip", type=Path, help="write a PNG: photo, each twin's labels, the truth; 4 pairs spread over the set")
    args = parser.parse_args(argv)
    for spec in args.weights:
        twin, _, folder = spec.partition("=")
        if twin not in TWINS or not folder:
            raise SystemExit(f"--weights {spec}: expected TWIN=FOLDER with TWIN one of {', '.join(TWINS)}")
        os.environ[override_variable(TWINS[twin].split("/")[1])] = folder
    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1"))))

    pairs = load_pairs(args.data, args.count)
    height, width = pairs[0][1].shape
    print(f"Segmentation of {len(pairs)} pairs of {args.data} (first {width}x{height}), void left out; boundary: "
          f"pixels within {args.boundary_radius} px of an edge between two classes; time on "
          f"{torch.get_num_threads()} thread(s)\n")
    print(f"{'twin':<9} {'params':>8} {'global':>7} {'class avg':>9} {'mIoU':>9} {'boundary':>9} {'ms/photo':>9}"
          "  weights")
    results = {}
    for twin in args.twins:
        model, source = load_pretrained(SegmentationNet, TWINS[twin])
        result, maps, seconds = score_model(model, pairs, args.boundary_radius)
        results[twin] = (result, maps)
        params = sum(p.numel() for p in model.parameters())
        where = source.path if source.kind == "local" else f"{source.repo_id} ({source.kind})"
        print(f"{twin:<9} {params / 1e6:>7.2f}M {result['global_accuracy']:>7.1%} {result['class_accuracy']:>9.1%} "
              f"{result['mean_iou']:>9.1%} {result['boundary_accuracy']:>9.1%} {seconds * 1000:>9.0f}  {where}")

    print("\nper-class IoU")
    print(f"{'class':<12} " + " ".join(f"{twin:>9}" for twin in results))
    for index, name in enumerate(CLASS_NAMES):
        print(f"{name:<12} " + " ".join(f"{results[twin][0]['iou'][index]:>9.1%}" for twin in results))

    print()
    for twin, (result, _) in sorted(results.items(), key=lambda item: item[1][0]["mean_iou"]):  # best twin last
        print(f"{twin}: mean IoU {result['mean_iou']:.4f}  class accuracy {result['class_accuracy']:.4f}  "
              f"global accuracy {result['global_accuracy']:.4f}  boundary accuracy {result['boundary_accuracy']:.4f}")

    if args.strip:  # one pair per row: photo, each twin, truth
        tiles = []
        for index in sorted(set(np.linspace(0, len(pairs) - 1, 4).round().astype(int))):  # spread: frames of videos
            photo, labels = pairs[index]
            tiles += [photo, *[colourize(results[twin][1][index]) for twin in results], colourize(labels)]
        args.strip.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixel_grid(np.stack(tiles), columns=len(results) + 2, value_range=(0, 255))).save(args.strip)
        print(f"\nstrip: {args.strip} (columns: photo, {', '.join(results)}, truth)")


if __name__ == "__main__":
    main()
