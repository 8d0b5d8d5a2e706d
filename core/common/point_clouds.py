"""Seeded toy point clouds for the lecture's low-dimensional pictures (lines, planes, rolled sheets)."""

from __future__ import annotations

import numpy as np

MAX_POINTS = 5000


def _check(count: int, noise: float) -> None:
    if not 1 <= count <= MAX_POINTS:
        raise ValueError(f"number of points must be between 1 and {MAX_POINTS}, got {count}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")


def unit_vector(azimuth_deg: float, elevation_deg: float = 0.0) -> np.ndarray:
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    return np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])


def near_line_2d(count: int, noise: float, angle_deg: float, seed: int = 0, spread: float = 3.0) -> np.ndarray:
    """Points spread along a line through the origin at `angle_deg`, with isotropic noise: (N, 2)."""
    _check(count, noise)
    rng = np.random.default_rng(seed)
    direction = unit_vector(angle_deg)[:2]
    t = rng.normal(0, spread / 2, count)
    return t[:, None] * direction + rng.normal(0, noise, (count, 2)) + np.array([1.0, 0.5])


def near_plane_3d(count: int, noise: float, tilt_deg: float, azimuth_deg: float, seed: int = 0,
                  spreads: tuple[float, float] = (3.0, 1.5)) -> np.ndarray:
    """Points on a tilted plane (two spreads, so PC1 and PC2 differ) plus noise off it: (N, 3)."""
    _check(count, noise)
    rng = np.random.default_rng(seed)
    first = unit_vector(azimuth_deg, 0.0)
    second = unit_vector(azimuth_deg + 90.0, tilt_deg)
    coords = rng.normal(0, 1, (count, 2)) * np.array(spreads) / 2
    return coords[:, :1] * first + coords[:, 1:] * second + rng.normal(0, noise, (count, 3))


def near_line_3d(count: int, noise: float, tilt_deg: float, azimuth_deg: float, seed: int = 0) -> np.ndarray:
    """A 1-D cloud in 3-D: one big eigenvalue, two small ones."""
    return near_plane_3d(count, noise, tilt_deg, azimuth_deg, seed, spreads=(3.0, 0.0))


def blob_3d(count: int, noise: float, seed: int = 0) -> np.ndarray:
    """An isotropic ball: every direction has the same variance, so no component is special."""
    _check(count, noise)
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1.0 + noise, (count, 3))


def swiss_roll(count: int, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D sheet rolled up in 3-D: returns points (N, 3) and their sheet coordinates (N, 2)."""
    _check(count, noise)
    rng = np.random.default_rng(seed)
    t = 1.5 * np.pi * (1 + 2 * rng.random(count))  # position along the roll
    height = 21 * rng.random(count)
    points = np.stack([t * np.cos(t), height, t * np.sin(t)], axis=1) + rng.normal(0, noise, (count, 3))
    return points, np.stack([t, height], axis=1)


def folded_sheet(count: int, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A narrow sheet folded into an S shape: points (N, 3) and sheet coordinates (N, 2)."""
    _check(count, noise)
    rng = np.random.default_rng(seed)
    t = 3 * np.pi * (rng.random(count) - 0.5)
    height = 1.5 * rng.random(count)
    points = np.stack([np.sin(t), height, np.sign(t) * (np.cos(t) - 1)], axis=1) + rng.normal(0, noise, (count, 3))
    return points, np.stack([t, height], axis=1)
