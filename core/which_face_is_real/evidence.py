"""Where the discriminator sees a fake: an occlusion map of its evidence, and the tip that fits where it points.

Occlusion (Zeiler & Fergus, 2014) rather than the raw gradient: each patch of a face is replaced by a blurred
copy of itself, and the change in the discriminator's "real" logit is that patch's evidence. A patch whose
blurring makes the face look *more* real was evidence of a fake. Blurring, not greying, keeps the probe close
to a face, so the map shows what D reads in the detail, not its surprise at a grey square.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from core.common.made_ahead import weights_digest
from core.common.torch_threads import one_torch_thread
from core.which_face_is_real.game import face_array, pixels_key

# Regions of an FFHQ-aligned face, as fractions of the side: (x0, y0, x1, y1). FFHQ's alignment puts the
# eyes at about 0.47 of the height and the mouth at about 0.74 (the same lines as core.gan.projection).
REGIONS = {
    "eyes": (0.25, 0.37, 0.75, 0.56),
    "mouth": (0.33, 0.64, 0.67, 0.83),
    "ears": [(0.06, 0.38, 0.24, 0.72), (0.76, 0.38, 0.94, 0.72)],
    "hair": (0.18, 0.03, 0.82, 0.30),
    "skin": (0.28, 0.27, 0.72, 0.66),
}
TIPS = {
    "background": "Background: GAN backgrounds melt into swirls, repeat, or change style behind the head.",
    "hair": "Hair: strands that merge into the background or turn into paint-like streaks and blobs.",
    "ears": "Ears and earrings: ears that do not match, or two different earrings.",
    "mouth": "Mouth and teeth: too many teeth, uneven ones, or a mouth that fades into the skin.",
    "eyes": "Eyes: pupils of different shapes or sizes, and reflections that differ between the eyes.",
    "skin": "Skin: a waxy, airbrushed texture, or mottled patches that no camera makes.",
}


def region_masks(side: int) -> dict[str, np.ndarray]:
    """Boolean masks of the regions at `side` px; the background is everything outside the face's oval."""
    ys, xs = (np.mgrid[0:side, 0:side] + 0.5) / side
    masks = {}
    for name, boxes in REGIONS.items():
        boxes = boxes if isinstance(boxes, list) else [boxes]
        masks[name] = np.any([(xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1) for x0, y0, x1, y1 in boxes], axis=0)
    oval = ((xs - 0.5) / 0.36) ** 2 + ((ys - 0.52) / 0.47) ** 2 <= 1
    masks["background"] = ~oval
    return masks


def blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, round(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=images.dtype)
    kernel = torch.exp(-(x**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    channels = images.shape[1]
    padded = F.pad(images, (radius, radius, radius, radius), mode="reflect")
    rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1), groups=channels)
    return F.conv2d(rows, kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1), groups=channels)


@torch.inference_mode()
def fake_evidence(discriminator: torch.nn.Module, faces: list, patches: int = 8, overlap: int = 1,
                  batch: int = 128) -> np.ndarray:
    """(len(faces), S, S) at D's resolution S: how much blurring each pixel's neighbourhood raises D's
    "real" logit, averaged over the patches that cover it (>= 0; 0 where blurring does not help), then
    smoothed over a patch. A grid of `patches` x `patches` probes per face (`overlap` 2: four times as many,
    a finer map); 8 x 8 costs 65 D calls a face, about 0.5 s on one core at 64 px."""
    side = discriminator.image_size
    images = torch.stack([torch.from_numpy(face_array(face, side)).permute(2, 0, 1) for face in faces]).float()
    images = images / 127.5 - 1
    patch = side // patches
    stride = patch // overlap
    blurred = blur(images, sigma=patch / 3)
    starts = range(0, side - patch + 1, stride)
    boxes = [(top, left) for top in starts for left in starts]
    maps = np.zeros((len(faces), side, side))
    for index in range(len(faces)):
        probes = images[index].repeat(len(boxes), 1, 1, 1)
        for k, (top, left) in enumerate(boxes):
            probes[k, :, top : top + patch, left : left + patch] = blurred[index, :, top : top + patch, left : left + patch]
        base = discriminator(images[index : index + 1]).flatten()
        change = torch.cat([discriminator(chunk).flatten() for chunk in probes.split(batch)]) - base
        total, count = np.zeros((side, side)), np.zeros((side, side))
        for (top, left), value in zip(boxes, change.clamp(min=0).numpy(), strict=True):
            total[top : top + patch, left : left + patch] += value
            count[top : top + patch, left : left + patch] += 1
        maps[index] = total / np.maximum(count, 1)
    smooth = blur(torch.from_numpy(maps)[:, None].float(), sigma=patch / 2)[:, 0].numpy()
    return smooth.clip(min=0)


