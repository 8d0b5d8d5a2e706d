"""Faces framed the way FFHQ frames them (Karras et al. 2019, the FFHQ alignment), from dlib's 68 landmarks.

The frame is a square (possibly rotated) set by the eyes and the mouth alone: its centre a little below the
midpoint of the eyes, its side the larger of 4x the eye distance and 3.6x the eye-to-mouth distance, its
axes turned with the line between the eyes. Where the square leaves the photo, the photo is mirrored
outwards, the mirrored part blurred and pulled towards the photo's median colour, so a generator does not
learn hard edges. Every face set framed like this looks alike to a generator: eyes and mouth land on the
same pixels, whatever the source's own crop.

Landmarks come from dlib (`landmarks`, imported lazily): a data-prep and bench dependency, never a Space one.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter


@cache
def dlib_models():
    """(HOG face detector, 68-landmark predictor, face-recognition ResNet), loaded once from face-recognition-models."""
    import dlib

    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None:
        raise ModuleNotFoundError("pip install -r bench/requirements.txt (face-recognition-models, dlib-bin)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"  # its __init__ needs pkg_resources
    return (dlib.get_frontal_face_detector(),
            dlib.shape_predictor(str(folder / "shape_predictor_68_face_landmarks.dat")),
            dlib.face_recognition_model_v1(str(folder / "dlib_face_recognition_resnet_model_v1.dat")))


def ffhq_quad(points: np.ndarray) -> np.ndarray:
    """68 landmarks (68, 2) as (x, y) -> the frame's corners (4, 2): top-left, bottom-left, bottom-right, top-right."""
    if points.shape != (68, 2):
        raise ValueError(f"expected 68 (x, y) landmarks, got shape {points.shape}")
    eye_left, eye_right = points[36:42].mean(0), points[42:48].mean(0)
    eye_mid, eye_to_eye = (eye_left + eye_right) / 2, eye_right - eye_left
    mouth_mid = (points[48] + points[54]) / 2  # the mouth's outer corners
    eye_to_mouth = mouth_mid - eye_mid
    # the frame's x axis: the eye line, tilted by the perpendicular of the eye-to-mouth line (both cues for roll)
    x_axis = eye_to_eye - np.array([-eye_to_mouth[1], eye_to_mouth[0]])
    x_axis = x_axis / np.hypot(*x_axis) * max(np.hypot(*eye_to_eye) * 2.0, np.hypot(*eye_to_mouth) * 1.8)
    y_axis = np.array([-x_axis[1], x_axis[0]])
    centre = eye_mid + eye_to_mouth * 0.1
    return np.stack([centre - x_axis - y_axis, centre - x_axis + y_axis, centre + x_axis + y_axis, centre + x_axis - y_axis])


def _mirror_padded(photo: Image.Image, quad: np.ndarray) -> tuple[Image.Image, np.ndarray]:
    """Pad the photo by mirroring wherever the quad leaves it; fade the padding to a blur and the median colour."""
    side = np.hypot(*(quad[3] - quad[0]))
    width, height = photo.size
    left, top = int(max(0, np.ceil(-quad[:, 0].min()))), int(max(0, np.ceil(-quad[:, 1].min())))
    right, bottom = int(max(0, np.ceil(quad[:, 0].max() - width))), int(max(0, np.ceil(quad[:, 1].max() - height)))
    if not any((left, top, right, bottom)):
        return photo, quad
    pixels = np.asarray(photo, dtype=np.float32)
    padded = np.pad(pixels, ((top, bottom), (left, right), (0, 0)), mode="reflect")
    rows, cols = np.mgrid[: padded.shape[0], : padded.shape[1]].astype(np.float32)
    # how far outside the photo each pixel lies (0 inside), as a share of 30% of the frame's side
    outside = np.maximum.reduce([top - rows, rows - (top + height - 1), left - cols, cols - (left + width - 1),
                                 np.zeros_like(rows)])
    fade = np.clip(outside / max(side * 0.3, 1.0), 0, 1)[..., None]
    blurred = np.asarray(Image.fromarray(padded.astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(float(max(side * 0.02, 0.5)))), dtype=np.float32)
    padded += (blurred - padded) * np.clip(fade * 3 + (fade > 0), 0, 1)  # any mirrored pixel is blurred
    padded += (np.median(pixels.reshape(-1, 3), axis=0) - padded) * fade  # and greyed out the further it lies
    return Image.fromarray(padded.clip(0, 255).round().astype(np.uint8)), quad + [left, top]


def align_face(photo: Image.Image, points: np.ndarray, size: int = 64) -> Image.Image:
    """An RGB photo and its 68 landmarks -> the face in FFHQ's frame, `size` x `size`."""
    photo = photo.convert("RGB")
    quad = ffhq_quad(np.asarray(points, dtype=np.float64))
    photo, quad = _mirror_padded(photo, quad)
    # PIL's QUAD transform takes the source corners in the order top-left, bottom-left, bottom-right, top-right;
    # sampling at 4x the output first and shrinking with a box filter avoids aliasing
    big = photo.transform((size * 4, size * 4), Image.Transform.QUAD, tuple((quad + 0.5).flatten()),
                          Image.Resampling.BILINEAR)
    return big.resize((size, size), Image.Resampling.BOX)


def landmarks(photo: Image.Image, upsample_to: int = 256) -> np.ndarray | None:
    """dlib's 68 landmarks (68, 2) of the largest face in the photo, or None where the detector finds none.

    Small photos are enlarged to `upsample_to` pixels on their short side first: dlib's HOG detector misses
    faces under ~80 px."""
    detector, predictor, _ = dlib_models()
    rgb = photo.convert("RGB")
    scale = max(1.0, upsample_to / min(rgb.size))
    if scale > 1:
        rgb = rgb.resize((round(rgb.width * scale), round(rgb.height * scale)), Image.Resampling.BICUBIC)
    pixels = np.asarray(rgb)
    faces = detector(pixels, 0) or detector(pixels, 1)  # the second look upsamples once more: slower, finds more
    if not len(faces):
        return None
    shape = predictor(pixels, max(faces, key=lambda r: r.area()))
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64) / scale
