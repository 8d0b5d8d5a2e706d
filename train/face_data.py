"""One training set of faces framed like FFHQ, for every face model: one command, one array file.

    python -m train.face_data --ffhq ../shared/data/faces/ffhq256 --celeba ../shared/data/celeba/aligned-89x109 \\
        --size 64 --output outputs/data/faces64.npz

Each photo goes through dlib's 68 landmarks and `core.common.face_alignment` (FFHQ's photos are already in that
frame and are only resized); near-duplicates are dropped (16x16 grey thumbnails closer than `--duplicate_distance`);
each source keeps its own held-out split, by file name, as `core.common.data` splits folders (so FFHQ's held-out
faces are the ones every earlier face model held out). The result is one .npz: `images` (N, S, S, 3) uint8,
`source`, `split` and `filename` per image, and `manifest` (JSON: sources, licences, counts, what was dropped).
`--data faces64.npz` then works in every GAN and diffusion recipe (`core.common.data.image_source`).

UTKFace (`--utkface`, a folder or a git mirror's folder of `*.chip.jpg`) is supported but off by default: its
photos are cropped tight around the face, so FFHQ's frame is half mirrored padding (a blurred halo).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image

from core.common.data import in_validation_split, list_images

SOURCES = {  # name -> (licence, credit); every card and Space that shows these faces repeats it
    "ffhq": ("CC BY-NC-SA 4.0", "Flickr-Faces-HQ (Karras, Laine, Aila; NVIDIA)"),
    "celeba": ("non-commercial research use only", "CelebA (Liu, Luo, Wang, Tang; CUHK)"),
    "utkface": ("non-commercial research use only", "UTKFace (Zhang, Song, Qi; University of Tennessee, Knoxville)"),
}


def read_photo(item: tuple[str, str]) -> Image.Image:
    """A file path, or 'git:<repo dir>:<path>' for a file inside a bare git mirror."""
    kind, where = item
    if kind == "git":
        repo, path = where.split("::", 1)
        data = subprocess.run(["git", "-C", repo, "show", f"HEAD:{path}"], capture_output=True, check=True).stdout
        return Image.open(io.BytesIO(data)).convert("RGB")
    return Image.open(where).convert("RGB")


def frame_one(job: tuple[str, tuple[str, str], int]) -> np.ndarray | None:
    """(source, item, size) -> the face in FFHQ's frame as (S, S, 3) uint8, or None where dlib finds no face."""
    from core.common.face_alignment import align_face, landmarks

    source, item, size = job
    try:
        photo = read_photo(item)
    except Exception:  # a truncated file: skipped and counted, never fatal
        return None
    if source == "ffhq":  # FFHQ's release is already in this frame
        return np.asarray(photo.resize((size, size), Image.Resampling.LANCZOS))
    points = landmarks(photo)
    return None if points is None else np.asarray(align_face(photo, points, size))


def git_listing(folder: str) -> list[tuple[str, str]]:
    """'<bare repo>::<folder>' -> the image files under that folder of the repo's HEAD."""
    repo, path = folder.split("::", 1)
    names = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", "HEAD", path.rstrip("/") + "/"],
                           capture_output=True, text=True, check=True).stdout.split("\n")
    return [("git", f"{repo}::{name}") for name in sorted(names) if name.lower().endswith((".jpg", ".png"))]


def near_duplicates(images: np.ndarray, distance: float) -> np.ndarray:
    """Booleans: is image i a near-copy of an earlier one? (16x16 grey thumbnails, each normalised, RMS distance)"""
    thumbs = np.stack([np.asarray(Image.fromarray(im).convert("L").resize((16, 16), Image.Resampling.BOX),
                                  dtype=np.float32).ravel() for im in images])
    thumbs -= thumbs.mean(1, keepdims=True)
    thumbs /= np.linalg.norm(thumbs, axis=1, keepdims=True) + 1e-6
    duplicate = np.zeros(len(images), dtype=bool)
    for start in range(0, len(images), 2048):  # cosine similarity in blocks: 34k^2 floats would not fit
        block = thumbs[start : start + 2048] @ thumbs[: start + 2048].T  # (b, start + b)
        for row in range(block.shape[0]):
            index = start + row
            earlier = block[row, :index]
            # RMS distance between unit vectors of 256 values: sqrt(2 - 2 cos) / 16
            if earlier.size and np.sqrt(max(0.0, 2 - 2 * earlier.max())) / 16 < distance:
                duplicate[index] = True
    return duplicate


def build(sources: dict[str, list[tuple[str, str]]], size: int, val_fraction: float, duplicate_distance: float,
          workers: int) -> dict:
    jobs = [(name, item, size) for name, items in sources.items() for item in items]
    with Pool(workers) as pool:
        framed = pool.map(frame_one, jobs, chunksize=32)
    kept = [(job, image) for job, image in zip(jobs, framed, strict=True) if image is not None]
    images = np.stack([image for _, image in kept])
    names = np.array([job[0] for job, _ in kept])
    files = np.array([Path(job[1][1].split("::")[-1]).name for job, _ in kept])
    duplicate = near_duplicates(images, duplicate_distance)
    images, names, files = images[~duplicate], names[~duplicate], files[~duplicate]
    split = np.array(["val" if in_validation_split(f, val_fraction) else "train" for f in files])
    counts = {name: {"photos": len(items), "no_face_found": sum(1 for j, im in zip(jobs, framed, strict=True)
                                                                  if j[0] == name and im is None),
                     "near_duplicates": int(duplicate[[j[0] == name for j, _ in kept]].sum()),
                     "train": int(((names == name) & (split == "train")).sum()),
                     "val": int(((names == name) & (split == "val")).sum()),
                     "licence": SOURCES[name][0], "credit": SOURCES[name][1]}
              for name, items in sources.items()}
    manifest = {"size": size, "framing": "FFHQ (core.common.face_alignment, dlib 68 landmarks)",
                "val_fraction": val_fraction, "duplicate_distance": duplicate_distance, "sources": counts}
    return {"images": images, "source": names, "split": split, "filename": files, "manifest": np.array(json.dumps(manifest))}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ffhq", default="../shared/data/faces/ffhq256", help="FFHQ's aligned photos ('' to leave out)")
    parser.add_argument("--celeba", default="../shared/data/celeba/aligned-89x109", help="CelebA's photos ('' to leave out)")
    parser.add_argument("--utkface", default="", help="UTKFace: a folder, or '<bare git repo>::<folder>'")
    parser.add_argument("--size", type=int, default=64, help="output side in pixels (a power of two)")
    parser.add_argument("--val_fraction", type=float, default=0.1, help="held-out share of each source (by file name)")
    parser.add_argument("--duplicate_distance", type=float, default=0.01, help="thumbnail RMS distance that counts as a copy")
    parser.add_argument("--limit", type=int, default=0, help="at most this many photos per source (0: all)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", default="outputs/data/faces64.npz")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    sources = {}
    for name in ("ffhq", "celeba", "utkface"):
        where = getattr(args, name)
        if where:
            items = git_listing(where) if "::" in where else [("file", str(p)) for p in list_images(where)]
            sources[name] = items[: args.limit] if args.limit else items
    if not sources:
        raise SystemExit("no source given: --ffhq, --celeba or --utkface")
    result = build(sources, args.size, args.val_fraction, args.duplicate_distance, args.workers)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.output, **result)
    print(json.dumps(json.loads(str(result["manifest"])), indent=1))


if __name__ == "__main__":
    main()
