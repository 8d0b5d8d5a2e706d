"""Style transfer, optimisation against one pass: the same loss measured on both, their times, and a strip.

    python -m bench.style_transfer_quality --data ../shared/data/photos/bsd100 --strip bench/figures/style-transfer-strip.jpg

For every painting with a feed-forward network (`manifold-lab/style-ff-<painting>`, trained by train.style_transfer),
on held-out photos (BSD100, never seen by the networks; long side 256, as the Space reads them): the Space's
default optimisation (80 Adam steps at style weight 20, on one thread) and the painting's network (one forward
pass, one thread). Both are scored with the optimisation's own loss on the Space's random feature network:
content loss (the photo's level-2 maps; 0 = the photo's layout kept exactly) and style loss (Gram matrices on
every level against the painting's; the photo itself is the "no transfer" row). Lower is better for each, and
the two pull against each other: compare a method's pair, not one number.

The strip: the cat (scikit-image's chelsea, the Space's first example) | the painting | optimised | one pass, a
row per painting.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from core.common.data import ImageFolder
from core.common.images import load_image
from core.hub import load_pretrained
from core.style_transfer.features import RandomPyramidFeatures
from core.style_transfer.gatys import gram, style_losses, transfer
from core.style_transfer.transform import StyleTransformNet, network_repo

STYLES = Path(__file__).resolve().parents[1] / "spaces" / "style-transfer" / "styles"
SIDE, WEIGHT, STEPS = 256, 20.0, 80  # the Space's: long side, default style weight and step count


def as_tensor(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.array(image.convert("RGB"))).permute(2, 0, 1)[None].float() / 255


def as_picture(image: torch.Tensor) -> Image.Image:
    return Image.fromarray((image[0].clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))


def shrink(image: Image.Image) -> Image.Image:
    image = image.convert("RGB")
    image.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
    return image


def score(features, picture: torch.Tensor, photo: torch.Tensor, painting: torch.Tensor) -> tuple[float, float]:
    """(content loss, style loss) of `picture` for this photo and painting: the optimisation's own measure."""
    with torch.no_grad():
        style_maps, content_maps = features(painting), features(photo)
        grams = {i: gram(m) for i, m in enumerate(style_maps)}
        content, style = style_losses(features, picture, grams, dict(enumerate(content_maps)), (2,), tuple(grams))
    return float(content), float(style)


def optimise(features, photo: torch.Tensor, painting: torch.Tensor) -> tuple[torch.Tensor, float]:
    started = time.perf_counter()
    *_, last = transfer(features, photo, painting, steps=STEPS, style_weight=WEIGHT)
    return last.image, time.perf_counter() - started


def one_pass(network, photo: torch.Tensor) -> tuple[torch.Tensor, float]:
    started = time.perf_counter()
    with torch.inference_mode():
        painted = network(photo)
    return painted, time.perf_counter() - started


def strip(rows: list[list[Image.Image]], height: int = 160) -> Image.Image:
    """Rows of pictures at one height, side by side, a white gap between them."""
    scaled = [[p.resize((round(p.width * height / p.height), height), Image.Resampling.LANCZOS) for p in row]
              for row in rows]
    gap = 6
    width = max(sum(p.width for p in row) + gap * (len(row) - 1) for row in scaled)
    sheet = Image.new("RGB", (width, len(rows) * height + gap * (len(rows) - 1)), "white")
    for r, row in enumerate(scaled):
        x = 0
        for picture in row:
            sheet.paste(picture, (x, r * (height + gap)))
            x += picture.width + gap
    return sheet


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.style_transfer_quality", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/photos/bsd100", help="held-out photos")
    parser.add_argument("--count", type=int, default=6, help="photos per painting")
    parser.add_argument("--strip", default=None, help="write the README's strip here (.jpg)")
    parser.add_argument("--json", default=None, help="write the per-painting numbers here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # as the Space runs them

    features = RandomPyramidFeatures()
    credits = json.loads((STYLES / "credits.json").read_text())
    folder = ImageFolder(args.data)
    photos = [as_tensor(shrink(folder.load(i))) for i in range(min(args.count, len(folder)))]
    from skimage import data

    cat = as_tensor(shrink(Image.fromarray(data.chelsea())))
    rows, results = [], {}
    print(f"{len(photos)} held-out photos of {args.data}, long side {SIDE}; optimisation: {STEPS} steps at style weight "
          f"{WEIGHT:g}; one thread\n")
    print(f"{'painting':<34} {'method':<16} {'content loss':>12} {'style loss':>10} {'time s (median)':>16}")
    for style in credits:
        try:
            network, source = load_pretrained(StyleTransformNet, network_repo(style["file"]))
        except Exception as error:  # noqa: BLE001 - a painting without a network yet: left out, said so
            print(f"{style['title'][:34]:<34} (no one-pass network: {type(error).__name__})")
            continue
        painting = as_tensor(load_image(str(STYLES / style["file"]), "RGB", max_side=SIDE))
        measured = {"photo itself": [], "optimisation": [], "one pass": []}
        for photo in photos:
            optimised, optimise_s = optimise(features, photo, painting)
            painted, one_pass_s = one_pass(network, photo)
            measured["photo itself"].append((*score(features, photo, photo, painting), 0.0))
            measured["optimisation"].append((*score(features, optimised, photo, painting), optimise_s))
            measured["one pass"].append((*score(features, painted, photo, painting), one_pass_s))
        results[style["title"]] = {}
        for method, values in measured.items():
            content, style_loss = (statistics.mean(v[i] for v in values) for i in range(2))
            seconds = statistics.median(v[2] for v in values)
            results[style["title"]][method] = {"content_loss": content, "style_loss": style_loss, "seconds": seconds}
            print(f"{style['title'][:34]:<34} {method:<16} {content:>12.3f} {style_loss:>10.4f} "
                  f"{'' if method == 'photo itself' else f'{seconds:.3f}':>16}", flush=True)
        if args.strip:
            rows.append([as_picture(cat), as_picture(painting), as_picture(optimise(features, cat, painting)[0]),
                         as_picture(one_pass(network, cat)[0])])
    if args.strip and rows:
        strip(rows).save(args.strip, quality=85)
        print(f"\nstrip: {args.strip} (rows: {', '.join(results)}; columns: photo | painting | optimised | one pass)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
