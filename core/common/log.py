"""The project's console log: one line per model loaded and per user error (no heavy imports, so the
launcher can set it up before anything else loads)."""

from __future__ import annotations

import logging

log = logging.getLogger("manifold_lab")


def show_log() -> None:
    """Send our lines to the console (unless logging is set up already); quiet the libraries' own."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("httpx", "httpcore", "urllib3", "huggingface_hub"):  # their lines would drown ours
        logging.getLogger(noisy).setLevel(logging.WARNING)
