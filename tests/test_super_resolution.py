"""x4 super-resolution: the network, the SR metrics, the feature losses, the recipe and the Space."""

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file
from skimage import data as skdata
from skimage.color import rgb2ycbcr
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from core.adversarial.features import (
    ColorizerFeatures,
    FeatureLoss,
    VGG16Features,
    feature_network,
    load_vgg16_features,
)
from core.common.metrics import psnr_y, rgb_to_y, ssim_y
from core.super_resolution.model import (
    SuperResolutionNet,
    downscale,
    pil_bicubic_upscale,
    pil_downscale,
    run_tiled,
    upscale,
    upscale_bicubic,
)
from spaces.registry import discover, load_app_module
from train.super_resolution import main as train_sr


@pytest.mark.parametrize("size", [(1, 1), (5, 7), (33, 20), (48, 48)])
def test_any_input_size_gives_four_times_the_sides(size):
    model = SuperResolutionNet(width=8, blocks=1).eval()
    with torch.no_grad():
        assert model(torch.rand(2, 3, *size)).shape == (2, 3, 4 * size[0], 4 * size[1])
    with pytest.raises(ValueError, match=r"\(B, 3, h, w\)"):
        model(torch.rand(1, 1, 8, 8))


def test_an_untrained_network_is_exactly_bicubic():
    model = SuperResolutionNet(width=8, blocks=2).eval()
    low = torch.rand(1, 3, 12, 10)
    with torch.no_grad():
        assert torch.allclose(model(low), upscale_bicubic(low, 4))


def test_tiles_give_the_same_image_as_one_pass():
    torch.manual_seed(0)
    model = SuperResolutionNet(width=8, blocks=2).eval()
    for layer in model.modules():  # non-zero output so the seams would show
        if isinstance(layer, torch.nn.Conv2d):
            torch.nn.init.normal_(layer.weight, std=0.05)
    low = torch.rand(1, 3, 70, 53)
    with torch.no_grad():
        whole = model(low)
        tiled = run_tiled(model, low, tile=24, overlap=8)  # receptive field 2 * 2 + 3 = 7 px < overlap
    assert torch.allclose(whole, tiled, atol=1e-5)


def test_downscale_matches_pil_bicubic():
    high = Image.fromarray(skdata.astronaut()).resize((128, 96))
    ours = downscale(torch.from_numpy(np.asarray(high, np.float32) / 255).permute(2, 0, 1)[None], 4)
    pil = np.asarray(pil_downscale(high, 4), np.float32) / 255
    assert ours.shape[-2:] == pil.shape[:2] == (24, 32)
    assert np.abs(ours[0].permute(1, 2, 0).numpy() - pil).mean() < 1.5 / 255  # PIL rounds to 8 bits


def test_sr_metrics_match_scikit_image_on_the_cropped_luma():
    rng = np.random.default_rng(0)
    reference = rng.random((40, 44, 3))
    test = np.clip(reference + rng.normal(0, 0.05, reference.shape), 0, 1)
    y_ref, y_test = (np.round(rgb2ycbcr(image)[4:-4, 4:-4, 0]) for image in (reference, test))
    assert np.allclose(rgb_to_y(reference), rgb2ycbcr(reference)[..., 0])
    assert psnr_y(reference, test) == pytest.approx(peak_signal_noise_ratio(y_ref, y_test, data_range=255), abs=1e-9)
    expected = structural_similarity(y_ref, y_test, data_range=255, gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False)
    assert ssim_y(reference, test) == pytest.approx(expected, abs=1e-9)
    with pytest.raises(ValueError, match="too small"):
        psnr_y(reference[:8, :8], test[:8, :8])
    with pytest.raises(ValueError, match="RGB"):
        psnr_y(reference[..., 0], test[..., 0])


def test_bicubic_baseline_is_worse_than_the_original_and_better_than_nearest():
    high = Image.fromarray(skdata.chelsea()).crop((0, 0, 448, 300))
    low = pil_downscale(high, 4)
    reference = np.asarray(high, np.float32) / 255
    bicubic = psnr_y(reference, np.asarray(pil_bicubic_upscale(low, 4), np.float32) / 255)
    nearest = psnr_y(reference, np.asarray(low.resize(high.size, Image.Resampling.NEAREST), np.float32) / 255)
    assert nearest < bicubic < 60


def test_colorizer_features_give_a_loss_that_is_zero_only_for_the_same_image():
    network, described = feature_network("colorizer")
    assert isinstance(network, ColorizerFeatures) and "colourization" in described
    loss = FeatureLoss(network)
    image = torch.rand(2, 3, 32, 32)
    blurred = torch.nn.functional.avg_pool2d(image, 3, 1, 1).requires_grad_(True)
    assert float(loss(image, image)) == 0.0
    value = loss(blurred, image)
    value.backward()
    assert value > 0 and blurred.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in network.parameters())


