"""The text-to-image teaser: words in, a guided DDPM out (core.diffusion.text), its data, trainer and tab."""

from __future__ import annotations

import io
import json
import random

import numpy as np
import pytest
import torch
from PIL import Image

from core.diffusion.data import load_captioned
from core.diffusion.guidance_check import category_prompt, train_judge
from core.diffusion.text import NOTHING, PAD, TextToImageModel, sample_from_text, words_of
from core.hub import load_pretrained
from spaces.registry import discover, load_app_module
from train.diffusion import CaptionedTensors
from train.diffusion import main as train_diffusion
from train.emoji_data import build, caption_of

TINY = dict(image_size=16, block_channels=(8, 16), attention_levels=(1,), norm_groups=4)


def test_words_are_lower_case_letters_without_stopwords():
    assert words_of("Red heart, smileys & EMOTION") == ["red", "heart", "smileys", "emotion"]
    assert words_of("a cat with a hat!") == ["cat", "hat"]
    assert words_of("") == [] and words_of("123 ... ") == []


def test_a_description_becomes_known_word_ids_and_the_unknown_words_are_named():
    model = TextToImageModel(vocabulary=("red", "heart", "cat"), **TINY)
    ids, unknown = model.encode(["Red heart heart", "dragon", ""])
    assert ids[0, :3].tolist() == [2, 3, PAD]  # each known word once, in the order typed
    assert ids[1, 0] == ids[2, 0] == NOTHING  # no known word: the unconditional model
    assert unknown == [[], ["dragon"], []]


def test_a_release_round_trips_its_vocabulary_and_word_vectors(tmp_path, monkeypatch):
    model = TextToImageModel(vocabulary=("red", "blue"), **TINY)
    model.save_pretrained(tmp_path / "release")
    monkeypatch.setenv("MANIFOLD_WEIGHTS_TINY_TEXT", str(tmp_path / "release"))
    loaded, source = load_pretrained(TextToImageModel, "manifold-lab/tiny-text")
    assert source.kind == "local" and loaded.vocabulary == ("red", "blue")
    assert torch.equal(loaded.words.weight, model.words.weight)


def test_guidance_zero_is_the_unconditional_model_and_guidance_makes_words_matter():
    torch.manual_seed(0)
    model = TextToImageModel(vocabulary=("red", "blue"), **TINY).eval()
    with torch.no_grad():  # word vectors far apart, so that the words change the network's answer
        model.words.weight.normal_(0, 1)
    red0, blue0 = (sample_from_text(model, p, [0, 1], steps=4, guidance=0).final for p in ("red", "blue"))
    assert torch.equal(red0, blue0)  # at w = 0 the words are not even read
    red3, blue3 = (sample_from_text(model, p, [0, 1], steps=4, guidance=3).final for p in ("red", "blue"))
    assert not torch.allclose(red3, blue3)
    again = sample_from_text(model, "red", [0, 1], steps=4, guidance=3).final
    assert torch.equal(red3, again)  # seeded and deterministic (DDIM)


def test_training_captions_are_thinned_sometimes_dropped_never_empty():
    random.seed(0)
    data = CaptionedTensors(torch.zeros(1, 3, 8, 8), [[5, 6, 7, 8]], drop=0.2)
    draws = [data[0][1] for _ in range(2000)]
    nothing = sum(int(d[0] == NOTHING) for d in draws) / len(draws)
    assert 0.15 < nothing < 0.25  # the unconditional model is trained about `drop` of the time
    kept = [set(d[d > NOTHING].tolist()) for d in draws if d[0] != NOTHING]
    assert all(k and k <= {5, 6, 7, 8} for k in kept)
    assert {len(k) for k in kept} == {1, 2, 3, 4}  # short prompts and whole captions both seen


def fake_package(folder):
    """A two-emoji emoji-datasource folder: one with a skin tone, one held out or not by its code point."""
    pngs = folder / "img" / "google" / "64"
    pngs.mkdir(parents=True)
    entries = [
        {"name": "WAVING HAND SIGN", "unified": "1F44B", "image": "1f44b.png", "short_names": ["wave"],
         "category": "People & Body", "subcategory": "hand-fingers-open", "sort_order": 2,
         "skin_variations": {"1F3FB": {"image": "1f44b-1f3fb.png"}}},
        {"name": "HEAVY BLACK HEART", "unified": "2764-FE0F", "image": "2764-fe0f.png", "short_names": ["heart"],
         "category": "Smileys & Emotion", "subcategory": "heart", "sort_order": 1},
        {"name": "EMOJI MODIFIER FITZPATRICK TYPE-1-2", "unified": "1F3FB", "image": "1f3fb.png",
         "category": "Component", "subcategory": "skin-tone", "sort_order": 3},
    ]
    (folder / "emoji.json").write_text(json.dumps(entries))
    for name, colour in (("1f44b.png", (250, 200, 0, 255)), ("1f44b-1f3fb.png", (250, 220, 190, 255)),
                         ("2764-fe0f.png", (220, 0, 0, 255)), ("1f3fb.png", (250, 220, 190, 255))):
        image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
        image.paste(Image.new("RGBA", (32, 32), colour), (16, 16))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        (pngs / name).write_bytes(buffer.getvalue())


