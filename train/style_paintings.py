"""Public-domain paintings for style transfer, put together from GCompris' puzzle pieces.

    apt-get download gcompris-qt-data && dpkg-deb -x gcompris-qt-data_*.deb outputs/gcompris
    python -m train.style_paintings --rcc outputs/gcompris/usr/share/gcompris-qt/rcc/paintings.rcc \
        --output outputs/data/paintings --bundle spaces/style-transfer/styles

writes every painting (JPEG, as large as GCompris has it) and a manifest (title, source, licence) to --output,
and the Space's few styles, small, to --bundle.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from core.style_transfer.paintings import paintings

SOURCE = ("GCompris' paintings activity (Debian package gcompris-qt-data), reproductions from Nicolas Pioch's "
          "WebMuseum")
LICENCE = ("the painting is in the public domain (its painter died more than 70 years ago); the reproduction is "
           "distributed by GCompris under GPL-3.0-or-later")
# The styles the Space offers: strong, different textures (brush strokes, woodblock lines, flat geometric colour,
# impressionist dabs). Matched by the start of GCompris' title.
SPACE_STYLES = {"van-gogh-auvers": "Vincent Van Gogh, Village Street in Auvers",
                "hokusai-great-wave": "Katsushika Hokusai, The Great Wave",
                "kandinsky-composition-8": "Wassily Kandinsky, Composition VIII",
                "renoir-moulin-de-la-galette": "Pierre-Auguste Renoir, Bal du moulin"}


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rcc", default="/usr/share/gcompris-qt/rcc/paintings.rcc", help="GCompris' paintings.rcc")
    parser.add_argument("--output", default="outputs/data/paintings", help="every painting and manifest.json")
    parser.add_argument("--bundle", default=None, help="the Space's styles, small (e.g. spaces/style-transfer/styles)")
    parser.add_argument("--bundle_side", type=int, default=384, help="longest side of a bundled style, pixels")
    args = parser.parse_args(argv)

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    found = paintings(Path(args.rcc).read_bytes())
    manifest = []
    for painting in found:
        name = slug(painting.title)
        painting.image.save(output / f"{name}.jpg", quality=95)
        manifest.append({"file": f"{name}.jpg", "title": painting.title, "size": list(painting.image.size),
                         "source": SOURCE, "licence": LICENCE})
    (output / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    print(f"{len(found)} paintings -> {output}")
    if args.bundle:
        bundle = Path(args.bundle)
        bundle.mkdir(parents=True, exist_ok=True)
        credits = []
        for name, start in SPACE_STYLES.items():
            painting = next(p for p in found if p.title.startswith(start))
            image = painting.image.copy()
            image.thumbnail((args.bundle_side, args.bundle_side))
            image.save(bundle / f"{name}.jpg", quality=90)
            credits.append({"file": f"{name}.jpg", "title": painting.title, "source": SOURCE, "licence": LICENCE})
        (bundle / "credits.json").write_text(json.dumps(credits, indent=1, ensure_ascii=False))
        print(f"{len(credits)} styles -> {bundle}")


if __name__ == "__main__":
    main()
