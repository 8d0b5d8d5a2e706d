"""A style-based DCGAN: StyleGAN's generator idea (Karras et al., CVPR 2019) on DCGAN's layers.

StyleGAN v1 without progressive growing: a mapping network turns z into w; the synthesis network starts from a
learned 4x4 constant, and every normalisation layer takes its scale and bias from that layer's own w (here
batch norm, as in DCGAN; StyleGAN normalised per instance, "AdaIN"). So the image is made by the styles alone,
layer by layer: the 4x4 and 8x8 styles set pose and face shape, the 32x32 and 64x64 ones colour and texture,
and feeding two ws to different layers (style mixing) combines two faces. Mixing regularisation in training
(a random crossover layer, p 0.9) keeps neighbouring layers from relying on each other's style.

It can start from a trained DCGAN (`adopt`): the DCGAN's layers are copied, the styles start at the DCGAN's
batch-norm scales and biases, and its z input (`project`) is faded out during training (`z_share`, set by the
recipe) while the styles take over. Once `z_share` is 0 the z path is never computed: the face comes from the
styles alone, which is what makes style mixing more than cosmetic.
"""

from __future__ import annotations

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from core.common.seeds import seed_noise
from core.gan.dcgan import DCGANGenerator, _stages
from core.gan.stylegan import MappingNetwork


class StyledBatchNorm(nn.Module):
    """Batch norm whose per-channel scale and bias are shifted by an affine map of w (conditional BN), then ReLU.

    `normalize=False` for the 4x4 input: batch statistics of a constant would erase it (every sample alike)."""

    def __init__(self, channels: int, w_dim: int, normalize: bool = True):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False) if normalize else nn.Identity()
        self.weight = nn.Parameter(torch.ones(channels))  # the scale and bias when the style says nothing
        self.bias = nn.Parameter(torch.zeros(channels))
        self.style = nn.Linear(w_dim, 2 * channels, bias=False)
        nn.init.zeros_(self.style.weight)  # styles start silent: a warm start computes exactly the DCGAN

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        scale, shift = self.style(w).chunk(2, dim=1)  # (B, C) each
        scale, shift = (self.weight + scale)[:, :, None, None], (self.bias + shift)[:, :, None, None]
        return torch.relu(self.norm(x) * scale + shift)


