"""Shared fixtures: offline by default, tiny images made on the spot, a live server for the Spaces.

Two lanes:

- `python -m pytest -q` (the default, what a developer runs): every test not marked `slow`, in under 5 minutes
  on an idle 2-core machine. pyproject.toml's `addopts` adds `-m "not slow"`.
- `python -m pytest -q -m "slow or not slow"` (CI, `.ci/run`): everything, including the tests marked
  `@pytest.mark.slow`: the real browser, the statistical training runs, the full-length load and memory probes,
  the subprocess imports of assembled Spaces. Any `-m` on the command line replaces the default one.

A test is marked slow when it cannot be made cheaper without losing what it proves; its docstring or a comment
says what it checks. A slow test named on the command line still needs `-m slow` (or `-m "slow or not slow"`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

from bench.toolkit.ports import free_port

# One thread per operation (torch, OpenBLAS) unless the caller sets its own: the suite's models are tiny, and on
# a busy 2-core machine two threads spin waiting for each other (measured while another process trained: the
# diffusion recipe's 40 steps took 2.9 s on one thread, 48.7 s on two).
os.environ.setdefault("OMP_NUM_THREADS", "1")

# Caches cold, as each test expects: no Space computes its default views in the background when it starts
# (`core.common.warm_up`; tests/test_warm_up.py turns it on where it is the subject).
os.environ.setdefault("MANIFOLD_WARM_UP", "0")

# The quiz's answer log: a fresh file per test session, never the user's own.
os.environ["MANIFOLD_QUIZ_DB"] = str(Path(tempfile.mkdtemp(prefix="manifold-lab-quiz-")) / "answers.sqlite")
# Gradio's upload folder and cache, one per session: another run on the machine (a Space, a second pytest) sweeps
# its own /tmp/gradio, and a test that lists the cache saw those files vanish under it. One per xdist worker too:
# the workers inherit the controller's folder, and a test that counts what its Spaces wrote found the other
# worker's quiz faces and example copies there (a failure only in the full lane, never alone).
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="manifold-lab-gradio-"))
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix=f"{os.environ['PYTEST_XDIST_WORKER']}-",
                                                     dir=os.environ["GRADIO_TEMP_DIR"])


# The files that take longest in the full lane, longest first. xdist's `--dist loadfile` hands files to its workers in
# collection order, so these go first and the short ones fill in around them (alphabetically, the soak test once
# started last, on one worker, while the others sat idle). Summed durations, a local full lane on three workers,
# 2026-12-06 (781 s wall): browser 385 s, browser links 329, multiprocess 217, attacks 101, soak 99, attacks alone 86,
# autoencoder 73, launcher 72, diffusion 67, deploy 62, the quiz 56 and its pools 53, denoising's Space 51, GAN lab 44.
LONGEST_FILES = ("test_browser.py", "test_browser_links.py", "test_multiprocess.py", "test_attacks.py", "test_soak.py",
                 "test_attacks_alone.py", "test_autoencoder.py", "test_launcher.py", "test_diffusion.py", "test_deploy.py",
                 "test_which_face_is_real.py", "test_which_face_is_real_pools.py", "test_denoising_space.py",
                 "test_gan_lab.py")


def pytest_collection_modifyitems(config, items):
    """Longest files first (each file's tests keep their order, so module fixtures are built once)."""
    rank = {name: index for index, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


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


class LiveServer:
    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # at exit, open event streams are cut after 2 s instead of holding the session's end for 10
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    timeout_graceful_shutdown=2))
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

    app, launcher = build_app(verbose=False)
    with LiveServer(app) as server:
        launcher.wait()
        server.launcher, server.spaces = launcher, [slot.space for slot in launcher.slots]
        server.modules = {s.name: load_app_module(s) for s in server.spaces}
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


TINY_APP = '''import gradio as gr

with gr.Blocks() as demo:
    gr.Markdown("# {title} is here")
    box = gr.Number(2, minimum=0, maximum=10)
    out = gr.Number()
    gr.Button("double").click(lambda x: 2 * x, box, out, api_name="double")
'''


def tiny_spaces(root: Path, names: list[str]) -> Path:
    """Small Spaces in a folder of their own: the launcher's tests never mount the real apps twice."""
    for name in names:
        (root / name).mkdir(parents=True)
        (root / name / "app.py").write_text(TINY_APP.replace("{title}", name))
        (root / name / "README.md").write_text(
            f"---\ntitle: {name.title()}\nemoji: 🧪\nsdk: gradio\nsdk_version: 6.31.0\napp_file: app.py\n"
            f"license: mit\nshort_description: the {name} point\n---\n")
    return root


@pytest.fixture
def gated_launcher(tmp_path, monkeypatch):
    """build_app over two tiny Spaces whose loading waits for `gate` (a slow Space, on demand)."""
    from spaces import server
    from spaces.registry import discover

    root = tiny_spaces(tmp_path / "spaces", ["slow-one", "slow-two"])
    gate, real_load = threading.Event(), server.load_app_module
    monkeypatch.setattr(server, "discover", lambda: discover(root))
    monkeypatch.setattr(server, "load_app_module", lambda space: gate.wait(60) and real_load(space))
    app, launcher = server.build_app(verbose=False)
    launcher.gate = gate
    yield app, launcher
    gate.set()


def gan_recipe_steps(recipe, steps: int = 30, seed: int = 0):
    """Build a GAN recipe's models and run `steps` training steps on 16 of its images: (models, per-step metrics)."""
    import torch

    torch.manual_seed(seed)
    models = recipe.build_models()
    optimizers = recipe.build_optimizers(models)
    real = torch.stack([recipe.build_dataset()[i] for i in range(16)])

    def update(name, loss):
        optimizers[name].zero_grad()
        loss.backward()
        optimizers[name].step()

    return models, [recipe.training_step(models, real, update) for _ in range(steps)]


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's browser for test_browser*.py: Debian's chromium (Playwright's own browser download is not
    reachable here)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]}


@pytest.fixture(scope="session")
def secret(tmp_path_factory) -> Path:
    """A file outside Gradio's upload folder, with content no Space would ever produce."""
    path = tmp_path_factory.mktemp("private") / "grades.png"
    path.write_bytes(b"secret-" + os.urandom(16).hex().encode())
    return path
