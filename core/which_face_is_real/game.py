"""'Which face is real?' (after whichfaceisreal.com, West & Bergstrom): rounds, scoring, no side channel.

Every image of a round goes through one pipeline: decode -> RGB -> the round's resolution -> +-1 level of
fresh random dither -> uncompressed PNG with no metadata, under a random name in a random folder.
Uncompressed, so even the byte size of the two files is the same; dithered, so a face never gives the same
bytes twice (a real photo would otherwise be recognisable by its hash, a fake never is). The only tell
left is the picture. The answer stays on the server, in the player's `Game`; a round can be answered once;
`Game.seen_before` (kept per player in `AnswerLog`) keeps a player from seeing a face twice across games; the
faces come from fixed pools of one size on both sides (`core.which_face_is_real.pools`), so a face seen before
says nothing about the answer.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from core.common.images import to_uint8
from core.common.made_ahead import weights_digest

ROUNDS_PER_GAME = 10
SIDES = ("left", "right")
LABELS = {"left": "A", "right": "B"}  # what the player sees: A/B holds whether the faces sit side by side or stack


def face_array(image: Image.Image | np.ndarray | torch.Tensor, size: int) -> np.ndarray:
    """Any face -> (size, size, 3) uint8 RGB; tensors are (3, H, W) in [0, 1]. Area averaging when shrinking."""
    if isinstance(image, Image.Image):
        image = torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1)
    elif isinstance(image, np.ndarray):
        image = torch.from_numpy(image.astype(np.float32) / 255).permute(2, 0, 1)
    image = image.float().clamp(0, 1)[None]
    if image.shape[-1] != size or image.shape[-2] != size:
        image = F.interpolate(image, size=(size, size), mode="area" if image.shape[-1] > size else "bicubic",
                              align_corners=None if image.shape[-1] > size else False).clamp(0, 1)
    return to_uint8(image[0].permute(1, 2, 0).numpy())  # (size, size, 3)


def pixels_key(pixels: np.ndarray) -> bytes:
    """A face's digest, by its pixels."""
    return hashlib.blake2b(np.ascontiguousarray(pixels).tobytes(), digest_size=16).digest()


def dither(pixels: np.ndarray, random: secrets.SystemRandom) -> np.ndarray:
    """Add -1, 0 or +1 to every value, fresh each time: invisible, and no two serves share their bytes."""
    noise = np.frombuffer(random.randbytes(pixels.size), np.uint8).reshape(pixels.shape) % 3
    return (pixels.astype(np.int16) + noise - 1).clip(0, 255).astype(np.uint8)


