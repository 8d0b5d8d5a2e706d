"""A lecture's clicks, by a whole class at once: every Space's page view and default actions, 30 clients together.

    python -m bench.lecture_clicks                    # 30 clients, every Space
    python -m bench.lecture_clicks --clients 10 --only gan pca
    python -m bench.lecture_clicks --busy 2           # two busy processes beside the server, as issue 31 asks

What a student does when the teacher says "open the Space": the page loads (every load event and what it
chains, at default values), then the lesson's first clicks at default settings: an example photo (denoise,
colourise, super-resolve, facades, label a street, lift a face's depth), a button (train the small autoencoder,
reconstruct a digit, show faces), a GAN-lab preset, a quiz round, a painting's one pass. The teacher opens each Space first (one client: caches fill, as before a lecture);
then every client does the same at once. Reported per action: p50/p95 seconds and errors. Goal (issue 31):
no default action over 2 s at p95.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time

from bench.class_load import busy_beside, start_launcher
from bench.launcher import cpu_s
from bench.soak import percentile
from bench.toolkit.ports import free_port
from bench.toolkit.raw_gradio import Answer, RawGradio

GOAL_P95_S = 2.0


def front_end_files(base: str, space: str) -> list[str]:
    """What a browser with an empty cache fetches for a Space's page besides the page: its front end's scripts,
    styles and fonts (about 80 files, most of them loaded by the page's own scripts, so recorded here once, in
    headless Chromium)."""
    import shutil

    from playwright.sync_api import sync_playwright

    from bench.toolkit.pages import settled

    urls: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                             headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.on("request", lambda request: urls.append(request.url))
        page.goto(f"{base}/{space}/")
        page.locator("h1").first.wait_for(timeout=120_000)
        settled(page)
        browser.close()
    return [url for url in dict.fromkeys(urls) if any(part in url for part in ("/assets/", "/static/", "/theme.css"))]


def config_in_page(page: bytes) -> dict:
    """The config a Gradio page carries (`window.gradio_config = {...};`), as its front end reads it."""
    text = page.decode()
    start = text.index("window.gradio_config = ") + len("window.gradio_config = ")
    return json.JSONDecoder().raw_decode(text, start)[0]


def fetch_as_a_browser(urls: list[str]) -> bytes:
    """GET each URL on one kept-alive connection, Brotli accepted as browsers ask, the bodies read but not
    decoded: decoding happens on a student's own laptop, and here it would take the server's cores. Returns the
    first body, decoded (the page: a browser reads its config).

    Raw HTTP/1.1 on a socket: the 30 simulated browsers run on the server's two cores, so what they spend is taken
    from the server. httpx (which decodes) cost this process more CPU than the server spent answering; http.client
    still spent most of a page's client time parsing headers through the `email` package."""
    import socket
    from urllib.parse import urlsplit

    first_body = b""
    first = urlsplit(urls[0])
    with socket.create_connection((first.hostname, first.port), timeout=120) as connection, \
            connection.makefile("rb") as reader:
        for index, url in enumerate(urls):
            parts = urlsplit(url)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            connection.sendall(f"GET {target} HTTP/1.1\r\nhost: {parts.netloc}\r\n"
                               "accept-encoding: gzip, deflate, br\r\n\r\n".encode("latin-1"))
            status = reader.readline().split(b" ", 2)
            length, chunked, encoding = None, False, b""
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding":
                    chunked = b"chunked" in value.lower()
                elif name == b"content-encoding":
                    encoding = value.strip().lower()
            if chunked:
                body = []
                while (size := int(reader.readline().split(b";")[0], 16)) > 0:
                    body.append(reader.read(size))
                    reader.read(2)  # the chunk's CRLF
                reader.readline()  # the last chunk's CRLF (no trailers)
                body = b"".join(body)
            elif length is not None:
                body = reader.read(length)
            else:
                raise RuntimeError(f"GET {url}: a response with neither a length nor chunks")
            if len(status) < 2 or status[1] != b"200":
                raise RuntimeError(f"GET {url}: HTTP {b' '.join(status[1:]).decode('latin-1').strip()}")
            if index == 0:
                first_body = _decoded(body, encoding)
    return first_body


def _decoded(body: bytes, encoding: bytes) -> bytes:
    if encoding == b"br":
        import brotli

        return brotli.decompress(body)
    if encoding in (b"gzip", b"deflate"):
        import zlib

        return zlib.decompress(body, 16 + zlib.MAX_WBITS if encoding == b"gzip" else zlib.MAX_WBITS)
    return body