def test_emoji_data_captions_every_picture_on_white_and_leaves_out_components(tmp_path):
    fake_package(tmp_path / "package")
    arrays = build(tmp_path / "package", size=8)
    assert arrays["images"].shape == (3, 8, 8, 3) and arrays["images"].dtype == np.uint8
    assert list(arrays["caption"]) == ["heavy black heart, heart, heart, smileys & emotion",
                                       "waving hand sign, wave, hand fingers open, people & body",
                                       "waving hand sign, wave, hand fingers open, people & body, light skin tone"]
    assert (arrays["images"][:, 0, 0] == 255).all()  # the transparent corner is white
    assert tuple(arrays["images"][0, 4, 4]) == (220, 0, 0)
    assert arrays["split"][1] == arrays["split"][2]  # a skin tone stays on its base emoji's side
    assert json.loads(str(arrays["manifest"]))["licence"] == "Apache-2.0"
    assert caption_of({"name": "FLAG", "category": "Flags"}) == "flag, flags"


def test_the_guidance_check_judge_tells_the_synthetic_shapes_apart():
    shapes = load_captioned("synthetic:captioned", 16, "train")
    judge = train_judge(shapes.images, shapes.categories, shapes.images, shapes.categories, steps=40, batch_size=16)
    assert judge.classes == ["disc", "square"] and judge.val_accuracy > 0.9
    assert judge.rate(shapes.images[:6], "disc") == 0.5  # three discs and three squares
    assert category_prompt("Animals & Nature") == "animals nature"


@pytest.mark.slow  # a tiny run with its release's guidance check, ~20 s
def test_a_tiny_text_run_releases_with_its_guidance_rates(tmp_path, monkeypatch):
    summary = train_diffusion(["--dry_run", "--text", "--data", "synthetic:captioned", "--image_size", "16",
                               "--block_channels", "8,16", "--attention_levels", "1", "--norm_groups", "4",
                               "--eval_count", "2", "--judge_steps", "5", "--output_dir", str(tmp_path)])
    card = (tmp_path / "final" / "README.md").read_text()
    assert "category_rate_guidance_3" in card and "classifier-free guidance" in card and summary["step"] == 2
    monkeypatch.setenv("MANIFOLD_WEIGHTS_TINY_TEXT", str(tmp_path / "final"))
    model, _ = load_pretrained(TextToImageModel, "manifold-lab/tiny-text")
    assert {"red", "green", "blue", "disc", "square", "shapes"} == set(model.vocabulary)


@pytest.fixture(scope="module")
def app():
    return load_app_module(next(s for s in discover() if s.name == "diffusion"))


def test_the_description_tab_draws_samples_and_the_guidance_sweep(app):
    samples, sweep, note = app.from_text("red heart", 3, "0-3", 5)
    assert samples.size == (4 * 96 + 3 * 2, 96)  # one 32x32 emoji per seed, enlarged 3x
    assert sweep.size == (len(app.SWEEP) * 128 + (len(app.SWEEP) - 1) * 2, 128)
    assert "**red, heart**" in note and "guidance 3" in note and "never seen" not in note
    assert len(app.KNOWN_WORDS) > 500 and {"red", "heart", "cat", "flag"} <= set(app.KNOWN_WORDS)


def test_the_description_tab_says_which_words_it_ignores(app):
    *_, note = app.from_text("red dragonfruitzz", 3, "0", 2)
    assert "**red**" in note and "never seen (ignored): dragonfruitzz" in note
    *_, note = app.from_text("qwertz", 3, "0", 2)
    assert note.startswith("**None of these words")


def test_the_description_tab_turns_bad_input_into_messages(app):
    for args, message in ((("   ", 3, "0", 5), "Type a description"), (("cat", 3, "0-15", 50), "image-steps"),
                          (("cat", 3, "x", 5), "is not a seed")):
        with pytest.raises(ValueError, match=message):
            app.from_text(*args)
