"""The teacher's walk in a real browser: every Space's page, then its lesson's default clicks, timed in Chromium.

    python -m bench.browser_walk                 # two busy processes beside the server, as issue 31 asks
    python -m bench.browser_walk --busy 0 --only gan pca

Issue 31's "done when": the walk through every Space, "redone in a browser on a server with two other busy
processes: every preset lesson shows its outcome, no default action over 2 s". The launcher serves every Space
(offline: bundled weights), `--busy` processes spin beside it (`while True: pass`), and headless Chromium (Debian's)
opens each Space in a fresh context (an empty cache, as a student's first visit). Each action has two times:
*shown*, when its answer has arrived and nothing is pending (for a page view: its link is read, its one load event
has answered), and *drawn*, when the page last changed (plots are drawn after their event has answered); the goal
is for *drawn*.

The walk is made twice on the same server: the teacher's first (the server has started and computed its pages'
default views, `core.common.warm_up`, as before a lecture; the browser just started, and the front end's files are
read and compressed once for every Space) and a student's after it, which the goal is for; for the student's, the
CPU seconds the server and Chromium spent. Chromium runs on the same two cores, so its own work (scripts, layout,
decoding, drawing) is counted too: a harder test than a class's laptops. With no GPU here, its GPU process
composites every frame and runs WebGL (Gradio's image editor, 3-D plots) in software; that share, which a laptop's
GPU does, has a column of its own.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import tempfile

from bench.class_load import busy_beside, start_launcher
from bench.launcher import cpu_s
from bench.toolkit.ports import free_port

GOAL_S = 2.0
# a page is ready once its link is read (`core.common.links`: the load event answered; a Space without a link: its
# title is shown), nothing is pending and every image has arrived
READY = ("() => { const linked = (window.gradio_config?.dependencies || []).some(d => String(d.js || '')"
         ".includes('manifoldLinkRead')); return (linked ? window.manifoldLinkRead === true : "
         "!!document.querySelector('h1')) && !document.querySelector('.pending, .eta-bar, .generating') "
         "&& [...document.images].every(i => i.complete); }")
IDLE = "() => !document.querySelector('.pending, .eta-bar, .generating')"
# Two ends of an action. Shown: its answer has arrived and nothing is pending (READY for a page view, IDLE for a
# click). Drawn: the page last changed. Gradio draws a plot after its event has answered and nothing is pending any
# more (Plotly's chunk is compiled, then it draws: 0.5-3 s under load, which "shown" alone left to the next
# action's time). The page's every change is watched; once it has been still for QUIET_MS, the action was drawn at
# its last change, in the page's own clock (since its navigation began, for a page view).
QUIET_MS = 3000  # Plotly's chunk is compiled before it draws: idle, 1.3 s without a change; under load, more
# (not the screen reader's status line: Gradio writes "complete" there and clears it a second later, unseen)
WATCH = ("() => { if (!window.manifoldWatch) { window.manifoldWatch = new MutationObserver(records => { "
         "if (records.some(r => !(r.target.nodeType === 3 ? r.target.parentElement : r.target)?.closest('.sr-only'))) "
         "window.manifoldLastChange = performance.now(); }); window.manifoldWatch.observe(document, {subtree: true, "
         "childList: true, attributes: true, characterData: true}); window.manifoldLastChange = performance.now(); } }")
QUIET = f"() => performance.now() - window.manifoldLastChange > {QUIET_MS}"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]


def click(name: str):
    return lambda page: page.get_by_role("button", name=name).locator("visible=true").first.click()


def tab(name: str):
    return lambda page: page.get_by_role("tab", name=name).click()


def first_example(page) -> None:
    page.locator(".gallery-item:visible").first.click()


def choose(label: str):
    """Pick the second option of the dropdown labelled `label`."""
    def pick(page):
        page.get_by_label(label).click()
        page.get_by_role("option").nth(1).click()
    return pick


def radio(name):
    return lambda page: page.get_by_role("radio", name=name).click()


def example_then_translate(page) -> None:
    """pix2pix's lesson: an example label map into the painter, then Translate (timed together, as one action)."""
    first_example(page)
    page.wait_for_timeout(100)
    page.wait_for_function(IDLE, timeout=120_000)
    click("Translate")(page)


# Each Space's lesson after its page: (action, what to set up first (untimed), the timed click), as
# bench.lecture_clicks' LESSONS do through the API.
WALK = {
    "pca": [],
    "image-manifold": [("train autoencoder", None, click(re.compile("Train a small autoencoder")))],
    "autoencoder": [("reconstruct", None, click("Encode and decode")),
                    ("sample prior", tab("VAE: filling the holes"), click("Decode random codes"))],
    "denoising": [("example -> denoise", None, first_example)],
    "colorization": [("example -> colourize", None, first_example)],
    "super-resolution": [("example -> super-resolve", None, first_example)],
    "pix2pix": [("example -> facades", tab("Labels → facade"), example_then_translate)],
    "gan": [("faces grid", None, click("Show these faces")),
            ("lab preset replay", tab("2-D GAN lab"), choose("Lesson preset"))],
    "which-face-is-real": [("new game", None, click("New game")), ("guess", None, click("A is real"))],
    "diffusion": [],
    "image-prediction": [("example -> label a street", None, first_example),
                         ("example -> face depth", tab("Depth"), first_example)],
    "style-transfer": [("one pass (another painting)", tab("One pass (Johnson)"), radio(re.compile("Hokusai")))],
}


