"""pix2pix: U-Net and PatchGAN shapes, a training step that lowers both losses, paired data (local and
from a Hub dataset id), and the Space's inputs (sketch, label map, photo with a painted hole)."""

import numpy as np
import pytest
import torch
from PIL import Image

from core.adversarial.losses import discriminator_loss, generator_loss
from core.pix2pix.networks import PatchDiscriminator, UNetGenerator
from core.pix2pix.tasks import (
    FACADE_PALETTE,
    PairedImages,
    brush_mask,
    drawing_input,
    edges_of,
    grayscale_of,
    inpainting_input,
    jitter_pair,
    make_input,
)
from spaces.registry import discover, load_app_module
from train import pix2pix as recipe_module


@pytest.mark.parametrize("size", [64, 128, 256])
def test_unet_shapes_at_each_resolution(size):
    generator = UNetGenerator(image_size=size, base_channels=4, max_channels=16).eval()
    assert generator.depth == int(np.log2(size))  # down to 1x1, as in the paper
    out = generator(torch.randn(2, 3, size, size))
    assert out.shape == (2, 3, size, size) and out.abs().max() <= 1
    assert generator(torch.randn(1, 3, 2 * size, size)).shape == (1, 3, 2 * size, size)  # fully convolutional
    with pytest.raises(ValueError, match="multiples of"):
        generator(torch.randn(1, 3, size + 8, size))
    with pytest.raises(ValueError, match="power of two"):
        UNetGenerator(image_size=100)


def test_patchgan_receptive_field_and_output_grid():
    assert PatchDiscriminator(layers=3).receptive_field == 70  # the paper's 70x70 PatchGAN
    assert PatchDiscriminator(layers=2).receptive_field == 34  # the same share of a 128 px image
    discriminator = PatchDiscriminator(base_channels=8, layers=3)
    assert discriminator(torch.zeros(1, 3, 256, 256), torch.zeros(1, 3, 256, 256)).shape == (1, 1, 30, 30)
    unconditional = PatchDiscriminator(base_channels=8, layers=2, conditional=False)
    assert unconditional.body[0].in_channels == 3
    assert PatchDiscriminator(in_channels=4, base_channels=8).body[0].in_channels == 7  # inpainting: mask too


def test_losses():
    high, low = torch.full((1, 1, 4, 4), 6.0), torch.full((1, 1, 4, 4), -6.0)
    assert discriminator_loss(high, low) < 0.01 and discriminator_loss(low, high) > 10
    assert generator_loss(high) < 0.01 and generator_loss(low, "lsgan") == pytest.approx(49)
    with pytest.raises(ValueError, match="mode must be one of"):
        discriminator_loss(high, low, "wasserstein")


TINY = ["--image_size", "32", "--base_channels", "8", "--max_channels", "32", "--eval_count", "2"]


def test_a_few_steps_lower_g_and_d_losses_on_synthetic_pairs():
    args = recipe_module.parse_args(["--data", "synthetic:pairs", *TINY, "--output_dir", "unused"])
    recipe = recipe_module.Pix2PixRecipe(args)
    torch.manual_seed(0)
    models = recipe.build_models()
    optimizers = recipe.build_optimizers(models)
    data = recipe.build_dataset()
    batch = tuple(torch.stack(x) for x in zip(*[data[i] for i in range(8)], strict=True))

    def update(name, loss):
        optimizers[name].zero_grad()
        loss.backward()
        optimizers[name].step()

    history = [recipe.training_step(models, batch, update) for _ in range(40)]
    first, last = history[:5], history[-5:]
    for key in ("l1", "d_loss"):
        assert np.mean([h[key] for h in last]) < np.mean([h[key] for h in first]), key


def test_l1_only_twin_has_no_discriminator_and_the_recipe_releases(tmp_path):
    args = recipe_module.parse_args(["--objective", "l1", "--task", "inpainting", *TINY, "--output_dir", "x"])
    assert set(recipe_module.Pix2PixRecipe(args).build_models()) == {"generator"}
    summary = recipe_module.main(["--dry_run", "--task", "grayscale", "--data", "synthetic:discs", *TINY,
                                  "--output_dir", str(tmp_path)])
    assert summary["step"] == 2 and "eval_psnr" in (tmp_path / "final" / "README.md").read_text()


