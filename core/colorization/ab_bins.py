"""Quantized ab colour space for colourization as classification (Zhang, Isola & Efros, ECCV 2016).

- a 10x10 grid over ab, restricted to the bins that real images actually use (313 in the paper);
- soft-encoding of a target colour onto its 5 nearest bins with Gaussian weights (sigma 5);
- class rebalancing: weights from the smoothed empirical prior, mixed with uniform (lambda 0.5),
  normalised so that their expectation under the prior is 1;
- annealed-mean decoding: sharpen the predicted distribution with temperature T, then take its mean
  (T = 1: the mean, which L2 regression also targets; T -> 0: the mode; the paper uses 0.38).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

GRID = 10
AB_RANGE = 110  # a and b of sRGB colours lie within about [-110, 110]
EDGES = np.arange(-AB_RANGE, AB_RANGE + GRID, GRID)  # 23 edges -> 22 x 22 cells
CENTERS_1D = (EDGES[:-1] + EDGES[1:]) / 2


def ab_histogram(ab: torch.Tensor) -> np.ndarray:
    """Counts of ab values (..., 2, H, W) over the full 22 x 22 grid."""
    flat = ab.detach().movedim(-3, -1).reshape(-1, 2).double().cpu().numpy()
    counts, _, _ = np.histogram2d(flat[:, 0], flat[:, 1], bins=[EDGES, EDGES])
    return counts


def gamut_from_histogram(counts: np.ndarray, min_count: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """In-gamut bin centres (Q, 2) and their empirical probabilities (Q,), from a 22 x 22 histogram."""
    rows, cols = np.nonzero(counts >= min_count)
    centers = np.stack([CENTERS_1D[rows], CENTERS_1D[cols]], axis=1)
    prior = counts[rows, cols] / counts[rows, cols].sum()
    return centers.astype(np.float32), prior.astype(np.float32)


def smoothed_prior(centers: np.ndarray, prior: np.ndarray, sigma: float = 5.0) -> np.ndarray:
    """The prior blurred with a Gaussian of `sigma` ab units over the grid, renormalised over the bins."""
    grid = np.zeros((len(CENTERS_1D), len(CENTERS_1D)))
    index = ((centers + AB_RANGE) // GRID).astype(int)
    grid[index[:, 0], index[:, 1]] = prior
    blurred = gaussian_filter(grid, sigma=sigma / GRID, mode="constant")[index[:, 0], index[:, 1]]
    return (blurred / blurred.sum()).astype(np.float32)


def rebalancing_weights(prior: np.ndarray, mix: float = 0.5) -> np.ndarray:
    """w ~ 1 / ((1 - mix) * prior + mix / Q), scaled so that sum(prior * w) = 1."""
    weights = 1.0 / ((1 - mix) * prior + mix / len(prior))
    return (weights / (prior * weights).sum()).astype(np.float32)


def soft_encode(ab: torch.Tensor, centers: torch.Tensor, neighbors: int = 5, sigma: float = 5.0) -> torch.Tensor:
    """Targets (B, 2, H, W) -> distributions (B, Q, H, W) on the `neighbors` nearest bins (sums to 1)."""
    batch, _, height, width = ab.shape
    points = ab.permute(0, 2, 3, 1).reshape(-1, 2)  # (N, 2)
    distances = torch.cdist(points, centers.to(points))  # (N, Q)
    nearest, index = distances.topk(neighbors, dim=1, largest=False)
    weights = torch.softmax(-nearest**2 / (2 * sigma**2), dim=1)
    encoded = torch.zeros(points.shape[0], centers.shape[0], device=ab.device, dtype=ab.dtype)
    encoded.scatter_(1, index, weights.to(ab.dtype))
    return encoded.view(batch, height, width, -1).permute(0, 3, 1, 2)


def sharpen(probabilities: torch.Tensor, temperature: float, dim: int = 1) -> torch.Tensor:
    """p^(1/T), renormalised over the bins: T = 1 leaves p, T -> 0 puts all mass on the mode."""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0 (use a small value for the mode), got {temperature}")
    return torch.softmax(torch.log(probabilities.clamp(min=1e-12)) / temperature, dim=dim)


def annealed_mean(probabilities: torch.Tensor, centers: torch.Tensor, temperature: float) -> torch.Tensor:
    """(B, Q, H, W) probabilities -> (B, 2, H, W) ab; temperature 1 is the plain mean."""
    sharpened = sharpen(probabilities, temperature)
    return torch.einsum("bqhw,qc->bchw", sharpened, centers.to(sharpened))