def test_vgg16_features_load_from_a_hub_repo_over_http(tmp_path, monkeypatch):
    from tests.local_hub import serve_local_hub, use_endpoint

    reference = VGG16Features()
    state = {k: torch.randn_like(v) for k, v in reference.state_dict().items() if k.startswith("features.")}
    state["head.fc.weight"] = torch.zeros(4, 4)  # timm checkpoints hold more than the part we use
    (tmp_path / "vgg").mkdir()
    save_file(state, tmp_path / "vgg" / "model.safetensors")
    (tmp_path / "other").mkdir()
    save_file({"conv.weight": torch.zeros(300)}, tmp_path / "other" / "model.safetensors")
    with serve_local_hub({"someone/vgg16": tmp_path / "vgg", "someone/not-vgg": tmp_path / "other"}) as endpoint:
        use_endpoint(monkeypatch, endpoint, tmp_path / "hf_cache")
        network = load_vgg16_features("someone/vgg16")
        assert torch.equal(network.features[2].weight, state["features.2.weight"])
        assert network(torch.rand(1, 3, 32, 32))[0].shape == (1, 128, 16, 16)
        with pytest.raises(ValueError, match="not a VGG-16"):
            load_vgg16_features("someone/not-vgg")
    with pytest.raises(ValueError, match="feature network"):
        feature_network("alexnet")


TINY = ["--data", "synthetic:gratings", "--eval_data", "synthetic:gratings", "--eval_count", "2", "--crop", "32",
        "--width", "8", "--blocks", "1", "--d_channels", "8", "--d_layers", "2"]


@pytest.mark.parametrize("loss", ["l2", "feature", "feature+gan"])
def test_tiny_training_runs_release_loadable_weights(tmp_path, loss):
    summary = train_sr(["--dry_run", *TINY, "--loss", loss, "--output_dir", str(tmp_path)])
    final = tmp_path / "final"
    model = SuperResolutionNet.from_pretrained(final)
    card = (final / "README.md").read_text()
    assert summary["step"] == 2 and "eval_psnr_y" in card and "eval_bicubic_psnr_y" in card
    assert upscale(model, Image.new("RGB", (9, 7))).size == (36, 28)
    assert (final / "discriminator" / "model.safetensors").exists() == (loss == "feature+gan")
    if loss != "l2":
        assert "colourization network" in card


def test_the_l2_recipe_step_beats_bicubic_on_gratings():
    from train.super_resolution import SuperResolutionRecipe, low_resolution, parse_args

    recipe = SuperResolutionRecipe(parse_args(TINY))
    model = recipe.build_models()["sr"]
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    torch.manual_seed(0)
    crops = recipe.build_dataset()
    high = torch.stack([crops[i] for i in range(16)])

    def update(name, loss):
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    torch.manual_seed(0)
    for _ in range(60):
        recipe.training_step({"sr": model}, high, update)
    with torch.no_grad():
        low = low_resolution(high, 4)
        trained = torch.nn.functional.mse_loss(model(low), high)
        bicubic = torch.nn.functional.mse_loss(upscale_bicubic(low, 4), high)
    assert trained < 0.8 * bicubic


# -- the Space ------------------------------------------------------------------------------------

KNOWN, AS_IS = "Shrink it x4 first (the truth is known: PSNR/SSIM)", "Upscale it as it is"


@pytest.fixture(scope="module")
def app():
    return load_app_module(next(s for s in discover() if s.name == "super-resolution"))


def test_space_compares_four_upscales_with_scores_and_zooms(app):
    photo = Image.fromarray(skdata.coffee()).resize((203, 150))  # sides not multiples of 4
    gallery, table, summary, results, zoomed = app.run(photo, KNOWN, 50, 50, 64)
    assert [caption for _, caption in gallery] == ["bicubic", "L2", "perceptual", "GAN", "original"]
    assert {image.shape[:2] for image, _ in gallery} == {(148, 200)} and "trimmed" in summary
    scores = {line.split("|")[1].strip(): float(line.split("|")[2].split()[0]) for line in table.splitlines()[2:]}
    assert set(scores) == {"bicubic", "L2", "perceptual", "GAN"} and scores["L2"] > scores["bicubic"]
    assert zoomed.size == (5 * 256 + 4 * 4, 256 + app.CAPTION)  # five crops, each captioned
    corner = app.zoom(results, 0, 0, 1000)  # a window larger than the image shrinks to fit
    assert corner.size == zoomed.size


def test_space_upscales_as_is_and_handles_bad_input(app):
    gallery, table, summary, results, zoomed = app.run(Image.new("RGB", (31, 17), "red"), AS_IS, 0, 100, 16)
    assert gallery[0][0].shape[:2] == (68, 124) and "No original" in summary and len(gallery) == 4
    _, _, summary, _, _ = app.run(Image.new("RGB", (3000, 2000)), AS_IS, 50, 50, 64)
    assert "resized from 3000x2000" in summary and "256x171" in summary
    _, _, summary, _, _ = app.run(Image.new("RGBA", (64, 40), (0, 0, 0, 0)), KNOWN, 50, 50, 64)
    assert "16x10" in summary
    _, _, summary, _, _ = app.run(Image.new("I;16", (64, 64), 4000), KNOWN, 50, 50, 64)
    assert "16x16" in summary
    for bad, message in [(None, "No image"), (b"not an image", "not a readable image"),
                         (Image.new("RGB", (20, 40)), "too small")]:
        with pytest.raises(ValueError, match=message):
            app.run(bad, KNOWN, 50, 50, 64)
    assert app.zoom({}, 50, 50, 64) is None


def test_space_reruns_on_a_new_image_but_not_on_clearing_it(app):
    assert all(isinstance(output, type(gr.skip())) for output in app.run_when_changed(None, KNOWN, 50, 50, 64))
    gallery, *_ = app.run_when_changed(Image.new("RGB", (64, 64)), KNOWN, 50, 50, 64)
    assert len(gallery) == 5
