"""The denoising Space: its endpoints answer through gradio_client, its handlers turn bad input into messages."""

import io

import pytest
from gradio_client import Client, handle_file
from PIL import Image

from tests.conftest import space_module as app_module


@pytest.fixture(scope="module")
def client(served_spaces):
    return Client(f"{served_spaces.url}/denoising/", verbose=False)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_denoising_endpoint_ranks_every_method(client, tmp_path):
    from skimage import data

    path = tmp_path / "crop.png"
    Image.fromarray(data.chelsea()[:128, :160]).save(path)
    gallery, zoomed, table = client.predict(handle_file(str(path)), "Gaussian", 25, 0, True,
                                                          api_name="/denoise")
    assert len(gallery) == len(zoomed) == 7  # noisy, network, 4 classical filters, clean
    for method in ("trained network", "Gaussian blur", "median 3x3", "non-local means", "total variation"):
        assert f"| {method} |" in table
    strip, text = client.predict(7, "missing pixels", 40, 0, api_name="/denoise_digit")
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
