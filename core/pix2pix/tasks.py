"""Image-to-image tasks for pix2pix: where (input, target) pairs come from, and how a UI input becomes one.

Paired folders (facades: labels -> photo; edges2shoes: edges -> photo) hold both halves; CamVid's layout gives
labels -> street (`core.pix2pix.streets`). Any photo set
also gives pairs on the fly: edges -> photo, grayscale -> colour, masked -> full (inpainting, Pathak
et al. 2016). Tensors are (C, H, W) in [0, 1] here; the trainer and the Space map them to [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps
from skimage.feature import canny

from core.common.data import PairedFolder, image_source
from core.common.images import to_tensor


@dataclass(frozen=True)
class Task:
    name: str
    input_channels: int
    source: str  # "paired" (A|B folder) or "photos" (pairs made on the fly)
    direction: str = "BtoA"  # for paired folders: which half is the input
    description: str = ""


TASKS = {
    "facades": Task("facades", 3, "paired", "BtoA", "CMP facade label map -> photo"),
    "edges2shoes": Task("edges2shoes", 3, "paired", "BtoA", "edge drawing -> shoe or handbag photo"),
    "edges": Task("edges", 3, "photos", description="Canny edges of any photo -> the photo"),
    "grayscale": Task("grayscale", 3, "photos", description="gray photo -> colour photo"),
    "inpainting": Task("inpainting", 4, "photos", description="photo with a hole (and the hole's mask) -> full photo"),
    "streets": Task("streets", 3, "camvid", description="CamVid label map (its 11 class colours) -> street photo, "
                    "128x96 (`core.pix2pix.streets`)"),
}


def edges_of(photo: torch.Tensor, sigma: float = 1.5) -> torch.Tensor:
    """Black edges on white, like the HED edges of edges2shoes, from Canny (no learned detector needed)."""
    gray = photo.mean(0).numpy()
    edges = canny(gray, sigma=sigma, low_threshold=0.05, high_threshold=0.15)
    return torch.from_numpy(1 - edges.astype(np.float32)).expand(3, -1, -1).clone()


def grayscale_of(photo: torch.Tensor) -> torch.Tensor:
    """Rec. 601 luma, repeated on three channels so every task's G has the same input layout."""
    luma = 0.299 * photo[0] + 0.587 * photo[1] + 0.114 * photo[2]
    return luma.expand(3, -1, -1).clone()


# What the Space's brush paints, as a share of the photo's side: its editor is 512 px wide with a 28 px
# default brush (5.5%); people shrink or grow it, and draw one to three strokes, often one across both eyes,
# or scribble back and forth to blot out a patch (a mouth, an ear).
BRUSH_WIDTH = (0.03, 0.14)
STROKES = (1, 3)
SEGMENT_LENGTH = (0.1, 0.45)
EYE_LINE = 0.4  # FFHQ framing: the eyes sit ~40% down the crop, ~35% apart


def _segment_distance(yy, xx, start, end):
    """Distance from each pixel to the segment start-end (points as (y, x))."""
    (y0, x0), (y1, x1) = start, end
    dy, dx = y1 - y0, x1 - x0
    t = (((yy - y0) * dy + (xx - x0) * dx) / max(dy * dy + dx * dx, 1e-9)).clamp(0, 1)
    return ((yy - y0 - t * dy) ** 2 + (xx - x0 - t * dx) ** 2).sqrt()


