"""Emoji with their words: the captioned images the text-to-image teaser trains on, one command, one array file.

    npm pack emoji-datasource-google@16.0.0        # 74 MB: 3,786 Noto Emoji PNGs at 64x64 and emoji.json
    python -m train.emoji_data --package emoji-datasource-google-16.0.0.tgz --size 32 \\
        --output outputs/data/emoji32.npz

Each emoji's caption is its words in emoji.json: its name ("grinning face with smiling eyes"), its short names, its
subcategory ("face-smiling") and category ("smileys & emotion"), and for a skin-tone variant the tone ("medium skin
tone"). Images are composited on white (the PNGs are transparent) and shrunk with a box filter. A tenth of the
emoji are held out for the guidance check, by the base emoji's code point, so a base emoji and all its skin tones
fall on the same side. The result is one .npz: `images` (N, S, S, 3) uint8, `caption`, `category`, `code` and
`split` per image, and `manifest` (JSON: source, licence, counts).
"""

from __future__ import annotations

import argparse
import io
import json
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image

from core.common.data import in_validation_split

SOURCE = ("Apache-2.0", "Noto Emoji (Google), as packaged by emoji-datasource-google (iamcal/emoji-data, MIT)")
SKIN_TONES = {"1F3FB": "light skin tone", "1F3FC": "medium-light skin tone", "1F3FD": "medium skin tone",
              "1F3FE": "medium-dark skin tone", "1F3FF": "dark skin tone"}
VAL_FRACTION = 0.1


def caption_of(entry: dict, tones: str = "") -> str:
    """The emoji's words, most specific first: name, short names, subcategory, category, skin tone."""
    short_names = " ".join(name.replace("_", " ") for name in entry.get("short_names") or [])
    parts = [entry.get("name") or "", short_names, (entry.get("subcategory") or "").replace("-", " "),
             entry.get("category") or "", ", ".join(SKIN_TONES[t] for t in tones.split("-") if t in SKIN_TONES)]
    return ", ".join(part.lower() for part in parts if part)


def on_white(png: bytes, size: int) -> np.ndarray:
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    white = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, image).convert("RGB").resize((size, size), Image.Resampling.BOX))


def read_package(package: Path) -> tuple[list[dict], dict[str, bytes]]:
    """emoji.json and the 64 px Google PNGs, from the npm tarball or its unpacked folder."""
    if package.is_dir():
        entries = json.loads((package / "emoji.json").read_text())
        pngs = {p.name: p.read_bytes() for p in (package / "img" / "google" / "64").glob("*.png")}
        return entries, pngs
    with tarfile.open(package) as tar:
        entries, pngs = None, {}
        for member in tar:
            if member.name == "package/emoji.json":
                entries = json.load(tar.extractfile(member))
            elif member.name.startswith("package/img/google/64/") and member.name.endswith(".png"):
                pngs[Path(member.name).name] = tar.extractfile(member).read()
    if entries is None:
        raise SystemExit(f"{package}: no package/emoji.json (is it emoji-datasource-google?)")
    return entries, pngs


def build(package: Path, size: int) -> dict:
    entries, pngs = read_package(package)
    images, captions, categories, codes, splits, missing = [], [], [], [], [], 0
    for entry in sorted(entries, key=lambda e: e["sort_order"]):
        if entry.get("category") == "Component":
            continue  # bare skin-tone swatches and hair pieces: colour patches, not pictures
        variants = [(entry["image"], "")] + [(v["image"], tones) for tones, v in (entry.get("skin_variations") or {}).items()]
        held_out = in_validation_split(entry["unified"], VAL_FRACTION)
        for image_name, tones in variants:
            if image_name not in pngs:
                missing += 1
                continue
            images.append(on_white(pngs[image_name], size))
            captions.append(caption_of(entry, tones))
            categories.append(entry["category"])
            codes.append(entry["unified"])
            splits.append("val" if held_out else "train")
    manifest = {"source": SOURCE[1], "licence": SOURCE[0], "package": package.name, "size": size,
                "count": len(images), "val": splits.count("val"), "missing_images": missing,
                "categories": sorted(set(categories))}
    return {"images": np.stack(images), "caption": np.array(captions), "category": np.array(categories),
            "code": np.array(codes), "split": np.array(splits), "manifest": np.array(json.dumps(manifest))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--package", type=Path, required=True, help="emoji-datasource-google's .tgz or unpacked folder")
    parser.add_argument("--size", type=int, default=32, help="side of the square images written")
    parser.add_argument("--output", type=Path, default=Path("outputs/data/emoji32.npz"))
    args = parser.parse_args(argv)
    arrays = build(args.package, args.size)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.output, **arrays)
    print(args.output, json.loads(str(arrays["manifest"])))


if __name__ == "__main__":
    main()
