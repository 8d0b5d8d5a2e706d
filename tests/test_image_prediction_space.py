"""The image-prediction Space: the labeling endpoint answers, examples carry their ground truth and scores, uploads
of any shape are labelled at their own aspect, opacity re-blends without a network run, bad input gets a message."""

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from tests.conftest import space_module as app_module


def test_the_labeling_endpoint_answers_with_six_views_and_a_table(served_spaces, tmp_path):
    path = tmp_path / "street.png"
    Image.open(app_module("image-prediction").EXAMPLES[0]).resize((320, 240)).save(path)
    client = Client(f"{served_spaces.url}/image-prediction/", verbose=False)
    *views, ground, table = client.predict(handle_file(str(path)), 0.6, api_name="/label_street")
    labels, uncertainty = views[0], views[1]
    assert Image.open(labels).size == Image.open(uncertainty).size == (320, 240)
    assert views[2] is None and ground is None  # an upload has no ground truth: no error map
    assert "No ground truth" in table and "ms" in table


def test_an_example_shows_its_ground_truth_errors_and_the_skip_twin_scores_higher_near_edges():
    app = app_module("image-prediction")
    no_skip_labels, no_skip_uncertainty, no_skip_errors, *skip_views, ground, table, state = app.label_street(
        app.EXAMPLES[0], 0.6)
    assert ground.shape == no_skip_errors.shape == skip_views[2].shape == (360, 480, 3)
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| ")}
    assert {"no skips", "skips"} <= set(rows)

    def near_edges(name):
        return float(rows[name].split("|")[4].strip().rstrip("%"))

    assert near_edges("skips") > near_edges("no skips")  # the lesson of the tab, on the example a class opens with
    photo, labels, truth = state
    assert truth.shape == photo.shape[:2] and set(labels) == {"no skips", "skips"}


def test_a_portrait_upload_keeps_its_aspect_and_opacity_reblends_without_the_networks(monkeypatch):
    app = app_module("image-prediction")
    portrait = Image.open(app.EXAMPLES[1]).crop((100, 0, 300, 360))
    first = app.label_street(portrait, 0.6)
    assert first[0].shape == (360, 200, 3)
    monkeypatch.setattr(app, "label_photo", lambda *a, **k: pytest.fail("opacity must not run a network"))
    opaque = app.reblend(first[-1], 1.0)
    assert opaque[0].shape == (360, 200, 3) and not np.array_equal(opaque[0], first[0])
    assert len(app.reblend(None, 0.5)) == 7  # no photo yet: every output left as it is (gr.skip)


@pytest.mark.parametrize("bad, message", [(None, "No image"), (b"\x89PNG broken", "not a readable image"),
                                          (Image.new("RGB", (8, 8)), "too small")])
def test_bad_inputs_get_a_message(bad, message):
    with pytest.raises(ValueError, match=message):
        app_module("image-prediction").label_street(bad, 0.6)


def test_the_depth_endpoint_lifts_an_upload_and_a_gan_face(served_spaces, tmp_path):
    path = tmp_path / "face.jpg"
    Image.open(app_module("image-prediction").FACE_EXAMPLES[0]).resize((150, 200)).save(path)  # any shape: its square
    client = Client(f"{served_spaces.url}/image-prediction/", verbose=False)
    picture, relief, note = client.predict(handle_file(str(path)), api_name="/face_depth")
    assert Image.open(picture).size == (2 * 64 * 4, 64 * 4)  # photo | depth, each 64 px shown 4x
    assert "mesh3d" in str(relief) and "ms" in note
    picture, relief, note = client.predict(7, api_name="/gan_face_depth")
    assert "GAN face, seed 7" in str(relief)


def test_a_held_out_face_has_its_nose_nearer_than_its_cheeks():
    """The tab's lesson on the example a class opens with: the network's depth has a face's shape."""
    from core.image_prediction.depth_view import predict_face_depth

    app = app_module("image-prediction")
    result = predict_face_depth(app.depth_model, Image.open(app.FACE_EXAMPLES[0]))
    assert (result.face > 0.5).mean() > 0.15  # a face found, over a good part of the square
    nose = result.z[34:40, 29:35].mean()  # FFHQ's frame: the nose tip a little below the centre
    cheeks = (result.z[34:40, 18:22].mean() + result.z[34:40, 42:46].mean()) / 2
    assert nose < cheeks  # nearer the camera


@pytest.mark.parametrize("bad, message", [(None, "No image"), (b"\x89PNG broken", "not a readable image"),
                                          (Image.new("RGB", (8, 8)), "too small")])
def test_bad_face_uploads_get_a_message(bad, message):
    with pytest.raises(ValueError, match=message):
        app_module("image-prediction").face_depth(bad)
