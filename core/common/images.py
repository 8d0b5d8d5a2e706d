"""Robust image I/O for apps and data: any input -> a bounded RGB or L image, or a clear error.

Every Space calls `load_image` on what a user gave it before anything reaches a model, so the
awkward cases are handled once: None, corrupt bytes, palette/alpha/CMYK/16-bit modes, EXIF
rotation, 1x1 images and 50-megapixel photos.
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

# Pixel budgets. A format decoded at full size (PNG, WebP, ...) may have at most MAX_INPUT_PIXELS; a JPEG is
# decoded at 1/2, 1/4 or 1/8 scale when it is large (`draft`), so a 100-megapixel camera photo still costs
# little, up to MAX_JPEG_PIXELS. PIL's own bomb check is set to the larger figure, and ours enforces the rest.
MAX_INPUT_PIXELS = 64_000_000
MAX_JPEG_PIXELS = 256_000_000
Image.MAX_IMAGE_PIXELS = MAX_JPEG_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False

DEFAULT_MAX_SIDE = 1024
BACKGROUND = (255, 255, 255)


class ImageInputError(ValueError):
    """The input cannot be turned into an image; the message says what to do instead."""


def open_image(source) -> Image.Image:
    """Open a path, bytes, numpy array or PIL image as a fully decoded PIL image (EXIF applied)."""
    if source is None:
        raise ImageInputError("No image was given: upload or pick an image first.")
    if isinstance(source, Image.Image):
        image = source
    elif isinstance(source, np.ndarray):
        image = _from_array(source)
    elif isinstance(source, (bytes, bytearray)):
        if len(source) == 0:
            raise ImageInputError("The file is empty: upload a PNG, JPEG or WebP image.")
        image = _decode(io.BytesIO(source), "the uploaded bytes")
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ImageInputError(f"No image file at {path}.")
        if path.stat().st_size == 0:
            raise ImageInputError(f"{path.name} is empty: upload a PNG, JPEG or WebP image.")
        image = _decode(path, path.name)
    else:
        raise ImageInputError(f"Cannot read an image from a {type(source).__name__}.")
    return ImageOps.exif_transpose(image)


def _decode(fp, name: str) -> Image.Image:
    image = probe_image(fp, name)
    try:
        # Decode at reduced size where the format allows it (JPEG), so huge photos stay cheap.
        if image.format == "JPEG" and image.width * image.height > 4 * DEFAULT_MAX_SIDE**2:
            image.draft(image.mode, (2 * DEFAULT_MAX_SIDE, 2 * DEFAULT_MAX_SIDE))
        image.load()
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageInputError(
            f"{name} is not a readable image (corrupt or truncated): use PNG, JPEG or WebP."
        ) from error
    return image


def probe_image(fp, name: str = "the image") -> Image.Image:
    """Open an image lazily (header only) and refuse what we would not decode: not an image, too many pixels."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limits follow
            image = Image.open(fp)
    except Image.DecompressionBombError as error:
        raise ImageInputError(_too_large(name, MAX_JPEG_PIXELS)) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageInputError(
            f"{name} is not a readable image (corrupt or unsupported format): use PNG, JPEG or WebP."
        ) from error
    limit = MAX_JPEG_PIXELS if image.format == "JPEG" else MAX_INPUT_PIXELS
    if image.width * image.height > limit:
        raise ImageInputError(_too_large(name, limit))
    return image


def _too_large(name: str, limit: int) -> str:
    return (f"{name} is too large to open safely (over {limit // 1_000_000} megapixels): "
            "downscale it first.")


def _from_array(array: np.ndarray) -> Image.Image:
    if array.size == 0:
        raise ImageInputError("The image is empty (0 pixels).")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageInputError(f"Expected an HxW, HxWx3 or HxWx4 array, got shape {array.shape}.")
    if array.dtype == np.uint8:
        pass
    elif array.dtype == np.uint16:
        array = (array / 257.0).round().astype(np.uint8)
    elif np.issubdtype(array.dtype, np.floating):
        # Floats are taken as [0, 1]; NaNs become black rather than crashing the conversion.
        array = (np.nan_to_num(array.astype(np.float64)).clip(0, 1) * 255).round().astype(np.uint8)
    elif array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    else:
        array = np.clip(array, 0, 255).astype(np.uint8)
    return Image.fromarray(array)


