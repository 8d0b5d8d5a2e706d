"""Deep-feature ("perceptual") loss (Johnson, Alahi & Fei-Fei 2016): compare images in a network's features.

Two feature networks, both frozen:
- `vgg16`: VGG-16's layers up to relu2_2 (Johnson et al.'s choice for super-resolution), ImageNet
  weights read from the Hub (`timm/vgg16.tv_in1k`, safetensors). Needs the network once.
- `colorizer`: the first stages of our own colourization network (`core.colorization.model`, trained on
  BSDS500 photos by `train/colorization.py`). Colourization is a self-supervised pretext task whose
  features transfer (Zhang et al. 2016), and it works offline. It sees lightness only, so a loss built
  on it should also tie the colours down (the SR recipe matches the downscaled output to the input).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.common.color import rgb_to_lab

VGG16_REPO = "timm/vgg16.tv_in1k"
VGG16_RELU2_2 = [(3, 64), (64, 64), "pool", (64, 128), (128, 128)]  # torchvision/timm `features.0` .. `features.8`
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
FEATURE_NETWORKS = ("vgg16", "colorizer")


class VGG16Features(nn.Module):
    """VGG-16 up to relu2_2; state-dict keys `features.N.*` match timm's and torchvision's."""

    def __init__(self):
        super().__init__()
        layers: list[nn.Module] = []
        for spec in VGG16_RELU2_2:
            layers += [nn.MaxPool2d(2)] if spec == "pool" else [nn.Conv2d(*spec, 3, padding=1), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, rgb: torch.Tensor) -> list[torch.Tensor]:
        return [self.features((rgb - self.mean) / self.std)]


class ColorizerFeatures(nn.Module):
    """Our colourizer's stages at full, 1/2, 1/4 and 1/8 resolution, on the lightness of an RGB image.

    The lightness is first blurred with a [1, 2, 1] binomial filter (anti-aliasing, as Zhang 2019 does
    before subsampling): the gradient of a stride-2 convolution alternates from pixel to pixel, and an SR
    network trained on it paints 2-pixel stripes the features barely see. The blur removes exactly that
    frequency and keeps the texture scales above it.
    """

    def __init__(self, colorizer: nn.Module):
        super().__init__()
        first, second = colorizer.down1  # conv at full resolution, then the stride-2 conv
        self.stages = nn.ModuleList([first, second, colorizer.down2, colorizer.down3])

    def forward(self, rgb: torch.Tensor) -> list[torch.Tensor]:
        x = binomial_blur((rgb_to_lab(rgb.clamp(0, 1))[:, :1] - 50) / 50)
        outputs = []
        for stage in self.stages:
            x = stage(x)
            outputs.append(x)
        return outputs


def binomial_blur(x: torch.Tensor) -> torch.Tensor:
    """[1, 2, 1] / 4 in each direction, per channel, edges replicated: zero response at the Nyquist frequency."""
    kernel = torch.tensor([1.0, 2.0, 1.0], device=x.device, dtype=x.dtype) / 4
    kernel = (kernel[:, None] * kernel[None, :]).expand(x.shape[1], 1, 3, 3)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel, groups=x.shape[1])


def load_vgg16_features(repo_id: str = VGG16_REPO) -> VGG16Features:
    """ImageNet VGG-16 (relu2_2) from a Hub repo holding `model.safetensors` with timm's key names."""
    from huggingface_hub import hf_hub_download
    from safetensors.torch import load_file

    state = load_file(hf_hub_download(repo_id, "model.safetensors"))
    network = VGG16Features()
    wanted = {k for k in network.state_dict() if k.startswith("features.")}
    missing = wanted - set(state)
    if missing:
        raise ValueError(f"{repo_id} lacks VGG-16 weights {sorted(missing)[:3]}...: not a VGG-16 checkpoint")
    network.load_state_dict({k: state[k] for k in wanted}, strict=False)
    return network


def load_colorizer_features() -> ColorizerFeatures:
    from core.colorization.model import Colorizer
    from core.hub import load_pretrained

    colorizer, _ = load_pretrained(Colorizer, "manifold-lab/colorizer-classification")
    return ColorizerFeatures(colorizer)


def feature_network(name: str = "colorizer") -> tuple[nn.Module, str]:
    """(frozen feature network in eval mode, what it is): "colorizer" (ours, offline) or "vgg16" (from the Hub).

    Chosen by name only: a release's loss must not depend on whether the network was up that day."""
    if name not in FEATURE_NETWORKS:
        raise ValueError(f"feature network must be one of {FEATURE_NETWORKS}, got {name!r}")
    if name == "vgg16":
        network, described = load_vgg16_features(), f"VGG-16 relu2_2, ImageNet weights from {VGG16_REPO}"
    else:
        network = load_colorizer_features()
        described = ("our colourization network's first four stages (manifold-lab/colorizer-classification, "
                     "trained on BSDS500 by train/colorization.py), on lightness")
    return network.eval().requires_grad_(False), described


class FeatureLoss(nn.Module):
    """Mean squared distance between feature maps, each layer normalised by its size (Johnson et al. eq. 2)."""

    def __init__(self, network: nn.Module):
        super().__init__()
        self.network = network

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            target_features = self.network(target)
        return sum(F.mse_loss(a, b) for a, b in zip(self.network(output), target_features, strict=True))
