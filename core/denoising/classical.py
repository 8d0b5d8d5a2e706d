"""Classical denoisers from scikit-image and SciPy, tuned from the noise level: the baselines a network must beat.

Each takes a float image (H, W) or (H, W, 3) in [0, 1] and the noise standard deviation (an
estimate, or the truth in benchmarks) and returns the filtered image.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def _channel_axis(image: np.ndarray) -> int | None:
    return -1 if image.ndim == 3 else None


def gaussian_blur(image: np.ndarray, sigma_noise: float, strength: float = 10.0) -> np.ndarray:
    from skimage.filters import gaussian

    return gaussian(image, sigma=max(0.3, strength * sigma_noise), channel_axis=_channel_axis(image))


def median(image: np.ndarray, sigma_noise: float, size: int = 3) -> np.ndarray:
    footprint = (size, size, 1) if image.ndim == 3 else (size, size)
    return ndimage.median_filter(image, size=footprint)


def non_local_means(image: np.ndarray, sigma_noise: float, strength: float = 0.6) -> np.ndarray:
    """Buades, Coll & Morel 2005; h = strength x sigma, 5x5 patches searched in a 13x13 window."""
    from skimage.restoration import denoise_nl_means

    return denoise_nl_means(image, h=strength * max(sigma_noise, 1e-3), sigma=sigma_noise, patch_size=5,
                            patch_distance=6, fast_mode=True, channel_axis=_channel_axis(image))


def total_variation(image: np.ndarray, sigma_noise: float, strength: float = 0.8) -> np.ndarray:
    """Rudin, Osher & Fatemi 1992 (Chambolle's algorithm); weight = strength x sigma."""
    from skimage.restoration import denoise_tv_chambolle

    return denoise_tv_chambolle(image, weight=strength * max(sigma_noise, 1e-3), channel_axis=_channel_axis(image))


CLASSICAL = {
    "Gaussian blur": gaussian_blur,
    "median 3x3": median,
    "non-local means": non_local_means,
    "total variation": total_variation,
}


def estimate_noise(image: np.ndarray) -> float:
    """Blind estimate of the Gaussian noise std (Donoho's wavelet MAD), as the filters get it in the app."""
    from skimage.restoration import estimate_sigma

    return float(estimate_sigma(image, channel_axis=_channel_axis(image), average_sigmas=True))
