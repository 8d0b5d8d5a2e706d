"""What a careless user or an attacker sends: bad files, odd image modes, and numbers that are not numbers.

Shared by the attacker tests (`tests/test_attacks.py`: a sample) and `bench/edge_attacks.py` (everything).
"""

from __future__ import annotations

import io
import math
from functools import cache

import numpy as np
from PIL import Image


def _encode(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def _photo(size=(96, 80)) -> Image.Image:
    y, x = np.mgrid[: size[1], : size[0]]
    return Image.fromarray(np.stack([x * 255 // size[0], y * 255 // size[1], (x + y) % 256], -1).astype(np.uint8))


@cache
def broken_files() -> dict[str, tuple[str, bytes]]:
    """name -> (file name, bytes) that no image input may accept; each must get our message."""
    jpeg = _encode(_photo(), "JPEG")
    png = _encode(_photo(), "PNG")
    return {
        "empty": ("empty.png", b""),
        "text renamed .jpg": ("notes.jpg", b"this is not an image\n" * 20),
        "truncated JPEG": ("cut.jpg", jpeg[: len(jpeg) // 2]),
        "truncated PNG": ("cut.png", png[: len(png) // 2]),
        "SVG": ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle r="9"/></svg>'),
        "PNG over the pixel limit": ("bomb.png", huge_png(12000, 12000)),
    }


@cache
def odd_images() -> dict[str, tuple[str, bytes]]:
    """name -> (file name, bytes) of valid images in awkward forms; each must be accepted (or refused politely)."""
    photo = _photo()
    rotated = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    photo.save(rotated, format="JPEG", exif=exif)
    wide = np.asarray(photo.convert("L"), dtype=np.uint16) * 257
    return {
        "RGBA": ("alpha.png", _encode(photo.convert("RGBA"), "PNG")),
        "grayscale L": ("gray.png", _encode(photo.convert("L"), "PNG")),
        "palette P": ("palette.gif", _encode(photo.convert("P"), "GIF")),
        "CMYK JPEG": ("cmyk.jpg", _encode(photo.convert("CMYK"), "JPEG")),
        "16-bit PNG": ("wide.png", _encode(Image.fromarray(wide, "I;16"), "PNG")),
        "EXIF-rotated JPEG": ("rotated.jpg", rotated.getvalue()),
        "1x1": ("dot.png", _encode(Image.new("RGB", (1, 1), "red"), "PNG")),
        "1x5000": ("line.png", _encode(Image.new("RGB", (1, 5000), "red"), "PNG")),
        "8000x8000 JPEG": ("big.jpg", huge_jpeg(8000, 8000)),
    }


def huge_png(width: int, height: int) -> bytes:
    """A flat PNG that is small on disk and `width x height` pixels when decoded: a decompression bomb."""
    return _encode(Image.new("L", (width, height), 128), "PNG", optimize=False, compress_level=9)


def huge_jpeg(width: int, height: int, seed: int = 0) -> bytes:
    """A photo-like JPEG of `width x height` (smooth gradients and some noise), a few MB on disk."""
    small = np.random.default_rng(seed).integers(0, 255, (height // 64, width // 64, 3), dtype=np.uint8)
    return _encode(Image.fromarray(small).resize((width, height), Image.Resampling.BILINEAR), "JPEG", quality=80)


NON_NUMBERS = {"NaN": math.nan, "infinity": math.inf, "-infinity": -math.inf, "2**70": 2**70, "-2**70": -(2**70),
               "None": None, "text": "seven", "true": True, "list": [1]}
