"""pix2pix labels -> street (CamVid): the painter's colours become class ids, pairs keep their 4:3 frame and jitter
labels and photo alike, the 5-level U-Net runs at 128x96, the recipe trains and releases, the FCN-score bench
scores both twins and the real photos, and the Space's tab reads its streets back with the segmenter."""

import re

import numpy as np
import pytest
import torch
from PIL import Image

from core.image_prediction.camvid import CLASS_COLOURS, VOID, colourize
from core.pix2pix import streets
from core.pix2pix.networks import UNetGenerator
from spaces.registry import discover, load_app_module
from tests.test_image_prediction import write_folder
from train import pix2pix as recipe_module


def street_folder(root, count=4, width=160, height=120):
    write_folder(root, count=count, width=width, height=height)  # the segmenter tests' synthetic CamVid folder
    return root


def test_painted_colours_become_class_ids_and_the_rest_is_void():
    rgb = np.ones((3, 13, 3), np.float32)  # the canvas's white
    for index, colour in enumerate(CLASS_COLOURS):
        rgb[0, index] = np.array(colour) / 255
        rgb[1, index] = np.clip(np.array(colour) / 255 + 0.03, 0, 1)  # an antialiased edge near a colour
    rgb[2, :] = (1.0, 0.0, 1.0)  # magenta: near no class
    ids = streets.paint_to_labels(rgb)
    assert ids[0, :11].tolist() == list(range(11)) and ids[1, :11].tolist() == list(range(11))
    assert (ids[0, 11:] == VOID).all() and (ids[2] == VOID).all()
    assert np.array_equal(streets.paint_to_labels(colourize(ids) / 255.0), ids)  # round trip (void is black)


@pytest.mark.parametrize("shape", [(360, 480), (600, 480), (100, 900), (7, 5)])
def test_any_label_map_is_framed_at_4_by_3_without_new_classes(shape):
    labels = np.random.default_rng(0).integers(0, 12, shape).astype(np.uint8)
    framed = streets.frame_labels(labels)
    assert framed.shape == (streets.HEIGHT, streets.WIDTH)
    assert set(np.unique(framed)) <= set(np.unique(labels))


def test_street_pairs_jitter_the_labels_and_the_photo_alike(tmp_path):
    folder = street_folder(tmp_path / "set")
    plain = streets.StreetPairs(str(folder), jitter=False, cache_dir=None)
    condition, photo = plain[0]
    assert condition.shape == photo.shape == (3, 96, 128) and condition.min() >= -1 and photo.max() <= 1
    assert torch.equal(condition, streets.labels_to_input(plain.class_ids(0)) * 2 - 1)
    jittered = streets.StreetPairs(str(folder), jitter=True, cache_dir=None)
    torch.manual_seed(3)
    for index in range(len(jittered)):
        condition, photo = jittered[index]
        assert condition.shape == photo.shape == (3, 96, 128)
        # every input pixel is a class colour or void black: jitter moved ids, never blended colours
        colours = {tuple(c) for c in np.round((condition.permute(1, 2, 0).reshape(-1, 3).numpy() + 1) * 127.5)}
        assert colours <= {*CLASS_COLOURS, (0, 0, 0)}
        # the sky class sits where the synthetic photo is sky-blue: the crop and mirror hit both halves
        sky = (condition[0] == 128 / 127.5 - 1) & (condition[1] == 128 / 127.5 - 1) & (condition[2] == 128 / 127.5 - 1)
        if sky.any():
            assert photo[2][sky].mean() > photo[2][~sky].mean()


def test_a_five_level_unet_keeps_the_street_frame_and_checks_its_depth():
    generator = UNetGenerator(image_size=128, base_channels=8, max_channels=16, upsample="resize", depth=5)
    assert generator(torch.zeros(1, 3, 96, 128)).shape == (1, 3, 96, 128)
    with pytest.raises(ValueError, match="multiples of 32"):
        generator(torch.zeros(1, 3, 100, 128))
    with pytest.raises(ValueError, match="depth"):
        UNetGenerator(image_size=128, depth=9)
    assert UNetGenerator(image_size=64).depth == 6  # no depth: down to 1x1, as every released model


def test_the_streets_recipe_trains_and_releases_a_five_level_generator(tmp_path):
    folder = street_folder(tmp_path / "set")
    summary = recipe_module.main(["--task", "streets", "--data", str(folder), "--eval_data", str(folder),
                                  "--base_channels", "8", "--max_channels", "16", "--batch_size", "2",
                                  "--max_steps", "2", "--eval_count", "2", "--mixed_precision", "no",
                                  "--output_dir", str(tmp_path / "run")])
    assert summary["step"] == 2
    released = UNetGenerator.from_pretrained(tmp_path / "run" / "final")
    assert released.depth == 5 and released(torch.zeros(1, 3, 96, 128)).shape == (1, 3, 96, 128)
    card = (tmp_path / "run" / "final" / "README.md").read_text()
    assert "128x96" in card and "CamVid" in card and "eval_psnr" in card
    with pytest.raises(SystemExit):
        recipe_module.parse_args(["--task", "streets", "--image_size", "64"])


def test_the_fcn_score_bench_scores_both_twins_and_the_real_photos(tmp_path, capsys, monkeypatch):
    from bench import pix2pix_fcn_score as bench

    folder = street_folder(tmp_path / "set", count=3)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    bench.main(["--data", str(folder), "--strip", str(tmp_path / "strip.png")])
    out = capsys.readouterr().out
    for name in ("L1 only", "L1 + cGAN", "real photos"):
        line = next(line for line in out.splitlines() if line.startswith(name))
        values = [float(v) for v in re.findall(r"\d\.\d{3}", line.split("[")[0])]
        assert len(values) == 3 and all(0 <= v <= 1 for v in values), line
    assert Image.open(tmp_path / "strip.png").size == (4 * 256 + 3 * 2, 3 * 192 + 2 * 2)


def test_the_space_paints_a_street_reads_it_back_and_refuses_an_empty_map():
    app = load_app_module(next(s for s in discover() if s.name == "pix2pix"))
    example = np.asarray(Image.open(app.examples("streets")[0]).convert("RGB"))
    shown, l1, gan, read_l1, read_gan, note = app.paint_street({"composite": example, "background": None, "layers": []})
    assert shown.shape == l1.shape == gan.shape == read_l1.shape == (288, 384, 3)
    assert note.startswith("Pixels whose class the segmenter reads back") and note.count("%") == 2
    assert not np.array_equal(l1, gan)
    white = np.full((360, 480, 3), 255, np.uint8)
    magenta = white.copy()
    magenta[100:200, 100:300] = (255, 0, 255)
    for bad, message in [(None, "Paint a label map"), ({"composite": white}, "Paint a label map"),
                         ({"composite": magenta}, "class colours")]:
        with pytest.raises(ValueError, match=message):
            app.paint_street(bad)
