"""Serve local model repos over real HTTP with olah (offline "local mirror" mode).

olah 0.5.4 serves git repositories found under `mirrors-path` (TOML-only option,
no CLI flag) at <mirrors_path>/<repo_type>/<org>/<name>, reading files from the
committed git tree (not the working tree). `offline = true` is required: otherwise
every request first probes huggingface.co for repo visibility (-> 504 here).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bench.toolkit.ports import free_port

_GIT_ENV = {
    # isolate from the user's/system git config (hooks, signing, LFS filters, ...)
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.com",
}


def _make_git_mirror(repo_dir: Path, files_dir: Path) -> None:
    for f in Path(files_dir).rglob("*"):
        # olah sniffs every blob of 121..149 bytes for a git-LFS pointer with .decode("utf-8");
        # a non-UTF-8 (binary) file of that size makes HEAD/GET return 500.
        if f.is_file() and 120 < f.stat().st_size < 150:
            try:
                f.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(f"{f}: olah cannot serve binary files of 121..149 bytes; resize it") from None
    shutil.copytree(files_dir, repo_dir, ignore=shutil.ignore_patterns(".git"))
    env = {**os.environ, **_GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", "-C", str(repo_dir), *args], check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@contextlib.contextmanager
def serve_local_hub(repos: dict[str, Path], timeout: float = 30.0) -> Iterator[str]:
    """Serve {repo_id: local_dir_with_files} as model repos (branch "main"); yield the endpoint URL.

    repo_id is "org/name" (a model repo) or "datasets/org/name" (a dataset repo). Requires `git` and `olah`.
    """
    work = Path(tempfile.mkdtemp(prefix="olah_hub_"))
    proc = None
    try:
        for repo_id, files_dir in repos.items():
            kind, _, name = repo_id.partition("/") if repo_id.startswith("datasets/") else ("models", "", repo_id)
            _make_git_mirror(work / "mirrors" / kind / name, Path(files_dir))
        port = free_port()
        (work / "olah.toml").write_text(
            "[basic]\n"
            'host = "127.0.0.1"\n'
            f"port = {port}\n"
            f'repos-path = "{(work / "cache").as_posix()}"\n'
            f'mirrors-path = ["{(work / "mirrors").as_posix()}"]\n'
            "[accessibility]\n"
            "offline = true\n"
        )
        with open(work / "olah.out", "wb") as log:  # cwd=work: olah also writes ./logs there
            proc = subprocess.Popen([sys.executable, "-m", "olah.server", "-c", str(work / "olah.toml")],
                                    cwd=work, stdout=log, stderr=subprocess.STDOUT)
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"olah exited with {proc.returncode}:\n{(work / 'olah.out').read_text()}")
            try:  # any HTTP answer means uvicorn is serving (olah's "/" page itself 500s)
                urllib.request.urlopen(endpoint + "/", timeout=1).close()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"olah not up after {timeout}s:\n{(work / 'olah.out').read_text()}") from None
                time.sleep(0.05)
        yield endpoint
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(work, ignore_errors=True)


# ---- example conftest.py fixture -------------------------------------------
# import pytest
# from huggingface_hub import constants
#
# @pytest.fixture
# def local_hub(monkeypatch, tmp_path, toy_model_dir):  # toy_model_dir: dir with config.json, model.safetensors, README.md
#     with serve_local_hub({"manifold-lab/toy": toy_model_dir}) as endpoint:
#         monkeypatch.setenv("HF_ENDPOINT", endpoint)  # for subprocesses only; in-process constants are import-time
#         monkeypatch.setattr(constants, "ENDPOINT", endpoint)
#         monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE",
#                             endpoint + "/{repo_id}/resolve/{revision}/{filename}")
#         monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # in case the env sets HF_HUB_OFFLINE=1
#         monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf_cache"))  # isolate the cache
#         yield endpoint


def use_endpoint(monkeypatch, endpoint: str, cache_dir: Path) -> None:
    """Point huggingface_hub at `endpoint` (online, with its own cache) for the rest of a test."""
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", endpoint + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache_dir))
