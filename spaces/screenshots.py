"""Screenshots of every Space at its default state, for the README: what a shared link opens.

    python -m spaces.screenshots            # writes spaces/<name>/screenshot.png (800 px wide)

Serves the Spaces with the launcher (offline: the bundled weights), opens each in headless Chromium
(Debian's, as the browser tests do), waits until its load events have finished, and saves the top of
the page, downscaled and palette-quantized so each file stays small.
"""

from __future__ import annotations

import argparse
import os
import shutil
import threading
import time

from PIL import Image

from bench.toolkit.pages import settled
from spaces.registry import discover

WIDTH, HEIGHT, SAVED_WIDTH = 1280, 1100, 800
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]


def serve() -> tuple[str, object]:
    import uvicorn

    from bench.toolkit.ports import free_port
    from spaces.server import build_app

    app, launcher = build_app(verbose=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    launcher.wait()
    return f"http://127.0.0.1:{port}", server


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m spaces.screenshots", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", metavar="NAME")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from playwright.sync_api import sync_playwright

    url, server = serve()
    spaces = [s for s in discover() if not args.only or s.name in args.only]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                             headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        for space in spaces:
            page.goto(f"{url}/{space.name}/")
            page.locator("h1").first.wait_for(timeout=60_000)
            settled(page, timeout_s=180)  # one idle check caught six pages mid-load on a busy machine
            page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=60_000)
            page.wait_for_timeout(500)  # plots draw after their data arrives
            target = space.folder / "screenshot.png"
            page.screenshot(path=str(target))
            shot = Image.open(target).convert("RGB")
            shot = shot.resize((SAVED_WIDTH, round(shot.height * SAVED_WIDTH / shot.width)), Image.Resampling.LANCZOS)
            shot.quantize(colors=192, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
            print(f"{space.name:<20} {target} ({target.stat().st_size / 1024:.0f} KB)")
        browser.close()
    server.should_exit = True
    os._exit(0)  # the launcher's daemon threads (Spaces' queues, torch pools) need no orderly shutdown here


if __name__ == "__main__":
    main()
