"""The image-manifold Space: its endpoints answer through gradio_client, its handlers turn bad input into messages."""


import pytest
from gradio_client import Client
from PIL import Image

from tests.conftest import plot_traces
from tests.conftest import space_module as app_module


@pytest.fixture(scope="module")
def client(served_spaces):
    return Client(f"{served_spaces.url}/image-manifold/", verbose=False)


@pytest.mark.slow  # over 6 s in the default lane (CI runs it)
def test_manifold_endpoints(client):
    sheet, maps = client.predict("swiss roll", 300, 0.2, 10, 0, api_name="/unroll")
    assert plot_traces(sheet) == ["scatter3d"] and plot_traces(maps) == ["scatter", "scatter"]  # PCA, Isomap (SVG: no GL context)
    gallery, histogram, text = client.predict(20, 0, None, api_name="/noise_vs_natural")
    assert len(gallery) == 12 and "of random images lie farther than every photo crop" in text
    maps, note = client.predict("S-shaped fold", 200, 0.05, 10, 0, api_name="/train_autoencoder")
    assert "1200 full-batch Adam steps" in note and plot_traces(maps) == ["scatter"] * 3  # + the autoencoder
    pixel, latent, which = client.predict(3, 360, 6, api_name="/interpolate")
    assert "test image #3" in which and "test image #360" in which
    assert Image.open(pixel).size == Image.open(latent).size


def test_manifold_measures_that_noise_is_far_from_photos():
    app = app_module("image-manifold")
    _, _, text = app.noise_vs_natural(50, 1)
    assert "100% of random images lie farther" in text


def test_manifold_bad_inputs():
    app = app_module("image-manifold")
    with pytest.raises(ValueError, match="at least 20 points"):
        app.unroll("swiss roll", 5, 0.1, 10, 0)
    with pytest.raises(ValueError, match="Unknown shape"):
        app.unroll("torus", 100, 0.1, 10, 0)
    with pytest.raises(ValueError, match="not a readable image"):
        app.noise_vs_natural(5, 0, b"garbage")
    with pytest.raises(ValueError, match="too small"):
        app.noise_vs_natural(5, 0, Image.new("RGB", (2, 2)))
    _, _, text = app.noise_vs_natural(5, 0, Image.new("RGBA", (300, 200), (10, 200, 30, 100)))
    assert "Your image" in text
