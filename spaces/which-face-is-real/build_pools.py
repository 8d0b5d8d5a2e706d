"""Rebuild the quiz's face pools from ../shared/data/faces (run once; the pools are committed).

    python spaces/which-face-is-real/build_pools.py --faces ../shared/data/faces

Both pools get the same treatment: 256x256, RGB, re-encoded as JPEG at one quality with no metadata, so
neither side of a round carries a different compression history. Real: every FFHQ photo that our GAN
trainers hold out (the 10% hash split of `core.common.data`), then training photos in file order up to the count.
"""

import argparse
import shutil
from pathlib import Path

from PIL import Image

from core.common.data import in_validation_split, list_images

POOLS = Path(__file__).resolve().parent / "faces"
SIZE, QUALITY = 256, 88


def write_pool(files: list[Path], folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for path in files:
        with Image.open(path) as image:
            image = image.convert("RGB").resize((SIZE, SIZE), Image.Resampling.LANCZOS)
        image.save(folder / f"{path.stem}.jpg", format="JPEG", quality=QUALITY, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faces", default="../shared/data/faces", help="folder holding ffhq256/ and stylegan256/")
    parser.add_argument("--count", type=int, default=200, help="faces per pool")
    args = parser.parse_args()
    root = Path(args.faces)
    ffhq = root / "ffhq256"
    real = sorted(list_images(ffhq), key=lambda p: not in_validation_split(p.relative_to(ffhq).as_posix(), 0.1))
    write_pool(real[: args.count], POOLS / "real")
    write_pool(list_images(root / "stylegan256")[: args.count], POOLS / "stylegan")
    held_out = sum(in_validation_split(p.relative_to(ffhq).as_posix(), 0.1) for p in real[: args.count])
    print(f"real: {args.count} ({held_out} held out from GAN training), stylegan: {args.count}")


if __name__ == "__main__":
    main()
