"""FFHQ's framing from 68 landmarks, and the face set a trainer reads (built here from synthetic landmarks)."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from core.common.data import image_source
from core.common.face_alignment import align_face, ffhq_quad
from train import face_data


def upright_face(eye_y=40.0, eye_x=(40.0, 60.0), mouth_y=70.0):
    """68 landmarks of a level face: only the eyes (36-47) and mouth corners (48, 54) matter to the frame."""
    points = np.zeros((68, 2))
    points[36:42] = (eye_x[0], eye_y)
    points[42:48] = (eye_x[1], eye_y)
    points[48], points[54] = (eye_x[0] + 2, mouth_y), (eye_x[1] - 2, mouth_y)
    return points


def test_the_frame_is_a_square_around_the_eyes_and_mouth_that_turns_with_the_face():
    quad = ffhq_quad(upright_face())
    sides = np.hypot(*(np.roll(quad, -1, axis=0) - quad).T)
    assert np.allclose(sides, sides[0])  # a square
    # side: max(2 x eye distance, 1.8 x eye-to-mouth) doubled = max(80, 108) = 108; centre below the eye line
    assert sides[0] == pytest.approx(108.0)
    assert quad.mean(0) == pytest.approx([50.0, 43.0])
    turned = upright_face()
    angle = np.deg2rad(20)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    turned = (turned - 50) @ rotation.T + 50
    quad_turned = ffhq_quad(turned)
    top_edge = quad_turned[3] - quad_turned[0]
    assert np.degrees(np.arctan2(top_edge[1], top_edge[0])) == pytest.approx(20.0, abs=0.5)
    with pytest.raises(ValueError, match="68"):
        ffhq_quad(np.zeros((5, 2)))


def test_aligning_puts_the_eyes_on_the_same_pixels_and_pads_outside_the_photo_softly():
    photo = np.full((100, 100, 3), 200, np.uint8)
    photo[38:43, 38:43] = photo[38:43, 58:63] = 0  # two dark eyes
    aligned = np.asarray(align_face(Image.fromarray(photo), upright_face(), size=64)).astype(float)
    assert aligned.shape == (64, 64, 3)
    dark = np.argwhere(aligned[..., 0] < 120)
    left, right = dark[dark[:, 1] < 32].mean(0), dark[dark[:, 1] >= 32].mean(0)
    assert abs(left[0] - right[0]) < 1.5 and right[1] - left[1] == pytest.approx(64 * 20 / 108, abs=1.5)
    # the frame reaches past the photo's bottom edge (43 + 54 > 100): mirrored, no hard black border
    assert aligned[-1].min() > 100


def test_near_duplicates_are_dropped_and_distinct_faces_kept():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (4, 32, 32, 3), dtype=np.uint8)
    copy = np.clip(images[1].astype(int) + 2, 0, 255).astype(np.uint8)  # a re-encoded copy of image 1
    flags = face_data.near_duplicates(np.concatenate([images, copy[None]]), distance=0.01)
    assert flags.tolist() == [False, False, False, False, True]


def test_the_face_set_keeps_its_split_and_loads_as_a_trainers_data(tmp_path, monkeypatch):
    folder = tmp_path / "ffhq"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(30):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(folder / f"{index:05d}.png")
    output = tmp_path / "faces16.npz"
    face_data.main(["--ffhq", str(folder), "--celeba", "", "--size", "16", "--workers", "1", "--val_fraction", "0.3",
                    "--output", str(output)])
    with np.load(output) as arrays:
        manifest = json.loads(str(arrays["manifest"]))
        splits = arrays["split"].tolist()
        assert arrays["images"].shape == (30, 16, 16, 3)
    counts = manifest["sources"]["ffhq"]
    assert counts["train"] + counts["val"] == 30 and counts["val"] == splits.count("val") > 0
    assert counts["licence"] == "CC BY-NC-SA 4.0"
    train, val = image_source(str(output), split="train"), image_source(str(output), split="val")
    assert len(train) == splits.count("train") and len(val) == counts["val"]
    assert train[0].shape == (3, 16, 16) and float(train[0].min()) >= 0 and float(train[0].max()) <= 1
    assert isinstance(train[0], torch.Tensor)
    with pytest.raises(SystemExit, match="no source"):
        face_data.main(["--ffhq", "", "--celeba", "", "--output", str(output)])