def brush_mask(size: int, generator: torch.Generator, eyes_share: float = 0.3) -> torch.Tensor:
    """A hole like the Space's brush strokes: 1-3 round-capped polylines of one brush width each.

    With probability `eyes_share` the first stroke runs across both eyes (the common edit); the others
    start anywhere and either wander in 1-4 segments or scribble (3-7 short zigzags that fill a patch).
    Returns (1, size, size), 1 = hole.
    """
    def uniform(low, high):
        return low + (high - low) * float(torch.rand((), generator=generator))

    yy, xx = torch.meshgrid(torch.arange(size, dtype=torch.float32) + 0.5,
                            torch.arange(size, dtype=torch.float32) + 0.5, indexing="ij")
    mask = torch.zeros(size, size, dtype=torch.bool)
    for stroke in range(int(torch.randint(STROKES[0], STROKES[1] + 1, (), generator=generator))):
        width = size * uniform(*BRUSH_WIDTH)
        if stroke == 0 and float(torch.rand((), generator=generator)) < eyes_share:
            y, half = size * uniform(EYE_LINE - 0.06, EYE_LINE + 0.06), size * uniform(0.2, 0.35)
            points = [(y + size * uniform(-0.03, 0.03), size / 2 - half), (y + size * uniform(-0.03, 0.03), size / 2 + half)]
        else:
            points = [(size * uniform(0.1, 0.9), size * uniform(0.1, 0.9))]
            angle = uniform(0, 2 * np.pi)
            scribble = float(torch.rand((), generator=generator)) < 0.4
            for _ in range(int(torch.randint(3, 8, (), generator=generator)) if scribble else
                           int(torch.randint(1, 5, (), generator=generator))):
                length = size * (uniform(0.08, 0.2) if scribble else uniform(*SEGMENT_LENGTH))
                y, x = points[-1]
                points.append((min(max(y + np.sin(angle) * length, 0), size), min(max(x + np.cos(angle) * length, 0), size)))
                angle += np.pi + uniform(-0.5, 0.5) if scribble else uniform(-1.2, 1.2)
        for start, end in zip(points, points[1:], strict=False):
            mask |= _segment_distance(yy, xx, start, end) <= width / 2
    return mask.float()[None]


def masked_input(photo: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(4, H, W): the photo with the hole painted mid-gray, and the mask, so G knows where the hole is."""
    return torch.cat([photo * (1 - mask) + 0.5 * mask, mask])


def make_input(task: str, photo: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """The input of an on-the-fly task for a target photo (3, H, W) in [0, 1]."""
    if task == "edges":
        return edges_of(photo)
    if task == "grayscale":
        return grayscale_of(photo)
    if task == "inpainting":
        return masked_input(photo, brush_mask(photo.shape[-1], generator or torch.Generator().manual_seed(0)))
    raise ValueError(f"task {task!r} has no on-the-fly input; choose one of edges, grayscale, inpainting")


def jitter_pair(condition: torch.Tensor, target: torch.Tensor, size: int, generator: torch.Generator):
    """The paper's jitter: resize to 1.125 x size, the same random crop of both, and a random mirror."""
    big = int(round(size * 1.125))
    pair = F.interpolate(torch.cat([condition, target])[None], size=(big, big), mode="bilinear",
                         align_corners=False, antialias=True)[0]
    top, left = torch.randint(0, big - size + 1, (2,), generator=generator).tolist()
    pair = pair[:, top : top + size, left : left + size]
    if torch.rand((), generator=generator) < 0.5:
        pair = pair.flip(-1)
    return pair[: len(condition)].clamp(0, 1), pair[len(condition) :].clamp(0, 1)


# -- inputs from a UI: a drawing canvas, a label painter, a photo with a painted hole ------------------

FACADE_PALETTE = {  # the label colours of the CMP facades as stored in the pix2pix files (measured on train)
    "wall": "#0030ff", "window": "#0081ff", "background": "#0000de", "door": "#2629a9", "sill": "#23fde4",
    "cornice": "#71f3a7", "balcony": "#c0fe43", "blind": "#fcef0b", "deco": "#fe9f09", "molding": "#fb5104",
    "pillar": "#f30407", "shop": "#ac0410",
}
# What a student paints with: twelve colours told apart at a glance (the data's own have four near-identical blues
# for wall, window, background and door). paint_to_labels turns them into the data's colours before the model.
FACADE_PAINT = {
    "wall": "#a0a0a0", "window": "#1f77b4", "background": "#202020", "door": "#8c564b", "sill": "#17becf",
    "cornice": "#2ca02c", "balcony": "#bcbd22", "blind": "#e377c2", "deco": "#ff7f0e", "molding": "#9467bd",
    "pillar": "#d62728", "shop": "#ffff00",
}
SNAP_DISTANCE = 0.2  # a pixel this close (RGB in [0, 1]) to a palette colour is that label; the canvas's white is not


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], np.float32) / 255


