"""A small denoising diffusion model (Ho et al. 2020) built on diffusers, and its samplers.

The network is a diffusers `UNet2DModel` that predicts the noise in x_t = sqrt(a_t) x0 + sqrt(1 - a_t) eps.
Sampling runs it many times: each step removes a little noise, walking from pure noise onto the image
manifold. One wrapper holds the U-Net and the noise schedule in one plain keyword config, so a single
safetensors file + config.json (our shared weight path) is the whole model.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import DDIMScheduler, DDPMScheduler, UNet2DModel
from huggingface_hub import PyTorchModelHubMixin
from safetensors.torch import load_file
from torch import nn

from core.common.seeds import seed_noise

SAMPLERS = ("ddim", "ddpm")
PREDICTION_TYPES = ("epsilon", "v_prediction")


class DiffusionModel(nn.Module, PyTorchModelHubMixin):
    """A U-Net denoiser for (B, C, S, S) images in [-1, 1], with its training noise schedule.

    Args:
        image_size: side S of the (square) images it was trained on.
        channels: 1 for digits, 3 for colour.
        block_channels: U-Net widths, one per resolution (each halves the size).
        attention_levels: which of those resolutions get self-attention (cheap at the lowest ones).
        layers_per_block: ResNet blocks per resolution.
        num_train_timesteps: T, the length of the forward (noising) chain.
        beta_schedule: "linear" (DDPM paper) or "squaredcos_cap_v2" (cosine, Nichol & Dhariwal 2021).
        norm_groups: GroupNorm groups. Keep several channels per group: with one channel per group it is
            instance norm, which erases each channel's mean, and samples come out with the wrong brightness.
        prediction_type: what the network outputs: "epsilon" (the noise, Ho et al. 2020) or "v_prediction"
            (v = sqrt(a_t) eps - sqrt(1 - a_t) x0, Salimans & Ho 2022: well scaled at every noise level).
    """

    def __init__(self, image_size: int = 32, channels: int = 3, block_channels: tuple[int, ...] = (32, 64, 64),
                 attention_levels: tuple[int, ...] = (2,), layers_per_block: int = 1, num_train_timesteps: int = 1000,
                 beta_schedule: str = "squaredcos_cap_v2", norm_groups: int = 8, prediction_type: str = "epsilon",
                 **unet_extra):
        super().__init__()
        if prediction_type not in PREDICTION_TYPES:
            raise ValueError(f"prediction_type must be one of {PREDICTION_TYPES}, got {prediction_type!r}")
        self.prediction_type = prediction_type
        if any(width % norm_groups for width in block_channels):
            raise ValueError(f"every width in {tuple(block_channels)} must divide into {norm_groups} norm groups")
        if image_size % 2 ** (len(block_channels) - 1):
            raise ValueError(f"image_size {image_size} must be divisible by 2^{len(block_channels) - 1}")
        self.image_size, self.channels = image_size, channels
        self.num_train_timesteps, self.beta_schedule = num_train_timesteps, beta_schedule
        levels = range(len(block_channels))
        self.unet = UNet2DModel(
            sample_size=image_size, in_channels=channels, out_channels=channels,
            block_out_channels=tuple(block_channels), layers_per_block=layers_per_block,
            down_block_types=tuple("AttnDownBlock2D" if i in attention_levels else "DownBlock2D" for i in levels),
            up_block_types=tuple("AttnUpBlock2D" if i in attention_levels else "UpBlock2D" for i in reversed(levels)),
            norm_num_groups=norm_groups, attention_head_dim=min(32, min(block_channels)),
            **unet_extra,  # a subclass's conditioning (core.diffusion.text); not part of this model's config
        )
        # a_t = prod(1 - beta) of the schedule, computed once: the forward process and the x0 read-out use it
        alphas_cumprod = DDPMScheduler(num_train_timesteps=num_train_timesteps, beta_schedule=beta_schedule).alphas_cumprod
        self.register_buffer("alphas_cumprod", alphas_cumprod.float(), persistent=False)

    def forward(self, noisy: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        """The network's output (eps or v, by `prediction_type`), same shape as `noisy`."""
        return self.unet(noisy, timesteps).sample

    # -- saved in diffusers' own layout: DDPMPipeline.from_pretrained(folder) and DDIMPipeline load a release --
    def _save_pretrained(self, save_directory: Path) -> None:
        """unet/ + scheduler/ + model_index.json (diffusers' pipeline layout) beside our config.json."""
        save_directory = Path(save_directory)
        self.unet.save_pretrained(save_directory / "unet", safe_serialization=True)
        self.scheduler("ddpm").save_pretrained(save_directory / "scheduler")
        import diffusers

        index = {"_class_name": "DDPMPipeline", "_diffusers_version": diffusers.__version__,
                 "unet": ["diffusers", "UNet2DModel"], "scheduler": ["diffusers", "DDPMScheduler"]}
        (save_directory / "model_index.json").write_text(json.dumps(index, indent=2))

    @classmethod
    def _from_pretrained(cls, *, model_id: str, map_location: str = "cpu", strict: bool = False, **kwargs):
        """A folder in diffusers' layout (unet/) or, as the first releases were saved, model.safetensors."""
        weights = Path(model_id) / "unet" / "diffusion_pytorch_model.safetensors"
        if not weights.is_file():
            return super()._from_pretrained(model_id=model_id, map_location=map_location, strict=strict, **kwargs)
        init = inspect.signature(cls.__init__).parameters
        model = cls(**{k: v for k, v in kwargs.items() if k in init})  # the rest: download options, unused here
        state = load_file(weights, device=map_location)
        missing, unexpected = model.unet.load_state_dict({k: v.float() for k, v in state.items()}, strict=strict)
        if strict and (missing or unexpected):
            raise RuntimeError(f"{weights}: missing {missing[:5]}, unexpected {unexpected[:5]}")
        return model

    def scheduler(self, kind: str = "ddim") -> DDPMScheduler | DDIMScheduler:
        """A fresh scheduler for this model's noise schedule: "ddpm" (ancestral) or "ddim" (deterministic)."""
        if kind not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {kind!r}")
        config = dict(num_train_timesteps=self.num_train_timesteps, beta_schedule=self.beta_schedule,
                      prediction_type=self.prediction_type, clip_sample=True, clip_sample_range=1.0)
        if kind == "ddpm":
            return DDPMScheduler(**config, variance_type="fixed_small")
        return DDIMScheduler(**config, set_alpha_to_one=False, steps_offset=1)


