"""Looking inside a 2-D latent space: the data's map, a decoded grid, and how far a point is from data."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import torch

DIGIT_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf"]


@torch.inference_mode()
def encode_all(model, images: np.ndarray, batch: int = 256) -> np.ndarray:
    """(N, H, W) floats -> (N, latent_dim) codes."""
    tensor = torch.from_numpy(np.asarray(images, dtype=np.float32))[:, None]
    return torch.cat([model.encode(tensor[i : i + batch]) for i in range(0, len(tensor), batch)]).numpy()


@torch.inference_mode()
def decode_points(model, points: np.ndarray) -> np.ndarray:
    """(N, latent_dim) -> (N, H, W) decoded images."""
    return model.decode(torch.as_tensor(np.asarray(points, dtype=np.float32)))[:, 0].numpy()


def extent(codes: np.ndarray, margin: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the codes, widened by `margin` of their range on each side."""
    low, high = codes.min(axis=0), codes.max(axis=0)
    pad = (high - low) * margin
    return low - pad, high + pad


def decoded_grid(model, low: np.ndarray, high: np.ndarray, steps: int = 15) -> np.ndarray:
    """Decode a steps x steps grid over [low, high]^2 into one image (rows: z2 from high to low)."""
    z1 = np.linspace(low[0], high[0], steps)
    z2 = np.linspace(high[1], low[1], steps)
    points = np.array([[a, b] for b in z2 for a in z1])
    images = decode_points(model, points)  # (steps^2, H, W)
    height, width = images.shape[1:]
    return images.reshape(steps, steps, height, width).transpose(0, 2, 1, 3).reshape(steps * height, steps * width)


def distance_to_data(codes: np.ndarray, point: np.ndarray) -> tuple[float, float]:
    """(distance from `point` to the nearest data code, median nearest-neighbour spacing of the data)."""
    distances = np.linalg.norm(codes - point, axis=1)
    sample = codes[:: max(1, len(codes) // 300)]
    pairwise = np.linalg.norm(sample[:, None] - sample[None], axis=2)
    np.fill_diagonal(pairwise, np.inf)
    return float(distances.min()), float(np.median(pairwise.min(axis=1)))


def latent_map(codes: np.ndarray, labels: np.ndarray, point: np.ndarray | None = None,
               path: np.ndarray | None = None) -> go.Figure:
    fig = go.Figure()
    for digit in range(10):
        chosen = labels == digit
        # SVG, not WebGL (Scattergl): 500 points, and each WebGL map is a GL context of its own, drawn in software
        # on a computer without GPU acceleration
        fig.add_trace(go.Scatter(x=codes[chosen, 0], y=codes[chosen, 1], mode="markers", name=str(digit),
                                   marker=dict(size=6, color=DIGIT_COLORS[digit], opacity=0.8)))
    if path is not None:
        fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines+markers", name="interpolation",
                                 line=dict(color="black", width=2), marker=dict(size=5, color="black")))
    if point is not None:
        fig.add_trace(go.Scatter(x=[point[0]], y=[point[1]], mode="markers", name="your point",
                                 marker=dict(size=18, color="black", symbol="x")))
    fig.update_layout(title="The 2-D latent space: codes of 500 test digits, coloured by class",
                      xaxis_title="z1", yaxis_title="z2", height=460, margin=dict(l=10, r=10, t=50, b=10),
                      legend=dict(title="digit"))
    return fig


def hole_fraction(codes: np.ndarray, samples: np.ndarray) -> float:
    """Share of sampled codes lying farther than 2x the typical data spacing from every data code:
    how often a code drawn at random decodes to something no digit was encoded to."""
    _, spacing = distance_to_data(codes, samples[0])
    nearest = np.min(np.linalg.norm(samples[:, None] - codes[None], axis=2), axis=1)
    return float(np.mean(nearest > 2 * spacing))


def hole_shares(codes: np.ndarray, vae_codes: np.ndarray, draws: int = 2000, seed: int = 0) -> tuple[float, float]:
    """How often a random code lands in a hole: (autoencoder, VAE). The VAE's codes are drawn from its N(0, I)
    prior; the autoencoder has no prior, so from a Gaussian fitted to its own codes."""
    normal = np.random.default_rng(seed).normal(size=(draws, codes.shape[1]))
    return hole_fraction(codes, normal * codes.std(0) + codes.mean(0)), hole_fraction(vae_codes, normal)
