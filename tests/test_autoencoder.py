"""Autoencoders and corruptions: shapes, levels hit, a short run learns, weights round-trip."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from core.autoencoder.drawing import to_mnist
from core.autoencoder.model import ConvAutoencoder
from core.common import corruptions
from core.common.images import ImageInputError
from core.hub import load_pretrained, override_variable
from train import autoencoder as ae_recipe

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("latent_dim, variational", [(2, False), (16, False), (8, True)])
def test_shapes(latent_dim, variational):
    model = ConvAutoencoder(base_channels=4, hidden_dim=16, latent_dim=latent_dim, variational=variational)
    images = torch.rand(5, 1, 28, 28)
    output, mean, log_var = model(images)
    assert output.shape == images.shape and mean.shape == (5, latent_dim)
    assert (log_var is not None) == variational
    assert output.min() >= 0 and output.max() <= 1
    assert model.decode(torch.zeros(3, latent_dim)).shape == (3, 1, 28, 28)


def test_colour_and_other_sizes():
    model = ConvAutoencoder(in_channels=3, image_size=32, base_channels=4, hidden_dim=8, latent_dim=4)
    assert model(torch.rand(2, 3, 32, 32))[0].shape == (2, 3, 32, 32)
    with pytest.raises(ValueError, match="divisible by 4"):
        ConvAutoencoder(image_size=30)


def test_wrong_input_shapes_are_clear_errors():
    model = ConvAutoencoder(base_channels=4, hidden_dim=8)
    with pytest.raises(ValueError, match=r"\(B, 1, 28, 28\)"):
        model(torch.rand(2, 3, 28, 28))
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        model.decode(torch.rand(2, 3))


def test_vae_samples_in_training_and_uses_the_mean_in_eval():
    torch.manual_seed(0)
    model = ConvAutoencoder(base_channels=4, hidden_dim=8, latent_dim=4, variational=True)
    images = torch.rand(2, 1, 28, 28)
    model.eval()
    assert torch.equal(model(images)[0], model(images)[0])
    model.train()
    assert not torch.equal(model(images)[0], model(images)[0])


def test_gaussian_noise_hits_its_sigma():
    images = torch.full((4, 3, 64, 64), 0.5)
    noisy = corruptions.corrupt(images, "gaussian", 0.1, torch.Generator().manual_seed(0))
    assert (noisy - images).std().item() == pytest.approx(0.1, rel=0.02)


@pytest.mark.parametrize("kind", ["salt_and_pepper", "mask"])
def test_pixel_corruptions_hit_their_fraction(kind):
    images = torch.full((4, 3, 64, 64), 0.5)
    out = corruptions.corrupt(images, kind, 0.3, torch.Generator().manual_seed(0))
    changed = (out != images).any(dim=1).float().mean().item()  # per pixel position, all channels together
    assert changed == pytest.approx(0.3, abs=0.01)
    assert torch.equal((out != images)[:, 0], (out != images)[:, 2])  # a hit pixel is hit in every channel
    if kind == "salt_and_pepper":
        hit = out[out != images]
        assert set(hit.unique().tolist()) == {0.0, 1.0}
        assert (hit == 1).float().mean().item() == pytest.approx(0.5, abs=0.03)


def test_corruption_arguments_are_checked():
    with pytest.raises(ValueError, match="unknown corruption"):
        corruptions.corrupt(torch.rand(1, 1, 4, 4), "blur", 0.1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        corruptions.corrupt(torch.rand(1, 1, 4, 4), "mask", 1.5)


TINY = ["--data", "synthetic:strokes", "--base_channels", "4", "--hidden_dim", "16", "--eval_count", "16"]


@pytest.mark.slow  # over 6 s in the default lane (CI runs it)
def test_tiny_training_run_releases_with_its_metrics(tmp_path):
    summary = ae_recipe.main(["--dry_run", *TINY, "--output_dir", str(tmp_path)])
    assert summary["step"] == 2
    # the command line, as a user runs it: a denoising autoencoder reports its per-corruption PSNR
    done = subprocess.run([sys.executable, "-m", "train.autoencoder", "--dry_run", *TINY, "--output_dir",
                           str(tmp_path / "b"), "--corruption", "gaussian", "mask"], cwd=REPO_ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    final = json.loads((tmp_path / "b" / "metrics.jsonl").read_text().splitlines()[-1])
    assert "eval_psnr_db_mask_0.4" in final and "eval_psnr_db_gaussian_0.3_input" in final


def test_loss_falls_over_forty_steps(tmp_path):
    args = ae_recipe.parse_args(["--output_dir", str(tmp_path), *TINY, "--learning_rate", "3e-3"])
    recipe = ae_recipe.AutoencoderRecipe(args)
    torch.manual_seed(0)
    model = recipe.build_models()["autoencoder"]
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    dataset = recipe.build_dataset()
    data = torch.stack([dataset[i] for i in range(32)])

    def update(name, loss):
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    losses = [recipe.training_step({"autoencoder": model}, (data,), update)["loss"].item() for _ in range(40)]
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])


def test_the_vae_objective_matches_closed_forms():
    from core.autoencoder.losses import kl_to_standard_normal, reconstruction_loss, vae_loss

    mean, log_var = torch.tensor([[1.0, -2.0]]), torch.log(torch.tensor([[4.0, 0.25]]))
    # KL(N(m, s^2) || N(0, 1)) = (s^2 + m^2 - 1 - ln s^2) / 2 per dimension
    expected = 0.5 * ((4 + 1 - 1 - math.log(4)) + (0.25 + 4 - 1 - math.log(0.25)))
    assert kl_to_standard_normal(mean, log_var).item() == pytest.approx(expected, rel=1e-6)
    target = torch.tensor([[[[1.0, 0.0]]]])
    assert reconstruction_loss(target, target, "mse").item() == 0
    assert reconstruction_loss(torch.full_like(target, 0.5), target, "bce").item() == pytest.approx(2 * math.log(2), rel=1e-5)
    loss, parts = vae_loss(target, target, mean, log_var, "mse", kl_weight=2.0)
    assert loss.item() == pytest.approx(2 * expected, rel=1e-6) and set(parts) == {"reconstruction", "kl"}


def test_save_load_roundtrip_through_the_weight_loader(tmp_path, monkeypatch):
    torch.manual_seed(0)
    model = ConvAutoencoder(base_channels=4, hidden_dim=8, latent_dim=3).eval()
    model.save_pretrained(tmp_path / "ae")
    monkeypatch.setenv(override_variable("some-ae"), str(tmp_path / "ae"))
    loaded, source = load_pretrained(ConvAutoencoder, "manifold-lab/some-ae")
    images = torch.rand(2, 1, 28, 28)
    assert source.kind == "local" and loaded.latent_dim == 3
    assert torch.allclose(model(images)[0], loaded(images)[0])


def drawn_digit(mode="RGBA", size=280, offset=(0, 0)) -> Image.Image:
    image = Image.new(mode, (size, size), (255, 255, 255, 0) if mode == "RGBA" else "white")
    draw = ImageDraw.Draw(image)
    x, y = offset
    draw.line([(140 + x, 40 + y), (140 + x, 240 + y)], fill=(0, 0, 0, 255) if mode == "RGBA" else "black", width=24)
    return image


def test_drawing_becomes_a_centred_mnist_digit():
    digit = to_mnist({"background": None, "layers": [], "composite": np.asarray(drawn_digit(offset=(60, 20)))})
    assert digit.shape == (28, 28) and digit.max() == pytest.approx(1.0)
    rows, cols = np.nonzero(digit > 0.3)
    assert rows.min() >= 3 and rows.max() <= 24  # fits the 20-pixel box
    assert abs(np.average(np.arange(28), weights=digit.sum(0)) - 14) < 1.0  # centred by mass
    assert digit[0].max() == 0  # black background


def test_white_on_black_upload_is_not_inverted():
    inverted = Image.eval(drawn_digit("L"), lambda v: 255 - v)
    assert to_mnist(inverted)[14, 14] > 0.5


@pytest.mark.parametrize("value", [None, {"background": None, "layers": [], "composite": None},
                                   np.full((280, 280, 4), 0, np.uint8)])
def test_empty_canvas_is_a_clear_message(value):
    with pytest.raises(ImageInputError):
        to_mnist(value)


@pytest.mark.slow  # over 6 s in the default lane (CI runs it)
def test_recipe_trains_on_a_folder_of_colour_patches(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(24):
        Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(tmp_path / f"{i}.png")
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "train.autoencoder", "--data", str(tmp_path), "--channels", "3",
                           "--image_size", "16", "--base_channels", "4", "--hidden_dim", "8", "--latent_dim", "4",
                           "--loss", "mse", "--max_steps", "3", "--batch_size", "4", "--output_dir", str(out)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    model = ConvAutoencoder.from_pretrained(out / "final")
    assert (model.in_channels, model.image_size, model.latent_dim) == (3, 16, 4)
    final = json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])
    assert final["final"] and 0 < final["eval_mse"] < 1
