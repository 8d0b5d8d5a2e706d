"""Pseudo depth maps for the aligned faces: MediaPipe's 3-D face mesh, rasterised, as a depth network's targets.

    python -m venv outputs/mp-venv && outputs/mp-venv/bin/pip install mediapipe==0.10.14 numpy pillow scipy
    outputs/mp-venv/bin/python -m train.face_depth_data --faces outputs/data/faces64.npz \\
        --output outputs/data/face-depth64.npz

No depth camera's data reaches this project; what does is MediaPipe's face mesh (the last wheel that ships its
models, 0.10.14: it pins an old protobuf, so it lives in its own virtualenv and never in a Space). For each face of
`python -m train.face_data`'s array file it fits 478 landmarks with (x, y) in the image and z, a relative depth in
the same units as x (image widths; smaller is nearer the camera). The mesh's triangles (three-cliques of its
tessellation's edges) are rasterised with a z-buffer at the faces' own size: `depth` is z at each pixel the mesh
covers, `mask` says which pixels it covers (the face from brows to chin; hair, ears and background are not in
the mesh; the eyes' and mouth's openings, holes in the mesh, are filled from their rims). It is a *model's* guess, smooth and generic (a face mesh has no wrinkles), so a network trained on it
learns MediaPipe's notion of face shape, which is what the lesson needs: one photo in, a dense depth map out.

Photos are upscaled to 256 px for the mesh (its detector wants a face larger than 64 px); faces where no mesh is
found are kept with an empty mask (counted in the manifest). Splits, sources and file names are carried over.
"""

from __future__ import annotations

import argparse
import json
from itertools import combinations

import numpy as np
from PIL import Image

MESH_INPUT = 256


def mesh_triangles() -> np.ndarray:
    """(T, 3) vertex indices: the triangles of MediaPipe's face mesh, as the three-cliques of its edge list."""
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_TESSELATION

    neighbours: dict[int, set[int]] = {}
    for a, b in FACEMESH_TESSELATION:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    triangles = {tuple(sorted((a, b, c))) for a in neighbours for b, c in combinations(sorted(neighbours[a]), 2)
                 if c in neighbours[b]}
    return np.array(sorted(triangles))


def rasterise(points: np.ndarray, triangles: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(478, 3) landmarks (x, y in [0, 1] of the image, z in image widths) -> (depth, mask), both (size, size):
    the nearest triangle's interpolated z at each pixel centre (a z-buffer), and which pixels any triangle covers.
    Each triangle visits only the pixel centres of its own bounding box (a few, at 64 px)."""
    xy = points[:, :2] * size - 0.5  # pixel (row i, column j) has its centre at (j, i) in these units
    nearest = np.full((size, size), np.inf)
    for triangle in triangles:
        (ax, ay), (bx, by), (cx, cy) = xy[triangle]
        za, zb, zc = points[triangle, 2]
        area = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay)
        if abs(area) < 1e-9:
            continue
        left, right = max(int(np.ceil(min(ax, bx, cx))), 0), min(int(np.floor(max(ax, bx, cx))), size - 1)
        top, bottom = max(int(np.ceil(min(ay, by, cy))), 0), min(int(np.floor(max(ay, by, cy))), size - 1)
        if left > right or top > bottom:
            continue
        ys, xs = np.mgrid[top:bottom + 1, left:right + 1]
        u = ((xs - ax) * (cy - ay) - (cx - ax) * (ys - ay)) / area  # weight of b
        v = ((bx - ax) * (ys - ay) - (xs - ax) * (by - ay)) / area  # weight of c
        inside = (u >= -1e-9) & (v >= -1e-9) & (u + v <= 1 + 1e-9)
        z = np.where(inside, za + u * (zb - za) + v * (zc - za), np.inf)
        window = nearest[top:bottom + 1, left:right + 1]
        np.minimum(window, z, out=window)
    mask = np.isfinite(nearest)
    return fill_holes(np.where(mask, nearest, 0), mask)


def fill_holes(depth: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mesh has no triangles over the eyes' and the mouth's openings: fill those holes (pixels the mesh
    surrounds but does not cover) with the mean of their covered neighbours, ring by ring inwards."""
    from scipy.ndimage import binary_fill_holes, uniform_filter

    filled = binary_fill_holes(mask)
    depth, known = depth.astype(np.float64).copy(), mask.copy()
    while (missing := filled & ~known).any():
        total = uniform_filter(np.where(known, depth, 0), 3, mode="constant")
        count = uniform_filter(known.astype(np.float64), 3, mode="constant")
        ring = missing & (count > 0)
        depth[ring] = total[ring] / count[ring]
        known = known | ring
    return depth.astype(np.float32), filled


def build(faces: dict, min_confidence: float = 0.3) -> dict:
    import mediapipe as mp

    images = faces["images"]
    size = images.shape[1]
    triangles = mesh_triangles()
    depth = np.zeros(images.shape[:3], np.float16)
    mask = np.zeros(images.shape[:3], bool)
    found = np.zeros(len(images), bool)
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True,
                                         min_detection_confidence=min_confidence) as mesh:
        for index, image in enumerate(images):
            big = np.asarray(Image.fromarray(image).resize((MESH_INPUT, MESH_INPUT), Image.Resampling.BICUBIC))
            result = mesh.process(big)
            if not result.multi_face_landmarks:
                continue
            points = np.array([(p.x, p.y, p.z) for p in result.multi_face_landmarks[0].landmark])
            depth[index], mask[index] = rasterise(points, triangles, size)
            found[index] = True
            if index % 1000 == 0:
                print(f"{index}/{len(images)} faces meshed", flush=True)
    manifest = json.loads(str(faces["manifest"]))
    manifest["depth"] = {"tool": "mediapipe 0.10.14 face mesh (478 landmarks, refine_landmarks)",
                         "triangles": int(len(triangles)), "mesh_input_px": MESH_INPUT,
                         "meshed": int(found.sum()), "no_mesh": int((~found).sum()),
                         "units": "z in image widths, smaller is nearer; 0 outside the mask"}
    return {"images": images, "depth": depth, "mask": mask, "source": faces["source"], "split": faces["split"],
            "filename": faces["filename"], "manifest": np.array(json.dumps(manifest))}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m train.face_depth_data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faces", required=True, help="an array file from `python -m train.face_data`")
    parser.add_argument("--output", required=True)
    parser.add_argument("--limit", type=int, default=0, help="only the first N faces (a quick look)")
    args = parser.parse_args(argv)
    faces = dict(np.load(args.faces))
    if args.limit:
        faces = {k: (v[:args.limit] if v.ndim and k != "manifest" else v) for k, v in faces.items()}
    data = build(faces)
    np.savez_compressed(args.output, **data)
    print(json.dumps(json.loads(str(data["manifest"]))["depth"], indent=1))


if __name__ == "__main__":
    main()
