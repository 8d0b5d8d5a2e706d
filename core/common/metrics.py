"""Image quality metrics on float images in [0, 1]: PSNR, SSIM, and the Y-channel variants SR uses."""

from __future__ import annotations

import numpy as np


def _pair(reference: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    reference, test = np.asarray(reference, np.float64), np.asarray(test, np.float64)
    if reference.shape != test.shape:
        raise ValueError(f"images must have the same shape, got {reference.shape} and {test.shape}")
    return reference, test


def psnr(reference: np.ndarray, test: np.ndarray, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB (inf for identical images)."""
    reference, test = _pair(reference, test)
    mse = np.mean((reference - test) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(data_range**2 / mse))


def ssim(reference: np.ndarray, test: np.ndarray, data_range: float = 1.0) -> float:
    """Structural similarity (Wang et al. 2004), Gaussian-weighted as in the paper; colour: mean over channels."""
    from skimage.metrics import structural_similarity

    reference, test = _pair(reference, test)
    channel_axis = -1 if reference.ndim == 3 else None
    return float(structural_similarity(reference, test, data_range=data_range, channel_axis=channel_axis,
                                       gaussian_weights=True, sigma=1.5, use_sample_covariance=False))


def ab_error_auc(predicted_ab, true_ab, max_threshold: float = 150.0, steps: int = 151,
                 pixel_weights: np.ndarray | None = None) -> float:
    """Zhang et al.'s raw accuracy: the share of pixels whose ab error is within t, averaged over
    t in [0, max_threshold] (area under that curve, normalised to 0..1). Inputs (2, H, W) in ab units.
    `pixel_weights` (H, W): their "class-rebalanced" version weighs each pixel by the inverse prior of its
    true colour (`rebalanced_pixel_weights`), so the rare saturated colours count as much as the grays."""
    error = np.linalg.norm(np.asarray(predicted_ab, np.float64) - np.asarray(true_ab, np.float64), axis=0).ravel()
    weights = np.ones_like(error) if pixel_weights is None else np.asarray(pixel_weights, np.float64).ravel()
    thresholds = np.linspace(0, max_threshold, steps)
    within = ((error[None, :] <= thresholds[:, None]) * weights[None, :]).sum(axis=1) / weights.sum()
    return float(np.trapezoid(within, thresholds) / max_threshold)


def rebalanced_pixel_weights(true_ab: np.ndarray, centers: np.ndarray, prior: np.ndarray,
                             floor: float = 1e-5) -> np.ndarray:
    """1 / p(bin of each pixel's true colour), for `ab_error_auc`: (2, H, W) ab -> (H, W)."""
    ab, centers = np.asarray(true_ab, np.float32).reshape(2, -1).T, np.asarray(centers, np.float32)
    nearest = np.concatenate([((chunk[:, None, :] - centers[None]) ** 2).sum(axis=2).argmin(axis=1)
                              for chunk in np.array_split(ab, max(1, len(ab) // 8192))])  # bounded memory
    return (1.0 / np.maximum(np.asarray(prior, np.float64)[nearest], floor)).reshape(np.shape(true_ab)[1:])


def rgb_to_y(rgb: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma in [16, 235] from RGB in [0, 1] (MATLAB's rgb2ycbcr, which SR papers score on)."""
    rgb = np.asarray(rgb, np.float64)
    return 16 + rgb @ np.array([65.481, 128.553, 24.966])


def _y_cropped(reference: np.ndarray, test: np.ndarray, border: int) -> tuple[np.ndarray, np.ndarray]:
    reference, test = _pair(reference, test)
    if reference.ndim != 3 or reference.shape[-1] != 3:
        raise ValueError(f"expected RGB images (H, W, 3), got {reference.shape}")
    if min(reference.shape[:2]) <= 2 * border:
        raise ValueError(f"image {reference.shape[:2]} is too small for a {border}-pixel border crop")
    window = (slice(border, -border or None), slice(border, -border or None))
    return rgb_to_y(reference)[window], rgb_to_y(test)[window]


def psnr_y(reference: np.ndarray, test: np.ndarray, border: int = 4) -> float:
    """Super-resolution PSNR: on the Y channel (0-255 scale), `border` pixels (= the scale) cropped off each side."""
    reference, test = _y_cropped(np.clip(reference, 0, 1), np.clip(test, 0, 1), border)
    return psnr(np.round(reference), np.round(test), data_range=255.0)


def ssim_y(reference: np.ndarray, test: np.ndarray, border: int = 4) -> float:
    """Super-resolution SSIM: Gaussian-window SSIM on the cropped Y channel, as in the SR literature."""
    reference, test = _y_cropped(np.clip(reference, 0, 1), np.clip(test, 0, 1), border)
    return ssim(np.round(reference), np.round(test), data_range=255.0)


def period_energy(images: np.ndarray, period: int) -> float:
    """Mean spectral power at the frequencies of a pattern that repeats every `period` pixels: the checkerboard
    measure (a stride-2 upsampler's grid has period 2, two of them stacked period 4).

    images: (N, H, W) or (N, H, W, 3) in [0, 1], sides multiples of `period`. Each image is mean-removed; the
    power is read at the exact bins k/period cycles per pixel (k = 1..period-1 on either axis, the other axis
    at any multiple of 1/period, DC excluded, nothing of a coarser period), with no window so a strictly
    periodic grid lands on them. Compare with the same measure on real photos of the scene: near 1 is no grid.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 4:
        images = images @ np.array([0.299, 0.587, 0.114])
    height, width = images.shape[1:]
    if height % period or width % period:
        raise ValueError(f"image sides must be multiples of {period}, got {height}x{width}")
    power = (np.abs(np.fft.fft2(images - images.mean(axis=(1, 2), keepdims=True))) ** 2).mean(0)
    coarser = {k * period // q for q in range(1, period) if period % q == 0 for k in range(q)}  # multiples of 1/q
    rows, cols = range(0, height, height // period), range(0, width, width // period)
    bins = [(r, c) for r in rows for c in cols
            if not (r * period // height in coarser and c * period // width in coarser)]
    return float(np.mean([power[r, c] for r, c in bins]))
