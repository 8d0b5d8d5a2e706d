"""Every answer of every player in one SQLite file (WAL): safe under concurrent players, kept across restarts."""

from __future__ import annotations

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
)"""


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
            db.execute(SCHEMA)

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
