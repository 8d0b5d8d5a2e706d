"""Shared fixtures: offline by default, tiny images made on the spot, a live server for the Spaces."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

# The quiz's answer log: a fresh file per test session, never the user's own.
os.environ["MANIFOLD_QUIZ_DB"] = str(Path(tempfile.mkdtemp(prefix="manifold-lab-quiz-")) / "answers.sqlite")


@pytest.fixture(autouse=True)
def fresh_accelerator_state():
    """Accelerate keeps one global state per process; each test's training run may ask for another precision
    (a process runs one training run in real use, so only the tests reset it, with Accelerate's own reset)."""
    yield
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state(reset_partial_state=False)


@pytest.fixture(autouse=True)
def offline_hub(monkeypatch):
    """Every test starts offline, as on a fresh machine with no network; online tests undo this."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from core import hub

    hub._reachable_cache.clear()
    yield
    hub._reachable_cache.clear()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="session")
def served_spaces():
    """Every Space behind the landing page, served once for the whole test session."""
    import os

    os.environ["HF_HUB_OFFLINE"] = "1"
    from spaces.registry import load_app_module
    from spaces.server import build_app

    app, spaces = build_app(verbose=False)
    with LiveServer(app) as server:
        server.spaces = spaces
        server.modules = {s.name: load_app_module(s) for s in spaces}
        server.demos = {name: module.demo for name, module in server.modules.items()}
        server.screenshot_dir = Path(tempfile.mkdtemp(prefix="manifold-lab-screens-"))
        yield server


def space_module(name: str):
    """A Space's app module (imported once per test session, shared with the served launcher)."""
    from spaces.registry import discover, load_app_module

    return load_app_module(next(s for s in discover() if s.name == name))


def plot_traces(value) -> list[str]:
    """The trace types of a gr.Plot output as gradio_client returns it ({"type": "plotly", "plot": json})."""
    import json

    figure = json.loads(value["plot"]) if isinstance(value, dict) else value.to_plotly_json()
    return [trace.get("type", "scatter") for trace in figure["data"]]
