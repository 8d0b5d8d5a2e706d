"""The launcher: one server, a landing page linking every Space folder, each Space mounted and live."""

import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from spaces.registry import REQUIRED_FRONT_MATTER, SPACES_ROOT, discover, read_front_matter
from spaces.server import select

REPO_ROOT = Path(__file__).resolve().parents[1]


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode()


def wait_for_page(process: subprocess.Popen, url: str, timeout: float = 90) -> tuple[int, str]:
    """Poll `url` until the server started by `process` answers (or fail with its output)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return get(url)
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, process.stdout.read()
            time.sleep(0.3)


def space_folders() -> list[str]:
    return sorted(p.name for p in SPACES_ROOT.iterdir() if (p / "app.py").is_file())


def test_landing_page_links_every_space_folder(served_spaces):
    status, html = get(served_spaces.url + "/")
    assert status == 200
    links = re.findall(r'href="/([^"/]+)/"', html)
    assert sorted(links) == space_folders() and links  # every folder, nothing else
    for space in served_spaces.spaces:
        assert space.title in html.replace("&#x27;", "'") and space.lecture_point in html.replace("&#x27;", "'")


@pytest.mark.parametrize("name", space_folders())
def test_each_space_is_mounted_and_serves_its_config(served_spaces, name):
    status, html = get(f"{served_spaces.url}/{name}/")
    assert status == 200 and "gradio" in html.lower()
    status, config = get(f"{served_spaces.url}/{name}/config")
    assert status == 200 and '"components"' in config


@pytest.mark.parametrize("name", space_folders())
def test_every_space_folder_has_valid_front_matter_and_requirements(name):
    folder = SPACES_ROOT / name
    meta = read_front_matter(folder / "README.md")
    assert set(REQUIRED_FRONT_MATTER) <= set(meta)
    assert meta["sdk"] == "gradio" and str(meta["sdk_version"]).startswith("6.")
    assert len(meta["short_description"]) <= 60  # the Hub's limit for short_description
    assert (folder / meta["app_file"]).is_file() and (folder / "requirements.txt").is_file()
    assert "edge.launch(demo" in (folder / "app.py").read_text()  # each Space also runs alone, hardened as here


def test_only_selects_and_rejects_unknown_names():
    spaces = discover()
    assert [s.name for s in select(spaces, ["pca"])] == ["pca"]
    with pytest.raises(SystemExit, match="unknown Space"):
        select(spaces, ["no-such-space"])


def test_a_new_folder_registers_itself(tmp_path):
    (tmp_path / "new-demo").mkdir()
    (tmp_path / "new-demo" / "app.py").write_text("demo = None\n")
    (tmp_path / "new-demo" / "README.md").write_text(
        "---\ntitle: New\nemoji: 🧪\nsdk: gradio\nsdk_version: 6.31.0\napp_file: app.py\nlicense: mit\n"
        "short_description: a new point\n---\n")
    (tmp_path / "_private").mkdir()
    assert [s.name for s in discover(tmp_path)] == ["new-demo"]


def test_command_line_launch_with_share_offline_still_serves(tmp_path):
    from tests.conftest import free_port

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "spaces", "--port", str(port), "--share", "--only", "pca"],
                               cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path),
                                    "PYTHONUNBUFFERED": "1"})
    try:
        status, html = wait_for_page(process, f"http://127.0.0.1:{port}/")
        assert status == 200 and 'href="/pca/"' in html
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "Landing page: http://127.0.0.1" in output


@pytest.mark.parametrize("name", ["pca", "denoising"])
def test_a_space_runs_alone_from_its_folder(name, tmp_path):
    from tests.conftest import free_port

    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path), "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, str(SPACES_ROOT / name / "app.py")], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status, html = wait_for_page(process, f"http://127.0.0.1:{port}/")
        assert status == 200 and "gradio" in html.lower()
    finally:
        process.terminate()
        process.communicate(timeout=30)