def browser_cpu_s() -> tuple[float, float]:
    """CPU seconds of this process's Chromium processes (those alive now: a page's renderer lives as long as its
    context): all of them, and its GPU process's alone. With no GPU, that process composites the page and runs
    WebGL (Gradio's image editor) in software: measured on pix2pix, 2-4 CPU-s for each change of a page with image
    editors, work a laptop hands to its GPU."""
    import psutil

    total = gpu = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" in child.name():
                times = child.cpu_times()
                total += times.user + times.system
                if "--type=gpu-process" in child.cmdline():
                    gpu += times.user + times.system
        except psutil.Error:  # exited meanwhile
            continue
    return total, gpu


def walk(browser, base: str, space: str, server_pid: int) -> list[tuple[str, float, float, float, float, float]]:
    """(action, seconds until shown, seconds until drawn, the server's CPU seconds, Chromium's CPU seconds, its GPU
    process's) for one visitor's walk of a Space."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})  # an empty cache
    page = context.new_page()
    rows = []

    def timed(name, steps):
        """`steps()` does the action and returns (seconds until shown, until drawn), in the page's clock."""
        server, (chromium, gpu) = cpu_s(server_pid), browser_cpu_s()
        shown, drawn = steps()
        chromium_after, gpu_after = browser_cpu_s()
        rows.append((name, shown, drawn, cpu_s(server_pid) - server, chromium_after - chromium, gpu_after - gpu))

    def now_ms() -> float:
        return page.evaluate("performance.now()")

    def drawn_s(started_ms: float, shown_s: float) -> float:
        """Seconds from `started_ms` (page clock) to the page's last change, once it has been still."""
        page.wait_for_function(QUIET, timeout=180_000)
        return max(shown_s, (page.evaluate("window.manifoldLastChange") - started_ms) / 1000)

    def page_view():
        page.goto(f"{base}/{space}/")
        page.wait_for_function(READY, timeout=180_000)
        page.evaluate(WATCH)
        # a page without a link: its load events start a moment after its title shows (READY holds in between)
        page.wait_for_timeout(100)
        page.wait_for_function(READY, timeout=180_000)
        shown = (now_ms() - 100) / 1000  # since the navigation's start, less the wait above
        return shown, drawn_s(0.0, shown)

    def clicked(action):
        def steps():
            page.evaluate(WATCH)
            started_ms = now_ms()
            action(page)
            page.wait_for_timeout(100)  # the front end marks the outputs pending as it sends the event
            page.wait_for_function(IDLE, timeout=120_000)
            shown = (now_ms() - started_ms) / 1000
            return shown, drawn_s(started_ms, shown)
        return steps

    try:
        timed("page view", page_view)
        for name, setup, action in WALK[space]:
            if setup is not None:  # untimed, and drawn before the action starts
                setup(page)
                page.wait_for_timeout(300)
                page.wait_for_function(f"() => ({IDLE})() && ({QUIET})()", timeout=120_000)
            timed(name, clicked(action))
        return rows
    finally:
        context.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.browser_walk", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--busy", type=int, default=2, help="processes spinning beside the server")
    parser.add_argument("--only", nargs="+", choices=list(WALK), default=list(WALK))
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = {"GRADIO_TEMP_DIR": tempfile.mkdtemp(prefix="walk-gradio-"), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    server = start_launcher(args.only, port, extra_env=env, warmed=True)  # a teacher arrives after the warm-up
    base = f"http://127.0.0.1:{port}"
    print(f"Chromium, one visitor at a time, {args.busy} busy processes beside the server; {os.cpu_count()} cores\n")
    header = (f"{'space':<20} {'action':<28} {'teacher: drawn s':>16} {'student: shown s':>16} {'drawn s':>7} "
              f"{'server CPU s':>12} {'Chromium CPU s':>14} {'of it GPU process':>17}  goal (student drawn) <= {GOAL_S:g} s")
    print(header)
    print("-" * len(header))
    try:
        with busy_beside(args.busy), sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                                 headless=True, args=CHROMIUM_ARGS)
            for space in args.only:
                first, again = walk(browser, base, space, server.pid), walk(browser, base, space, server.pid)
                for (name, _, teacher_drawn, *_), (_, shown, drawn, server_cpu, chromium_cpu, gpu_cpu) in zip(
                        first, again, strict=True):
                    verdict = "ok" if drawn <= GOAL_S else "OVER"
                    print(f"{space:<20} {name:<28} {teacher_drawn:>16.2f} {shown:>16.2f} {drawn:>7.2f} "
                          f"{server_cpu:>12.2f} {chromium_cpu:>14.2f} {gpu_cpu:>17.2f}  {verdict}", flush=True)
            browser.close()
    finally:
        server.kill()
        server.wait(30)


if __name__ == "__main__":
    main()
