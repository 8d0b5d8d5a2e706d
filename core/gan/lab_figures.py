"""Plotly figures for the 2-D GAN lab: D's decision surface under G's samples, and the two losses."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core.gan.lab import GRID, Snapshot

ARROW_SCALE = 0.5  # plot units per unit of gradient: one scale for every step, so a vanishing gradient shows
ARROW_MAX = 1.5  # longest arrow drawn (a huge gradient would hide the plot)


def arrow_trace(points: np.ndarray, pull: np.ndarray) -> go.Scatter:
    """Segments from each sample along G's gradient, an arrowhead at the tip (marker angle follows the line)."""
    step = ARROW_SCALE * pull
    length = np.linalg.norm(step, axis=1, keepdims=True)
    step = np.where(length > ARROW_MAX, step * ARROW_MAX / np.maximum(length, 1e-12), step)
    tips = points + step
    xs, ys, sizes = [], [], []
    for (x0, y0), (x1, y1) in zip(points, tips, strict=True):
        xs += [x0, x1, None]
        ys += [y0, y1, None]
        sizes += [0, 9, 0]
    return go.Scatter(x=xs, y=ys, mode="lines+markers", name="G's gradient on its samples",
                      line=dict(color="#2ca02c", width=1.5),
                      marker=dict(symbol="arrow", size=sizes, angleref="previous", color="#2ca02c"))


def game_figure(snap: Snapshot) -> go.Figure:
    axis = np.linspace(snap.extent[0], snap.extent[1], GRID)
    fig = go.Figure(go.Heatmap(x=axis, y=axis, z=snap.surface, zmin=0, zmax=1, colorscale="RdBu", opacity=0.75,
                               colorbar=dict(title="D(x):<br>P(real)")))
    fig.add_trace(go.Scatter(x=snap.real[:, 0], y=snap.real[:, 1], mode="markers", name="real data",
                             marker=dict(size=4, color="black", opacity=0.5)))
    fig.add_trace(go.Scatter(x=snap.fake[:, 0], y=snap.fake[:, 1], mode="markers", name="G(z), fixed z",
                             marker=dict(size=5, color="#ff7f0e", line=dict(width=0.5, color="white"))))
    if snap.pull is not None:
        fig.add_trace(arrow_trace(snap.fake[: len(snap.pull)], snap.pull))
    modes = f" · modes covered: {snap.modes_covered}/8" if snap.modes_covered is not None else ""
    fig.update_layout(title=f"Step {snap.step}: G's samples on D's decision surface{modes}", height=520,
                      xaxis_title="x1", yaxis_title="x2", yaxis_scaleanchor="x", margin=dict(l=10, r=10, t=50, b=10),
                      legend=dict(orientation="h", y=-0.12), xaxis_range=list(snap.extent), xaxis_constrain="domain",
                      yaxis_range=list(snap.extent))
    return fig


def loss_figure(snap: Snapshot) -> go.Figure:
    steps = np.arange(1, len(snap.generator_losses) + 1)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps, y=snap.discriminator_losses, mode="lines", name="D loss"))
    fig.add_trace(go.Scatter(x=steps, y=snap.generator_losses, mode="lines", name="G loss"))
    fig.add_hline(y=2 * np.log(2), line_dash="dot", annotation_text="D at equilibrium: 2 ln 2")
    fig.update_layout(title="Losses: no curve goes to zero, the two players push against each other",
                      xaxis_title="step", yaxis_title="loss", height=320, margin=dict(l=10, r=10, t=50, b=10))
    return fig
