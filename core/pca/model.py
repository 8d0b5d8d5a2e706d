"""Principal component analysis, written out so the lecture's claims can be checked with numbers.

The components are the eigenvectors of the data's covariance matrix, sorted by eigenvalue; each
eigenvalue is the variance of the data along its component (Pearson 1901; Hotelling 1933).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PCA:
    mean: np.ndarray  # (D,)
    components: np.ndarray  # (D, D) rows = unit eigenvectors, by decreasing variance
    variances: np.ndarray  # (D,) eigenvalues of the covariance = variance along each component
    n_samples: int

    @property
    def dim(self) -> int:
        return self.mean.shape[0]

    @property
    def explained_ratio(self) -> np.ndarray:
        """Share of the total variance along each component (sums to 1)."""
        return self.variances / self.variances.sum()

    def check_k(self, k: int) -> int:
        if not 0 <= k <= self.dim:
            raise ValueError(f"k must be between 0 and the data dimension {self.dim}, got {k}")
        return k

    def project(self, points: np.ndarray, k: int) -> np.ndarray:
        """Coordinates along the first k components: (N, D) -> (N, k)."""
        return (points - self.mean) @ self.components[: self.check_k(k)].T

    def reconstruct(self, points: np.ndarray, k: int) -> np.ndarray:
        """Best rank-k approximation of each point: back to (N, D)."""
        return self.mean + self.project(points, k) @ self.components[:k]

    def reconstruction_error(self, points: np.ndarray, k: int) -> float:
        """Mean squared distance to the rank-k reconstruction (= sum of the dropped variances, on fit data)."""
        return float(np.mean(np.sum((points - self.reconstruct(points, k)) ** 2, axis=1)))


def _validate(points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2:
        raise ValueError(f"expected an (N, D) array of points, got shape {points.shape}")
    if points.shape[0] < 2:
        raise ValueError(f"PCA needs at least 2 points to measure a variance, got {points.shape[0]}")
    if not np.isfinite(points).all():
        raise ValueError("points contain NaN or infinity")
    return points


def fit_pca(points: np.ndarray) -> PCA:
    """Eigen-decomposition of the covariance matrix (D x D), the textbook route; SVD when D > N.

    With fewer points than dimensions (faces: 100 images of 625 pixels) the covariance is rank
    deficient and large, so the SVD of the centred data is both cheaper and more accurate.
    """
    if np.ndim(points) == 2 and np.shape(points)[1] > np.shape(points)[0]:
        return fit_pca_svd(points)
    points = _validate(points)
    if np.ptp(points, axis=0).max() == 0:
        raise ValueError("all points are identical: there is no variance, so no principal direction")
    mean = points.mean(axis=0)
    centered = points - mean
    covariance = centered.T @ centered / (len(points) - 1)
    variances, vectors = np.linalg.eigh(covariance)  # ascending
    order = np.argsort(variances)[::-1]
    variances = np.clip(variances[order], 0, None)
    components = _fix_signs(vectors[:, order].T)
    return PCA(mean, components, variances, len(points))


def fit_pca_svd(points: np.ndarray, n_components: int | None = None) -> PCA:
    """The same PCA through the SVD of the centred data: better when D >> N (images).

    Keeps min(N, D) components (or `n_components`); the rest have zero variance on this data.
    """
    points = _validate(points)
    if np.ptp(points, axis=0).max() == 0:
        raise ValueError("all points are identical: there is no variance, so no principal direction")
    mean = points.mean(axis=0)
    _, singular, vt = np.linalg.svd(points - mean, full_matrices=False)
    keep = n_components or len(singular)
    variances = singular[:keep] ** 2 / (len(points) - 1)
    return PCA(mean, _fix_signs(vt[:keep]), variances, len(points))


def _fix_signs(components: np.ndarray) -> np.ndarray:
    """An eigenvector's sign is arbitrary; make its largest entry positive so plots don't flip."""
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    signs[signs == 0] = 1
    return components * signs[:, None]


def eigen_summary(points: np.ndarray, pca: PCA) -> dict[str, np.ndarray]:
    """Numbers for the lecture claim: C v = lambda v, and var(projection on v) = lambda."""
    centered = _validate(points) - pca.mean
    covariance = centered.T @ centered / (len(centered) - 1)
    projected_variance = (centered @ pca.components.T).var(axis=0, ddof=1)
    residual = np.linalg.norm(covariance @ pca.components.T - pca.components.T * pca.variances, axis=0)
    return {"covariance": covariance, "projected_variance": projected_variance, "eigen_residual": residual}
