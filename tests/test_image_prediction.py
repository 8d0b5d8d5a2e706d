"""Image prediction (object labeling): the CamVid loader and its cache, median-frequency weights, augmentation,
the twins (shapes, equal budgets, save/load), the loss that ignores void, the scores on hand-made cases, the
bench and the recipe's dry run. All on tiny data made here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from core.image_prediction.camvid import (
    CLASS_COLOURS,
    CLASS_NAMES,
    NUM_CLASSES,
    VOID,
    SegmentationPairs,
    augment,
    class_frequencies,
    colourize,
    decode_folder,
    find_pairs,
    legend,
    median_frequency_weights,
    synthetic_streets,
)
from core.image_prediction.model import SegmentationNet, predict, segmentation_loss
from core.image_prediction.scores import SegmentationScores, boundary_band, confusion

REPO_ROOT = Path(__file__).resolve().parents[1]
TINY = {"widths": (4, 8), "blocks": (1, 1), "input_width": 32, "input_height": 24}


def write_folder(root: Path, count: int = 3, width: int = 40, height: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """A CamVid-layout folder (JPEG photos, PNG labels) from the synthetic streets; returns what was written."""
    images, labels = synthetic_streets(count=count, width=width, height=height)
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        Image.fromarray(image).save(root / "images" / f"frame{index:03d}.png")
        Image.fromarray(label).save(root / "labels" / f"frame{index:03d}.png")
    return images, labels


def test_classes_colours_and_legend():
    assert NUM_CLASSES == 11 and VOID == 11 and len(CLASS_COLOURS) == 11
    assert CLASS_NAMES[0] == "sky" and CLASS_NAMES[3] == "road" and CLASS_NAMES[10] == "bicyclist"
    assert legend()["road"] == "#804080"
    painted = colourize(np.array([[0, 3], [VOID, 200]]))
    assert painted.shape == (2, 2, 3) and painted[0, 1].tolist() == [128, 64, 128]
    assert painted[1].tolist() == [[0, 0, 0], [0, 0, 0]]  # void and junk are black


def test_folder_is_paired_by_name_decoded_at_the_working_size_and_cached(tmp_path):
    images, labels = write_folder(tmp_path / "set")
    Image.fromarray(images[0]).save(tmp_path / "set" / "images" / "unlabelled.png")  # no label map: left out
    assert [p.stem for p, _ in find_pairs(tmp_path / "set")] == ["frame000", "frame001", "frame002"]
    decoded_images, decoded_labels = decode_folder(tmp_path / "set", 40, 30, cache_dir=tmp_path / "cache")
    assert np.array_equal(decoded_images, images) and np.array_equal(decoded_labels, labels)
    assert len(list((tmp_path / "cache").glob("camvid-40x30-*.npz"))) == 1
    (tmp_path / "set" / "images" / "frame000.png").unlink()  # the cache key sees the files: a new decode
    assert len(decode_folder(tmp_path / "set", 40, 30, cache_dir=tmp_path / "cache")[0]) == 2
    small_images, small_labels = decode_folder(tmp_path / "set", 20, 15, cache_dir=None)
    assert small_images.shape == (2, 15, 20, 3)
    assert set(np.unique(small_labels)) <= set(np.unique(labels))  # nearest neighbour: no averaged class ids
    with pytest.raises(FileNotFoundError, match="images/ and labels/"):
        find_pairs(tmp_path)


def test_median_frequency_weights_on_a_hand_made_set():
    # image A: 4 sky pixels; image B: 2 sky, 1 building, 1 void. freq(sky) = 6/8, freq(building) = 1/4 (only B
    # has buildings); median 0.5 -> weights 2/3 and 2; classes never seen get 0.
    labels = np.array([[[0, 0], [0, 0]], [[0, 0], [1, VOID]]], dtype=np.uint8)
    assert class_frequencies(labels)[:2] == pytest.approx([0.75, 0.25])
    weights = median_frequency_weights(labels)
    assert weights[:2] == pytest.approx([2 / 3, 2.0]) and not weights[2:].any()


def test_augmentation_scales_flips_and_crops_with_labels_aligned():
    images, labels = synthetic_streets(count=1, width=40, height=30)
    image = torch.from_numpy(images[0]).permute(2, 0, 1).float() / 255
    label = torch.from_numpy(labels[0]).long()
    generator = torch.Generator().manual_seed(0)
    crops = [augment(image, label, (16, 24), (1.0, 1.0), generator) for _ in range(20)]
    for photo, crop_label in crops:  # at scale 1 each crop is a window of the (maybe flipped) pair: compare them
        assert photo.shape == (3, 16, 24) and crop_label.shape == (16, 24)
        source = next(candidate for candidate in (image, image.flip(-1)) if _contains(candidate, photo))
        source_label = label if source is image else label.flip(-1)
        top, left = _position(source, photo)
        assert torch.equal(source_label[top : top + 16, left : left + 24], crop_label)
    assert any(_contains(image.flip(-1), p) and not _contains(image, p) for p, _ in crops)  # some were flipped
    photo, padded = augment(image, label, (32, 48), (0.5, 0.5), torch.Generator().manual_seed(0))  # smaller: pad
    assert (padded[15:] == VOID).all() and (padded[:, 20:] == VOID).all() and photo[:, 20, 30].eq(0.5).all()
    dataset = SegmentationPairs(images, labels, crop=(16, 24))
    torch.manual_seed(1)
    first = dataset[0]
    torch.manual_seed(1)
    assert torch.equal(first[0], dataset[0][0])  # seeded by the global RNG, as the loop seeds it per process


def _position(source: torch.Tensor, window: torch.Tensor) -> tuple[int, int]:
    for top in range(source.shape[1] - window.shape[1] + 1):
        for left in range(source.shape[2] - window.shape[2] + 1):
            if torch.equal(source[:, top : top + window.shape[1], left : left + window.shape[2]], window):
                return top, left
    raise LookupError


def _contains(source, window) -> bool:
    try:
        _position(source, window)
        return True
    except LookupError:
        return False


def test_twins_have_the_same_budget_and_any_size_in_gives_logits_of_that_size():
    torch.manual_seed(0)
    with_skips, without = SegmentationNet(skips=True).eval(), SegmentationNet(skips=False).eval()
    count = lambda model: sum(p.numel() for p in model.parameters())  # noqa: E731
    assert count(with_skips) == count(without)  # the skip is an addition: no parameters of its own
    assert 1.0e6 < count(with_skips) < 2.5e6
    tiny = SegmentationNet(**TINY).eval()
    for height, width in ((24, 32), (37, 50), (5, 7)):
        assert tiny(torch.rand(2, 3, height, width)).shape == (2, NUM_CLASSES, height, width)
    without.load_state_dict(with_skips.state_dict())  # same weights, the skip is the one difference
    photo = torch.rand(1, 3, 48, 64)
    assert not torch.allclose(with_skips(photo), without(photo))
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        tiny(torch.rand(3, 24, 32))
    with pytest.raises(ValueError, match="one entry per level"):
        SegmentationNet(widths=(8, 16), blocks=(1,))


def test_twin_saves_and_loads_with_its_config(tmp_path):
    torch.manual_seed(0)
    model = SegmentationNet(**TINY, skips=False).eval()
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config == {"num_classes": 11, "widths": [4, 8], "blocks": [1, 1], "skips": False, "input_width": 32,
                      "input_height": 24}
    loaded = SegmentationNet.from_pretrained(tmp_path).eval()
    photo = torch.rand(1, 3, 24, 32)
    assert torch.equal(model(photo), loaded(photo)) and loaded.input_size == (24, 32)


def test_predict_runs_at_the_working_size_and_answers_at_the_photos_size():
    model = SegmentationNet(**TINY).eval()
    probabilities = predict(model, torch.rand(3, 90, 120))
    assert probabilities.shape == (NUM_CLASSES, 90, 120)
    assert torch.allclose(probabilities.sum(0), torch.ones(90, 120), atol=1e-5)


def test_a_photo_keeps_its_aspect_at_the_training_pixel_count():
    from core.image_prediction.model import working_size

    model = SegmentationNet(**{**TINY, "input_width": 240, "input_height": 180})
    assert working_size(model, 360, 480) == (180, 240)  # CamVid's own 4:3: the training size itself
    height, width = working_size(model, 480, 240)  # a portrait photo stays portrait
    assert height > width and abs(height * width - 240 * 180) < 0.1 * 240 * 180
    assert working_size(model, 10, 4000) == (16, 4156)  # a strip still has a side the network can halve 4 times


def test_the_labeling_views_mean_what_their_captions_say():
    from core.image_prediction.view import (
        MAX_ENTROPY,
        error_image,
        label_photo,
        overlay,
        photo_scores,
        uncertainty_image,
    )

    photo = np.full((6, 8, 3), 200, np.uint8)
    labels = np.zeros((6, 8), np.uint8)
    labels[:, 4:] = 3  # left sky, right road
    assert (overlay(photo, labels, 0.0) == photo).all()
    assert (overlay(photo, labels, 1.0) == colourize(labels)).all()
    entropy = np.array([[0.0, MAX_ENTROPY]], np.float32)
    assert uncertainty_image(entropy)[0, :, 0].tolist() == [0, 255]  # black = sure, white = a uniform guess
    truth = labels.copy()
    truth[0, 0] = 8  # one pixel wrong
    truth[5, 7] = VOID  # one pixel unknown
    errors = error_image(photo, labels, truth)
    assert errors[0, 0, 0] > errors[0, 0, 1]  # red
    assert errors[1, 1, 1] > errors[1, 1, 0]  # green
    assert errors[5, 7, 0] == errors[5, 7, 1] == errors[5, 7, 2]  # grey
    assert photo_scores(labels, truth)["global_accuracy"] == pytest.approx(46 / 47)
    ticks = iter([1.0, 1.25])
    result = label_photo(SegmentationNet(**TINY).eval(), np.zeros((30, 20, 3), np.uint8), clock=lambda: next(ticks))
    assert result.labels.shape == result.entropy.shape == (30, 20) and result.milliseconds == 250
    assert result.labels.dtype == np.uint8 and (result.entropy >= 0).all() and (result.entropy <= MAX_ENTROPY + 1e-4).all()


def test_loss_ignores_void_and_weights_classes():
    torch.manual_seed(0)
    logits = torch.randn(2, NUM_CLASSES, 4, 5)
    labels = torch.randint(0, NUM_CLASSES, (2, 4, 5))
    labels[:, 0] = VOID
    loss = segmentation_loss(logits, labels)
    changed = logits.clone()
    changed[:, :, 0] = torch.randn(2, NUM_CLASSES, 5) * 100  # anything at void pixels
    assert segmentation_loss(changed, labels) == pytest.approx(float(loss))
    labelled = labels != VOID
    manual = F.cross_entropy(logits.permute(0, 2, 3, 1)[labelled], labels[labelled])
    assert float(loss) == pytest.approx(float(manual), rel=1e-6)
    weights = torch.zeros(NUM_CLASSES)
    weights[labels[labelled][0]] = 1.0  # only one class counts
    only = labels[labelled] == labels[labelled][0]
    expected = F.cross_entropy(logits.permute(0, 2, 3, 1)[labelled][only], labels[labelled][only])
    assert float(segmentation_loss(logits, labels, weights)) == pytest.approx(float(expected), rel=1e-6)


def test_scores_on_a_hand_made_case():
    labels = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, VOID, VOID]], dtype=np.uint8)
    predicted = np.array([[0, 0, 0, 1], [0, 0, 1, 1], [2, 1, 5, 5]], dtype=np.uint8)
    matrix = confusion(predicted, labels)
    assert matrix.sum() == 10  # void pixels left out, whatever was predicted there
    assert matrix[0, 0] == 4 and matrix[1, 0] == 1 and matrix[1, 1] == 3 and matrix[2, 2] == 1 and matrix[2, 1] == 1
    scores = SegmentationScores(boundary_radius=1)
    scores.add(predicted, labels)
    result = scores.result()
    assert result["global_accuracy"] == pytest.approx(8 / 10)
    assert result["class_accuracy"] == pytest.approx((1 + 3 / 4 + 1 / 2) / 3)
    # IoU: sky 4 / (4 + 1) ; building 3 / (4 + 1) ; pole 1 / 2 ; classes absent from truth and prediction: NaN
    assert result["iou"][:3] == pytest.approx([0.8, 0.6, 0.5]) and np.isnan(result["iou"][3])
    assert result["mean_iou"] == pytest.approx((0.8 + 0.6 + 0.5) / 3)
    # radius 1: only the pixels on either side of a class change (edges against void do not count)
    band = boundary_band(labels, radius=1)
    assert band.tolist() == [[False, True, True, False], [True, True, True, False], [True, True, False, False]]
    assert result["boundary_accuracy"] == pytest.approx(5 / 7)
    wide = boundary_band(np.repeat(np.array([[0] * 10 + [1] * 10], dtype=np.uint8), 3, axis=0), radius=3)
    assert wide[0].nonzero()[0].tolist() == list(range(7, 13))  # 3 px each side of the edge
    with pytest.raises(ValueError, match="differ in shape"):
        scores.add(predicted[:2], labels)


def test_bench_prints_each_twin_with_the_best_last(tmp_path, capsys, monkeypatch):
    from bench import segmentation_quality

    write_folder(tmp_path / "val", count=2, width=32, height=24)
    for index, twin in enumerate(("no-skips", "skips")):
        torch.manual_seed(index)
        SegmentationNet(**TINY, skips=twin == "skips").save_pretrained(tmp_path / twin)
    for name in ("CAMVID_SEGMENTER_SKIPS", "CAMVID_SEGMENTER_NO_SKIPS"):
        monkeypatch.delenv(f"MANIFOLD_WEIGHTS_{name}", raising=False)
    segmentation_quality.main(["--data", str(tmp_path / "val"), "--weights", f"skips={tmp_path / 'skips'}",
                               "--weights", f"no-skips={tmp_path / 'no-skips'}", "--strip", str(tmp_path / "s.png")])
    lines = [line for line in capsys.readouterr().out.splitlines() if "mean IoU " in line]
    assert len(lines) == 2
    values = [float(line.split("mean IoU ")[1].split()[0]) for line in lines]
    assert values == sorted(values) and all(0 <= v <= 1 for v in values)
    assert Image.open(tmp_path / "s.png").size == (4 * 32 + 3 * 2, 2 * 24 + 2)


@pytest.mark.slow  # over 6 s in the default lane (CI runs it)
def test_recipe_dry_run_releases_a_twin_with_scores(tmp_path):
    tiny = ["--data", "synthetic:streets", "--eval_data", "synthetic:streets", "--width", "64", "--height", "48",
            "--crop_width", "48", "--crop_height", "32", "--widths", "4,8", "--blocks", "1,1", "--batch_size", "4",
            "--twin", "no-skips"]
    done = subprocess.run([sys.executable, "-m", "train.image_prediction", "--dry_run", *tiny, "--output_dir",
                           str(tmp_path)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    final = json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[-1])
    assert {"eval_global_accuracy", "eval_class_accuracy", "eval_mean_iou", "eval_boundary_accuracy"} <= set(final)
    config = json.loads((tmp_path / "final" / "config.json").read_text())
    assert config["skips"] is False and config["widths"] == [4, 8]
    assert "without skip connections" in (tmp_path / "final" / "README.md").read_text()
    assert Image.open(tmp_path / "samples" / "step-0000002.png").size[0] > 4 * 64  # photos, labels, truth


@pytest.mark.slow
def test_a_few_steps_on_synthetic_streets_lower_the_loss():
    """Learning, not plumbing: 30 steps of the tiny twin on the synthetic streets (about 10 s on one thread)."""
    from train import image_prediction

    args = image_prediction.parse_args(["--data", "synthetic:streets", "--width", "64", "--height", "48",
                                        "--crop_width", "48", "--crop_height", "32", "--widths", "8,16",
                                        "--blocks", "1,1", "--no_channels_last"])
    recipe = image_prediction.SegmentationRecipe(args)
    torch.manual_seed(0)
    model = recipe.build_models()["segmenter"]
    optimizer = recipe.build_optimizers({"segmenter": model})["segmenter"]
    data = recipe.build_dataset()

    def update(name, loss):
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    history = []
    for step in range(30):
        batch = [data[(step * 4 + i) % len(data)] for i in range(4)]
        photos, labels = (torch.stack(x) for x in zip(*batch, strict=True))
        history.append(float(recipe.training_step({"segmenter": model}, (photos, labels), update)["loss"]))
    assert np.mean(history[-5:]) < 0.7 * np.mean(history[:5])
