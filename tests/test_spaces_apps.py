"""Each Space's endpoints answer through gradio_client, and its handlers turn bad input into messages."""

import io

import gradio as gr
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from spaces.registry import discover, load_app_module


def app_module(name):
    return load_app_module(next(s for s in discover() if s.name == name))


@pytest.fixture(scope="module")
def clients(served_spaces):
    return {name: Client(f"{served_spaces.url}/{name}/", verbose=False)
            for name in ("image-manifold", "autoencoder", "denoising")}


# -- image-manifold --------------------------------------------------------------------------------

def test_manifold_endpoints(clients):
    client = clients["image-manifold"]
    sheet, maps = client.predict("swiss roll", 300, 0.2, 10, 0, api_name="/unroll")
    assert sheet is not None and maps is not None
    gallery, histogram, text = client.predict(20, 0, None, api_name="/noise_vs_natural")
    assert len(gallery) == 12 and "of random images lie farther than every photo crop" in text
    maps, note = client.predict("S-shaped fold", 200, 0.05, 10, 0, api_name="/train_autoencoder")
    assert "1200 full-batch Adam steps" in note and maps is not None
    pixel, latent = client.predict(3, 360, 6, api_name="/interpolate")
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


# -- autoencoder -----------------------------------------------------------------------------------

def test_autoencoder_endpoints(clients):
    client = clients["autoencoder"]
    pair, _, text = client.predict(None, 7, api_name="/reconstruct")
    assert Image.open(pair).size == (2 * 28 * 6 + 2, 28 * 6) and "Code z" in text
    decoded, _, hole = client.predict(0.0, 0.0, api_name="/decode")
    assert "Nearest data code" in hole
    pixel, latent, _ = client.predict(60, 360, 5, api_name="/interpolate")
    assert Image.open(latent).size == Image.open(pixel).size


def test_vae_has_fewer_holes_and_samples_from_its_prior(clients):
    app = app_module("autoencoder")
    autoencoder_share, vae_share = app.HOLE_SHARES  # measured at start-up
    assert 0 <= vae_share < autoencoder_share <= 1 and f"**{vae_share:.0%}**" in app.HOLES
    ae_strip, vae_strip = clients["autoencoder"].predict(8, 0, api_name="/sample_prior")
    assert Image.open(ae_strip).size == Image.open(vae_strip).size


def test_autoencoder_drawing_and_bad_inputs():
    app = app_module("autoencoder")
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[40:240, 128:152] = (0, 0, 0, 255)  # a black vertical stroke on a transparent layer: a "1"
    _, _, text = app.reconstruct({"background": None, "layers": [canvas], "composite": canvas}, 0)
    assert "Code z" in text
    empty = {"background": None, "layers": [], "composite": np.zeros((280, 280, 4), np.uint8)}
    _, _, text_empty = app.reconstruct(empty, 7)  # empty canvas: falls back to the chosen example
    assert text_empty == app.reconstruct(None, 7)[2]
    _, _, far = app.decode_point(float(app.high[0]), float(app.high[1]))
    assert "off the data" in far


# -- denoising -------------------------------------------------------------------------------------

def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_denoising_endpoint_ranks_every_method(clients, tmp_path):
    from skimage import data

    path = tmp_path / "crop.png"
    Image.fromarray(data.chelsea()[:128, :160]).save(path)
    gallery, zoomed, table = clients["denoising"].predict(handle_file(str(path)), "Gaussian", 25, 0, True,
                                                          api_name="/denoise")
    assert len(gallery) == len(zoomed) == 7  # noisy, network, 4 classical filters, clean
    for method in ("trained network", "Gaussian blur", "median 3x3", "non-local means", "total variation"):
        assert f"| {method} |" in table
    strip, text = clients["denoising"].predict(7, "missing pixels", 40, 0, api_name="/denoise_digit")
    assert "denoising autoencoder" in text


def test_network_beats_the_noisy_input_and_blind_filters_on_a_photo():
    from skimage import data

    app = app_module("denoising")
    _, _, table = app.denoise_photo(Image.fromarray(data.astronaut()[:192, :192]), "Gaussian", 25, 0, True)
    scores = {line.split("|")[1].strip(): float(line.split("|")[2]) for line in table.splitlines()
              if line.startswith("| ") and "method" not in line}
    assert scores["trained network"] == max(scores.values())


@pytest.mark.parametrize("bad, message", [
    (None, "No image"), (b"", "empty"), (b"not an image", "not a readable image"),
    (Image.new("RGB", (8, 8)), "too small"),
])
def test_denoising_bad_inputs(bad, message):
    app = app_module("denoising")
    with pytest.raises(ValueError, match=message):
        app.denoise_photo(bad, "Gaussian", 25, 0, True)


@pytest.mark.parametrize("mode", ["RGBA", "L", "P", "CMYK", "I;16"])
def test_denoising_odd_modes_and_huge_images(mode):
    app = app_module("denoising")
    image = Image.new("RGB", (64, 48), (120, 60, 200)).convert(mode)
    gallery, _, _ = app.denoise_photo(png_bytes(image) if mode != "CMYK" else image, "salt and pepper", 10, 0, True)
    assert gallery[0][0].shape == (48, 64, 3)
    huge, _, _ = app.denoise_photo(Image.new("RGB", (4000, 3000), (90, 90, 90)), "Gaussian", 10, 0, False)
    assert max(huge[0][0].shape[:2]) == 512  # downscaled before any method ran


# -- colorization ----------------------------------------------------------------------------------

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
