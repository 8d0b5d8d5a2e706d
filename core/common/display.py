"""What the Spaces show, made the same way everywhere: pixel-exact grids, example photos, where weights came from.

Plain numpy and PIL: no Gradio here, so the figures are tested without a browser.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image

# Gradio gives a gallery a fixed box even at height="auto" (`.grid-wrap.fixed-height`: 450 px, min-height
# included): a gallery with elem_classes="whole-gallery" fits its rows instead, captions and all, without a
# scrollbar or a blank band below one row.
WHOLE_GALLERY_CSS = (".whole-gallery .grid-wrap { height: auto !important; min-height: 0 !important; "
                     "max-height: none !important; overflow: visible; }")


def pixel_grid(images, columns: int | None = None, scale: int = 1, gap: int = 2,
               value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """Images -> one uint8 picture: each enlarged by a whole `scale` (nearest: a pixel stays a square block),
    tiled row by row with white `gap`s between (none around).

    `images`: a tensor (B, C, H, W) or an array (B, H, W) / (B, H, W, C), values in `value_range`
    ((-1, 1) for a generator's output). One channel stays gray; three are RGB.
    """
    if isinstance(images, torch.Tensor):
        images = images.detach().float().cpu().numpy().transpose(0, 2, 3, 1)  # (B, H, W, C)
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or not len(images):
        raise ValueError(f"expected a batch of images, got shape {images.shape}")
    low, high = value_range
    images = np.clip((images - low) / (high - low), 0, 1)
    if images.shape[-1] == 1:
        images = images[..., 0]
    images = images.repeat(scale, axis=1).repeat(scale, axis=2)  # (B, H*s, W*s[, C])
    count, height, width = images.shape[:3]
    columns = min(columns or count, count)
    rows = -(-count // columns)
    canvas = np.ones((rows * (height + gap) - gap, columns * (width + gap) - gap) + images.shape[3:])
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        canvas[row * (height + gap) : row * (height + gap) + height,
               column * (width + gap) : column * (width + gap) + width] = image
    return (canvas * 255).round().astype(np.uint8)


def centre_crop(image: np.ndarray, side: int) -> np.ndarray:
    """The centre `side` x `side` pixels (or the whole image where it is smaller)."""
    top, left = max(0, (image.shape[0] - side) // 2), max(0, (image.shape[1] - side) // 2)
    return image[top : top + side, left : left + side]


@cache
def example_photos(*names: str) -> list[str]:
    """scikit-image's sample photos (astronaut, chelsea, ...) as PNG files, written once: what gr.Examples takes."""
    from skimage import data

    folder = Path(tempfile.mkdtemp(prefix="manifold-lab-examples-"))
    paths = []
    for name in names:
        path = folder / f"{name}.png"
        Image.fromarray(getattr(data, name)()).save(path)
        paths.append(str(path))
    return paths


WEIGHT_SOURCES = {"hub": "Hub", "cache": "Hub cache", "local": "local folder", "bundled": "bundled demo"}


def weights_note(sources: dict) -> str:
    """One line: which weights run and from where (Hub, cache, a local folder or the bundled demo).

    `sources`: {label: core.hub.WeightSource}. Why the Hub was not used folds out of that line (HTML
    <details>, which gr.Markdown renders), so the provenance never pushes the app down the page.
    """
    parts, reasons = [], []
    for label, source in sources.items():
        where = WEIGHT_SOURCES[source.kind]
        name = source.repo_id.rsplit("/", 1)[-1] if source.kind != "local" else source.repo_id
        if source.kind == "hub":
            name = f'<a href="https://huggingface.co/{source.repo_id}">{source.repo_id}</a>'
        parts.append(f"{label}: <code>{name}</code> ({where})" if label else f"<code>{name}</code> ({where})")
        if source.reason and source.reason not in reasons:
            reasons.append(source.reason)
    kinds = sorted({source.kind for source in sources.values()})
    if len(parts) > 3:  # a Space with many models: the count in the line, each model in the fold
        where = ", ".join(WEIGHT_SOURCES[k] for k in kinds)
        line, listed = f"<b>Weights</b> · {len(parts)} models ({where})", "<br>".join(parts) + "<br>"
    else:
        line, listed = "<b>Weights</b> · " + " · ".join(parts), ""
    if not reasons and not listed:
        return f'<div class="weights-note">{line}</div>'
    why = "" if not reasons else (
        f"Not from the Hub because {'; '.join(reasons)}. The bundled demo weights were trained by this "
        "project's own trainers; each one's model card (README.md beside it) says how.")
    why = listed + why
    return f'<details class="weights-note"><summary>{line}</summary>{why}</details>'


# Gradio's image editors open with no tool chosen ("select the draw tool to start") and drop the brush on
# Clear; a student should be able to draw at once. Client-side only: it clicks an editor's own Brush button
# whenever that prompt shows.
SELECT_BRUSH_JS = """() => {
  const pick = () => document.querySelectorAll('.image-container').forEach(box => {
    const prompt = [...box.querySelectorAll('.empty')].some(e => /select the draw tool/i.test(e.textContent));
    const brush = box.closest('.block')?.querySelector('button[aria-label="Brush"]');
    if (prompt && brush) brush.click();
  });
  pick();
  setInterval(pick, 400);
}"""


def select_brush_on_load(demo) -> None:
    """Inside `with gr.Blocks() as demo`: every drawing canvas starts (and restarts after Clear) with the brush."""
    demo.load(None, None, None, js=SELECT_BRUSH_JS)


def palette_legend(palette: dict[str, str]) -> str:
    """HTML for a colour key: a swatch and the class name for each brush colour of a label painter."""
    items = "".join(f'<span style="display:inline-flex;align-items:center;margin:0 .9em .3em 0">'
                    f'<span style="width:1.1em;height:1.1em;border-radius:.2em;margin-right:.35em;'
                    f'background:{colour};border:1px solid #0003"></span>{name}</span>' for name, colour in palette.items())
    return f'<div class="palette-legend">{items}</div>'
