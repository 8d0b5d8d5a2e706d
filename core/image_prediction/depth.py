"""Depth from one photo: Eigen, Puhrsch & Fergus (NeurIPS 2014)'s coarse and fine networks and their loss, for faces.

The coarse network sees the whole photo: convolutions down to 4x4, then fully connected layers that output a
depth map at a quarter of the resolution, so every output pixel can use every input pixel (where the face is
turned, where the light comes from). The fine network looks at local detail at half resolution and refines the
coarse map, which it takes as an extra input channel. Depth is predicted as log depth and trained with the
*scale-invariant* error: a photo does not tell how far away the face was, only its shape, so a prediction that
is right up to one global scale is not penalised (lambda = 1), or only half as much (lambda = 0.5, the paper's
training choice).

A second output, the face mask, says where a depth is meaningful (the targets cover the face from brows to chin;
`train.face_depth_data`): the relief is drawn there.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

CAMERA_DISTANCE = 2.0  # image widths from the camera to the face's mean plane: targets are log(CAMERA + z)
FACE_MEAN, FACE_STD = (0.52, 0.42, 0.37), (0.28, 0.25, 0.25)  # the aligned faces' channel statistics


def conv(in_channels: int, out_channels: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class FaceDepthNet(nn.Module, PyTorchModelHubMixin):
    """Photo (B, 3, S, S) in [0, 1] -> (log depth, mask logit), each (B, 1, S, S).

    Args:
        image_size: the side it was trained at (aligned faces); other sizes are resized to it by `predict_depth`.
        widths: the coarse network's channels at 1/2, 1/4, 1/8, 1/16 of the side.
        hidden: the coarse network's fully connected width.
        fine_width: the fine network's channels (at half resolution).
    """

    def __init__(self, image_size: int = 64, widths: tuple[int, ...] = (32, 64, 96, 128), hidden: int = 512,
                 fine_width: int = 32):
        super().__init__()
        widths = tuple(widths)
        self.image_size = image_size
        self.coarse_side = image_size // 4
        # The mean face's log depth (set from the training targets before training, saved with the weights): the
        # network predicts how this face differs from it, so "the average face" is where it starts, not where it
        # has to arrive. Flat until set.
        self.register_buffer("mean_face", torch.full((1, 1, image_size, image_size), math.log(CAMERA_DISTANCE)))
        self.register_buffer("mean", torch.tensor(FACE_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(FACE_STD).view(1, 3, 1, 1), persistent=False)
        # Coarse: global view, through fully connected layers, to a (S/4)^2 depth map.
        layers, channels = [], 3
        for width in widths:
            layers.append(conv(channels, width, stride=2))
            channels = width
        self.coarse_features = nn.Sequential(*layers)
        deepest = image_size // 2 ** len(widths)
        self.coarse_head = nn.Sequential(nn.Flatten(), nn.Linear(channels * deepest * deepest, hidden),
                                         nn.ReLU(inplace=True), nn.Dropout(0.2),
                                         nn.Linear(hidden, self.coarse_side * self.coarse_side))
        # Fine: local detail at S/2, with the coarse map as an extra input channel; it outputs a correction.
        self.fine_in = conv(3, fine_width, stride=2)
        self.fine = nn.Sequential(conv(fine_width + 1, fine_width), conv(fine_width, fine_width),
                                  nn.Conv2d(fine_width, 2, 3, padding=1))

    def forward(self, photo: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if photo.ndim != 4 or photo.shape[1] != 3 or photo.shape[-1] != self.image_size or photo.shape[-2] != self.image_size:
            raise ValueError(f"expected photos (B, 3, {self.image_size}, {self.image_size}), got {tuple(photo.shape)}")
        x = (photo - self.mean) / self.std
        coarse = self.coarse_head(self.coarse_features(x)).view(-1, 1, self.coarse_side, self.coarse_side)
        local = self.fine_in(x)  # (B, fine_width, S/2, S/2)
        coarse_up = F.interpolate(coarse, size=local.shape[-2:], mode="bilinear", align_corners=False)
        out = self.fine(torch.cat([local, coarse_up], 1)) + torch.cat([coarse_up, torch.zeros_like(coarse_up)], 1)
        out = F.interpolate(out, size=photo.shape[-2:], mode="bilinear", align_corners=False)
        return self.mean_face + out[:, :1], out[:, 1:]


def log_depth_target(z: torch.Tensor) -> torch.Tensor:
    """MediaPipe's relative z (image widths, smaller is nearer) -> log depth from a camera CAMERA_DISTANCE away
    (never nearer than a tenth of an image width: a wild value must not become a NaN)."""
    return torch.log((CAMERA_DISTANCE + z).clamp(min=0.1))


def scale_invariant_error(predicted: torch.Tensor, target: torch.Tensor, mask: torch.Tensor,
                          weight: float = 0.5) -> torch.Tensor:
    """Eigen et al.'s loss per image, averaged: with d = predicted - target (log depths) over the n masked pixels,
    mean(d^2) - weight * mean(d)^2. weight 1: fully scale-invariant (its square root is the paper's
    "scale-invariant log RMSE"); 0.5: the paper's training loss. All tensors (B, 1, H, W); mask boolean."""
    mask = mask.float()
    count = mask.flatten(1).sum(1).clamp(min=1)
    d = (predicted - target) * mask
    mean_square = d.pow(2).flatten(1).sum(1) / count
    mean = d.flatten(1).sum(1) / count
    return (mean_square - weight * mean.pow(2)).mean()


DEPTH_SCALE = 0.02  # a face's log depth departs from the mean face's by about this much (RMS): the loss's unit


def depth_loss(log_depth, mask_logit, target_log_depth, mask, mask_weight: float = 0.1) -> torch.Tensor:
    """Scale-invariant error inside the face, in units of DEPTH_SCALE^2 (raw, it is ~4e-4 and a mask loss of any
    useful weight drowned it: a first run learned the mask and barely beat the mean face), plus a small binary
    cross-entropy for the face mask."""
    return (scale_invariant_error(log_depth.float(), target_log_depth, mask) / DEPTH_SCALE**2 +
            mask_weight * F.binary_cross_entropy_with_logits(mask_logit.float(), mask.float()))


@torch.no_grad()
def predict_depth(model: FaceDepthNet, photo: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(3, H, W) photo in [0, 1], a face roughly centred and filling the square -> (relative depth, face
    probability), each (S, S) at the model's size: depth as z in image widths (smaller is nearer), i.e.
    exp(log depth) - CAMERA_DISTANCE, shifted so the face's median is 0."""
    x = F.interpolate(photo[None], size=(model.image_size, model.image_size), mode="bilinear", align_corners=False,
                      antialias=True)
    log_depth, mask_logit = model(x)
    z = log_depth[0, 0].exp() - CAMERA_DISTANCE
    face = mask_logit[0, 0].sigmoid()
    inside = face > 0.5
    return z - (z[inside].median() if inside.any() else z.median()), face