def to_mode(image: Image.Image, mode: str = "RGB") -> Image.Image:
    """Convert any PIL mode to RGB or L; transparency is composited onto white, 16-bit rescaled."""
    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = Image.fromarray(_wide_to_uint8(np.asarray(image, dtype=np.float64), image.mode), mode="L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, BACKGROUND + (255,))
        image = Image.alpha_composite(background, rgba)
    if image.mode != mode:
        image = image.convert(mode)
    return image


def _wide_to_uint8(array: np.ndarray, mode: str) -> np.ndarray:
    """16-bit, 32-bit and float pixels -> 8 bits, keeping absolute levels where the range is standard."""
    high, low = float(array.max()), float(array.min())
    if mode.startswith("I;16") or (mode == "I" and low >= 0 and 255 < high <= 65535):
        scaled = array / 257.0
    elif mode == "F" and low >= 0 and high <= 1:
        scaled = array * 255.0
    elif low >= 0 and high <= 255:
        scaled = array
    else:  # an unusual range (negative, 32-bit): stretch it to fill 0..255
        scaled = (array - low) * (255.0 / (high - low) if high > low else 0.0)
    return scaled.round().clip(0, 255).astype(np.uint8)


def fit_within(image: Image.Image, max_side: int) -> Image.Image:
    """Downscale (never upscale) so that the longer side is at most `max_side`."""
    longest = max(image.size)
    if longest <= max_side:
        return image
    scale = max_side / longest
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def load_image(
    source, mode: str = "RGB", max_side: int | None = DEFAULT_MAX_SIDE, min_side: int = 1
) -> Image.Image:
    """Any user input -> an upright PIL image in `mode`, no larger than `max_side` on its long side."""
    image = open_image(source)
    if min(image.size) < min_side:
        raise ImageInputError(
            f"The image is too small ({image.width}x{image.height}): use one at least "
            f"{min_side}x{min_side} pixels."
        )
    if max_side is not None:
        # Shrink before converting: converting a 50 MP image first would cost 4x the memory.
        image = fit_within(image, max_side)
    return to_mode(image, mode)


def to_tensor(image: Image.Image) -> torch.Tensor:
    """PIL RGB/L -> float tensor (C, H, W) in [0, 1]."""
    array = np.asarray(image, dtype=np.float32) / 255.0
    array = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(array))


def to_pil(tensor: torch.Tensor) -> Image.Image:
    """Float tensor (C, H, W) or (H, W) in [0, 1] -> PIL RGB/L (values are clamped)."""
    array = tensor.detach().float().clamp(0, 1).mul(255).round().byte().cpu().numpy()
    if array.ndim == 3:
        array = array[0] if array.shape[0] == 1 else array.transpose(1, 2, 0)
    return Image.fromarray(array)


def make_grid(images: torch.Tensor, nrow: int | None = None, padding: int = 2, pad_value: float = 1.0):
    """Tile a batch (B, C, H, W) into one (C, H', W') image, row by row (torchvision-free)."""
    if images.ndim != 4:
        raise ValueError(f"expected (B, C, H, W), got shape {tuple(images.shape)}")
    count, channels, height, width = images.shape
    nrow = nrow or math.ceil(math.sqrt(count))
    ncol = math.ceil(count / nrow)
    grid = images.new_full(
        (channels, ncol * (height + padding) + padding, nrow * (width + padding) + padding), pad_value
    )
    for index in range(count):
        row, col = divmod(index, nrow)
        top, left = padding + row * (height + padding), padding + col * (width + padding)
        grid[:, top : top + height, left : left + width] = images[index]
    return grid


def to_uint8(array: np.ndarray) -> np.ndarray:
    """Float image in [0, 1] -> uint8 (clipped, rounded): what Gradio should display, losslessly."""
    return (np.clip(np.asarray(array, dtype=np.float64), 0, 1) * 255).round().astype(np.uint8)


def cross_fade(first: np.ndarray, second: np.ndarray, steps: int) -> np.ndarray:
    """Pixel-space interpolation: (1 - t) * first + t * second for t in [0, 1]."""
    if first.shape != second.shape:
        raise ValueError(f"images must have the same shape, got {first.shape} and {second.shape}")
    weights = np.linspace(0, 1, steps).reshape(-1, *([1] * first.ndim))
    return (1 - weights) * first[None] + weights * second[None]
