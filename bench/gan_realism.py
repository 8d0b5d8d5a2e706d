"""GAN realism at equal training time: can a small critic tell held-out real faces from samples?

    python -m bench.gan_realism --data ../shared/data/faces/ffhq256 --reference ../shared/data/faces/stylegan256

For each source, `core.realism` trains a fresh critic on half of the held-out real faces and half of the
samples and tests it on the other halves; repeated over several splits (mean and spread). 50% = the critic
cannot tell; 100% = every sample is caught. The reference row scores NVIDIA's StyleGAN (full size, trained
for weeks on 70,000 faces) through the same 64x64 pipeline, to calibrate the scale.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from core.data import ImageFolder
from core.gan import DCGANGenerator
from core.hub import load_pretrained
from core.realism import realism_accuracy
from core.stylegan import StyleGANGenerator


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/faces/ffhq256", help="the faces the GANs trained on")
    parser.add_argument("--reference", default="../shared/data/faces/stylegan256", help="NVIDIA StyleGAN samples")
    parser.add_argument("--repeats", type=int, default=5, help="critic splits per source")
    args = parser.parse_args(argv)

    # the 10% the trainers held out (same hash split), at the generators' 64x64
    real = torch.stack(list(ImageFolder(args.data, size=64, split="val", val_fraction=0.1)))
    count = len(real)
    sources = {}
    for name, model_class, repo in (("DCGAN", DCGANGenerator, "manifold-lab/dcgan-faces"),
                                    ("StyleGAN2-style", StyleGANGenerator, "manifold-lab/stylegan-faces")):
        generator, weights = load_pretrained(model_class, repo)
        card = (weights.path / "README.md").read_text() if (weights.path / "README.md").is_file() else ""
        minutes = next((line.split(" in ")[1].split(" wall")[0] for line in card.splitlines() if "wall time" in line), "?")
        for psi in (1.0, 0.7):
            started = time.perf_counter()
            samples = generator.sample(list(range(10_000, 10_000 + count)), truncation=psi)
            per_image_ms = (time.perf_counter() - started) / count * 1000
            sources[f"{name}, psi {psi}"] = (samples, f"{minutes}; {per_image_ms:.1f} ms/image")
    reference = ImageFolder(args.reference, size=64)
    sources["NVIDIA StyleGAN (reference)"] = (torch.stack([reference[i] for i in range(count)]), "weeks on 8 GPUs")

    print(f"Realism on {count} held-out real faces at 64x64 ({args.repeats} critic splits each; 50% is best)\n")
    print(f"{'generator':<30} {'critic accuracy':>18}   training")
    for name, (samples, note) in sources.items():
        scores = [realism_accuracy(real, samples, seed=seed).accuracy for seed in range(args.repeats)]
        print(f"{name:<30} {np.mean(scores):>11.1%} ± {np.std(scores):.1%}   {note}")


if __name__ == "__main__":
    main()
