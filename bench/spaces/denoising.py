"""Denoising Space: the network on 256x256 (the latency target: < 150 ms p50) and the whole comparison."""

import numpy as np
import torch
from skimage import data

from bench.harness import Case
from core.denoising.classical import non_local_means


def cases(app):
    photo = data.astronaut()[100:356, 100:356]
    noisy = np.clip(photo / 255 + np.random.default_rng(0).normal(0, 25 / 255, photo.shape), 0, 1).astype(np.float32)
    batch = torch.from_numpy(noisy).permute(2, 0, 1)[None]

    def network():
        with torch.inference_mode():
            app.denoiser(batch)

    return [
        Case("network: denoise 256x256 colour", network,
             baseline=lambda: non_local_means(noisy, 25 / 255), baseline_name="non-local means 256x256"),
        Case("whole comparison, 256x256 (5 methods + scores)",
             lambda: app.denoise_photo(photo, "Gaussian", 25, 0, True), repeats=5),
        Case("digits denoising autoencoder (28x28)", lambda: app.denoise_digit(7, "missing pixels", 40, 0)),
    ]
