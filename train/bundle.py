"""Copy a released folder into core/bundled_weights/<name>/, the offline twin of a Hub repo.

    python -m train.bundle outputs/pix2pix-facades-l1-cgan/final pix2pix-facades-l1-cgan --half

`--half` stores float16 weights (half the bytes, under the Hub's 10 MB non-LFS limit); `from_pretrained`
casts them back to the model's float32 when it loads them. The card says so.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from safetensors.torch import load_file, save_file

BUNDLED = Path(__file__).resolve().parents[1] / "core" / "bundled_weights"
LIMIT = 10_000_000


def bundle(final: Path, name: str, half: bool = False) -> Path:
    target = BUNDLED / name
    target.mkdir(parents=True, exist_ok=True)
    for extra in ("config.json", "model_index.json", "unet/config.json", "scheduler/scheduler_config.json"):
        if (final / extra).is_file():  # a DDPM in diffusers' layout keeps it
            (target / extra).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(final / extra, target / extra)
    card = (final / "README.md").read_text()
    weights_file = "model.safetensors" if (final / "model.safetensors").is_file() else "unet/diffusion_pytorch_model.safetensors"
    weights = load_file(final / weights_file)
    if half:
        weights = {k: v.half() if v.is_floating_point() else v for k, v in weights.items()}
        card += "\n## Bundled copy\n\nStored in float16 (half the bytes); loading casts it back to float32.\n"
    save_file(weights, target / weights_file, metadata={"format": "pt"})
    (target / "README.md").write_text(card)
    size = (target / weights_file).stat().st_size
    if size >= LIMIT:
        raise ValueError(f"{target / weights_file} is {size / 1e6:.1f} MB: over the Hub's 10 MB non-LFS limit")
    return target


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("final", type=Path, help="a trainer's final/ folder")
    parser.add_argument("name", help="the folder name: the Hub repo's name without the owner")
    parser.add_argument("--half", action="store_true", help="store float16 weights")
    args = parser.parse_args(argv)
    target = bundle(args.final, args.name, args.half)
    sizes = sum(p.stat().st_size for p in target.rglob("*.safetensors"))
    print(f"{target}: {sizes / 1e6:.1f} MB of weights")


if __name__ == "__main__":
    main()
