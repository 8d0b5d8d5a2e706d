"""Diffusion realism, as in the GAN bench: can a small critic tell held-out real images from samples?

    python -m bench.diffusion_realism --faces ../shared/data/faces/ffhq256 --mnist ../shared/data/mnist

Faces: the 10% of FFHQ the trainers held out (same hash split), at 32x32, against 25-step DDIM samples,
against 250-step DDPM samples, and against our DCGAN's faces downscaled 64 -> 32 (the same
pipeline). Digits: MNIST test digits against samples. 50% = the critic cannot tell; 100% = all caught.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

from core.adversarial.realism import realism_accuracy
from core.common.data import ImageFolder
from core.diffusion.data import load_images
from core.diffusion.model import DiffusionModel, sample_images
from core.gan.dcgan import DCGANGenerator
from core.hub import load_pretrained


def timed_samples(model, count: int, steps: int, sampler: str) -> tuple[torch.Tensor, float]:
    started = time.perf_counter()
    images = sample_images(model, list(range(10_000, 10_000 + count)), steps=steps, sampler=sampler, batch_size=100)
    if images.shape[-1] != 32:  # a 64 px model is judged at the bench's 32x32, like the GAN
        images = F.interpolate(images, size=32, mode="area")
    return images, (time.perf_counter() - started) / count * 1000


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faces", default="../shared/data/faces/ffhq256", help="the faces the models trained on")
    parser.add_argument("--mnist", default="../shared/data/mnist", help="MNIST folder (idx files)")
    parser.add_argument("--digits_count", type=int, default=500, help="MNIST test digits to compare with")
    parser.add_argument("--repeats", type=int, default=5, help="critic splits per source")
    args = parser.parse_args(argv)
    torch.set_grad_enabled(False)

    faces_model, _ = load_pretrained(DiffusionModel, "manifold-lab/faces-diffusion")
    digits_model, _ = load_pretrained(DiffusionModel, "manifold-lab/digits-diffusion")
    gan, _ = load_pretrained(DCGANGenerator, "manifold-lab/dcgan-faces")
    real_faces = torch.stack(list(ImageFolder(args.faces, size=32, split="val", val_fraction=0.1)))
    real_digits = load_images(args.mnist, 32, "test")[: args.digits_count]
    count = len(real_faces)
    rows = []
    for label, steps, sampler in (("DDIM, 25 steps", 25, "ddim"), ("DDPM, 250 steps", 250, "ddpm")):
        faces, ms = timed_samples(faces_model, count, steps, sampler)
        rows.append((f"faces: diffusion, {label}", real_faces, faces, f"{ms:.1f} ms/image (batched)"))
    started = time.perf_counter()
    gan_faces = F.interpolate(gan.sample(list(range(10_000, 10_000 + count))), size=(32, 32), mode="area")
    rows.append(("faces: DCGAN, 64 -> 32 px", real_faces, gan_faces,
                 f"{(time.perf_counter() - started) / count * 1000:.1f} ms/image (batched)"))
    digits, ms = timed_samples(digits_model, len(real_digits), 25, "ddim")
    rows.append(("digits: diffusion, DDIM, 25 steps", real_digits, digits, f"{ms:.1f} ms/image (batched)"))

    print(f"Realism at 32x32: {count} held-out faces, {len(real_digits)} MNIST test digits; "
          f"{args.repeats} critic splits each; 50% is best\n")
    print(f"{'source':<42} {'critic accuracy':>18}   sampling")
    for name, real, generated, note in rows:
        scores = [realism_accuracy(real, generated.clamp(0, 1), seed=seed).accuracy for seed in range(args.repeats)]
        print(f"{name:<42} {np.mean(scores):>11.1%} ± {np.std(scores):.1%}   {note}")


if __name__ == "__main__":
    main()
