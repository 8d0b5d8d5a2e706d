"""The launcher: one server, a landing page linking every Space folder, each Space mounted and live."""

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import gradio as gr
import pytest

from spaces.registry import REQUIRED_FRONT_MATTER, SPACES_ROOT, discover, read_front_matter
from spaces.server import select
from tests.conftest import tiny_spaces

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
    from bench.toolkit.ports import free_port

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


@pytest.mark.parametrize("name", ["pca", pytest.param("denoising", marks=pytest.mark.slow)])  # ~8-11 s each
def test_a_space_runs_alone_from_its_folder(name, tmp_path):
    from bench.toolkit.ports import free_port

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


def test_the_landing_page_answers_before_any_space_has_loaded(gated_launcher):
    from tests.conftest import LiveServer

    app, launcher = gated_launcher
    with LiveServer(app) as live:
        status, html = get(live.url + "/")
        assert status == 200 and html.count('class="starting"') == 2  # both cards say "starting..."
        with pytest.raises(urllib.error.HTTPError) as waiting:
            get(live.url + "/slow-one/")
        page = waiting.value.read().decode()
        assert waiting.value.code == 503 and waiting.value.headers["Retry-After"] == "2"
        assert 'http-equiv="refresh"' in page and "is starting" in page

        launcher.gate.set()
        launcher.wait(60)
        status, html = get(live.url + "/slow-one/")
        assert status == 200 and "slow-one is here" in html  # the Space's own page, mounted at its path
        assert 'class="starting"' not in get(live.url + "/")[1]
        assert get(live.url + "/healthz")[1].count("slow-") == 2


def test_a_space_someone_is_waiting_for_loads_next(tmp_path):
    from spaces.server import Launcher

    launcher = Launcher(discover(tiny_spaces(tmp_path, ["first", "second", "third"])), verbose=False)
    assert [slot.space.name for slot in launcher.pending()] == ["first", "second", "third"]
    launcher.slots[2].asked = True  # a student opened /third/ while it was still loading
    assert [slot.space.name for slot in launcher.pending()] == ["third", "first", "second"]


def test_a_space_that_cannot_start_is_one_grey_card_and_the_others_serve(tmp_path, monkeypatch, capsys):
    from spaces import server
    from tests.conftest import LiveServer

    root = tiny_spaces(tmp_path, ["broken", "working"])
    (root / "broken" / "app.py").write_text("raise RuntimeError('its weights are missing')\n")
    monkeypatch.setattr(server, "discover", lambda: discover(root))
    app, launcher = server.build_app()
    with LiveServer(app) as live:
        launcher.wait(60)
        assert "working is here" in get(live.url + "/working/")[1]
        landing = get(live.url + "/")[1]
        assert "Not available right now: RuntimeError: its weights are missing" in landing
        with pytest.raises(urllib.error.HTTPError) as broken:
            get(live.url + "/broken/")
        assert broken.value.code == 500 and "could not start: RuntimeError" in broken.value.read().decode()
    log = capsys.readouterr().out
    assert "✗ broken" in log and "Traceback" not in log and "1 of 2 Spaces ready" in log


LIMITS_APP = '''import time

import gradio as gr

with gr.Blocks() as demo:
    box = gr.Number(2, minimum=0, maximum=10, label="Count")
    out = gr.Number()
    gr.Button("double").click(lambda x: 2 * x, box, out, api_name="double")
    # All its jobs run at once and each holds its place 3 s: the test's 34 joins land while the first 32 still
    # run, however slow the machine (a 0.2 s job in a queue of one let a busy CI count 33 admitted).
    gr.Button("slow").click(lambda x: time.sleep(3) or x, box, out, api_name="slow", concurrency_limit=None)
    gr.Button("now").click(lambda x: x, box, out, api_name="now", queue=False)
'''


