"""The super-resolution objectives as plain functions.

"l2": the pixel MSE (the mean of all plausible answers: best PSNR, blurry). The feature losses: a
feature-matching term (Johnson et al. 2016) plus two anchors that keep its sharpness honest: the output
downscaled must give back the input (colours stay put), and a small pixel MSE (against grid artefacts).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from core.super_resolution.model import downscale


@dataclass(frozen=True)
class FeatureWeights:
    feature: float = 1.0
    consistency: float = 100.0  # MSE(downscale(output), input)
    pixel: float = 10.0  # MSE(output, high)


def feature_objective(output: torch.Tensor, high: torch.Tensor, low: torch.Tensor, scale: int, feature_loss,
                      weights: FeatureWeights = FeatureWeights()) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """(loss, its parts) for an output (B, 3, sH, sW) of the low-resolution input `low`, its truth `high`."""
    feature = feature_loss(output, high)
    consistency = F.mse_loss(downscale(output, scale), low)
    pixel = F.mse_loss(output, high)
    loss = weights.feature * feature + weights.consistency * consistency + weights.pixel * pixel
    return loss, {"feature": feature.detach(), "consistency": consistency.detach(), "pixel_mse": pixel.detach()}
