"""The autoencoder Space: its endpoints answer through gradio_client, its handlers turn bad input into messages."""


import numpy as np
import pytest
from gradio_client import Client
from PIL import Image

from tests.conftest import space_module as app_module


@pytest.fixture(scope="module")
def client(served_spaces):
    return Client(f"{served_spaces.url}/autoencoder/", verbose=False)


def test_autoencoder_endpoints(client):
    pair, _, text = client.predict(None, 7, api_name="/reconstruct")
    assert Image.open(pair).size == (2 * 28 * 6 + 2, 28 * 6) and "Example digit #" in text and "code z" in text
    decoded, _, hole = client.predict(0.0, 0.0, api_name="/decode")
    assert "Nearest data code" in hole
    pixel, latent, _ = client.predict(60, 360, 5, api_name="/interpolate")
    assert Image.open(latent).size == Image.open(pixel).size


def test_vae_has_fewer_holes_and_samples_from_its_prior(client):
    app = app_module("autoencoder")
    autoencoder_share, vae_share = app.HOLE_SHARES  # measured at start-up
    assert 0 <= vae_share < autoencoder_share <= 1 and f"**{vae_share:.0%}**" in app.HOLES
    ae_strip, vae_strip = client.predict(8, 0, api_name="/sample_prior")
    assert Image.open(ae_strip).size == Image.open(vae_strip).size


def test_autoencoder_drawing_and_bad_inputs():
    app = app_module("autoencoder")
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[40:240, 128:152] = (0, 0, 0, 255)  # a black vertical stroke on a transparent layer: a "1"
    _, _, text = app.reconstruct({"background": None, "layers": [canvas], "composite": canvas}, 0)
    assert "code z" in text
    empty = {"background": None, "layers": [], "composite": np.zeros((280, 280, 4), np.uint8)}
    _, _, text_empty = app.reconstruct(empty, 7)  # empty canvas: falls back to the chosen example
    assert text_empty == app.reconstruct(None, 7)[2]
    _, _, far = app.decode_point(float(app.high[0]), float(app.high[1]))
    assert "off the data" in far
