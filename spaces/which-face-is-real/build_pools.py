"""Build the quiz's face pools: for each level, real photos and as many fakes, made once and committed.

    HF_HUB_OFFLINE=1 python spaces/which-face-is-real/build_pools.py --faces ../shared/data/faces
    HF_HUB_OFFLINE=1 python spaces/which-face-is-real/build_pools.py --levels our-gan   # after changing EASY_GENERATOR

No round ever samples a generator: the fakes are drawn from pools as large as the real ones, each face as
often as any other, so "I have seen this face before" says nothing (core.which_face_is_real.pools). The real
photos are split between the levels, never shared: FFHQ in file order, the photos our GAN trainers hold out
(the 10% hash split of core.common.data) first.

- our-gan: the first COUNT real photos and COUNT faces of EASY_GENERATOR (seeds FIRST_SEED...), 64x64 PNG.
- diffusion: the next COUNT real photos and COUNT faces of the face DDPM (DIFFUSION_STEPS DDIM steps), 64x64 PNG.
- stylegan: COUNT of NVIDIA's StyleGAN faces, each with the real photo (from the rest of FFHQ) nearest to it in
  colour, brightness, contrast, background clutter and detail (core.which_face_is_real.matching), 256x256; both re-encoded
  as JPEG at one quality with no metadata, so neither side carries another compression history. The win rates
  of human-free predictors, before and after matching, go into its pool.json.
"""

import argparse
import hashlib
import io
import os
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from the repository root

from core.common.data import in_validation_split, list_images  # noqa: E402
from core.diffusion.model import DiffusionModel, sample_images  # noqa: E402
from core.gan.style_dcgan import StyleDCGANGenerator  # noqa: E402
from core.hub import load_pretrained  # noqa: E402
from core.which_face_is_real import matching  # noqa: E402
from core.which_face_is_real.game import face_array  # noqa: E402
from core.which_face_is_real.pools import save_faces, write_manifest  # noqa: E402

POOLS = Path(__file__).resolve().parent / "faces"
# The easy level's generator: its class and release. To switch the easy level to another generator (one with
# `.sample(seeds, truncation)` in [0, 1]), change this line and app.py's GENERATOR_REPO, then run --levels our-gan.
EASY_GENERATOR = (StyleDCGANGenerator, "manifold-lab/style-dcgan-faces")
DIFFUSION_REPO, DIFFUSION_STEPS = "manifold-lab/faces-diffusion", 25
FIRST_SEED = 100_000  # away from the seeds the gan and diffusion Spaces show (0-15 and so on)
LEVELS = ("our-gan", "diffusion", "stylegan")
SIZE, QUALITY = 256, 88  # the stylegan level: NVIDIA's faces' own size; JPEG quality for both sides


def rebuild_command(levels) -> str:
    return (f"HF_HUB_OFFLINE=1 python spaces/which-face-is-real/build_pools.py --faces ../shared/data/faces "
            f"--levels {' '.join(levels)}")


def decode(path: Path, size: int) -> np.ndarray:
    with Image.open(path) as image:
        return face_array(image, size)  # area averaging when shrinking


def as_served_before(face: np.ndarray) -> np.ndarray:
    """A face as the old pools held it: re-encoded as JPEG at QUALITY (what "before" is measured on)."""
    buffer = io.BytesIO()
    Image.fromarray(face, "RGB").save(buffer, format="JPEG", quality=QUALITY, optimize=True)
    return np.asarray(Image.open(buffer).convert("RGB"))


def weights(source) -> dict:
    files = sorted(Path(source.path).rglob("*.safetensors"))
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16] if files else None
    return {"generator": source.repo_id, "weights": source.kind, "revision": source.revision, "sha256": digest}


def real_manifest(files: list[Path], ffhq: Path) -> dict:
    held_out = sum(in_validation_split(p.relative_to(ffhq).as_posix(), 0.1) for p in files)
    return {"source": "FFHQ (faces/ffhq256)", "files": [p.name for p in files], "held_out_from_gan_training": held_out}


@torch.inference_mode()
def build_generated(level: str, real_files: list[Path], ffhq: Path, count: int) -> None:
    seeds = list(range(FIRST_SEED, FIRST_SEED + count))
    if level == "our-gan":
        model_class, repo = EASY_GENERATOR
        generator, source = load_pretrained(model_class, repo)
        images = torch.cat([generator.sample(seeds[i : i + 50], truncation=1.0) for i in range(0, count, 50)])
        recipe = {**weights(source), "truncation": 1.0}
    else:
        model, source = load_pretrained(DiffusionModel, DIFFUSION_REPO)
        batches = [sample_images(model, seeds[i : i + 25], steps=DIFFUSION_STEPS)
                   for i in tqdm(range(0, count, 25), desc="diffusion faces (25 a batch)")]
        images = torch.cat(batches)
        recipe = {**weights(source), "sampler": "ddim", "steps": DIFFUSION_STEPS}
    side = images.shape[-1]  # (count, 3, S, S) in [0, 1]
    folder = POOLS / level
    save_faces([decode(p, side) for p in real_files], folder / "real")
    save_faces([face_array(image, side) for image in images], folder / "fake")
    write_manifest(folder, {"level": level, "paired": False, "size": side, "rebuild": rebuild_command([level]),
                            "real": real_manifest(real_files, ffhq), "fake": {**recipe, "seeds": seeds}})
    print(f"{level}: {count} real + {count} fakes of {recipe['generator']} at {side}x{side}")