@dataclass
class Trajectory:
    """A reverse run: what the sampler holds (x_t) and what the model believes x0 is, after each step."""

    timesteps: list[int]
    samples: list[torch.Tensor]  # x_t after each step, (B, C, S, S) in [-1, 1] (noisy early on)
    predicted_x0: list[torch.Tensor]  # the model's estimate of the clean image at each step

    @property
    def final(self) -> torch.Tensor:
        return self.samples[-1]


@torch.no_grad()
def sample(model: DiffusionModel, seeds: list[int], steps: int = 25, sampler: str = "ddim",
           record: bool = False, network=None) -> Trajectory:
    """Generate one image per seed in `steps` denoising steps; images in [-1, 1] on the model's device.

    DDIM (eta 0) is deterministic given the seed. DDPM draws fresh noise each step from per-seed
    generators, so it too is reproducible per seed. `record` keeps every intermediate step. `network(x, t)`
    replaces the model's own call (a guided mix of answers: core.diffusion.text).
    """
    if not seeds:
        raise ValueError("give at least one seed")
    if not 1 <= steps <= model.num_train_timesteps:
        raise ValueError(f"steps must be between 1 and {model.num_train_timesteps}, got {steps}")
    device = next(model.parameters()).device
    scheduler = model.scheduler(sampler)
    scheduler.set_timesteps(steps)
    x = seed_noise(seeds, (model.channels, model.image_size, model.image_size)).to(device)
    step_generators = [torch.Generator(device).manual_seed(10_000 + int(s)) for s in seeds]
    trajectory = Trajectory([], [], [])
    for t in scheduler.timesteps:
        timesteps = torch.full((len(x),), int(t), device=device, dtype=torch.long)
        eps = model(x, timesteps) if network is None else network(x, timesteps)
        extra = {"generator": step_generators} if sampler == "ddpm" else {"eta": 0.0}
        out = scheduler.step(eps.float(), t, x, **extra)
        x = out.prev_sample
        if record or t == scheduler.timesteps[-1]:
            trajectory.timesteps.append(int(t))
            trajectory.samples.append(x.clamp(-1, 1))
            trajectory.predicted_x0.append(out.pred_original_sample.clamp(-1, 1))
    return trajectory


