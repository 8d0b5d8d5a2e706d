"""Robust image input: every mode, EXIF, sizes and broken files end as an image or a clear error."""

import io

import numpy as np
import pytest
from PIL import Image

from core.common.images import ImageInputError, load_image, make_grid, to_pil, to_tensor


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "CMYK", "1", "I;16", "I", "F", "YCbCr"])
@pytest.mark.parametrize("target", ["RGB", "L"])
def test_any_mode_becomes_the_requested_mode(mode, target):
    image = Image.new("RGB", (20, 10), (200, 100, 50)).convert(mode)
    out = load_image(image, mode=target)
    assert out.mode == target
    assert out.size == (20, 10)


def test_transparent_pixels_are_composited_on_white():
    rgba = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    assert load_image(rgba).getpixel((0, 0)) == (255, 255, 255)
    palette = Image.new("P", (4, 4), 0)
    palette.putpalette([0, 0, 0] * 256)
    palette.info["transparency"] = 0
    assert load_image(encode(palette, "PNG")).getpixel((1, 1)) == (255, 255, 255)


def test_sixteen_bit_png_is_rescaled_to_full_8bit_range():
    ramp = (np.linspace(0, 65535, 64).reshape(8, 8)).astype(np.uint16)
    out = np.asarray(load_image(encode(Image.fromarray(ramp), "PNG"), mode="L"))
    assert out.min() == 0 and out.max() == 255


def test_cmyk_jpeg_from_bytes_is_readable():
    cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # pure red in CMYK
    red, green, blue = load_image(encode(cmyk, "JPEG")).getpixel((8, 8))
    assert red > 200 and green < 60 and blue < 60


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (30, 10), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, 5, 10))  # white stripe on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    out = load_image(encode(image, "JPEG", exif=exif.tobytes()))
    assert out.size == (10, 30)
    assert np.asarray(out)[:5].mean() > 200  # the stripe is now at the top


def test_huge_image_is_downscaled_before_use():
    out = load_image(Image.new("RGB", (6000, 3000)), max_side=512)
    assert out.size == (512, 256)


def test_small_image_is_kept_but_too_small_is_refused():
    assert load_image(Image.new("RGB", (1, 1))).size == (1, 1)
    with pytest.raises(ImageInputError, match="too small"):
        load_image(Image.new("RGB", (1, 1)), min_side=16)


@pytest.mark.parametrize("bad, message", [
    (None, "No image"),
    (b"", "empty"),
    (b"not an image at all", "not a readable image"),
    (np.zeros((0, 4, 3), np.uint8), "empty"),
    (np.zeros((4, 4, 7), np.uint8), "shape"),
    (3.5, "Cannot read"),
])
def test_bad_inputs_give_clear_errors(bad, message):
    with pytest.raises(ImageInputError, match=message):
        load_image(bad)


def test_truncated_file_is_a_clear_error(tmp_path):
    data = encode(Image.effect_noise((64, 64), 50).convert("RGB"), "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageInputError, match="not a readable image"):
        load_image(path)


def test_decompression_bomb_is_refused_without_allocating():
    header = encode(Image.new("1", (12000, 12000)), "PNG")  # 144 MP, tiny file
    with pytest.raises(ImageInputError, match="too large"):
        load_image(header)


@pytest.mark.parametrize("array", [
    np.full((5, 6), 1.0, np.float32), np.full((5, 6, 3), 65535, np.uint16), np.ones((5, 6), bool),
    np.full((5, 6, 4), 255, np.uint8), np.full((5, 6, 1), 255, np.uint8),
])
def test_numpy_arrays_of_common_dtypes(array):
    out = load_image(array)
    assert out.size == (6, 5)
    assert np.asarray(out).min() == 255


def test_tensor_roundtrip_and_grid():
    image = Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3))
    assert np.array_equal(np.asarray(to_pil(to_tensor(image))), np.asarray(image))
    grid = make_grid(to_tensor(image)[None].repeat(5, 1, 1, 1), nrow=3, padding=1)
    assert grid.shape == (3, 2 * 5 + 1, 3 * 5 + 1)


def test_sixteen_and_float_levels_keep_their_brightness():
    mid_gray_16 = Image.fromarray(np.full((4, 4), 32896, np.uint16))  # 128 * 257
    assert load_image(mid_gray_16, mode="L").getpixel((0, 0)) == 128
    quarter_float = Image.fromarray(np.full((4, 4), 0.25, np.float32))
    assert load_image(quarter_float, mode="L").getpixel((0, 0)) == 64
