"""sRGB <-> CIE Lab (D65) in torch: batched, differentiable, and matching scikit-image.

Images are (B, 3, H, W) or (3, H, W) tensors; RGB in [0, 1], L in [0, 100], a and b roughly in
[-110, 110]. The same constants as scikit-image (sRGB primaries, D65 white, CIE 1976 L*a*b*).
"""

from __future__ import annotations

import numpy as np
import torch

# sRGB (linear) -> XYZ, D65; rows X, Y, Z.
RGB_TO_XYZ = torch.tensor([[0.412453, 0.357580, 0.180423],
                           [0.212671, 0.715160, 0.072169],
                           [0.019334, 0.119193, 0.950227]], dtype=torch.float64)
XYZ_TO_RGB = torch.linalg.inv(RGB_TO_XYZ)
WHITE_D65 = torch.tensor([0.95047, 1.0, 1.08883], dtype=torch.float64)
EPSILON, KAPPA = 216 / 24389, 24389 / 27  # CIE's exact constants for the f(t) knee


def _channels_first(x: torch.Tensor) -> torch.Tensor:
    if x.ndim not in (3, 4) or x.shape[-3] != 3:
        raise ValueError(f"expected (3, H, W) or (B, 3, H, W), got {tuple(x.shape)}")
    return x


def _mix(matrix: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,...jhw->...ihw", matrix.to(x.dtype).to(x.device), x)


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    rgb = _channels_first(rgb)
    linear = torch.where(rgb > 0.04045, ((rgb.clamp(min=0.04045) + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = _mix(RGB_TO_XYZ, linear) / WHITE_D65.to(rgb.dtype).to(rgb.device).view(3, 1, 1)
    f = torch.where(xyz > EPSILON, xyz.clamp(min=EPSILON) ** (1 / 3), (KAPPA * xyz + 16) / 116)
    fx, fy, fz = f.unbind(-3)
    return torch.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], dim=-3)


def lab_to_rgb(lab: torch.Tensor, clip: bool = True) -> torch.Tensor:
    lab = _channels_first(lab)
    lightness, a, b = lab.unbind(-3)
    fy = (lightness + 16) / 116
    f = torch.stack([fy + a / 500, fy, fy - b / 200], dim=-3)
    xyz = torch.where(f > EPSILON ** (1 / 3), f**3, (116 * f - 16) / KAPPA)
    xyz = xyz * WHITE_D65.to(lab.dtype).to(lab.device).view(3, 1, 1)
    linear = _mix(XYZ_TO_RGB, xyz)
    rgb = torch.where(linear > 0.0031308, 1.055 * linear.clamp(min=0.0031308) ** (1 / 2.4) - 0.055, 12.92 * linear)
    return rgb.clamp(0, 1) if clip else rgb


def colorfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003) colourfulness of an (H, W, 3) image in [0, 1], on the 0-255 scale."""
    rgb = np.asarray(rgb, dtype=np.float64) * 255
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))
