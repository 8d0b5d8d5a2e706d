"""Face realism of our generators, judged by a model that knows faces (dlib), with our small critic beside it.

    python -m bench.gan_realism                                   # the bundled releases
    python -m bench.gan_realism --source pilot=stylegan:outputs/pilot/final --grids outputs/bench-grids

Every source gives the same number of images (default 100): samples of each generator (seeds 10,000 on, or
--first_seed: choosing among checkpoints on one draw and confirming on another keeps the choice honest),
and, in the same run, a real-vs-real floor (held-out FFHQ faces against as many training faces) and NVIDIA's
StyleGAN pool; with --ceilings 32,64, also other real faces shrunk to those sizes: what a perfect generator of
that resolution would score. Per source: `detected` (dlib's HOG detector finds a face at 256 px), face-FD and
face-KID of the 128-D landmark-aligned embeddings against the held-out faces, with 90% bootstrap intervals, and the gap
(FD - FD_floor) / (FD_nvidia - FD_floor): 0 = as real as real photos, 1 = as NVIDIA's StyleGAN. The critic
column is `core.adversarial.realism` (accuracy of a small CNN trained here to tell the two; 50% is best).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bench.face_judge import (
    FaceScore,
    copying_ratio,
    embed,
    find_face,
    mixing_keeps_coarse,
    score,
    to_judge,
    with_gaps,
)
from core.adversarial.realism import realism_accuracy
from core.common.data import ImageFolder, image_source
from core.common.display import pixel_grid
from core.hub import load_pretrained

FLOOR, NVIDIA = "real faces (training split)", "NVIDIA StyleGAN"
RELEASES = ["DCGAN psi 1=dcgan:manifold-lab/dcgan-faces", "Style-based DCGAN psi 1=style-dcgan:manifold-lab/style-dcgan-faces",
            "Style-based DCGAN psi 0.7=style-dcgan:manifold-lab/style-dcgan-faces:0.7",
            "face DDPM, 50 DDIM steps=diffusion:manifold-lab/faces-diffusion"]


def generator_class(kind: str):
    if kind == "dcgan":
        from core.gan.dcgan import DCGANGenerator
        return DCGANGenerator
    if kind == "stylegan":
        from core.gan.stylegan import StyleGANGenerator
        return StyleGANGenerator
    if kind == "style-dcgan":
        from core.gan.style_dcgan import StyleDCGANGenerator
        return StyleDCGANGenerator
    if kind == "fastgan":
        from core.gan.fastgan import FastGANGenerator
        return FastGANGenerator
    if kind == "diffusion":
        from core.diffusion.model import DiffusionModel
        return DiffusionModel
    raise ValueError(f"unknown generator kind {kind!r}: dcgan, style-dcgan, stylegan, fastgan or diffusion")


def load_source(spec: str):
    """'label=kind:repo_or_folder[:psi]' -> (label, model, psi). A folder is a trainer's final/ (or a checkpoint's)."""
    label, _, rest = spec.partition("=")
    kind, _, rest = rest.partition(":")
    target, _, psi = rest.partition(":")
    model_class = generator_class(kind)
    if Path(target).is_dir() and any(Path(target).glob("custom_checkpoint_*.pkl")):  # a mid-run checkpoint
        from train.checkpoints import model_from_checkpoint

        model = model_from_checkpoint(model_class, Path(target), Path(target).parent / "final")
    elif Path(target).is_dir():
        model = model_class.from_pretrained(target).eval()
    else:
        model = load_pretrained(model_class, target)[0]
    return label, kind, model, float(psi or 1.0)


@torch.no_grad()
def sample_faces(kind: str, model, count: int, psi: float, steps: int = 50,
                 first_seed: int = 10_000) -> tuple[torch.Tensor, float]:
    """(count, 3, S, S) in [0, 1] from seeds `first_seed` on, and milliseconds per image."""
    seeds = list(range(first_seed, first_seed + count))
    started = time.perf_counter()
    if kind == "diffusion":
        from core.diffusion.model import sample_images

        images = sample_images(model, seeds, steps=steps)
    else:
        images = torch.cat([model.sample(seeds[i : i + 50], truncation=psi) for i in range(0, count, 50)])
    return images.clamp(0, 1), (time.perf_counter() - started) / count * 1000


def judge_sources(sources: dict[str, torch.Tensor], held_out: torch.Tensor, critic_repeats: int = 3,
                  training_features: np.ndarray | None = None) -> list[dict]:
    """One row per source: detected, face-FD/KID against the held-out faces, the gap, the critic, and (given the
    training faces' embeddings) the copying ratio."""
    reference, _ = embed(list(held_out))
    rows = []
    for label, images in sources.items():
        features, found = embed(list(images))
        row = score(label, features, found, reference).__dict__
        if training_features is not None:
            row["copying"] = copying_ratio(features, reference, training_features)
        if critic_repeats:
            small = torch.nn.functional.interpolate(images, size=64, mode="area") if images.shape[-1] != 64 else images
            real64 = torch.nn.functional.interpolate(held_out, size=64, mode="area")
            row["critic"] = float(np.mean([realism_accuracy(real64, small, seed=s).accuracy for s in range(critic_repeats)]))
        rows.append(row)
    gaps = {s.source: s.gap for s in with_gaps([FaceScore(**{k: r[k] for k in FaceScore.__dataclass_fields__})
                                                for r in rows], FLOOR, NVIDIA)}
    for row in rows:
        row["gap"] = gaps[row["source"]]
    return rows


def real_sets(data: str, reference: str, count: int, size: int = 256,
              ceilings: tuple[int, ...] = ()) -> dict[str, torch.Tensor]:
    """Held-out faces, the floor (as many training faces), NVIDIA's pool and, for each size in `ceilings`, other
    training faces shrunk to that size: the best a perfect generator of that resolution could score."""
    held_out = image_source(data, size=size, split="val", val_fraction=0.1)
    training = image_source(data, size=size, split="train", val_fraction=0.1)
    nvidia = ImageFolder(reference, size=size)
    offset = 200  # the quiz shows NVIDIA's first 200: judge others

    def spread(images, n):  # a face set is ordered by source: take faces evenly over it, so every source is in
        picks = np.linspace(0, len(images) - 1, n).round().astype(int) if data.endswith(".npz") else range(n)
        return torch.stack([images[int(i)] for i in picks])

    sets = {"held_out": spread(held_out, min(count, len(held_out))),
            FLOOR: spread(training, count),
            NVIDIA: torch.stack([nvidia[offset + i] for i in range(count)])}
    if ceilings:
        others = torch.stack([training[count + i] for i in range(min(count, len(training) - count))])
        for side in ceilings:
            sets[ceiling_label(side)] = torch.nn.functional.interpolate(others, size=side, mode="area")
    return sets


def training_embeddings(data: str, cache: Path) -> np.ndarray:
    """Face embeddings of every training face of `data` (minutes for thousands), cached beside the outputs."""
    source = Path(data)
    key = f"{source.name}-{int(source.stat().st_mtime)}" if source.exists() else source.name
    path = cache / f"training-embeddings-{key}.npy"
    if path.exists():
        return np.load(path)
    training = image_source(data, split="train", val_fraction=0.1)
    features = np.concatenate([embed([training[i] for i in range(start, min(start + 256, len(training)))])[0]
                               for start in range(0, len(training), 256)])
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, features)
    return features


