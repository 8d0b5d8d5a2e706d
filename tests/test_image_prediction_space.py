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