class StyleDCGANGenerator(nn.Module, PyTorchModelHubMixin):
    """z (B, latent_dim) -> images (B, channels, S, S) in [-1, 1], with StyleGAN's interface (map, synthesize, mix).

    Args:
        latent_dim: size of z. w_dim: size of w. mapping_layers: depth of the mapping MLP (StyleGAN2-ADA: 2).
        image_size: output size, a power of two >= 8. base_channels: DCGAN's width parameter (64: 512 at 4x4).
        channels: 3 for RGB. z_input: keep DCGAN's z -> 4x4 layer (for a warm start; faded out by `z_share`).
    """

    def __init__(self, latent_dim: int = 128, w_dim: int = 128, mapping_layers: int = 2, image_size: int = 64,
                 base_channels: int = 64, channels: int = 3, z_input: bool = False):
        super().__init__()
        self.latent_dim, self.w_dim, self.image_size = latent_dim, w_dim, image_size
        stages = _stages(image_size)
        width = base_channels * 2 ** (stages - 1)
        self.mapping = MappingNetwork(latent_dim, w_dim, mapping_layers, lr_multiplier=0.1)
        self.register_buffer("w_avg", torch.zeros(w_dim))  # running mean of w: the truncation centre
        self.constant = nn.Parameter(torch.randn(1, width, 4, 4))
        if z_input:
            self.project = nn.Sequential(nn.Linear(latent_dim, width * 16), nn.Unflatten(1, (width, 4, 4)),
                                         nn.BatchNorm2d(width, affine=False))
        # thousandths of the 4x4 input that still comes from z (1000 -> 0 while the styles take over)
        self.register_buffer("z_share", torch.tensor(1000 if z_input else 0))
        self.norms = nn.ModuleList([StyledBatchNorm(width, w_dim, normalize=False)])  # the input is normalised already
        self.ups = nn.ModuleList()
        for _ in range(stages):
            self.ups.append(nn.ConvTranspose2d(width, width // 2, 4, stride=2, padding=1))  # size x2, width / 2
            self.norms.append(StyledBatchNorm(width // 2, w_dim))
            width //= 2
        self.to_rgb = nn.Conv2d(width, channels, 3, padding=1)
        self.num_ws = len(self.norms)  # one w per resolution: 4, 8, ..., S

    def map(self, z: torch.Tensor, truncation: float = 1.0, track_w_avg: bool = False) -> torch.Tensor:
        """z (B, latent_dim) -> w (B, w_dim), pulled towards the mean w by `truncation` (psi)."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected z of shape (B, {self.latent_dim}), got {tuple(z.shape)}")
        w = self.mapping(z)
        if track_w_avg:
            self.w_avg.copy_(self.w_avg.lerp(w.detach().float().mean(0), 0.005))
        return self.w_avg.to(w.dtype).lerp(w, truncation) if truncation != 1 else w

    def synthesize(self, ws: torch.Tensor, noise_mode: str = "const", z: torch.Tensor | None = None) -> torch.Tensor:
        """ws (B, num_ws, w_dim) or w (B, w_dim) for every layer -> images in [-1, 1]. `noise_mode` is accepted
        for StyleGAN's interface (there is no noise); `z` feeds the fading z input while `z_share` > 0."""
        if ws.ndim == 2:
            ws = ws[:, None].expand(-1, self.num_ws, -1)
        x = self.constant.expand(ws.shape[0], -1, -1, -1)  # (B, C, 4, 4)
        share = float(self.z_share) / 1000
        if share > 0 and z is not None:
            x = torch.lerp(x, self.project(z), share)
        for index, norm in enumerate(self.norms):
            if index > 0:
                x = self.ups[index - 1](x)
            x = norm(x, ws[:, index])
        return torch.tanh(self.to_rgb(x))

    def forward(self, z: torch.Tensor, truncation: float = 1.0, style_mixing_prob: float = 0.0) -> torch.Tensor:
        """Training entry point: in train mode it tracks the mean w; with `style_mixing_prob`, a second z
        drives the layers after a random crossover."""
        w = self.map(z, truncation, track_w_avg=self.training)
        ws = w[:, None].repeat(1, self.num_ws, 1)  # (B, num_ws, w_dim)
        if style_mixing_prob > 0 and torch.rand(()) < style_mixing_prob:
            crossover = int(torch.randint(1, self.num_ws, ()))
            ws[:, crossover:] = self.map(torch.randn_like(z), truncation)[:, None]
        return self.synthesize(ws, z=z)

    def coarse_layers(self, up_to_resolution: int = 8) -> int:
        """How many ws drive resolutions <= `up_to_resolution` (the 'coarse' styles: pose, face shape)."""
        return int(up_to_resolution).bit_length() - 2

    def _images(self, ws: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        return ((self.synthesize(ws, z=codes) + 1) / 2).clamp(0, 1)

    @torch.no_grad()
    def sample(self, seeds: list[int], truncation: float = 1.0) -> torch.Tensor:
        """One image per seed, in [0, 1]: same seed, same image."""
        codes = seed_noise(seeds, self.latent_dim).to(self.constant.device)
        return self._images(self.map(codes, truncation), codes)

    @torch.no_grad()
    def mix(self, coarse_seed: int, fine_seed: int, crossover: int, truncation: float = 1.0) -> torch.Tensor:
        """Style mixing: layers before `crossover` take w of `coarse_seed`, the rest of `fine_seed`; [0, 1]."""
        codes = seed_noise([coarse_seed, fine_seed], self.latent_dim).to(self.constant.device)
        w = self.map(codes, truncation)  # (2, w_dim)
        ws = w[1].expand(self.num_ws, -1).clone()
        ws[:crossover] = w[0]
        return self._images(ws[None], codes[:1])

    @torch.no_grad()
    def adopt(self, dcgan: DCGANGenerator) -> None:
        """Start as a copy of a trained DCGAN: its layers, its batch-norm statistics, its scales and biases as the
        styles' starting point, and the 4x4 constant as the DCGAN's input layer at z = 0 (its 'average' face)."""
        if not hasattr(self, "project"):
            raise ValueError("adopt: build the generator with z_input=True to start from a DCGAN")
        linear, first_norm = dcgan.project[0], dcgan.project[2]
        if linear.weight.shape != self.project[0].weight.shape or len(dcgan.body) != 3 * len(self.ups):
            raise ValueError("adopt: the DCGAN needs the same latent_dim, image_size and base_channels")
        self.project[0].load_state_dict(linear.state_dict())
        dcgan_norms = [first_norm] + [m for m in dcgan.body if isinstance(m, nn.BatchNorm2d)]
        for mine, theirs in zip(self.norms, dcgan_norms, strict=True):
            mine.weight.copy_(theirs.weight)
            mine.bias.copy_(theirs.bias)
            statistics = mine.norm if isinstance(mine.norm, nn.BatchNorm2d) else self.project[2]  # 4x4: z's own norm
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                getattr(statistics, name).copy_(getattr(theirs, name))
        ups = [m for m in dcgan.body if isinstance(m, nn.ConvTranspose2d)]
        for mine, theirs in zip(self.ups, ups, strict=True):
            mine.load_state_dict(theirs.state_dict())
        self.to_rgb.load_state_dict(dcgan.to_rgb.state_dict())
        # the DCGAN's normalised 4x4 input at z = 0, with its running statistics: where the fade ends
        at_zero = linear.bias.view(1, -1, 4, 4)
        self.constant.copy_((at_zero - first_norm.running_mean.view(1, -1, 1, 1))
                            * torch.rsqrt(first_norm.running_var.view(1, -1, 1, 1) + first_norm.eps))
        self.z_share.fill_(1000)

    adopts = DCGANGenerator  # what `train.checkpoints.warm_start` reads a release as, when it is not one of ours