def write_png(pixels: np.ndarray, folder: Path) -> Path:
    """Uncompressed PNG, no metadata, random name: same-size images give same-size files."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(12)}.png"
    Image.fromarray(pixels, "RGB").save(path, format="PNG", compress_level=0)
    return path


@dataclass
class Round:
    left: Path
    right: Path
    real_side: str  # "left" or "right": never leaves the server before the guess
    discriminator_side: str  # the side the GAN's discriminator calls real
    pixels: tuple[np.ndarray, np.ndarray] | None = None  # left, right as made (server only: the evidence map)
    answered: bool = False

    def remove_files(self) -> None:
        for path in {self.left, self.right, *self.left.parent.glob("*.png")}:  # the faces, and the answer's picture
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.left.parent.rmdir()


@dataclass(frozen=True)
class Outcome:
    correct: bool
    real_side: str
    discriminator_correct: bool
    game_over: bool


@dataclass
class Game:
    """One player's game: the open round, score and streak. Lives in the player's gr.State."""

    difficulty: str
    game_id: str = field(default_factory=lambda: secrets.token_hex(8))
    rounds_played: int = 0
    score: int = 0
    streak: int = 0
    best_streak: int = 0
    discriminator_score: int = 0
    current: Round | None = None
    shown: set[str] = field(default_factory=set)  # faces already used in this game: no face twice
    player: str = ""  # a random id kept in the browser (gr.BrowserState): whose history `seen_before` is
    seen_before: frozenset[str] = frozenset()  # faces this player was shown in earlier games
    class_code: str | None = None  # the class this game's answers count for (checked when the game starts)

    def draw(self, kind: str, count: int, random: secrets.SystemRandom) -> int:
        """An index into a pool of `count` faces of `kind` that this player has not been shown yet.

        Once a player has seen the whole pool, faces seen in earlier games come back (never one from this game).
        """
        seen = self.shown | self.seen_before
        fresh = [i for i in range(count) if f"{kind}:{i}" not in seen]
        fresh = fresh or [i for i in range(count) if f"{kind}:{i}" not in self.shown] or list(range(count))
        index = random.choice(fresh)
        self.shown.add(f"{kind}:{index}")
        return index

    @property
    def over(self) -> bool:
        return self.rounds_played >= ROUNDS_PER_GAME

    def start_round(self, make_round: Callable[[], Round]) -> Round:
        if self.over:
            raise ValueError("this game is over: start a new game")
        if self.current is None or self.current.answered:
            if self.current is not None:  # served already: keep the disk bounded
                self.current.remove_files()
            self.current = make_round()
        return self.current  # asking again never reshuffles an open round (no peeking by re-rolling)

    def guess(self, side: str) -> Outcome:
        if side not in SIDES:
            raise ValueError(f"guess 'left' or 'right', not {side!r}")
        if self.current is None or self.current.answered:
            raise ValueError("no open round: show the next pair first")
        current = self.current
        current.answered = True
        correct = side == current.real_side
        discriminator_correct = current.discriminator_side == current.real_side
        self.rounds_played += 1
        self.score += correct
        self.discriminator_score += discriminator_correct
        self.streak = self.streak + 1 if correct else 0
        self.best_streak = max(self.best_streak, self.streak)
        return Outcome(correct, current.real_side, discriminator_correct, self.over)


class RoundMaker:
    """Builds rounds: a real face and a fake one at `size`, sides at random, judged by the discriminator.

    `folder` is where the round's files go; a Space passes Gradio's cache, so that Gradio serves them as they
    are (no copy under a content-hash folder, which would be stable for a real face) and expires them.
    """

    LOGITS_KEPT = 8192  # faces whose score is remembered: every pool's faces, several times over

    def __init__(self, discriminator: torch.nn.Module, folder: Path):
        self.discriminator, self.folder = discriminator, Path(folder)
        self.random = secrets.SystemRandom()  # unpredictable from outside, unlike a seeded generator
        self._logits: dict[bytes, float] = {}  # a face's digest -> D's score; faces come from fixed pools
        self._lock = threading.Lock()

    @torch.inference_mode()
    def discriminator_pick(self, real: np.ndarray, fake: np.ndarray) -> bool:
        """True if D scores the real face higher ("more real") than the fake, at D's own resolution."""
        size = self.discriminator.image_size
        if not getattr(self.discriminator, "stddev_group", 0):  # each face scored on its own: remembered
            return self.logit(face_array(real, size)) > self.logit(face_array(fake, size))
        # minibatch statistics: a face's score depends on its partner
        pair = torch.stack([torch.from_numpy(face_array(x, size)).permute(2, 0, 1) for x in (real, fake)])
        logits = self.discriminator(pair.float() / 127.5 - 1)
        return bool(logits[0] > logits[1])

    @torch.inference_mode()
    def logit(self, pixels: np.ndarray) -> float:
        """D's score for one face at D's size, computed once per distinct face: the quiz draws from fixed pools,
        so a class's new games ask again and again about the same faces (D was 80% of a round's server time)."""
        key = pixels_key(pixels)
        with self._lock:
            known = self._logits.get(key)
        if known is None:
            image = torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 127.5 - 1
            known = float(self.discriminator(image)[0])
            self._keep({key: known})
        return known

    def _keep(self, scores: dict[bytes, float]) -> None:
        with self._lock:
            self._logits.update(scores)
            while len(self._logits) > self.LOGITS_KEPT:
                self._logits.pop(next(iter(self._logits)))

    @torch.inference_mode()
    def save_scores(self, faces: list, path: str | Path) -> None:
        """D's score of every face (a pool's real and fake), stored with the judge's digest: made ahead, so a
        class's first games (every face new) wait for no discriminator (`python -m core.which_face_is_real.evidence`)."""
        size = self.discriminator.image_size
        pixels = [face_array(face, size) for face in faces]
        batch = torch.stack([torch.from_numpy(p).permute(2, 0, 1) for p in pixels]).float() / 127.5 - 1
        logits = torch.cat([self.discriminator(chunk) for chunk in batch.split(64)]).numpy().astype(np.float32)
        keys = np.frombuffer(b"".join(pixels_key(p) for p in pixels), dtype=np.uint8).reshape(len(pixels), -1)
        np.savez(path, keys=keys, logits=logits, judge=np.array(weights_digest(self.discriminator)))

    def load_scores(self, path: str | Path) -> int:
        """Take stored scores if they are this judge's; how many (0: none, or another judge's: scored live)."""
        path = Path(path)
        if not path.is_file() or getattr(self.discriminator, "stddev_group", 0):
            return 0
        with np.load(path) as stored:
            if str(stored["judge"]) != weights_digest(self.discriminator):
                return 0
            self._keep({key.tobytes(): float(logit) for key, logit in zip(stored["keys"], stored["logits"], strict=True)})
            return len(stored["keys"])

    def make(self, real: Image.Image | np.ndarray | torch.Tensor, fake: Image.Image | np.ndarray | torch.Tensor,
             size: int) -> Round:
        real, fake = face_array(real, size), face_array(fake, size)
        real_side = self.random.choice(SIDES)
        left, right = (real, fake) if real_side == "left" else (fake, real)
        discriminator_right = self.discriminator_pick(real, fake)
        discriminator_side = real_side if discriminator_right else SIDES[1 - SIDES.index(real_side)]
        folder = self.folder / secrets.token_hex(16)  # one fresh folder per round
        left_path, right_path = (write_png(dither(pixels, self.random), folder) for pixels in (left, right))
        return Round(left_path, right_path, real_side, discriminator_side, (left, right))