def sample_images(model: DiffusionModel, seeds: list[int], steps: int = 25, sampler: str = "ddim",
                  batch_size: int = 25) -> torch.Tensor:
    """(B, C, S, S) in [0, 1], one image per seed, `batch_size` at a time (memory stays bounded): the
    generators' `.sample(seeds)` contract, for the places that put diffusion faces beside GAN faces."""
    if not seeds:
        raise ValueError("give at least one seed")
    batches = [sample(model, seeds[i : i + batch_size], steps=steps, sampler=sampler).final
               for i in range(0, len(seeds), batch_size)]
    return (torch.cat(batches) + 1) / 2


def add_noise(model: DiffusionModel, clean: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
    """The forward process q(x_t | x0) of the model's schedule: sqrt(a_t) x0 + sqrt(1 - a_t) noise."""
    alpha_bar = model.alphas_cumprod.to(clean.device)[timesteps.to(clean.device)].view(-1, *[1] * (clean.ndim - 1))
    return alpha_bar.sqrt() * clean + (1 - alpha_bar).sqrt() * noise


@torch.no_grad()
def predict_clean(model: DiffusionModel, noisy: torch.Tensor, timestep: int) -> torch.Tensor:
    """One call of the network read as a denoiser, clamped: x0 = (x_t - sqrt(1 - a_t) eps) / sqrt(a_t), or
    x0 = sqrt(a_t) x_t - sqrt(1 - a_t) v for a v-prediction model."""
    alpha_bar = model.alphas_cumprod[int(timestep)].to(noisy.device)
    output = model(noisy, torch.full((len(noisy),), int(timestep), device=noisy.device, dtype=torch.long))
    if model.prediction_type == "v_prediction":
        return (alpha_bar.sqrt() * noisy - (1 - alpha_bar).sqrt() * output).clamp(-1, 1)
    return ((noisy - (1 - alpha_bar).sqrt() * output) / alpha_bar.sqrt()).clamp(-1, 1)


@torch.no_grad()
def noise_to_level(model: DiffusionModel, clean: torch.Tensor, timestep: int, seed: int) -> torch.Tensor:
    """x_t from clean images (B, C, S, S) in [-1, 1]: the forward process at step `timestep`, seeded."""
    noise = seed_noise([seed + i for i in range(len(clean))], tuple(clean.shape[1:])).to(clean.device)
    return add_noise(model, clean, noise, torch.full((len(clean),), int(timestep), dtype=torch.long))


@torch.no_grad()
def denoise_from(model: DiffusionModel, noisy: torch.Tensor, timestep: int, steps: int = 25) -> Trajectory:
    """Run DDIM from x_t at `timestep` down to 0 (SDEdit, Meng et al. 2022): only the steps below it."""
    scheduler = model.scheduler("ddim")
    scheduler.set_timesteps(steps)
    trajectory, x = Trajectory([], [], []), noisy
    for t in [t for t in scheduler.timesteps if t <= timestep]:
        eps = model(x, torch.full((len(x),), int(t), device=x.device, dtype=torch.long))
        out = scheduler.step(eps.float(), t, x, eta=0.0)
        x = out.prev_sample
        trajectory.timesteps.append(int(t))
        trajectory.samples.append(x.clamp(-1, 1))
        trajectory.predicted_x0.append(out.pred_original_sample.clamp(-1, 1))
    if not trajectory.samples:  # below the first DDIM step: the noisy image is (almost) clean already
        trajectory = Trajectory([int(timestep)], [noisy.clamp(-1, 1)], [predict_clean(model, noisy, timestep)])
    return trajectory
