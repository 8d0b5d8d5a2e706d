"""The colorization Space: its endpoints answer through gradio_client, its handlers turn bad input into messages."""


import gradio as gr
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from tests.conftest import space_module as app_module


@pytest.fixture(scope="module")
def client(served_spaces):
    return Client(f"{served_spaces.url}/colorization/", verbose=False)


def test_colorization_endpoint(served_spaces, tmp_path):
    from skimage import data

    path = tmp_path / "coffee.png"
    Image.fromarray(data.coffee()[::2, ::2]).save(path)
    client = Client(f"{served_spaces.url}/colorization/", verbose=False)
    gray, l2, classification, original, table, _ = client.predict(handle_file(str(path)), 0.38, api_name="/colorize")
    for output in (gray, l2, classification, original):
        assert Image.open(output).size == (300, 200)
    assert "| original |" in table and "as colourful as L2" in table


def test_colorization_of_an_already_gray_photo_has_no_ground_truth():
    from skimage import data

    app = app_module("colorization")
    gray, l2, classification, original, table, _, _ = app.colorize(Image.fromarray(data.camera()), 0.38)
    assert original is None and "no colour" in table
    assert l2.shape == classification.shape == (512, 512, 3)


def test_colorization_temperature_changes_vividness():
    from skimage import data

    from core.common.color import colorfulness

    app = app_module("colorization")
    photo = Image.fromarray(data.chelsea())
    cold = colorfulness(app.colorize(photo, 0.1)[2] / 255)
    warm = colorfulness(app.colorize(photo, 1.0)[2] / 255)
    assert cold > warm  # towards the mode: more vivid; T = 1 is the (duller) mean
    state = app.colorize(photo, 0.1)[-1]
    recolored = app.recolor(state, 1.0)[2]  # from the stored distribution, without running the networks
    assert np.abs(recolored.astype(int) - app.colorize(photo, 1.0)[2].astype(int)).max() <= 2


@pytest.mark.parametrize("bad, message", [(None, "No image"), (b"\x89PNG broken", "not a readable image"),
                                          (Image.new("RGB", (4, 4)), "too small")])
def test_colorization_bad_inputs(bad, message):
    with pytest.raises(ValueError, match=message):
        app_module("colorization").colorize(bad, 0.38)


def test_colorization_rgba_and_huge_inputs():
    app = app_module("colorization")
    rgba = Image.new("RGBA", (100, 80), (200, 30, 30, 128))
    assert app.colorize(rgba, 0.38)[1].shape == (80, 100, 3)
    assert max(app.colorize(Image.new("RGB", (5000, 2500), (10, 120, 10)), 0.38)[1].shape[:2]) == 512


def test_colorization_pixel_click_shows_the_distribution():
    from skimage import data

    app = app_module("colorization")

    class Click:
        index = (40, 30)

    state = app.colorize(Image.fromarray(data.coffee()), 0.38)[-1]
    figure = app.inspect_pixel(state, 0.38, Click())
    names = [trace.name for trace in figure.data]
    assert names[0] == "ab bins" and "L2 prediction" in names and "true colour" in names
    assert len(figure.data[0].x) == len(app.centers)
    with pytest.raises(ValueError, match="Colourize a photo first"):
        app.inspect_pixel(None, 0.38, Click())
    assert all(isinstance(out, type(gr.skip())) for out in app.recolor(None, 0.5))
