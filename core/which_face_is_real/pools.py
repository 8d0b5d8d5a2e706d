"""The quiz's faces: for each level, a fixed pool of real photos and an equally large pool of fakes made ahead.

Why fixed pools on both sides: a player who keeps every face in mind would otherwise win with "the face I have
seen before is real" (real photos came from a pool, fakes were drawn fresh). With two pools of one size, each
drawn uniformly, a real face and a fake face are equally likely to have been seen before, so having seen a face
says nothing. A paired pool (NVIDIA's level) always shows fake i beside the real photo matched to it.

A level's folder, written by the Space's build_pools.py:

    <level>/real/0000.png ...   <level>/fake/0000.png ...   (or .jpg; index order; all one size)
    <level>/pool.json           where each face came from (files, generator, seeds), and how to rebuild it
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from core.which_face_is_real.game import Game

MANIFEST = "pool.json"
SUFFIXES = (".png", ".jpg")


@dataclass
class Pool:
    """One level's faces, decoded once: `real[i]`, `fake[i]` are (size, size, 3) uint8."""

    name: str
    real: list[np.ndarray]
    fake: list[np.ndarray]
    paired: bool = False  # True: a round shows real i with fake i (matched pairs); False: each drawn on its own
    manifest: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.real or len(self.real) != len(self.fake):
            raise ValueError(f"pool {self.name!r}: needs as many fakes as real faces, got {len(self.real)} and "
                             f"{len(self.fake)}")
        sides = {face.shape for face in self.real + self.fake}
        if len(sides) != 1 or len(next(iter(sides))) != 3 or next(iter(sides))[0] != next(iter(sides))[1]:
            raise ValueError(f"pool {self.name!r}: every face must be one square RGB size, got {sorted(sides)}")

    @property
    def size(self) -> int:
        return self.real[0].shape[0]

    @property
    def kinds(self) -> dict[str, int]:
        """The keys under which `Game.draw` records this pool's faces, with their pool sizes."""
        names = ("pair",) if self.paired else ("real", "fake")
        return {f"{self.name}/{kind}": len(self.real) for kind in names}

    def draw(self, game: Game, random: secrets.SystemRandom) -> tuple[np.ndarray, np.ndarray]:
        """A real face and a fake one this player has not been shown yet (real, fake)."""
        if self.paired:
            index = game.draw(f"{self.name}/pair", len(self.real), random)
            return self.real[index], self.fake[index]
        return (self.real[game.draw(f"{self.name}/real", len(self.real), random)],
                self.fake[game.draw(f"{self.name}/fake", len(self.fake), random)])

    def require_generator(self, repo_id: str) -> None:
        """Refuse a pool whose fakes another generator made than the one the Space names (stale pools)."""
        made_by = self.manifest.get("fake", {}).get("generator")
        if made_by != repo_id:
            raise RuntimeError(f"pool {self.name!r} holds fakes of {made_by}, not {repo_id}: rebuild it with "
                               f"`{self.manifest.get('rebuild', 'build_pools.py')}`")


def face_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir() if p.suffix in SUFFIXES)


def load_pool(folder: str | Path) -> Pool:
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST).read_text())

    def decode(path: Path) -> np.ndarray:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))

    real, fake = ([decode(p) for p in face_files(folder / side)] for side in ("real", "fake"))
    return Pool(manifest["level"], real, fake, paired=bool(manifest.get("paired")), manifest=manifest)


def save_faces(faces: list[np.ndarray], folder: Path, suffix: str = ".png", quality: int = 88) -> list[str]:
    """Write faces as 0000.png, 0001.png, ... (PNG at full compression, or JPEG at `quality`), no metadata."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in face_files(folder):
        old.unlink()
    names = []
    for index, pixels in enumerate(faces):
        path = folder / f"{index:04d}{suffix}"
        options = {"format": "PNG", "optimize": True} if suffix == ".png" else {"format": "JPEG", "quality": quality,
                                                                                 "optimize": True}
        Image.fromarray(pixels, "RGB").save(path, **options)
        names.append(path.name)
    return names


def write_manifest(folder: Path, manifest: dict) -> None:
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
