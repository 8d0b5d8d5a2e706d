"""Manifold demos: unrolling a rolled sheet, and measuring how far images lie from natural ones.

- Embeddings of a 3-D sheet to 2-D: PCA (linear), Isomap (Tenenbaum et al. 2000) and a small
  autoencoder trained on the spot, each scored against the sheet's true coordinates.
- "Most images are noise": a linear model of natural 8x8 patches (PCA of patches from photos) leaves
  little residual on natural images and almost all of it on uniform noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.manifold import Isomap, trustworthiness
from sklearn.model_selection import cross_val_predict
from sklearn.neighbors import KNeighborsRegressor
from torch import nn

from core.common.image_sets import gray_photo
from core.pca.model import fit_pca

# Photos that fit the patch model vs photos it is tested on (kept apart so the score is honest).
FIT_PHOTOS = ("camera", "coins", "horse", "brick", "grass", "moon", "text")
TEST_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "hubble_deep_field")
PATCH = 8


# -- 1. Unrolling a sheet ------------------------------------------------------------------------

def embed_pca(points: np.ndarray) -> np.ndarray:
    return fit_pca(points).project(points, 2)


def embed_isomap(points: np.ndarray, neighbors: int = 10) -> np.ndarray:
    if len(points) <= neighbors:
        raise ValueError(f"Isomap needs more points ({len(points)}) than neighbours ({neighbors})")
    return Isomap(n_neighbors=neighbors, n_components=2).fit_transform(points)


class SheetAutoencoder(nn.Module):
    """3 -> 2 -> 3 multilayer perceptron, small enough to train in the browser's patience."""

    def __init__(self, hidden: int = 64):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(3, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                     nn.Linear(hidden, 2))
        self.decoder = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                     nn.Linear(hidden, 3))

    def forward(self, points):
        return self.decoder(self.encoder(points))


def embed_autoencoder(points: np.ndarray, steps: int = 1200, seed: int = 0, callback=None) -> tuple[np.ndarray, list]:
    """Train a SheetAutoencoder on standardised points; returns (2-D codes, loss per step)."""
    torch.manual_seed(seed)
    mean, std = points.mean(axis=0), points.std(axis=0) + 1e-8
    data = torch.tensor((points - mean) / std, dtype=torch.float32)
    model = SheetAutoencoder()
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    losses = []
    for step in range(steps):
        loss = torch.mean((model(data) - data) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if callback is not None and step % 50 == 0:
            callback(step / steps)
    with torch.no_grad():
        return model.encoder(data).numpy(), losses


@dataclass(frozen=True)
class EmbeddingScore:
    trustworthiness: float  # are 2-D neighbours also 3-D neighbours? (1 = perfectly)
    sheet_r2: float  # can both sheet coordinates be read off the 2-D map? (1 = unrolled, ~0.5 = one lost)


def score_embedding(points: np.ndarray, embedding: np.ndarray, sheet: np.ndarray) -> EmbeddingScore:
    """Trustworthiness (Venna & Kaski 2001) and the cross-validated R^2 of predicting the sheet's
    coordinates from the embedding with 10-nearest-neighbour regression (any smooth unrolling scores 1)."""
    if len(points) < 20:
        raise ValueError(f"need at least 20 points to score an embedding, got {len(points)}")
    predicted = cross_val_predict(KNeighborsRegressor(n_neighbors=10), embedding, sheet, cv=5)
    r2 = 1 - ((sheet - predicted) ** 2).sum(axis=0) / ((sheet - sheet.mean(axis=0)) ** 2).sum(axis=0)
    trust = trustworthiness(points, embedding, n_neighbors=10)
    return EmbeddingScore(float(trust), float(np.mean(r2)))


# -- 2. How far is an image from the natural ones? -------------------------------------------------

def patches_of(image: np.ndarray, stride: int = PATCH) -> np.ndarray:
    """Non-overlapping PATCH x PATCH patches of a grayscale image, each minus its mean: (N, 64)."""
    height, width = image.shape
    if min(height, width) < PATCH:
        raise ValueError(f"image must be at least {PATCH}x{PATCH}, got {width}x{height}")
    rows = [image[r : r + PATCH, c : c + PATCH].ravel()
            for r in range(0, height - PATCH + 1, stride) for c in range(0, width - PATCH + 1, stride)]
    patches = np.array(rows)
    return patches - patches.mean(axis=1, keepdims=True)


class NaturalPatchModel:
    """The first k principal components of natural-photo patches: a linear stand-in for their manifold."""

    def __init__(self, components: int = 8, seed: int = 0):
        rng = np.random.default_rng(seed)
        samples = []
        for name in FIT_PHOTOS:
            patches = patches_of(gray_photo(name), stride=4)
            samples.append(patches[rng.choice(len(patches), size=min(3000, len(patches)), replace=False)])
        self.pca = fit_pca(np.concatenate(samples))
        self.k = components

    def residual_fraction(self, image: np.ndarray) -> float:
        """Share of the image's patch energy that the natural-patch subspace cannot explain (0..1)."""
        gray = image.mean(axis=2) if image.ndim == 3 else image
        patches = patches_of(np.asarray(gray, dtype=np.float64))
        energy = (patches**2).sum()
        if energy == 0:
            return 0.0
        kept = (patches @ self.pca.components[: self.k].T) ** 2
        return float(1 - kept.sum() / energy)


def random_images(count: int, size: int = 100, seed: int = 0) -> np.ndarray:
    """`rand(size, size, 3)`, `count` times: uniformly random colour images in [0, 1]."""
    return np.random.default_rng(seed).random((count, size, size, 3))


def natural_crops(count: int, size: int = 100, seed: int = 0) -> np.ndarray:
    """Random size x size colour crops of photos the patch model never saw: (count, size, size, 3)."""
    from skimage import data
    from skimage.util import img_as_float

    rng = np.random.default_rng(seed)
    photos = []
    for name in TEST_PHOTOS:
        photo = img_as_float(getattr(data, name)())
        photos.append(np.repeat(photo[..., None], 3, axis=2) if photo.ndim == 2 else photo[..., :3])
    crops = []
    for index in range(count):
        photo = photos[index % len(photos)]
        top, left = rng.integers(0, photo.shape[0] - size), rng.integers(0, photo.shape[1] - size)
        crops.append(photo[top : top + size, left : left + size])
    return np.stack(crops)