@torch.inference_mode()
def judge_accuracy(discriminator: torch.nn.Module, real_faces: list, fake_faces: list) -> float:
    """How often the discriminator scores the real face of a pair above the fake one (pairs in order)."""
    size = discriminator.image_size
    count = min(len(real_faces), len(fake_faces))

    def logits(faces):
        batch = torch.stack([torch.from_numpy(face_array(x, size)).permute(2, 0, 1) for x in faces[:count]])
        return torch.cat([discriminator(chunk.float() / 127.5 - 1) for chunk in batch.split(64)])

    return float((logits(real_faces) > logits(fake_faces)).float().mean())


def stored_judge_accuracy(path: str | Path, discriminator: torch.nn.Module, real_faces: list,
                          fake_faces: list) -> float | None:
    """`judge_accuracy` read from a pool's stored scores (`RoundMaker.save_scores(real + fake)`: one logit per face,
    in that order), without running the discriminator; None when the file is missing, another judge's, or another
    pool's (its count, or the digest of its first real, first fake or last face, differs)."""
    path = Path(path)
    if not path.is_file() or getattr(discriminator, "stddev_group", 0):
        return None
    with np.load(path) as stored:
        if str(stored["judge"]) != weights_digest(discriminator):
            return None
        keys, logits = stored["keys"], stored["logits"]
    if len(keys) != len(real_faces) + len(fake_faces) or not real_faces or not fake_faces:
        return None
    size = discriminator.image_size
    for index, face in ((0, real_faces[0]), (len(real_faces), fake_faces[0]), (len(keys) - 1, fake_faces[-1])):
        if keys[index].tobytes() != pixels_key(face_array(face, size)):
            return None
    count = min(len(real_faces), len(fake_faces))
    return float((logits[:count] > logits[len(real_faces):len(real_faces) + count]).mean())


def judge_verdict(record: dict[str, float], pairs: dict[str, int], own: str, names: dict[str, str] | None = None) -> str:
    """What the judge's record says, in words that follow the measured numbers: how often it picks the real face
    against its own generator's fakes and against each stranger's, and which strangers it catches far less often
    (10 points or more below its own: where a discriminator shows it is no general fake detector).
    `names` turns a record's keys into words (the quiz: "our diffusion model's")."""
    names = {key: (names or {}).get(key, key) for key in record}
    strangers = [key for key in record if key != own]
    listed = "; ".join(f"**{record[key]:.0%}** against {names[key]} ({pairs[key]} pairs)" for key in strangers)
    text = (f"How good a judge is it? It picks the real face **{record[own]:.0%}** of the time against "
            f"{names[own]} ({pairs[own]} pairs), the fakes it was trained to catch; {listed} (50% is a coin).")
    weaker = [names[key] for key in strangers if record[key] <= record[own] - 0.10]
    if weaker:
        return text + (f" Against {' and '.join(weaker)} it is a much weaker judge: a discriminator learns its own "
                       "generator's mistakes, and is no general fake detector.")
    return text + " Here it catches the strangers' fakes about as often as its own."
