"""Plotly figures for the image-manifold Space (plain functions, testable without a browser)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

COLORSCALE = "Turbo"


def sheet_3d(points: np.ndarray, position: np.ndarray, title: str) -> go.Figure:
    fig = go.Figure(go.Scatter3d(
        x=points[:, 0], y=points[:, 1], z=points[:, 2], mode="markers",
        marker=dict(size=2.5, color=position, colorscale=COLORSCALE, colorbar=dict(title="position<br>on sheet")),
    ))
    fig.update_layout(title=title, height=430, margin=dict(l=0, r=0, t=40, b=0),
                      scene=dict(xaxis_title="x1", yaxis_title="x2", zaxis_title="x3", aspectmode="data"))
    return fig


def embeddings_2d(embeddings: dict[str, np.ndarray], position: np.ndarray, scores: dict[str, str]) -> go.Figure:
    """One panel per method, points coloured by their true position on the sheet."""
    names = list(embeddings)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[f"{n}<br><sub>{scores[n]}</sub>" for n in names])
    for column, name in enumerate(names, start=1):
        codes = embeddings[name]
        # SVG, not WebGL (Scattergl): at most 1,500 points a panel, and a WebGL panel is a GL context of its own,
        # which a computer without GPU acceleration draws in software (a cached result took ~3 s of Chromium's CPU
        # to show; bench.browser_walk)
        fig.add_trace(go.Scatter(x=codes[:, 0], y=codes[:, 1], mode="markers", showlegend=False,
                                   marker=dict(size=4, color=position, colorscale=COLORSCALE)), row=1, col=column)
        fig.update_xaxes(title_text="coordinate 1", row=1, col=column)
        fig.update_yaxes(title_text="coordinate 2", row=1, col=column)
    # two lines: on one, the title ran past the plot's right edge and was cut off
    fig.update_layout(title=dict(text="2-D maps of the sheet. Unrolled: the colours run along one straight direction, "
                                      "like a flat strip.<br>Still rolled: a spiral (the roll seen end-on) or mixed "
                                      "colours (layers on top of each other)", y=0.93, yanchor="top",
                                 x=0.5, xanchor="center"),  # clear of the block's label in the corner
                      height=440, margin=dict(l=10, r=10, t=130, b=10))
    return fig


def distance_histogram(natural: np.ndarray, random: np.ndarray, uploaded: float | None = None) -> go.Figure:
    fig = go.Figure()
    bins = dict(start=0, end=1, size=0.02)
    fig.add_trace(go.Histogram(x=natural, name=f"natural photo crops (n={len(natural)})", xbins=bins,
                               marker_color="#2ca02c", opacity=0.75))
    fig.add_trace(go.Histogram(x=random, name=f"rand(100, 100, 3) images (n={len(random)})", xbins=bins,
                               marker_color="#d62728", opacity=0.75))
    if uploaded is not None:
        fig.add_vline(x=uploaded, line_width=3, line_dash="dash", line_color="#1f77b4",
                      annotation_text=f"your image: {uploaded:.2f}")
    fig.update_layout(barmode="overlay", height=360, margin=dict(l=10, r=10, t=50, b=10),
                      title="Distance from natural images: share of patch energy outside the natural-patch subspace",
                      xaxis_title="residual fraction (0 = looks natural, 1 = nothing like it)",
                      yaxis_title="number of images", legend=dict(orientation="h", y=-0.25))
    return fig
