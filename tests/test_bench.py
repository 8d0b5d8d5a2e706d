"""The latency bench's per-Space cases name handlers that exist: a renamed handler must not break `python -m bench`."""

import ast
import re
from pathlib import Path

import pytest

from spaces.registry import discover

BENCH_SPACES = Path(__file__).resolve().parents[1] / "bench" / "spaces"


def top_level_names(source: str) -> set[str]:
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):  # a Space's own module beside app.py, or a helper
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


@pytest.mark.parametrize("bench_file", sorted(BENCH_SPACES.glob("[!_]*.py")), ids=lambda p: p.stem)
def test_every_handler_a_bench_case_calls_is_defined_by_its_space(bench_file):
    spaces = {space.name: space for space in discover()}
    name = bench_file.stem.replace("_", "-")
    assert name in spaces, f"bench/spaces/{bench_file.name} has no Space named {name}"
    defined = top_level_names(spaces[name].app_file.read_text())
    used = set(re.findall(r"\bapp\.(\w+)", bench_file.read_text()))
    assert used and used <= defined, f"{bench_file.name} calls app.{sorted(used - defined)}, which {name}'s app.py lacks"


def test_the_lecture_benchs_browser_reads_every_body_on_one_connection_and_refuses_a_failed_file():
    """`fetch_as_a_browser` speaks raw HTTP/1.1: bodies by length or in chunks, one kept-alive connection, an error
    for anything but 200."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from bench.lecture_clicks import fetch_as_a_browser

    connections, paths = set(), []

    class Files(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            connections.add(self.client_address)
            paths.append((self.path, self.headers.get("accept-encoding")))
            if self.path == "/chunked.js":
                self.send_response(200)
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for part in (b"a" * 300, b"b" * 5):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.write(b"0\r\n\r\n")
                return
            body = b"x" * 1000 if self.path != "/missing.js" else b"not found"
            self.send_response(200 if self.path != "/missing.js" else 404)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert fetch_as_a_browser([f"{base}/chunked.js", f"{base}/a.js", f"{base}/b.css?v=1"]) == b"a" * 300 + b"b" * 5
        paths.clear()
        assert fetch_as_a_browser([f"{base}/a.js", f"{base}/chunked.js", f"{base}/b.css?v=1"]) == b"x" * 1000
        assert [p for p, _ in paths] == ["/a.js", "/chunked.js", "/b.css?v=1"] and len(connections) == 2  # one each
        assert all("br" in encoding for _, encoding in paths)
        with pytest.raises(RuntimeError, match="missing.js: HTTP 404"):
            fetch_as_a_browser([f"{base}/a.js", f"{base}/missing.js"])
    finally:
        server.shutdown()


def test_the_lecture_benchs_browser_reads_the_config_from_the_page_as_gradios_front_end_does():
    from bench.lecture_clicks import config_in_page

    page = b'<html><script>window.gradio_config = {"a": [1, "};</script>"], "b": {}};</script></html>'
    assert config_in_page(page) == {"a": [1, "};</script>"], "b": {}}


def test_the_browser_walk_and_the_lecture_bench_walk_every_space_and_the_same_lesson():
    """Both benches of issue 31 cover every Space, and the browser's lesson is the API bench's, action for action."""
    from bench.browser_walk import WALK
    from bench.lecture_clicks import ACTION_NAMES, LESSONS

    spaces = {space.name for space in discover()}
    assert set(WALK) == set(LESSONS) == spaces
    assert {space: len(steps) for space, steps in WALK.items()} == {space: len(names) for space, names in ACTION_NAMES.items()}
