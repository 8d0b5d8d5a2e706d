"""Natural-image denoiser, metrics and classical filters; the recipe's plumbing."""

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from core.common.data import ImageFolder, RandomCrops
from core.common.metrics import psnr, ssim
from core.denoising.classical import CLASSICAL, estimate_noise
from core.denoising.model import DenoisingUNet


@pytest.mark.parametrize("size", [(1, 1), (7, 5), (33, 64), (64, 64), (17, 120)])
def test_denoiser_keeps_any_size(size):
    model = DenoisingUNet(base_channels=4, levels=3).eval()
    image = torch.rand(2, 3, *size)
    with torch.inference_mode():
        assert model(image).shape == image.shape


def test_denoiser_starts_near_identity_and_checks_channels():
    model = DenoisingUNet(base_channels=4, levels=2, in_channels=1).eval()
    with pytest.raises(ValueError, match=r"\(B, 1, H, W\)"):
        model(torch.rand(1, 3, 8, 8))


def test_psnr_and_ssim_match_scikit_image():
    rng = np.random.default_rng(0)
    clean = rng.random((40, 50, 3))
    noisy = np.clip(clean + rng.normal(0, 0.1, clean.shape), 0, 1)
    assert psnr(clean, noisy) == pytest.approx(peak_signal_noise_ratio(clean, noisy, data_range=1), abs=1e-9)
    reference = structural_similarity(clean, noisy, data_range=1, channel_axis=-1, gaussian_weights=True,
                                      sigma=1.5, use_sample_covariance=False)
    assert ssim(clean, noisy) == pytest.approx(reference, abs=1e-9)
    assert psnr(clean, clean) == float("inf") and ssim(clean, clean) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same shape"):
        psnr(clean, clean[:10])


@pytest.mark.parametrize("name", list(CLASSICAL))
def test_classical_filters_reduce_gaussian_noise(name):
    from skimage import data
    from skimage.util import img_as_float

    clean = img_as_float(data.astronaut())[100:228, 150:278]
    noisy = np.clip(clean + np.random.default_rng(1).normal(0, 25 / 255, clean.shape), 0, 1)
    out = CLASSICAL[name](noisy, 25 / 255)
    assert out.shape == clean.shape
    assert psnr(clean, out) > psnr(clean, noisy) + 1.0


def test_noise_estimate_is_close_to_the_truth():
    from skimage import data
    from skimage.util import img_as_float

    clean = img_as_float(data.camera())
    noisy = clean + np.random.default_rng(2).normal(0, 0.1, clean.shape)
    assert estimate_noise(noisy) == pytest.approx(0.1, rel=0.15)


def test_random_crops_are_seeded_and_augmented(tmp_path):
    from PIL import Image

    for i in range(3):
        Image.fromarray(np.random.default_rng(i).integers(0, 255, (40, 50, 3), dtype=np.uint8)).save(tmp_path / f"{i}.png")
    crops = RandomCrops(ImageFolder(tmp_path), crop=16, length=10)
    torch.manual_seed(0)
    first = torch.stack([crops[i] for i in range(4)])
    torch.manual_seed(0)
    again = torch.stack([crops[i] for i in range(4)])
    assert first.shape == (4, 3, 16, 16) and torch.equal(first, again)
    with pytest.raises(ValueError, match="smaller than the crop"):
        RandomCrops(ImageFolder(tmp_path), crop=64, length=1)


@pytest.mark.slow  # over 6 s in the default lane (CI runs it)
def test_denoiser_recipe_dry_run(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    tiny = ["--data", "synthetic:fields", "--eval_data", "synthetic:fields", "--eval_count", "2", "--crop", "32",
            "--base_channels", "8", "--levels", "2"]
    done = subprocess.run([sys.executable, "-m", "train.denoising", "--dry_run", *tiny, "--output_dir", str(tmp_path)],
                          cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    final = json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[-1])
    assert {"eval_psnr_db_sigma15", "eval_psnr_db_sigma25", "eval_psnr_db_sigma50"} <= set(final)
    assert (tmp_path / "final" / "model.safetensors").exists()