def strongest_region(evidence: np.ndarray) -> str:
    """The region under the brightest red a player sees: the one holding the map's peak (the map is smoothed over
    a patch, so the peak is a blob, not a hot pixel), the smallest such region where they overlap (the eyes'
    box lies inside the skin's). By the mean per pixel instead, the tip named the skin while the reddest spot sat
    on an eye or in the hair."""
    masks = region_masks(evidence.shape[0])
    return max(masks, key=lambda name: (float(evidence[masks[name]].max()), -int(masks[name].sum())))


def overlay(faces: list, evidence: np.ndarray, side: int = 192, gap: int = 8, scale: float | None = None) -> np.ndarray:
    """The faces side by side with their evidence in red, on one scale for both (so they compare). In float32,
    and a face with no evidence skips the red: every guess of a class draws one (float64 took 10 ms)."""
    scale = scale or float(evidence.max()) or 1.0
    red = np.array([1.0, 0.1, 0.05], np.float32)
    tiles = []
    for face, heat in zip(faces, evidence, strict=True):
        rgb = face_array(face, side).astype(np.float32) * np.float32(1 / 255)
        tile = 0.35 * rgb + 0.65 * rgb.mean(axis=2, keepdims=True)  # the face in gray, so the red reads as the judge's
        if np.any(heat > 0):
            heat = torch.from_numpy(np.asarray(heat, np.float32))[None, None]
            heat = F.interpolate(heat, size=(side, side), mode="bilinear", align_corners=False)[0, 0].numpy()
            alpha = np.clip(heat * np.float32(0.75 / scale), 0, 0.75)[..., None]
            tile += alpha * (red - tile)  # (1 - alpha) * tile + alpha * red
        tiles.append(tile)
    spacer = np.ones((side, gap, 3), np.float32)
    return (np.concatenate([tiles[0], spacer, tiles[1]], axis=1) * 255).round().astype(np.uint8)


def judge_digest(discriminator: torch.nn.Module) -> str:
    """A digest of the discriminator's weights: maps made with other weights are not this judge's."""
    return weights_digest(discriminator)