def detection_rate(kind: str, model, count: int, psi: float, first_seed: int) -> tuple[float, float]:
    """Share of `count` samples in which the detector finds a face, and its binomial standard error."""
    found = []
    for start in range(first_seed, first_seed + count, 100):
        images, _ = sample_faces(kind, model, min(100, first_seed + count - start), psi, first_seed=start)
        found += [find_face(to_judge(image)) is not None for image in images]
    rate = float(np.mean(found))
    return rate, float(np.sqrt(rate * (1 - rate) / len(found)))


def mixing_share(model, pairs: int, first_seed: int, up_to: int = 8) -> float:
    """Style mixing over `pairs` seed pairs, A's styles up to `up_to` px and B's above: the share whose landmarks
    (normalised by the face box) lie closer to A's than to B's."""
    kept = []
    for pair in range(pairs):
        a, b = first_seed + 2 * pair, first_seed + 2 * pair + 1
        images = model.sample([a, b])
        mixed = model.mix(a, b, model.coarse_layers(up_to))[0]
        kept.append(mixing_keeps_coarse(images[0], images[1], mixed))
    return float(np.mean(kept))


def ceiling_label(side: int) -> str:
    return f"real faces shrunk to {side} px"


def print_table(rows: list[dict], notes: dict[str, str]) -> None:
    print(f"{'source':<34} {'n':>4} {'detected':>9} {'face-FD':>17} {'KID x100':>17} {'gap':>6} {'critic':>7} "
          f"{'copying':>7}  note")
    for r in rows:
        fd = f"{r['fd']:.4f} [{r['fd_interval'][0]:.3f}, {r['fd_interval'][1]:.3f}]"
        kid = f"{100 * r['kid']:.2f} [{100 * r['kid_interval'][0]:.2f}, {100 * r['kid_interval'][1]:.2f}]"
        critic = f"{r['critic']:.0%}" if "critic" in r else ""
        copying = f"{r['copying']:.3f}" if "copying" in r else ""
        print(f"{r['source']:<34} {r['count']:>4} {r['detected']:>9.0%} {fd:>17} {kid:>17} {r['gap']:>6.2f} {critic:>7} "
              f"{copying:>7}  {notes.get(r['source'], '')}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gan_realism", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/faces/ffhq256",
                        help="the generators' training faces: a folder (10%% held out by name) or a face set "
                             "(train.face_data's .npz, with its own held-out split)")
    parser.add_argument("--reference", default="../shared/data/faces/stylegan256", help="NVIDIA StyleGAN samples")
    parser.add_argument("--count", type=int, default=100, help="images per source")
    parser.add_argument("--source", action="append", metavar="LABEL=KIND:REPO_OR_DIR[:PSI]",
                        help=f"a generator to judge (repeatable); default: the releases ({'; '.join(RELEASES)})")
    parser.add_argument("--ceilings", type=lambda text: tuple(int(x) for x in text.split(",") if x), default=(),
                        metavar="32,64", help="also judge real faces shrunk to these sizes (a generator's ceiling)")
    parser.add_argument("--first_seed", type=int, default=10_000,
                        help="generators' seeds start here: a fresh draw confirms a checkpoint picked on the default")
    parser.add_argument("--critic_repeats", type=int, default=3, help="critic splits per source (0: no critic)")
    parser.add_argument("--detect_count", type=int, default=0,
                        help="also the detection rate on this many samples per generator (the issue's 1,000)")
    parser.add_argument("--mixing_pairs", type=int, default=0,
                        help="style-based generators: share of this many mixes (A up to 8x8, B above) keeping A's landmarks")
    parser.add_argument("--copying", action="store_true",
                        help="also the copying ratio: samples' nearest training face over held-out faces' (embeds "
                             "every training face once; cached in outputs/face-bench)")
    parser.add_argument("--grids", metavar="DIR", help="also write each source's first 32 images as a PNG grid")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args(argv)

    # a face set is judged at its own resolution (NVIDIA's faces shrunk to it too): every source alike
    side = int(np.load(args.data)["images"].shape[1]) if args.data.endswith(".npz") else 256
    reals = real_sets(args.data, args.reference, args.count, size=side, ceilings=args.ceilings)
    held_out = reals.pop("held_out")
    sources, notes = dict(reals), {FLOOR: "the floor: real vs real", NVIDIA: "the reference (gap 1)"}
    notes.update({ceiling_label(side): f"the best a {side} px generator can do" for side in args.ceilings})
    extras = []
    for spec in args.source or RELEASES:
        label, kind, model, psi = load_source(spec)
        sources[label], ms = sample_faces(kind, model, len(held_out), psi, first_seed=args.first_seed)
        notes[label] = f"{ms:.1f} ms/image"
        if args.detect_count:
            rate, error = detection_rate(kind, model, args.detect_count, psi, args.first_seed)
            extras.append(f"{label}: detected in {rate:.1%} ± {error:.1%} of {args.detect_count} samples")
        if args.mixing_pairs and hasattr(model, "mix"):
            share = mixing_share(model, args.mixing_pairs, args.first_seed)
            extras.append(f"{label}: style mixing keeps the coarse source's landmarks in {share:.0%} of "
                          f"{args.mixing_pairs} pairs")
    training = training_embeddings(args.data, Path("outputs/face-bench")) if args.copying else None
    rows = judge_sources(sources, held_out, args.critic_repeats, training)
    print(f"Face realism against {len(held_out)} held-out faces of {args.data}; every source {len(held_out)} images, "
          f"at {side} px, enlarged to 256 for the judge\n")
    print_table(rows, notes)
    for line in extras:
        print(line)
    if args.grids:
        folder = Path(args.grids)
        folder.mkdir(parents=True, exist_ok=True)
        for label, images in sources.items():
            name = "".join(c if c.isalnum() else "-" for c in label).strip("-")
            Image.fromarray(pixel_grid(torch.nn.functional.interpolate(images[:32], size=64, mode="area"),
                                       columns=8, scale=2)).save(folder / f"{name}.png")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
