"""Plotly figures and image tiles for the PCA Space (plain functions: testable without a browser)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core.pca.model import PCA, eigen_summary

AXIS_COLORS = ("#d62728", "#2ca02c", "#1f77b4")


def scatter_2d(points: np.ndarray, pca: PCA, k: int) -> go.Figure:
    """Points, principal axes (length 2 sigma), and each point's projection onto the first k axes."""
    recon = pca.reconstruct(points, k)
    fig = go.Figure()
    xs, ys = [], []
    for (x0, y0), (x1, y1) in zip(points, recon, strict=True):  # residual segments, one trace with gaps
        xs += [x0, x1, None]
        ys += [y0, y1, None]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#bbb", width=1), name="residual"))
    fig.add_trace(go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers", name="data",
                             marker=dict(size=6, color="#444")))
    if k > 0:
        fig.add_trace(go.Scatter(x=recon[:, 0], y=recon[:, 1], mode="markers", name=f"projection (k={k})",
                                 marker=dict(size=5, color=AXIS_COLORS[0], symbol="x")))
    for index in range(pca.dim):
        tip = pca.mean + 2 * np.sqrt(pca.variances[index]) * pca.components[index]
        fig.add_trace(go.Scatter(x=[pca.mean[0], tip[0]], y=[pca.mean[1], tip[1]], mode="lines+markers",
                                 line=dict(color=AXIS_COLORS[index], width=4), marker=dict(size=[0, 10]),
                                 name=f"PC{index + 1}: variance {pca.variances[index]:.3f}"))
    fig.update_layout(title="2-D data, its principal axes (2 sigma) and projection onto the first k",
                      xaxis_title="x1", yaxis_title="x2", yaxis_scaleanchor="x", height=460,
                      margin=dict(l=10, r=10, t=50, b=10), legend=dict(orientation="h", y=-0.15))
    return fig


def scatter_3d(points: np.ndarray, pca: PCA, k: int) -> go.Figure:
    """Rotatable 3-D view: data, principal axes and the rank-k reconstruction (on the plane/line)."""
    recon = pca.reconstruct(points, k)
    fig = go.Figure()
    fig.add_trace(go.Scatter3d(x=points[:, 0], y=points[:, 1], z=points[:, 2], mode="markers", name="data",
                               marker=dict(size=2.5, color="#444")))
    fig.add_trace(go.Scatter3d(x=recon[:, 0], y=recon[:, 1], z=recon[:, 2], mode="markers",
                               name=f"reconstruction (k={k})", marker=dict(size=2.5, color=AXIS_COLORS[0])))
    for index in range(pca.dim):
        tip = pca.mean + 2 * np.sqrt(pca.variances[index]) * pca.components[index]
        fig.add_trace(go.Scatter3d(x=[pca.mean[0], tip[0]], y=[pca.mean[1], tip[1]], z=[pca.mean[2], tip[2]],
                                   mode="lines", line=dict(color=AXIS_COLORS[index], width=8),
                                   name=f"PC{index + 1}: variance {pca.variances[index]:.3f}"))
    fig.update_layout(title="3-D data and its rank-k PCA reconstruction (drag to rotate)", height=520,
                      scene=dict(xaxis_title="x1", yaxis_title="x2", zaxis_title="x3", aspectmode="data"),
                      margin=dict(l=0, r=0, t=50, b=0), legend=dict(orientation="h"))
    return fig


def explained_variance_bars(pca: PCA, k: int, max_bars: int = 30) -> go.Figure:
    ratio = pca.explained_ratio[:max_bars]
    labels = [f"PC{i + 1}" for i in range(len(ratio))]
    colors = [AXIS_COLORS[0] if i < k else "#9aa3b5" for i in range(len(ratio))]
    fig = go.Figure(go.Bar(x=labels, y=ratio, marker_color=colors, name="explained"))
    fig.add_trace(go.Scatter(x=labels, y=np.cumsum(ratio), mode="lines+markers", name="cumulative",
                             line=dict(color="#333")))
    fig.update_layout(title=f"Explained variance (first {k} kept: {pca.explained_ratio[:k].sum():.1%})",
                      xaxis_title="principal component", yaxis_title="share of total variance",
                      yaxis_range=[0, 1.05], height=320, margin=dict(l=10, r=10, t=50, b=10))
    return fig


def error_curve(errors: np.ndarray, k: int, title: str) -> go.Figure:
    fig = go.Figure(go.Scatter(x=np.arange(len(errors)), y=errors, mode="lines", name="error"))
    fig.add_trace(go.Scatter(x=[k], y=[errors[k]], mode="markers", marker=dict(size=12, color=AXIS_COLORS[0]),
                             name=f"k = {k}"))
    fig.update_layout(title=title, xaxis_title="number of components k", yaxis_title="mean squared error",
                      height=320, margin=dict(l=10, r=10, t=50, b=10))
    return fig


def signed(image: np.ndarray) -> np.ndarray:
    """A component (signed values) -> [0, 1] with 0 at mid-gray, so + and - read as light and dark."""
    bound = np.abs(image).max() or 1.0
    return 0.5 + 0.5 * image / bound


def matrix(m: np.ndarray) -> str:
    return "[" + "; ".join(" ".join(f"{v:+.3f}" for v in row) for row in np.atleast_2d(m)) + "]"


def eigen_table(points: np.ndarray, pca: PCA) -> str:
    check = eigen_summary(points, pca)
    rows = "\n".join(
        f"| PC{i + 1} | `{matrix(pca.components[i])}` | {pca.variances[i]:.4f} | {check['projected_variance'][i]:.4f} "
        f"| {pca.explained_ratio[i]:.1%} | {check['eigen_residual'][i]:.1e} |" for i in range(pca.dim))
    return (f"Covariance matrix C = `{matrix(check['covariance'])}`\n\n"
            "| component | eigenvector v | eigenvalue λ | variance of data along v | explained | ‖Cv − λv‖ |\n"
            f"|---|---|---|---|---|---|\n{rows}")
