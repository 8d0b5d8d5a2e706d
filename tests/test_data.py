"""Data sources: bad files skipped and counted, odd modes loaded, A|B pairs split, stable splits."""

import numpy as np
import pytest
import torch
from PIL import Image

from core.common.data import ImageFolder, PairedFolder, image_source, in_validation_split, split_pair


@pytest.fixture
def messy_folder(tmp_path):
    """6 readable images in assorted modes and formats, nested, plus 3 broken files and a text file."""
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    Image.new("RGB", (12, 10), (255, 0, 0)).save(tmp_path / "red.jpg")
    Image.new("RGBA", (12, 10), (0, 255, 0, 128)).save(tmp_path / "sub" / "alpha.png")
    Image.new("P", (12, 10)).save(tmp_path / "sub" / "palette.png")
    Image.new("L", (12, 10), 90).save(tmp_path / "sub" / "deeper" / "gray.webp")
    Image.new("CMYK", (12, 10)).save(tmp_path / "cmyk.jpg")
    Image.fromarray(np.full((10, 12), 40000, np.uint16)).save(tmp_path / "sixteen.png")
    (tmp_path / "corrupt.jpg").write_bytes(b"\xff\xd8\xff garbage")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "sub" / "not-really.webp").write_text("hello")
    (tmp_path / "notes.txt").write_text("ignored: not an image suffix")
    return tmp_path


def test_folder_loads_readable_images_and_counts_the_bad(messy_folder):
    data = ImageFolder(messy_folder, size=8)
    assert len(data) == 6
    assert sorted(p.name for p in data.skipped) == ["corrupt.jpg", "empty.png", "not-really.webp"]
    batch = torch.stack([data[i] for i in range(len(data))])
    assert batch.shape == (6, 3, 8, 8)
    assert batch.min() >= 0 and batch.max() <= 1
    red = data.files.index(messy_folder / "red.jpg")
    assert data[red][0].mean() > 0.9 and data[red][1].mean() < 0.1


def test_grayscale_mode(messy_folder):
    assert ImageFolder(messy_folder, size=8, mode="L")[0].shape == (1, 8, 8)


def test_folder_without_images_is_a_clear_error(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"xx")
    with pytest.raises(ValueError, match="No readable images.*skipped 1"):
        ImageFolder(tmp_path)
    with pytest.raises(FileNotFoundError):
        ImageFolder(tmp_path / "missing")


def test_split_is_deterministic_disjoint_and_complete(tmp_path):
    for i in range(60):
        Image.new("L", (4, 4), i).save(tmp_path / f"{i:03d}.png")
    train = ImageFolder(tmp_path, split="train", val_fraction=0.25, seed=3)
    val = ImageFolder(tmp_path, split="val", val_fraction=0.25, seed=3)
    assert set(train.files).isdisjoint(val.files)
    assert len(train) + len(val) == 60
    assert 5 <= len(val) <= 25
    assert val.files == ImageFolder(tmp_path, split="val", val_fraction=0.25, seed=3).files
    # Adding files never moves an existing file to the other side.
    Image.new("L", (4, 4)).save(tmp_path / "zzz-new.png")
    assert set(val.files) <= set(ImageFolder(tmp_path, split="val", val_fraction=0.25, seed=3).files)
    assert in_validation_split("a.png", 1.0) and not in_validation_split("a.png", 0.0)


def test_pairs_split_into_left_a_and_right_b(tmp_path):
    pair = Image.new("RGB", (16, 8), (255, 0, 0))
    pair.paste((0, 0, 255), (8, 0, 16, 8))  # A = red (left), B = blue (right)
    pair.save(tmp_path / "pair.png")
    a, b = PairedFolder(tmp_path)[0]
    assert a.shape == b.shape == (3, 8, 8)
    assert a[0].min() == 1 and a[2].max() == 0
    assert b[2].min() == 1 and b[0].max() == 0
    swapped_input, swapped_target = PairedFolder(tmp_path, direction="BtoA", size=4)[0]
    assert swapped_input.shape == (3, 4, 4) and swapped_input[2].min() == 1


def test_odd_width_pair_is_refused():
    with pytest.raises(ValueError, match="even width"):
        split_pair(Image.new("RGB", (9, 4)))


def test_hub_dataset_offline_says_so(monkeypatch):
    with pytest.raises(FileNotFoundError, match="not reachable"):
        image_source("hub:someone/faces")