def nearest_palette_colour(rgb: np.ndarray, palette: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each pixel of (H, W, 3) in [0, 1]: the index of the nearest of `palette`'s (P, 3) colours and the
    distance to it, both (H, W). Computed per distinct colour (a painted map has a few hundred), not per pixel."""
    codes = np.round(np.asarray(rgb, np.float32).reshape(-1, 3) * 255).astype(np.int32)
    packed = (codes[:, 0] << 16) | (codes[:, 1] << 8) | codes[:, 2]
    colours, inverse = np.unique(packed, return_inverse=True)
    distinct = np.stack([(colours >> 16) & 255, (colours >> 8) & 255, colours & 255], -1).astype(np.float32) / 255
    distance = np.sqrt(((distinct[:, None, :] - np.asarray(palette, np.float32)[None]) ** 2).sum(-1))
    nearest = distance.argmin(1)
    shape = rgb.shape[:2]
    return (nearest[inverse.reshape(-1)].reshape(shape),
            distance[np.arange(len(distinct)), nearest][inverse.reshape(-1)].reshape(shape))


def _recolour(rgb: np.ndarray, sources: list[str], targets: list[str], within: float = SNAP_DISTANCE) -> np.ndarray:
    """Each pixel within `within` of a `sources` colour takes the nearest one's `targets` colour; the rest stay."""
    nearest, distance = nearest_palette_colour(rgb, np.stack([_rgb(c) for c in sources]))
    values = np.stack([_rgb(c) for c in targets])
    return np.where((distance < within)[..., None], values[nearest], np.round(rgb * 255) / 255).astype(np.float32)


def paint_to_labels(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) in [0, 1] painted with FACADE_PAINT (or the data's own FACADE_PALETTE) -> the data's colours."""
    names = list(FACADE_PALETTE)
    return _recolour(rgb, [FACADE_PAINT[n] for n in names] + [FACADE_PALETTE[n] for n in names],
                     [FACADE_PALETTE[n] for n in names] * 2)


def labels_to_paint(rgb: np.ndarray) -> np.ndarray:
    """A label map in the data's colours (JPEG-noisy, as pix2pix stores them) -> every pixel the FACADE_PAINT
    colour of its nearest label: how the Space's example label maps were made."""
    names = list(FACADE_PALETTE)
    return _recolour(rgb, [FACADE_PALETTE[n] for n in names], [FACADE_PAINT[n] for n in names], within=np.inf)


MIN_SIDE = 8


def _rgba(image) -> np.ndarray | None:
    """An editor layer or image as float RGBA (H, W, 4) in [0, 1], or None."""
    if image is None:
        return None
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise ValueError("expected 8-bit images from the editor")
    if max(array.shape[:2]) > 1024:  # a huge upload: shrink while still 8-bit, before the float copy
        picture = Image.fromarray(array)
        picture.thumbnail((1024, 1024))
        array = np.asarray(picture)
    if array.ndim == 2:
        array = np.stack([array] * 3, -1)
    if array.size and min(array.shape[:2]) < MIN_SIDE and max(array.shape[:2]) >= MIN_SIDE:
        raise ValueError(f"The image is too thin ({array.shape[1]}x{array.shape[0]}): use one at least "
                         f"{MIN_SIDE}x{MIN_SIDE} pixels, ideally square.")
    array = array.astype(np.float32) / 255
    if array.shape[-1] == 3:
        array = np.concatenate([array, np.ones_like(array[..., :1])], -1)
    return array


def square_resize(array: np.ndarray, size: int, mode: str = "area") -> torch.Tensor:
    """(H, W, C) -> (C, size, size): centre square, then resized."""
    height, width = array.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    tensor = torch.from_numpy(np.ascontiguousarray(array[top : top + side, left : left + side])).permute(2, 0, 1)[None]
    return F.interpolate(tensor, size=(size, size), mode=mode)[0].clamp(0, 1)


def editor_rgb(value: dict | np.ndarray | None, empty_message: str) -> np.ndarray:
    """An editor's composite (or an image), flattened onto white: (H, W, 3) in [0, 1]; `empty_message` when
    there is nothing on it."""
    composite = _rgba(value.get("composite") if isinstance(value, dict) else value)
    if composite is None or min(composite.shape[:2]) < MIN_SIDE:
        raise ValueError(empty_message)
    rgb = composite[..., :3] * composite[..., 3:] + (1 - composite[..., 3:])
    if np.ptp(rgb) < 0.05:
        raise ValueError(empty_message)
    return rgb


def drawing_input(value: dict | np.ndarray | None, size: int, empty_message: str, recolour=None) -> torch.Tensor:
    """A sketch or painted label map: the editor's composite, flattened onto white (then `recolour`ed: a painted
    palette to the data's), as (3, size, size)."""
    rgb = editor_rgb(value, empty_message)
    if recolour is not None:
        rgb = recolour(rgb)
    return square_resize(rgb, size)


def inpainting_input(value: dict | None, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A photo (the editor's background) and a hole (whatever was painted on its layers): (4, S, S), photo."""
    background = _rgba(value.get("background")) if isinstance(value, dict) else None
    if background is None or min(background.shape[:2]) < MIN_SIDE or background[..., 3].max() == 0:
        raise ValueError("Upload a face photo (or pick an example) first.")
    layers = [_rgba(layer) for layer in (value.get("layers") or []) if layer is not None]
    painted = np.zeros(background.shape[:2], np.float32)
    for layer in layers:
        alpha = layer[..., 3]
        if alpha.shape != painted.shape:  # a layer at another scale than the photo: bring it to the photo's
            alpha = F.interpolate(torch.from_numpy(alpha)[None, None], size=painted.shape, mode="bilinear")[0, 0].numpy()
        painted = np.maximum(painted, alpha)
    if painted.max() == 0:
        raise ValueError("Paint over the part of the face to fill in (the brush), then run.")
    photo = square_resize(background[..., :3], size)
    mask = (square_resize(painted[..., None], size) > 0.25).float()
    return masked_input(photo, mask), photo


class PairedImages(torch.utils.data.Dataset):
    """(input, target) in [-1, 1], jittered: from an A|B folder, or made on the fly from photos.

    Images are decoded once and kept as uint8 at 1.125 x size (2,000 pairs at 144 px: 250 MB).
    """

    def __init__(self, task: str, data: str, size: int, direction: str = "BtoA", split: str = "all",
                 jitter: bool = True):
        self.task, self.size, self.jitter = task, size, jitter
        stored = int(round(size * 1.125)) if jitter else size
        if TASKS.get(task, TASKS["facades"]).source == "paired":
            folder = PairedFolder(data, size=stored, direction=direction, split=split, val_fraction=0.1)
            pairs = [folder[i] for i in range(len(folder))]
            self.conditions = torch.stack([(c * 255).round().to(torch.uint8) for c, _ in pairs])
            self.targets = torch.stack([(t * 255).round().to(torch.uint8) for _, t in pairs])
        else:
            folder = image_source(data, split=split, val_fraction=0.1)
            self.conditions = None
            self.targets = torch.stack([(to_tensor(ImageOps.fit(folder.load(i), (stored, stored))) * 255).round()
                                        .to(torch.uint8) for i in range(len(folder))])  # centre square

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        # one generator per item, seeded from the global RNG: a seeded (and resumed) run repeats its jitter
        generator = torch.Generator().manual_seed(int(torch.randint(2**62, ())))
        target = self.targets[index].float() / 255
        condition = self.conditions[index].float() / 255 if self.conditions is not None else target[:0]
        if self.jitter:
            condition, target = jitter_pair(condition, target, self.size, generator)
        if self.conditions is None:
            condition = make_input(self.task, target, generator)
        return condition * 2 - 1, target * 2 - 1