class Student:
    """One client on one Space, with its own session; `files`: the front end it fetches first, as a browser
    with an empty cache does (none: a page view is the config and the load events only)."""

    def __init__(self, base: str, space: str, session: str, files: list[str] | None = None):
        self.client, self.session = RawGradio(f"{base}/{space}"), session
        if files is not None:  # the page, then its front end; a browser reads the config from the page's HTML
            page = fetch_as_a_browser([f"{base}/{space}/", *files])
            self.client._config = config_in_page(page)
        self.dependencies = self.client.config["dependencies"]
        self.components = {c["id"]: c for c in self.client.config["components"]}

    def run(self, dependency: dict, replace: dict[int, object] | None = None) -> Answer:
        inputs = [self.components[i] for i in dependency["inputs"]]
        values = [replace.get(i) if replace and i in replace else
                  (None if c["type"] in ("state", "browserstate") else c["props"].get("value"))
                  for i, c in zip(dependency["inputs"], inputs, strict=True)]
        return self.client.call(dependency["id"], values, self.session)

    def page_view(self) -> list[Answer]:
        """Every load event, then the events they chain (`.then`), in order, at default values."""
        answers, ran = [], set()
        pending = [d for d in self.dependencies if any(t[1] == "load" for t in d.get("targets", []))]
        while pending:
            dependency = pending.pop(0)
            if dependency.get("backend_fn"):
                answers.append(self.run(dependency))
            ran.add(dependency["id"])
            pending += [d for d in self.dependencies if d.get("trigger_after") == dependency["id"] and d["id"] not in ran]
        return answers

    def click(self, api_name: str, replace_by_label: dict[str, object] | None = None) -> Answer:
        dependency = next(d for d in self.dependencies if d.get("api_name") == api_name)
        replace = {}
        for label, value in (replace_by_label or {}).items():
            component = next(i for i in dependency["inputs"] if self.components[i]["props"].get("label") == label)
            replace[component] = value
        return self.run(dependency, replace)

    def example_then(self, api_name: str, example: int = 0) -> list[Answer]:
        """Click an example (Gradio's examples event fills the input), then the action that uses it."""
        target = next(d for d in self.dependencies if d.get("api_name") == api_name)
        image_input = next(i for i in target["inputs"] if self.components[i]["type"] in ("image", "imageeditor"))
        loader = next(d for d in self.dependencies
                      if str(d.get("api_name", "")).startswith("load_example") and image_input in d["outputs"])
        filled = self.run(loader, {loader["inputs"][0]: example})
        if not filled.ok:
            return [filled]
        value = filled.data[loader["outputs"].index(image_input)]
        value = value.get("value", value) if isinstance(value, dict) and "__type__" in value else value
        return [filled, self.run(target, {image_input: value})]


def first_preset(student: Student) -> str:
    dropdown = next(c for c in student.components.values() if c["props"].get("label") == "Lesson preset")
    return dropdown["props"]["choices"][0][1]


# What a class does in each Space at default settings, after the page view.
LESSONS = {
    "pca": [],
    "image-manifold": [lambda s: s.click("train_autoencoder")],
    "autoencoder": [lambda s: s.click("reconstruct"), lambda s: s.click("sample_prior")],
    "denoising": [lambda s: s.example_then("denoise")],
    "colorization": [lambda s: s.example_then("colorize")],
    "super-resolution": [lambda s: s.example_then("super_resolve")],
    "pix2pix": [lambda s: s.example_then("facades")],
    "gan": [lambda s: s.click("sample_faces"), lambda s: s.click("gan_lab_preset", {"Lesson preset": first_preset(s)})],
    "which-face-is-real": [lambda s: s.click("new_game", {"Class code (optional)": ""}),
                           lambda s: s.click("guess_left")],
    "diffusion": [],
    "image-prediction": [lambda s: s.example_then("label_street"), lambda s: s.example_then("face_depth")],
    "style-transfer": [lambda s: s.click("one_pass")],
}
ACTION_NAMES = {"pca": [], "image-manifold": ["train autoencoder"], "autoencoder": ["reconstruct", "sample prior"],
                "denoising": ["example -> denoise"], "colorization": ["example -> colourize"],
                "super-resolution": ["example -> super-resolve"], "pix2pix": ["example -> facades"],
                "gan": ["faces grid", "lab preset replay"], "which-face-is-real": ["new game", "guess"],
                "diffusion": [], "image-prediction": ["example -> label a street", "example -> face depth"],
                "style-transfer": ["one pass (example photo)"]}