def limit_answers(base: str) -> dict:
    """What a Space answers to each way a client might take more than its share, over raw HTTP."""
    import json

    import httpx

    from bench.toolkit.raw_gradio import RawGradio

    client = RawGradio(base)
    index = {e.api_name: e.fn_index for e in client.endpoints()}
    post = lambda route, body: client.http.post(f"{base}/gradio_api/{route}", content=json.dumps(body),  # noqa: E731
                                                headers={"content-type": "application/json"})
    answers = {
        "direct route, queued event": post("run/double", {"data": [3]}).status_code,
        "direct route, value refused": post("run/now", {"data": [99]}).status_code,
        "direct route, value accepted": post("run/now", {"data": [3]}).status_code,
        "session id of 65 characters": client.call(index["double"], [3], "x" * 65).status,
        "session id in a stream": client.http.get(f"{base}/gradio_api/queue/data",
                                                  params={"session_hash": "y" * 200}).status_code,
        "body of 2 MB": post("queue/join", {"fn_index": index["double"], "data": [3], "session_hash": "big",
                                            "padding": "x" * 2 * 2**20}).status_code,
    }
    from core.common.limits import MAX_JOBS_PER_SESSION

    with httpx.Client(timeout=30) as http:
        joins = [http.post(f"{base}/gradio_api/queue/join", json={"fn_index": index["slow"], "data": [1],
                                                                  "session_hash": "one-page"}).status_code
                 for _ in range(MAX_JOBS_PER_SESSION + 2)]
    answers["jobs from one page"] = sorted(set(joins)), joins.count(200) == MAX_JOBS_PER_SESSION
    return answers


