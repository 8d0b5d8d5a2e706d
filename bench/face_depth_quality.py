"""Face depth on held-out faces: the network against the mean face, per source, and its time per photo.

    python -m bench.face_depth_quality --data outputs/data/face-depth64.npz
    python -m bench.face_depth_quality --data outputs/data/face-depth64.npz --weights outputs/runs/face-depth/final

The targets are MediaPipe's face-mesh depth (`train.face_depth_data`), not a depth sensor's. The error is Eigen et
al.'s scale-invariant log RMSE inside each face's mask, averaged over faces; the baseline predicts the mean of
the training faces' depth maps for every photo (the answer that ignores the photo: faces are aligned, so it is a
strong one). FFHQ's held-out photos are of people not in its training split (FFHQ has few repeated people); CelebA
repeats identities across its files and its split is by file, so its held-out faces may share people with
training: its numbers are the weaker test.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from core.hub import load_pretrained, override_variable
from core.image_prediction.depth import FaceDepthNet, log_depth_target, scale_invariant_error
from core.image_prediction.depth_data import despike, usable_faces

REPO = "manifold-lab/face-depth"


def evaluate(model: FaceDepthNet, images, depth, mask, mean_face: torch.Tensor) -> dict:
    photos = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    target = log_depth_target(torch.from_numpy(depth)[:, None])
    masks = torch.from_numpy(mask)[:, None]
    network, baseline, overlap, union = [], [], 0, 0
    with torch.no_grad():
        for start in range(0, len(photos), 64):
            part = slice(start, start + 64)
            log_depth, mask_logit = model(photos[part])
            for i in range(len(log_depth)):
                one = (target[part][i:i + 1], masks[part][i:i + 1])
                network.append(scale_invariant_error(log_depth[i:i + 1], *one, weight=1.0).sqrt().item())
                baseline.append(scale_invariant_error(mean_face, *one, weight=1.0).sqrt().item())
            guess = mask_logit > 0
            overlap += (guess & masks[part]).sum().item()
            union += (guess | masks[part]).sum().item()
    network, baseline = np.array(network), np.array(baseline)
    return {"faces": len(network), "network": network.mean(), "mean face": baseline.mean(),
            "better": (network < baseline).mean(), "mask IoU": overlap / max(union, 1)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.face_depth_quality", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="`python -m train.face_depth_data`'s array file")
    parser.add_argument("--weights", help="a released folder or a Hub repo in place of manifold-lab/face-depth")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    if args.weights:  # the same override a Space honours (core.hub)
        os.environ[override_variable(REPO.rsplit("/", 1)[1])] = args.weights
    model, source = load_pretrained(FaceDepthNet, REPO)
    data = np.load(args.data)
    depth = despike(data["depth"].astype(np.float32), data["mask"])  # as the trainer reads them
    meshed = usable_faces(depth, data["mask"])
    train = (data["split"] == "train") & meshed
    target = log_depth_target(torch.from_numpy(depth[train])).numpy()
    mean_face = torch.from_numpy((target * data["mask"][train]).sum(0) / np.maximum(data["mask"][train].sum(0), 1))

    print(f"scale-invariant log RMSE inside the face (lower is better); {int(train.sum())} training faces\n")
    print(f"{'held out':<10} {'faces':>6} {'network':>8} {'mean face':>10} {'network better on':>18} {'mask IoU':>9}")
    for source in ("ffhq", "celeba", "all"):
        chosen = (data["split"] == "val") & meshed & ((data["source"] == source) if source != "all" else True)
        if not chosen.any():
            continue
        r = evaluate(model, data["images"][chosen], depth[chosen], data["mask"][chosen], mean_face[None, None])
        print(f"{source:<10} {r['faces']:>6} {r['network']:>8.4f} {r['mean face']:>10.4f} {r['better']:>17.0%} "
              f"{r['mask IoU']:>9.3f}")

    photo = torch.rand(1, 3, model.image_size, model.image_size)
    with torch.no_grad():
        model(photo)
        started = time.perf_counter()
        for _ in range(20):
            model(photo)
    print(f"\none photo at {model.image_size}x{model.image_size}: {(time.perf_counter() - started) / 20 * 1000:.1f} ms "
          "(one thread)")


if __name__ == "__main__":
    main()
