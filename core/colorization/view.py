"""Colourize a photo with both models, and draw one pixel's predicted ab distribution (for the Space)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from core.colorization.ab_bins import annealed_mean, sharpen
from core.colorization.model import Colorizer
from core.common.color import colorfulness, lab_to_rgb, rgb_to_lab


@dataclass
class Colorized:
    lightness: np.ndarray  # (H, W) in [0, 100]
    l2: np.ndarray  # (H, W, 3) RGB in [0, 1]
    classification: np.ndarray  # (H, W, 3)
    distribution: np.ndarray  # (Q, h, w) probabilities at quarter resolution
    l2_ab_quarter: np.ndarray  # (2, h, w)


def is_grayscale(rgb: np.ndarray, tolerance: float = 2.0) -> bool:
    """True when the photo carries (almost) no colour: max |a|, |b| below `tolerance` for 99% of pixels."""
    lab = rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1).double())
    chroma = torch.linalg.vector_norm(lab[1:], dim=0)
    return bool(torch.quantile(chroma.flatten()[:: max(1, chroma.numel() // 100_000)], 0.99) < tolerance)


@torch.inference_mode()
def colorize_both(rgb: np.ndarray, l2_model, class_model, temperature: float) -> Colorized:
    """Run both models on the lightness of `rgb` (H, W, 3) in [0, 1]."""
    lightness = rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1)[None].float())[:, :1]
    height, width = lightness.shape[-2:]
    padded = class_model.pad(lightness)
    distribution = class_model.ab_distribution(padded)  # kept: a pixel click and a new T reuse it
    l2_quarter = l2_model(padded)

    def to_rgb(ab_quarter):
        ab = class_model.full_resolution(ab_quarter, height, width)
        return lab_to_rgb(torch.cat([lightness, ab], dim=1))[0].permute(1, 2, 0).numpy()

    classification = to_rgb(annealed_mean(distribution, class_model.ab_centers, temperature))
    return Colorized(lightness[0, 0].numpy(), to_rgb(l2_quarter), classification, distribution[0].numpy(),
                     l2_quarter[0].numpy())


@torch.inference_mode()
def redecode(result: Colorized, centers: np.ndarray, temperature: float) -> Colorized:
    """The classification result at another temperature, from the stored distribution: no network run."""
    height, width = result.lightness.shape
    distribution = torch.from_numpy(result.distribution)[None]
    ab = Colorizer.full_resolution(annealed_mean(distribution, torch.from_numpy(centers), temperature), height, width)
    lightness = torch.from_numpy(result.lightness)[None, None]
    rgb = lab_to_rgb(torch.cat([lightness, ab], dim=1))[0].permute(1, 2, 0).numpy()
    return Colorized(result.lightness, result.l2, rgb, result.distribution, result.l2_ab_quarter)


def scores(result: Colorized, original: np.ndarray | None) -> str:
    rows = [("L2 regression", colorfulness(result.l2)), ("classification", colorfulness(result.classification))]
    if original is not None:
        rows.append(("original", colorfulness(original)))
    table = "| image | colourfulness (Hasler & Süsstrunk) |\n|---|---|\n"
    table += "\n".join(f"| {name} | {value:.1f} |" for name, value in rows)
    ratio = rows[1][1] / max(rows[0][1], 1e-6)
    return table + f"\n\nClassification is **{ratio:.1f}x** as colourful as L2 on this photo."


def telling_pixel(result: Colorized) -> tuple[int, int]:
    """(x, y) of a pixel worth showing first: mid lightness (a black or white pixel has no colour to choose), away
    from the border, and the most uncertain distribution there (the classifier weighs several colours: the lesson
    of the chart)."""
    probabilities = result.distribution  # (bins, H/4, W/4)
    entropy = -(probabilities * np.log(np.clip(probabilities, 1e-12, None))).sum(axis=0)
    lightness = result.lightness[::4, ::4][: entropy.shape[0], : entropy.shape[1]]
    entropy = entropy[: lightness.shape[0], : lightness.shape[1]]
    usable = (lightness > 35) & (lightness < 85)
    rows, columns = usable.shape  # away from the border, where a photo's subject rarely is
    usable[: rows // 8], usable[rows - rows // 8 :], usable[:, : columns // 8], usable[:, columns - columns // 8 :] = (
        False, False, False, False)
    if not usable.any():
        height, width = result.lightness.shape
        return width // 2, height // 2
    qy, qx = np.unravel_index(np.where(usable, entropy, -np.inf).argmax(), entropy.shape)
    return int(qx * 4 + 2), int(qy * 4 + 2)


def pixel_distribution(result: Colorized, centers: np.ndarray, x: int, y: int, temperature: float,
                       original: np.ndarray | None) -> go.Figure:
    """Bins drawn in their own colour (at this pixel's lightness), sized by predicted probability."""
    height, width = result.lightness.shape
    x, y = int(np.clip(x, 0, width - 1)), int(np.clip(y, 0, height - 1))
    qy, qx = min(y // 4, result.distribution.shape[1] - 1), min(x // 4, result.distribution.shape[2] - 1)
    probabilities = result.distribution[:, qy, qx]
    lightness = float(result.lightness[y, x])
    lab = torch.from_numpy(np.concatenate([np.full((len(centers), 1), lightness), centers], axis=1).T[:, :, None])
    bin_colors = lab_to_rgb(lab.double())[:, :, 0].T.numpy()
    colors = [f"rgb({r * 255:.0f},{g * 255:.0f},{b * 255:.0f})" for r, g, b in bin_colors]
    sizes = 4 + 40 * np.sqrt(probabilities / probabilities.max())
    fig = go.Figure(go.Scatter(x=centers[:, 1], y=centers[:, 0], mode="markers", name="ab bins",
                               marker=dict(size=sizes, color=colors, line=dict(width=0.5, color="#555")),
                               text=[f"p = {p:.3f}" for p in probabilities], hoverinfo="text"))
    mean_ab = sharpen(torch.from_numpy(probabilities), temperature, dim=0).numpy() @ centers
    marks = [("L2 prediction", result.l2_ab_quarter[:, qy, qx], "x"),
             (f"annealed mean (T = {temperature:.2f})", mean_ab, "circle-open")]
    if original is not None:
        truth = rgb_to_lab(torch.from_numpy(original[y, x]).view(3, 1, 1).double())[1:, 0, 0].numpy()
        marks.append(("true colour", truth, "star"))
    for name, ab, symbol in marks:
        fig.add_trace(go.Scatter(x=[ab[1]], y=[ab[0]], mode="markers", name=name,
                                 marker=dict(size=16, symbol=symbol, color="black", line=dict(width=2))))
    fig.update_layout(title=f"Predicted colour distribution at pixel ({x}, {y}), L = {lightness:.0f}",
                      xaxis_title="b (blue ← → yellow)", yaxis_title="a (green ← → red)", height=460,
                      xaxis=dict(range=[-115, 115]), yaxis=dict(range=[-115, 115], scaleanchor="x"),
                      margin=dict(l=10, r=10, t=50, b=10), legend=dict(orientation="h", y=-0.15))
    return fig
