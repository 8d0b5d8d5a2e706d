"""Every answer of every player in one SQLite file (WAL): safe under concurrent players, kept across restarts.

The same file remembers which faces each player (a random id kept in their browser) has been shown, so a
second game never repeats a photo whose answer the player has already seen revealed.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    game_id TEXT NOT NULL,
    round INTEGER NOT NULL,
    difficulty TEXT NOT NULL,
    correct INTEGER NOT NULL,
    discriminator_correct INTEGER NOT NULL,
    answered_at REAL NOT NULL,
    UNIQUE (game_id, round)
);
CREATE TABLE IF NOT EXISTS shown (
    player TEXT NOT NULL,
    face TEXT NOT NULL,
    shown_at REAL NOT NULL,
    PRIMARY KEY (player, face)
)"""
PLAYER_ID = re.compile(r"[0-9a-f]{32}")
HISTORY_DAYS = 90  # a player's shown faces are forgotten after this: the table stays bounded


@dataclass(frozen=True)
class Aggregate:
    answers: int
    correct: int
    discriminator_correct: int
    games: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answers if self.answers else None

    @property
    def discriminator_accuracy(self) -> float | None:
        return self.discriminator_correct / self.answers if self.answers else None


class AnswerLog:
    """One connection per call: sqlite3 connections must not cross threads, and Gradio runs handlers in a pool."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A transaction on a fresh connection, closed after (sqlite3's own `with` only commits)."""
        db = sqlite3.connect(self.path, timeout=30)  # wait (not fail) while another player writes
        try:
            with db:
                yield db
        finally:
            db.close()

    def record(self, game_id: str, round_number: int, difficulty: str, correct: bool, discriminator_correct: bool) -> None:
        """Store one answer; the same (game, round) twice is ignored, so a replayed request counts once."""
        with self._connect() as db:
            db.execute("INSERT OR IGNORE INTO answers (game_id, round, difficulty, correct, discriminator_correct, "
                       "answered_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (game_id, round_number, difficulty, int(correct), int(discriminator_correct), time.time()))

    def aggregate(self, difficulty: str | None = None) -> Aggregate:
        where, params = ("WHERE difficulty = ?", (difficulty,)) if difficulty else ("", ())
        with self._connect() as db:
            row = db.execute(f"SELECT COUNT(*), COALESCE(SUM(correct), 0), COALESCE(SUM(discriminator_correct), 0), "
                             f"COUNT(DISTINCT game_id) FROM answers {where}", params).fetchone()
        return Aggregate(*row)

    # -- faces shown to each player ------------------------------------------------------------------

    @staticmethod
    def player_id(stored) -> str:
        """The id a browser sent back, if it is one we could have made; else a fresh one."""
        return stored if isinstance(stored, str) and PLAYER_ID.fullmatch(stored) else secrets.token_hex(16)

    def shown_to(self, player: str) -> frozenset[str]:
        with self._connect() as db:
            rows = db.execute("SELECT face FROM shown WHERE player = ?", (player,)).fetchall()
        return frozenset(face for (face,) in rows)

    def mark_shown(self, player: str, faces: set[str] | frozenset[str], pool_sizes: dict[str, int]) -> None:
        """Remember faces shown to `player`; a kind whose whole pool was seen starts over (oldest kept out)."""
        now = time.time()
        with self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO shown (player, face, shown_at) VALUES (?, ?, ?)",
                           [(player, face, now) for face in faces])
            for kind, size in pool_sizes.items():
                (count,) = db.execute("SELECT COUNT(*) FROM shown WHERE player = ? AND face LIKE ?",
                                      (player, f"{kind}:%")).fetchone()
                if count >= size:  # seen everything: forget all but this game's faces of that kind
                    db.execute("DELETE FROM shown WHERE player = ? AND face LIKE ? AND shown_at < ?",
                               (player, f"{kind}:%", now))
            db.execute("DELETE FROM shown WHERE shown_at < ?", (now - HISTORY_DAYS * 86400,))