def paired_folder(root, count=6, size=32, grain=0):
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for index in range(count):
        a = np.full((size, size, 3), 30 * index, np.uint8) + rng.integers(0, grain + 1, (size, size, 3), np.uint8)
        b = np.zeros((size, size, 3), np.uint8)
        b[:, : size // 2] = 255  # labels (right): left half white
        Image.fromarray(np.concatenate([a, b], axis=1)).save(root / f"{index}.png")
    return root


def test_paired_images_split_a_b_and_jitter_both_halves_alike(tmp_path):
    data = PairedImages("facades", str(paired_folder(tmp_path / "pairs")), size=16, direction="BtoA")
    torch.manual_seed(0)
    condition, target = data[3]
    assert condition.shape == target.shape == (3, 16, 16)
    assert torch.allclose(target, torch.full_like(target, 90 / 255 * 2 - 1), atol=0.02)  # A = the photo
    white = condition[0] > 0  # the label's white half stays a half, on one side, after crop and mirror
    assert 0.3 < white.float().mean() < 0.7 and (white[:, 0] != white[:, -1]).all()
    swapped = PairedImages("paired", str(tmp_path / "pairs"), size=16, direction="AtoB", jitter=False)
    assert torch.allclose(swapped[3][0], target, atol=0.02)


def test_pairs_made_on_the_fly_from_photos():
    photo = torch.zeros(3, 64, 64)
    photo[:, 16:48, 16:48] = 1
    edges = edges_of(photo)
    assert edges.shape == (3, 64, 64) and edges.min() == 0 and edges.mean() > 0.8  # black lines on white
    assert torch.allclose(grayscale_of(torch.ones(3, 8, 8) * 0.5), torch.full((3, 8, 8), 0.5))
    mask = brush_mask(64, torch.Generator().manual_seed(0))
    assert mask.shape == (1, 64, 64) and 0.005 <= mask.mean() <= 0.4 and set(mask.unique().tolist()) == {0.0, 1.0}
    holed = make_input("inpainting", photo, torch.Generator().manual_seed(0))
    assert holed.shape == (4, 64, 64) and torch.equal(holed[3:], mask)
    condition, target = jitter_pair(holed, photo, 32, torch.Generator().manual_seed(1))
    assert condition.shape == (4, 32, 32) and target.shape == (3, 32, 32)
    with pytest.raises(ValueError, match="no on-the-fly input"):
        make_input("facades", photo)


def test_a_paired_dataset_from_a_hub_id_trains(tmp_path, monkeypatch):
    """aerial -> map and day -> night come from the Hub: the same path, served locally by olah."""
    from tests.local_hub import serve_local_hub, use_endpoint

    paired_folder(tmp_path / "maps" / "train", count=8, grain=20)  # grain: olah mis-serves tiny binary files
    with serve_local_hub({"datasets/someone/tiny-maps": tmp_path / "maps"}) as endpoint:
        use_endpoint(monkeypatch, endpoint, tmp_path / "hf_cache")
        data = PairedImages("paired", "hub:someone/tiny-maps", size=16, direction="AtoB")
        assert len(data) == 8 and data[0][0].shape == (3, 16, 16)


# -- the Space's inputs --------------------------------------------------------------------------------

def editor(background=None, layers=(), composite=None):
    return {"background": background, "layers": list(layers), "composite": composite}


def test_ui_drawings_reach_the_model_as_rgb_squares_or_get_a_message():
    empty = np.zeros((300, 400, 4), np.uint8)  # a fresh sketchpad: all transparent
    with pytest.raises(ValueError, match="empty"):
        drawing_input(editor(composite=empty), 128, "the canvas is empty")
    with pytest.raises(ValueError, match="empty"):
        drawing_input(None, 128, "the canvas is empty")
    sketch = empty.copy()
    sketch[100:110, 50:350] = (0, 0, 0, 255)  # one black stroke
    x = drawing_input(editor(composite=sketch), 128, "the canvas is empty")
    assert x.shape == (3, 128, 128) and x.min() < 0.2 and x.max() == 1  # black on white
    painted = np.zeros((256, 256, 3), np.uint8)
    painted[:] = tuple(int(FACADE_PALETTE["wall"][i : i + 2], 16) for i in (1, 3, 5))
    painted[100:150, 100:150] = (255, 0, 0)
    assert drawing_input(editor(composite=painted), 128, "paint").shape == (3, 128, 128)


def test_ui_photo_with_painted_hole_becomes_a_four_channel_input():
    photo = np.random.default_rng(0).integers(0, 255, (200, 300, 3), np.uint8)
    brush = np.zeros((200, 300, 4), np.uint8)
    with pytest.raises(ValueError, match="Upload a face"):
        inpainting_input(editor(), 128)
    with pytest.raises(ValueError, match="Paint over"):
        inpainting_input(editor(background=photo, layers=[brush]), 128)
    brush[80:120, 130:170, 3] = 255
    condition, square = inpainting_input(editor(background=photo, layers=[brush]), 128)
    assert condition.shape == (4, 128, 128) and square.shape == (3, 128, 128)
    hole = condition[3]
    assert 0.02 < hole.mean() < 0.1 and hole[64, 64] == 1 and hole[5, 5] == 0  # centre square of 200x300
    assert torch.allclose(condition[:3, 64, 64], torch.full((3,), 0.5))
    half_size_brush = np.zeros((100, 150, 4), np.uint8)  # a layer at another scale still marks the same place
    half_size_brush[40:60, 65:85, 3] = 255
    assert inpainting_input(editor(background=photo, layers=[half_size_brush]), 128)[0][3, 64, 64] == 1
    huge = np.zeros((4000, 6000, 3), np.uint8)  # shrunk as 8-bit before any float copy
    huge_brush = np.zeros((4000, 6000, 4), np.uint8)
    huge_brush[1800:2200, 2800:3200, 3] = 255
    assert inpainting_input(editor(background=huge, layers=[huge_brush]), 128)[0].shape == (4, 128, 128)


def test_space_answers_every_task_and_refuses_bad_input():
    app = load_app_module(next(s for s in discover() if s.name == "pix2pix"))
    sketch = np.zeros((256, 256, 4), np.uint8)
    sketch[60:200, 120:126] = (0, 0, 0, 255)
    shown, l1, gan = app.from_drawing("edges2shoes", "empty")(editor(composite=sketch))
    assert shown.shape == l1.shape == gan.shape == (256, 256, 3) and not np.array_equal(l1, gan)
    facade = np.asarray(Image.open(next((app.EXAMPLES / "facades").glob("*.png"))).convert("RGB"))
    assert app.from_drawing("facades", "empty")(editor(composite=facade))[2].shape == (256, 256, 3)
    rgba = Image.new("RGBA", (300, 200), (200, 120, 40, 128))
    assert len(app.from_photo(rgba)) == 4
    face = np.asarray(Image.open(next((app.EXAMPLES / "inpainting").glob("*.png"))).convert("RGB"))
    brush = np.zeros((*face.shape[:2], 4), np.uint8)
    brush[100:140, 90:170, 3] = 255
    shown, l1, gan, original = app.fill_hole(editor(background=face, layers=[brush]))
    assert shown.shape == original.shape == (256, 256, 3)
    for bad, call, message in [(None, app.from_photo, "No image"), (b"junk", app.from_photo, "not a readable"),
                               (editor(), app.fill_hole, "Upload a face"),
                               (editor(composite=np.zeros((64, 64, 4), np.uint8)), app.from_drawing("facades", "Paint a"), "Paint a")]:
        with pytest.raises(ValueError, match=message):
            call(bad)


def test_a_task_trained_from_the_hub_gets_its_own_tab_when_its_weights_are_found(tmp_path, monkeypatch):
    """aerial -> map has no data here; a user who trains it (one twin is enough) sees a tab without code changes."""
    import importlib.util

    torch.manual_seed(0)
    UNetGenerator(image_size=32, base_channels=8, max_channels=16, upsample="resize").save_pretrained(tmp_path / "maps")
    monkeypatch.setenv("MANIFOLD_WEIGHTS_PIX2PIX_MAPS_L1_CGAN", str(tmp_path / "maps"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    space = next(s for s in discover() if s.name == "pix2pix")
    spec = importlib.util.spec_from_file_location("pix2pix_with_maps", space.app_file)
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    assert app.FOUND_PHOTO_TASKS == ["maps"] and "maps" in app.photo_tabs
    assert app.sources["maps l1-cgan"].kind == "local" and ("maps", "l1") not in app.models
    photo = tmp_path / "aerial.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (90, 120, 3), np.uint8)).save(photo)
    shown, l1, gan = app.translate_photo("maps")(str(photo))
    assert l1 is None and shown.shape == gan.shape == (64, 64, 3)  # the model's own 32 px, shown at 2x
    for bad, message in [(None, "No image"), (b"junk", "not a readable")]:  # the same loader as the other tabs
        with pytest.raises(ValueError, match=message):
            app.translate_photo("maps")(bad)


def test_resize_upsampling_has_no_checkerboard_at_init_and_the_measure_sees_one():
    """Transposed 4x4 stride-2 convs paint a period-2 grid even untrained; nearest + 3x3 conv does not."""
    from core.common.metrics import period_energy

    flat = torch.zeros(8, 3, 64, 64)
    ratios = {}
    for upsample in ("transpose", "resize"):
        torch.manual_seed(0)
        model = UNetGenerator(image_size=64, base_channels=16, max_channels=32, upsample=upsample, dropout=0).eval()
        with torch.no_grad():
            out = (model(flat + torch.randn(8, 3, 64, 64) * 0.5) + 1) / 2
        ratios[upsample] = period_energy(out.permute(0, 2, 3, 1).numpy(), 2)
    checker = (np.indices((64, 64)).sum(0) % 2)[None].astype(float)
    assert period_energy(checker, 2) > 100 and period_energy(np.full((1, 64, 64), 0.5), 2) == pytest.approx(0)
    assert period_energy(checker, 4) == pytest.approx(0, abs=1e-9)  # a period-2 pattern is not at 1/4
    assert ratios["transpose"] > 3 * ratios["resize"]


def test_the_facade_paint_is_told_apart_and_reaches_the_model_in_the_datas_colours():
    from pathlib import Path

    from PIL import Image
    from skimage.color import rgb2lab

    from core.pix2pix.tasks import FACADE_PAINT, _rgb, paint_to_labels

    def closest_pair(palette) -> float:
        """The smallest colour difference between two labels (CIE76 delta E; about 2.3 is just noticeable)."""
        lab = rgb2lab(np.stack([_rgb(c) for c in palette.values()])[None])[0]
        pairs = np.sqrt(((lab[:, None] - lab[None]) ** 2).sum(-1))
        return float(pairs[np.triu_indices(len(lab), 1)].min())

    assert list(FACADE_PAINT) == list(FACADE_PALETTE)
    assert closest_pair(FACADE_PALETTE) < 12 and closest_pair(FACADE_PAINT) > 25  # wall vs background: 11.1
    # every painted colour becomes its label's data colour; the data's own colours stay; white (unpainted) stays
    for name in FACADE_PAINT:
        for colour in (FACADE_PAINT[name], FACADE_PALETTE[name]):
            assert np.allclose(paint_to_labels(np.tile(_rgb(colour), (2, 2, 1))), _rgb(FACADE_PALETTE[name]))
    assert np.allclose(paint_to_labels(np.ones((2, 2, 3), np.float32)), 1)
    # the Space's example label maps are painted in FACADE_PAINT only
    painted = {tuple(np.round(_rgb(c) * 255).astype(int)) for c in FACADE_PAINT.values()}
    for path in (Path(__file__).parents[1] / "spaces" / "pix2pix" / "examples" / "facades").glob("*.png"):
        colours = {tuple(c) for c in np.unique(np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3), axis=0)}
        assert colours <= painted, path.name
    # and through the editor: a painted window on a painted wall reaches the model in the data's two blues
    canvas = np.zeros((64, 64, 3), np.uint8)
    canvas[:] = np.round(_rgb(FACADE_PAINT["wall"]) * 255)
    canvas[16:48, 16:48] = np.round(_rgb(FACADE_PAINT["window"]) * 255)
    x = drawing_input(editor(composite=canvas), 32, "paint", paint_to_labels)
    assert torch.allclose(x[:, 0, 0], torch.from_numpy(_rgb(FACADE_PALETTE["wall"])), atol=1e-6)
    assert torch.allclose(x[:, 16, 16], torch.from_numpy(_rgb(FACADE_PALETTE["window"])), atol=1e-6)
