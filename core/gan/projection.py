"""The GAN's latent space as a manifold: project a photo onto it, and find its main directions (GANSpace).

Projection (after Karras et al. 2020, "Analyzing and improving the image quality of StyleGAN", section 5):
optimise w, starting from the mean w, so that G(w) reproduces a face; w+ gives each layer its own w (closer,
but it leaves the space G was trained on). What remains is how far the photo lies from the nearest point G
can make. GANSpace (Harkonen et al. 2020): PCA of many sampled w; moving along its first components changes
a face's broad attributes (pose, lighting, age) in the order of how much w varies along them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from core.adversarial.losses import frozen
from core.common.seeds import seed_noise
from core.pca.model import PCA, fit_pca


@dataclass
class Projection:
    w: torch.Tensor  # (num_ws, w_dim): one w per layer (all equal unless w+)
    image: torch.Tensor  # (3, S, S) in [0, 1]: G(w)
    target: torch.Tensor  # (3, S, S) in [0, 1]: the photo at G's resolution
    steps: list[int] = field(default_factory=list)  # where the strip's snapshots were taken
    snapshots: list[torch.Tensor] = field(default_factory=list)  # G(w) along the way
    losses: list[float] = field(default_factory=list)

    @property
    def psnr(self) -> float:
        mse = float(F.mse_loss(self.image, self.target))
        return float("inf") if mse == 0 else -10 * np.log10(mse)


def blurred(images: torch.Tensor) -> torch.Tensor:
    """A 4x smaller copy: the loss at this scale matches layout and colour, not just pixel noise."""
    return F.avg_pool2d(images, 4)


def project(generator, target: torch.Tensor, steps: int = 150, plus: bool = False, learning_rate: float = 0.05,
            snapshot_every: int = 25, callback=None, seed: int = 0) -> Projection:
    """Optimise w (or w+) so that G(w) matches `target` (3, S, S) in [0, 1] at G's resolution.

    The loss is the pixel MSE plus the MSE of 4x-blurred copies (structure first); w starts at the mean w
    with a little seeded noise, and Adam's learning rate ramps down over the last quarter. Deterministic for
    a given target and seed. `callback(fraction)` reports progress.
    """
    if target.shape != (3, generator.image_size, generator.image_size):
        raise ValueError(f"target must be (3, {generator.image_size}, {generator.image_size}), got {tuple(target.shape)}")
    with torch.enable_grad(), frozen(generator.eval()):  # only w learns; G's weights take no gradient
        return _project(generator, target, steps, plus, learning_rate, snapshot_every, callback, seed)


def _project(generator, target, steps, plus, learning_rate, snapshot_every, callback, seed) -> Projection:
    torch.manual_seed(seed)
    start = generator.w_avg.detach().clone() + 0.05 * torch.randn(generator.w_dim)
    w = (start[None].repeat(generator.num_ws, 1) if plus else start[None]).requires_grad_(True)  # (L or 1, w_dim)
    optimizer = torch.optim.Adam([w], lr=learning_rate, betas=(0.9, 0.999))
    goal = target[None] * 2 - 1  # G's range
    result = Projection(w.detach(), target, target)
    for step in range(steps + 1):
        ws = w.expand(generator.num_ws, -1)[None]  # (1, num_ws, w_dim)
        image = generator.synthesize(ws, noise_mode="const")
        loss = F.mse_loss(image, goal) + F.mse_loss(blurred(image), blurred(goal))
        if step % snapshot_every == 0 or step == steps:
            result.steps.append(step)
            result.snapshots.append(((image.detach()[0] + 1) / 2).clamp(0, 1))
        result.losses.append(float(loss.detach()))
        if step == steps:
            break
        for group in optimizer.param_groups:  # hold, then ramp down over the last quarter
            group["lr"] = learning_rate * min(1.0, 4 * (steps - step) / steps)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if callback:
            callback((step + 1) / steps)
    result.w = w.detach().expand(generator.num_ws, -1).clone()
    result.image = result.snapshots[-1]
    return result


@torch.no_grad()
def w_pca(generator, samples: int = 5000, seed: int = 0) -> PCA:
    """PCA of the w of `samples` random codes (GANSpace): principal directions of the mapping's output."""
    z = seed_noise(list(range(seed, seed + samples)), generator.latent_dim)
    return fit_pca(generator.map(z).double().numpy())


@torch.no_grad()
def move_along(generator, w: torch.Tensor, pca: PCA, amounts: list[float]) -> torch.Tensor:
    """G(w + sum_i amounts[i] * sigma_i * v_i): each amount in standard deviations along component i."""
    offset = sum(a * float(np.sqrt(pca.variances[i])) * torch.from_numpy(pca.components[i]).float()
                 for i, a in enumerate(amounts))
    moved = w + offset  # (num_ws, w_dim) or (w_dim,): the same shift on every layer
    ws = moved if moved.ndim == 2 else moved[None].expand(generator.num_ws, -1)
    return ((generator.synthesize(ws[None], noise_mode="const")[0] + 1) / 2).clamp(0, 1)


@torch.no_grad()
def interpolate_ws(generator, w_a: torch.Tensor, w_b: torch.Tensor, steps: int) -> torch.Tensor:
    """Straight path in w(+) from w_a to w_b (each (num_ws, w_dim)): (steps, 3, S, S) in [0, 1]."""
    t = torch.linspace(0, 1, steps)[:, None, None]
    ws = (1 - t) * w_a[None] + t * w_b[None]
    return ((generator.synthesize(ws, noise_mode="const") + 1) / 2).clamp(0, 1)


def square_crop(image: np.ndarray, left: float, top: float, size: float) -> np.ndarray:
    """A square crop given in fractions of the shorter side (left, top of the square; its side)."""
    height, width = image.shape[:2]
    short = min(height, width)
    side = max(8, int(round(size * short)))
    x = int(round(np.clip(left, 0, 1) * max(0, width - side)))
    y = int(round(np.clip(top, 0, 1) * max(0, height - side)))
    return image[y : y + side, x : x + side]


def projection_target(face: np.ndarray, size: int) -> torch.Tensor:
    """A cropped face (H, W, 3) uint8 as `project`'s target: (3, size, size) floats in [0, 1] (Lanczos resize)."""
    from PIL import Image

    resized = Image.fromarray(face).resize((size, size), Image.Resampling.LANCZOS)
    return torch.from_numpy(np.asarray(resized, dtype=np.float32) / 255).permute(2, 0, 1).contiguous()


def face_guide(face: np.ndarray) -> np.ndarray:
    """The crop with FFHQ's framing drawn over it: eyes on the upper line, mouth on the lower, face centred."""
    from PIL import Image, ImageDraw

    picture = Image.fromarray(face).resize((256, 256), Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(picture)
    for y in (0.47, 0.74):  # where FFHQ puts the eyes and the mouth (dlib landmarks, 40 faces), as height fractions
        draw.line([(40, y * 256), (216, y * 256)], fill=(255, 220, 0), width=2)
    draw.line([(128, 70), (128, 230)], fill=(255, 220, 0), width=1)
    return np.asarray(picture)