class EvidenceCache:
    """Each fake's evidence map, made ahead for the quiz's pools (`precompute`, stored beside each pool) or
    computed the first time it is shown, and kept: the quiz's fakes come from fixed pools, so this holds at most
    `max_faces` maps (64x64 floats: 16 KB each). Computed live, a map costs 65 discriminator calls (0.5-1 s on a
    core): a class's thirty first guesses, each on another fake, took 9 s p95 on two cores, so the pools' maps are
    made ahead. Faces are keyed by their pixels' digest. Thread-safe enough for a server: two players may compute
    the same map at once; both get the same answer."""

    def __init__(self, discriminator: torch.nn.Module, max_faces: int):
        self.discriminator, self.max_faces = discriminator, max_faces
        self.maps: dict[bytes, np.ndarray] = {}
        self._judge: str | None = None

    def judge(self) -> str:
        if self._judge is None:
            self._judge = judge_digest(self.discriminator)
        return self._judge

    def __call__(self, face: np.ndarray) -> np.ndarray:
        key = pixels_key(face)
        heat = self.maps.get(key)
        if heat is None:
            with one_torch_thread():  # 65 small forward passes: on a busy server, two threads only wait for each other
                heat = fake_evidence(self.discriminator, [face])[0].astype(np.float32)
            self._keep(key, heat)
        return heat

    def _keep(self, key: bytes, heat: np.ndarray) -> None:
        if len(self.maps) >= self.max_faces:
            self.maps.pop(next(iter(self.maps)))
        self.maps[key] = heat

    def save(self, faces: list, path: str | Path) -> None:
        """Compute (or reuse) the maps of `faces` and store them with this judge's digest (float16, compressed)."""
        heats = np.stack([self(face) for face in faces]).astype(np.float16)
        keys = np.frombuffer(b"".join(pixels_key(face) for face in faces), dtype=np.uint8).reshape(len(faces), 16)
        np.savez_compressed(path, keys=keys, maps=heats, judge=np.array(self.judge()))

    def load(self, path: str | Path) -> int:
        """Take the stored maps if they are this judge's; returns how many (0: none stored, or another judge's,
        whose faces are then computed live as before)."""
        path = Path(path)
        if not path.is_file():
            return 0
        with np.load(path) as stored:
            if str(stored["judge"]) != self.judge():
                return 0
            for key, heat in zip(stored["keys"], stored["maps"], strict=True):
                self._keep(key.tobytes(), heat.astype(np.float32))
            return len(stored["keys"])


def explain_fake(discriminator: torch.nn.Module, faces: list, fake_index: int,
                 evidence: EvidenceCache | None = None) -> tuple[np.ndarray, str]:
    """The answer's picture and words from one map: the fake's evidence in red over the fake only (the real
    photo beside it in gray, no red), and the region of the fake where that evidence is strongest."""
    heat = evidence(faces[fake_index]) if evidence else fake_evidence(discriminator, [faces[fake_index]])[0]
    evidence = np.zeros((len(faces), *heat.shape))
    evidence[fake_index] = heat
    return overlay(faces, evidence), strongest_region(heat)


EVIDENCE_FILE = "evidence.npz"  # beside a pool's faces: each fake's map, made ahead by `python -m ...evidence`
SCORES_FILE = "scores.npz"  # and every face's score (real and fake), made by the same command


def main(argv=None) -> None:
    """Make every quiz pool's evidence maps and face scores ahead (after building the pools or retraining the
    discriminator); maps already stored by the same judge are kept."""
    import argparse

    from core.gan.dcgan import DCGANDiscriminator
    from core.hub import load_pretrained
    from core.which_face_is_real.game import RoundMaker
    from core.which_face_is_real.pools import load_pool

    parser = argparse.ArgumentParser(prog="python -m core.which_face_is_real.evidence", description=main.__doc__)
    parser.add_argument("--pools", default="spaces/which-face-is-real/faces", help="the folder of the pools")
    parser.add_argument("--discriminator", default="manifold-lab/style-dcgan-faces-discriminator")
    args = parser.parse_args(argv)
    discriminator, source = load_pretrained(DCGANDiscriminator, args.discriminator)
    discriminator.eval()
    for folder in sorted(p for p in Path(args.pools).iterdir() if p.is_dir()):
        pool = load_pool(folder)
        cache = EvidenceCache(discriminator, max_faces=len(pool.fake))
        kept = cache.load(folder / EVIDENCE_FILE)
        with torch.inference_mode():
            cache.save(pool.fake, folder / EVIDENCE_FILE)
        RoundMaker(discriminator, folder).save_scores(pool.real + pool.fake, folder / SCORES_FILE)
        print(f"{folder.name}: {len(pool.fake)} maps ({kept} kept; {(folder / EVIDENCE_FILE).stat().st_size / 1e6:.2f} "
              f"MB), {len(pool.real) + len(pool.fake)} scores, judge {cache.judge()} from {source}")


if __name__ == "__main__":
    main()