def build_matched(candidates: list[Path], ffhq: Path, stylegan: Path, before_real: list[Path], count: int) -> None:
    fakes = list_images(stylegan)
    real_faces, fake_faces = ([decode(p, SIZE) for p in files] for files in (candidates, fakes))
    real_table, fake_table = matching.statistics_table(real_faces), matching.statistics_table(fake_faces)
    pairs = matching.match_pairs(real_table, fake_table, count)
    folder = POOLS / "stylegan"
    save_faces([real_faces[i] for i in pairs.real], folder / "real", ".jpg", QUALITY)
    save_faces([fake_faces[i] for i in pairs.fake], folder / "fake", ".jpg", QUALITY)
    report = predictor_report(pairs, real_table, fake_table, [decode(p, SIZE) for p in before_real], fake_faces, count)
    write_manifest(folder, {
        "level": "stylegan", "paired": True, "size": SIZE, "rebuild": rebuild_command(["stylegan"]),
        "real": real_manifest([candidates[i] for i in pairs.real], ffhq),
        "fake": {"generator": "NVIDIA StyleGAN (FFHQ), faces/stylegan256",
                 "files": [fakes[i].name for i in pairs.fake]},
        "matching": {"statistics": list(matching.STATISTICS), "distance": [round(float(d), 3) for d in pairs.distance],
                     "candidates": {"real": len(candidates), "fake": len(fakes)}},
        "human_free_win_rates": report})
    print(f"stylegan: {count} matched pairs (distance {pairs.distance.mean():.2f} sd on average, at most "
          f"{pairs.distance.max():.2f}) from {len(candidates)} real and {len(fakes)} fake candidates")
    for name, rates in report.items():
        print(f"  {name}: " + ", ".join(f"{key} {value:.1%}" for key, value in rates.items() if key != "pairs"))


def predictor_report(pairs, real_table, fake_table, before_real: list, fake_faces: list, count: int) -> dict:
    """Win rates of human-free predictors: on the pools as they were (the shared real pool against the first
    `count` NVIDIA faces, every pairing a round could draw), and on the matched pairs as committed (read back
    from their JPEGs, what a player sees). Each learned predictor is trained on faces outside what it scores."""
    before_real_table = matching.statistics_table([as_served_before(face) for face in before_real])
    before_fake_table = matching.statistics_table([as_served_before(face) for face in fake_faces[:count]])
    rows, columns = np.meshgrid(np.arange(count), np.arange(count), indexing="ij")  # every (real, fake) pairing
    before_score = matching.learned_predictor(real_table, fake_table[count:])
    before = matching.human_free_win_rates(before_real_table[rows.ravel()], before_fake_table[columns.ravel()],
                                           before_score)
    folder = POOLS / "stylegan"
    committed = [matching.statistics_table([decode(p, SIZE) for p in sorted((folder / side).glob("*.jpg"))])
                 for side in ("real", "fake")]
    unused_real = np.delete(real_table, pairs.real, axis=0)
    unused_fake = np.delete(fake_table, pairs.fake, axis=0)
    after = matching.human_free_win_rates(*committed, matching.learned_predictor(unused_real, unused_fake))
    return {"before (shared real pool x first NVIDIA faces, all pairings)": {**before, "pairs": count * count},
            "after (matched pairs)": {**after, "pairs": count}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faces", default="../shared/data/faces", help="folder holding ffhq256/ and stylegan256/")
    parser.add_argument("--count", type=int, default=200, help="faces per pool (real and fake alike)")
    parser.add_argument("--levels", nargs="+", choices=LEVELS, default=list(LEVELS), help="the pools to rebuild")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", torch.get_num_threads())))
    root = Path(args.faces)
    ffhq = root / "ffhq256"
    real = sorted(list_images(ffhq), key=lambda p: not in_validation_split(p.relative_to(ffhq).as_posix(), 0.1))
    if len(real) < 4 * args.count:
        raise SystemExit(f"{ffhq} holds {len(real)} photos: {4 * args.count} needed (2 pools + matching candidates)")
    if "our-gan" in args.levels:
        build_generated("our-gan", real[: args.count], ffhq, args.count)
    if "diffusion" in args.levels:
        build_generated("diffusion", real[args.count : 2 * args.count], ffhq, args.count)
    if "stylegan" in args.levels:
        build_matched(real[2 * args.count :], ffhq, root / "stylegan256", real[: args.count], args.count)


if __name__ == "__main__":
    main()