def lesson(base: str, space: str, session: str, files: list[str] | None = None) -> list[tuple[str, float, bool, str | None]]:
    """(action, seconds, ok, error) for one student's page view and clicks in one Space."""
    results = []
    started = time.perf_counter()
    student = Student(base, space, session, files)
    answers = student.page_view()
    results.append((PAGE_VIEW if files is not None else "page view (load events)", time.perf_counter() - started, all(a.ok for a in answers),
                    next((a.message or a.status for a in answers if not a.ok), None)))
    for name, action in zip(ACTION_NAMES[space], LESSONS[space], strict=True):
        started = time.perf_counter()
        answer = action(student)
        answers = answer if isinstance(answer, list) else [answer]
        results.append((name, time.perf_counter() - started, all(a.ok for a in answers),
                        next((a.message or a.status for a in answers if not a.ok), None)))
    student.client.close()
    return results


PAGE_VIEW = "page view (page, files, loads)"


def class_at_once(base: str, space: str, clients: int, files: list[str] | None = None) -> dict[str, list]:
    timings: dict[str, list] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def one(index: int):
        barrier.wait()
        try:
            rows = lesson(base, space, f"student{index:03d}{os.getpid()}", files)
        except Exception as error:  # noqa: BLE001 - a dropped connection is an error to count
            rows = [("(client)", 0.0, False, repr(error))]
        with lock:
            for name, seconds, ok, error in rows:
                timings.setdefault(name, []).append((seconds, ok, error))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lecture_clicks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--only", nargs="+", choices=list(LESSONS), default=list(LESSONS))
    parser.add_argument("--busy", type=int, default=0,
                        help="processes spinning beside the server, started once it has warmed up (as a lecture's "
                             "load arrives after the start: the warm-up runs at the lowest priority and would wait)")
    parser.add_argument("--no-front-end", dest="front_end", action="store_false",
                        help="a page view without the page and its front-end files (the config and load events only)")
    args = parser.parse_args(argv)

    port = free_port()
    env = {"GRADIO_TEMP_DIR": tempfile.mkdtemp(prefix="lecture-gradio-"),
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    process = start_launcher(args.only, port, extra_env=env, warmed=True)  # a class arrives after the warm-up
    base = f"http://127.0.0.1:{port}"
    print(f"{args.clients} clients at once per Space, after the teacher's first visit; {os.cpu_count()} cores, "
          f"{args.busy} busy processes beside the server; a page view "
          f"{'fetches the page and its front end as an empty browser cache does, then' if args.front_end else 'fetches'} "
          "the config and runs the load events\n")
    header = f"{'space':<20} {'action':<28} {'teacher s':>9} {'p50 s':>7} {'p95 s':>7} {'errors':>6}  goal p95 <= {GOAL_P95_S:g} s"
    print(header)
    print("-" * len(header))
    try:
        with busy_beside(args.busy):
            for space in args.only:
                files = front_end_files(base, space) if args.front_end else None
                teacher = {name: seconds for name, seconds, *_ in lesson(base, space, f"teacher{os.getpid()}", files)}
                server_before, clients_before = cpu_s(process.pid), time.process_time()
                timings = class_at_once(base, space, args.clients, files)
                server_cpu, clients_cpu = cpu_s(process.pid) - server_before, time.process_time() - clients_before
                for name, rows in timings.items():
                    seconds = [s for s, *_ in rows]
                    errors = [e for _, ok, e in rows if not ok]
                    p95 = percentile(seconds, 0.95)
                    print(f"{space:<20} {name:<28} {teacher.get(name, float('nan')):>9.2f} {statistics.median(seconds):>7.2f} "
                          f"{p95:>7.2f} {len(errors):>6}  {'ok' if p95 <= GOAL_P95_S and not errors else 'OVER'}",
                          flush=True)
                    for error in errors[:2]:
                        print(f"{'':<20}   error: {str(error)[:150]}")
                # the server's own share: the clients run on the same cores, a class's browsers would not
                print(f"{space:<20} {'(server CPU, whole class)':<28} {server_cpu:>9.2f} s, "
                      f"{server_cpu / args.clients * 1000:.0f} ms a student; the clients took {clients_cpu:.2f} s", flush=True)
    finally:
        process.kill()
        process.wait(30)


if __name__ == "__main__":
    main()
