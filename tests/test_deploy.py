"""Deploy dry run: a self-contained Space folder that imports on its own, away from the repository."""

import os
import subprocess
import sys

import pytest

from spaces import deploy
from spaces.registry import discover, read_front_matter

# Topics a Space may borrow on purpose: GANSpace is the PCA Space's own PCA, fitted to w.
BORROWS = {"gan": {"pca"}}


@pytest.mark.parametrize("name", [s.name for s in discover()])
def test_dry_run_writes_a_space_with_only_the_parts_it_uses(name, tmp_path):
    target = tmp_path / name
    deploy.main([name, "--repo", f"someone/{name}", "--dry-run", str(target)])
    assert (target / "app.py").is_file() and (target / "requirements.txt").is_file()
    assert (target / "core" / "__init__.py").is_file() and (target / "core" / "common" / "edge.py").is_file()
    assert not list(target.rglob("__pycache__"))
    meta = read_front_matter(target / "README.md")
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    bundled = {p.name for p in (target / "core" / "bundled_weights").glob("*")}
    assert bundled <= {m.rsplit("/", 1)[-1] for m in meta.get("models", [])}  # only the weights it names
    shipped = {p.name.removesuffix(".py") for p in (target / "core").iterdir()} - {"__init__", "bundled_weights"}
    topic = name.replace("-", "_")
    assert topic in shipped or name == "pca" and "pca" in shipped
    others = {"pca", "pix2pix", "colorization", "super_resolution"} - {topic} - BORROWS.get(topic, set())
    assert not shipped & others  # no other topic's code


@pytest.mark.slow  # each a fresh interpreter importing torch, Gradio and its app (~10-20 s)
@pytest.mark.parametrize("name", ["pca", "which-face-is-real", "diffusion", "style-transfer"])  # alone, data files, cross-topic
def test_an_assembled_space_imports_on_its_own(name, tmp_path):
    target = tmp_path / name
    deploy.main([name, "--repo", f"someone/{name}", "--dry-run", str(target)])

    # Import the app from the assembled folder alone: `core` must resolve to the copy beside app.py.
    probe = "import app, core; print(core.__file__); print(type(app.demo).__name__)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=target, capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    core_file, demo_type = done.stdout.strip().splitlines()[-2:]
    assert core_file.startswith(str(target)) and demo_type == "Blocks"


def test_unknown_space_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="unknown Space"):
        deploy.main(["nope", "--repo", "a/b", "--dry-run", str(tmp_path / "x")])