def freed_after_leaving(base: str, demo) -> bool:
    """A visitor makes one call and leaves: its session is freed by the Space's upkeep (clock shortened)."""
    from bench.toolkit.raw_gradio import RawGradio
    from core.common.gradio_patches import session_last_used

    client = RawGradio(base)
    assert client.call(client.endpoint("double").fn_index, [3], "leaver").ok
    deadline = time.monotonic() + 20
    while "leaver" in session_last_used(demo):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_space_alone_and_under_the_launcher_refuse_the_same_excess(tmp_path, monkeypatch):
    """Every limit of core.common.limits, the same in both ways of running a Space."""
    from core.common import edge, upkeep
    from spaces import server
    from spaces.registry import load_app_module
    from tests.conftest import LiveServer

    monkeypatch.setattr(upkeep, "SESSIONS_EVERY_S", 0.1)  # the janitor's round and grace, shortened
    monkeypatch.setattr(upkeep, "SESSION_GRACE_S", 0)
    root = tiny_spaces(tmp_path, ["limits"])
    (root / "limits" / "app.py").write_text(LIMITS_APP)
    monkeypatch.setattr(server, "discover", lambda: discover(root))
    app, launcher = server.build_app(verbose=False)
    with LiveServer(app) as live:
        launcher.wait(60)
        mounted = limit_answers(f"{live.url}/limits")
        mounted["session freed"] = freed_after_leaving(f"{live.url}/limits", load_app_module(discover(root)[0]).demo)
    alone_app: dict = {}
    exec(LIMITS_APP, alone_app)  # a second, fresh Blocks: the launcher's is mounted already  # noqa: S102
    alone_demo = alone_app["demo"]
    from bench.toolkit.ports import free_port

    port = free_port()
    edge.launch(alone_demo, server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        alone = limit_answers(f"http://127.0.0.1:{port}")
        alone["session freed"] = freed_after_leaving(f"http://127.0.0.1:{port}", alone_demo)
    finally:
        alone_demo.close()
    assert mounted == alone, (mounted, alone)
    assert mounted == {"direct route, queued event": 404, "direct route, value refused": 422,
                       "direct route, value accepted": 200, "session id of 65 characters": "http 400",
                       "session id in a stream": 400, "body of 2 MB": 413,
                       "jobs from one page": ([200, 429], True), "session freed": True}


def test_a_mounted_space_answers_its_page_config_and_front_end_from_memo_as_alone():
    """The launcher's mount applies the same memos as `edge.launch` (tests/test_gradio_patches.py runs them)."""
    import gradio as gr
    from fastapi.routing import APIRoute

    from spaces import server

    with gr.Blocks() as demo:
        gr.Markdown("a page")
    routes = [r for r in server.prepare(demo, "/tiny").asgi.router.routes
              if isinstance(r, APIRoute) and r.path.rstrip("/") in ("", "/config", "/assets/{path:path}")]
    assert {r.path for r in routes} >= {"/", "/config", "/assets/{path:path}"}
    assert all(getattr(r.dependant.call, "_manifold_memo", False) for r in routes)


def test_a_kept_front_end_file_is_answered_first_exactly_as_the_space_behind_answers_it(tmp_path, monkeypatch):
    """The launcher's outermost layer answers a Space's kept front-end files, byte for byte and header for header
    what Gradio's layers behind it answer; what those layers would change (an Origin, a body to compress) goes to
    them; a Space not being served, a file not kept, a query: all go behind."""
    import asyncio
    import re

    import httpx

    from core.common.gradio_patches import KeptFrontEndFirst
    from spaces import server
    from tests.conftest import LiveServer

    root = tiny_spaces(tmp_path, ["first"])
    monkeypatch.setattr(server, "discover", lambda: discover(root))
    door, launcher = server.build_app(verbose=False)
    with LiveServer(door) as live:
        launcher.wait(60)
        page = get(live.url + "/first/")[1]
        files = ["/first/" + name[2:] for name in re.findall(r'"(\./assets/[^"]+)"', page)]
        assets = Path(gr.__file__).parent / "templates" / "frontend" / "assets"
        small_script = min(assets.glob("*.js"), key=lambda f: f.stat().st_size)  # under Brotli's minimum
        font = min(assets.glob("*.woff2"), key=lambda f: f.stat().st_size)  # not compressible
        files += [f"/first/assets/{small_script.name}", f"/first/assets/{font.name}"]
        assert small_script.stat().st_size < 400 and len(files) == 4, files
        for file in files:  # the first visitor: each file kept by Gradio's route
            urllib.request.urlopen(live.url + file, timeout=30).read()

        behind = []

        async def counted(scope, receive, send):
            behind.append(scope["path"])
            await door.app(scope, receive, send)

        first = KeptFrontEndFirst(counted, lambda: launcher.served_paths)
        variants = {"br": {"accept-encoding": "gzip, deflate, br"}, "gzip": {"accept-encoding": "gzip"},
                    "none": {"accept-encoding": "identity"}, "same origin": {"accept-encoding": "br", "origin": live.url},
                    "other origin": {"accept-encoding": "br", "origin": "https://evil.example"}}

        async def answers(app, path, headers):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=live.url) as client, \
                    client.stream("GET", path, headers=headers) as response:  # the bytes as sent
                return response.status_code, sorted(response.headers.raw), b"".join(
                    [part async for part in response.aiter_raw()])

        async def compare():
            answered_first = []
            for file in files:
                for name, headers in variants.items():
                    behind.clear()
                    mine = await answers(first, file, headers)
                    gradios = await answers(door.app, file, headers)
                    assert mine == gradios, (file, name)
                    assert mine[0] == 200
                    if not behind:
                        answered_first.append((file, name))
            return answered_first

        answered_first = asyncio.run(compare())
        assert {(f, "br") for f in files} <= set(answered_first)  # what a browser asks: answered first
        assert not [a for a in answered_first if "origin" in a[1]]
        assert (files[3], "gzip") in answered_first and (files[3], "none") in answered_first  # a font: never compressed
        big = [f for f in files[:2]]  # the page's script and style: compressed by Gradio's layers without br
        assert not [(f, n) for f, n in answered_first if n != "br" and f in big]
        assert (files[2], "gzip") in answered_first  # too small for them to compress

        async def goes_behind(path, served=lambda: launcher.served_paths):
            behind.clear()
            await answers(KeptFrontEndFirst(counted, served), path, variants["br"])
            return behind == [path]

        assert asyncio.run(goes_behind(files[0], served=lambda: set()))  # a Space not being served
        assert asyncio.run(goes_behind(files[0].replace("index-", "other-")))  # not kept
        behind.clear()
        asyncio.run(answers(first, files[0] + "?v=2", variants["br"]))
        assert behind == [files[0]]  # a query: Gradio's
