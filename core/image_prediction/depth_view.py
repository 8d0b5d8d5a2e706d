"""What the Depth tab shows: a predicted depth map as a picture and as a relief to turn, textured with the photo."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch
from PIL import Image

from core.image_prediction.depth import FaceDepthNet, predict_depth

FACE_THRESHOLD = 0.5  # the face mask's probability above which a pixel is drawn in the relief


@dataclass
class DepthResult:
    photo: np.ndarray  # (S, S, 3) uint8, the photo at the model's size
    z: np.ndarray  # (S, S) relative depth in image widths, smaller is nearer, 0 at the face's median
    face: np.ndarray  # (S, S) probability that a pixel is face (where the depth means something)
    milliseconds: float


def square_face(image: Image.Image) -> Image.Image:
    """The centred square of a photo (the model was trained on faces framed in a square)."""
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


def predict_face_depth(model: FaceDepthNet, image: Image.Image, clock=time.perf_counter) -> DepthResult:
    square = square_face(image.convert("RGB")).resize((model.image_size, model.image_size), Image.Resampling.LANCZOS)
    photo = np.array(square)  # writable: torch shares its memory
    started = clock()
    z, face = predict_depth(model, torch.from_numpy(photo).permute(2, 0, 1).float() / 255)
    return DepthResult(photo, z.numpy(), face.numpy(), (clock() - started) * 1000)


def depth_picture(result: DepthResult, scale: int = 4) -> Image.Image:
    """Photo | depth (near = bright, over the face's own range; outside the face dimmed) side by side."""
    z, face = result.z, result.face > FACE_THRESHOLD
    inside = z[face] if face.any() else z.ravel()
    low, high = np.quantile(inside, [0.02, 0.98])
    near = 1 - np.clip((z - low) / max(high - low, 1e-6), 0, 1)
    grey = (near * np.where(face, 1.0, 0.35) * 255).astype(np.uint8)
    picture = np.concatenate([result.photo, np.repeat(grey[..., None], 3, 2)], 1)
    return Image.fromarray(picture).resize((picture.shape[1] * scale, picture.shape[0] * scale),
                                           Image.Resampling.NEAREST)


def relief_figure(result: DepthResult, title: str = "") -> go.Figure:
    """The face as a 3-D surface: one vertex per pixel where the face mask holds, coloured by the photo, raised
    by the predicted depth (in the same units as the image's width, so the proportions are the model's)."""
    size = result.z.shape[0]
    face = result.face > FACE_THRESHOLD
    ys, xs = np.mgrid[0:size, 0:size]
    height = -result.z * size  # nearer is higher, in pixels
    index = np.full((size, size), -1)
    index[face] = np.arange(face.sum())
    quads = face[:-1, :-1] & face[1:, :-1] & face[:-1, 1:] & face[1:, 1:]
    a, b, c, d = index[:-1, :-1][quads], index[:-1, 1:][quads], index[1:, :-1][quads], index[1:, 1:][quads]
    colours = [f"rgb({r},{g},{b_})" for r, g, b_ in result.photo[face]]
    mesh = go.Mesh3d(x=xs[face], y=-ys[face], z=height[face], i=np.concatenate([a, b]), j=np.concatenate([b, d]),
                     k=np.concatenate([c, c]), vertexcolor=colours, flatshading=False, hoverinfo="skip",
                     lighting={"ambient": 0.75, "diffuse": 0.5, "specular": 0.05})
    figure = go.Figure(mesh)
    figure.update_layout(
        title=title, height=420, margin={"l": 0, "r": 0, "t": 30 if title else 0, "b": 0},
        scene={"aspectmode": "data", "xaxis": {"visible": False}, "yaxis": {"visible": False},
               "zaxis": {"visible": False}, "camera": {"eye": {"x": 0.7, "y": -0.5, "z": 1.6},  # a three-quarter view from the front
                                                       "up": {"x": 0, "y": 1, "z": 0}}})
    return figure
