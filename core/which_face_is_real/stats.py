"""Every answer of every player in one SQLite file (WAL): safe under concurrent players, kept across restarts.

The same file remembers which faces each player (a random id kept in their browser) has been shown, so a
second game never repeats a photo whose answer the player has already seen revealed, and the classes teachers
started: each answer carries its class's code, so a class compares itself with everyone.
"""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
import time
from collections.abc import Iterator, Mapping
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
    class_code TEXT,
    UNIQUE (game_id, round)
);
CREATE TABLE IF NOT EXISTS shown (
    player TEXT NOT NULL,
    face TEXT NOT NULL,
    shown_at REAL NOT NULL,
    PRIMARY KEY (player, face)
);
CREATE TABLE IF NOT EXISTS classes (
    code TEXT PRIMARY KEY,
    started_at REAL NOT NULL
)"""
PLAYER_ID = re.compile(r"[0-9a-f]{32}")
HISTORY_DAYS = 90  # a player's shown faces are forgotten after this: the table stays bounded
# A class code: read aloud, copied from a projector, typed on a phone. No 0/O, 1/I/L, U/V: nothing to mix up.
CODE_ALPHABET, CODE_LENGTH = "23456789ABCDEFGHJKMNPQRSTWXYZ", 5  # 29^5: 20 million codes
CLASS_CODE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
CLASS_FORMAT = (f"a class code is {CODE_LENGTH} characters, digits 2-9 and letters without I, L, O, U or V "
                "(like K7QX3)")
NEW_CLASSES_PER_HOUR = 200  # a script cannot fill the file with classes
STORE_NAME = "which-face-is-real.sqlite"


def store_path(environ: Mapping[str, str] = os.environ) -> Path:
    """Where the answers live: MANIFOLD_QUIZ_DB if set; else /data (a Space's persistent storage) if writable;
    else ~/.cache/manifold-lab. Under pytest the default is refused: a test must name a temporary file."""
    if environ.get("MANIFOLD_QUIZ_DB"):
        return Path(environ["MANIFOLD_QUIZ_DB"])
    if "PYTEST_VERSION" in environ:
        raise RuntimeError("tests must point MANIFOLD_QUIZ_DB at a temporary file, never the real answer store")
    return default_store()


def default_store() -> Path:
    folder = Path("/data") if os.access("/data", os.W_OK) else Path.home() / ".cache" / "manifold-lab"
    return folder / STORE_NAME


def parse_class_code(text: str | None) -> str | None:
    """A code as typed (any case, spaces or dashes) -> its canonical form; empty -> None; malformed -> ValueError."""
    if text is None:
        return None
    if not isinstance(text, str) or len(text) > 4 * CODE_LENGTH:
        raise ValueError(f"Class code: {CLASS_FORMAT}.")
    code = re.sub(r"[\s-]", "", text).upper()
    if not code:
        return None
    if not CLASS_CODE.fullmatch(code):
        raise ValueError(f"Class code: {CLASS_FORMAT}.")
    return code


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
        if "PYTEST_VERSION" in os.environ and self.path.resolve() == default_store().resolve():
            raise RuntimeError(f"a test tried to open the real answer store {self.path}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            db.executescript(SCHEMA)
            if "class_code" not in {row[1] for row in db.execute("PRAGMA table_info(answers)")}:
                db.execute("ALTER TABLE answers ADD COLUMN class_code TEXT")  # a file from before classes
            db.execute("CREATE INDEX IF NOT EXISTS answers_by_class ON answers (class_code, difficulty)")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A transaction on a fresh connection, closed after (sqlite3's own `with` only commits)."""
        db = sqlite3.connect(self.path, timeout=30)  # wait (not fail) while another player writes
        try:
            with db:
                yield db
        finally:
            db.close()

    def record(self, game_id: str, round_number: int, difficulty: str, correct: bool, discriminator_correct: bool,
               class_code: str | None = None) -> None:
        """Store one answer; the same (game, round) twice is ignored, so a replayed request counts once."""
        with self._connect() as db:
            db.execute("INSERT OR IGNORE INTO answers (game_id, round, difficulty, correct, discriminator_correct, "
                       "answered_at, class_code) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (game_id, round_number, difficulty, int(correct), int(discriminator_correct), time.time(),
                        class_code))

    def aggregate(self, difficulty: str | None = None, class_code: str | None = None) -> Aggregate:
        """Totals over every answer, or one difficulty's, or one class's (or both)."""
        conditions = {"difficulty = ?": difficulty, "class_code = ?": class_code}
        where = [condition for condition, value in conditions.items() if value is not None]
        params = tuple(value for value in conditions.values() if value is not None)
        with self._connect() as db:
            row = db.execute("SELECT COUNT(*), COALESCE(SUM(correct), 0), COALESCE(SUM(discriminator_correct), 0), "
                             "COUNT(DISTINCT game_id) FROM answers" + (f" WHERE {' AND '.join(where)}" if where else ""),
                             params).fetchone()
        return Aggregate(*row)

    # -- classes -----------------------------------------------------------------------------------------

    def start_class(self) -> str:
        """A fresh class code, stored (never one in use)."""
        now = time.time()
        with self._connect() as db:
            (recent,) = db.execute("SELECT COUNT(*) FROM classes WHERE started_at > ?", (now - 3600,)).fetchone()
            if recent >= NEW_CLASSES_PER_HOUR:
                raise ValueError("Too many classes were started in the last hour: try again later.")
            while True:
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                if db.execute("INSERT OR IGNORE INTO classes (code, started_at) VALUES (?, ?)", (code, now)).rowcount:
                    return code

    def class_code(self, text: str | None) -> str | None:
        """The class a player typed or followed a link to: None for no class; a malformed or unknown code is a
        ValueError that says what to do."""
        code = parse_class_code(text)
        if code is None:
            return None
        with self._connect() as db:
            known = db.execute("SELECT 1 FROM classes WHERE code = ?", (code,)).fetchone()
        if not known:
            raise ValueError(f"No class has the code {code}: check it with your teacher, or clear the box to play "
                             "on your own.")
        return code

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
