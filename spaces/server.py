"""One server for every Space: the landing page at `/`, each Space's Gradio app at `/<name>/`."""

from __future__ import annotations

import secrets
import threading
import time

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from core.common import edge
from spaces.landing import render_landing
from spaces.registry import SpaceInfo, discover, load_app_module


def select(spaces: list[SpaceInfo], only: list[str] | None) -> list[SpaceInfo]:
    if not only:
        return spaces
    known = {s.name for s in spaces}
    unknown = sorted(set(only) - known)
    if unknown:
        raise SystemExit(f"unknown Space(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return [s for s in spaces if s.name in only]


def build_app(only: list[str] | None = None, verbose: bool = True) -> tuple[FastAPI, list[SpaceInfo]]:
    """Import every (selected) Space and mount it; returns the FastAPI app and what it serves."""
    spaces = select(discover(), only)
    app = FastAPI(title="manifold-lab")
    failed: dict[str, str] = {}  # a Space that cannot load is reported, and the others still serve

    @app.get("/", response_class=HTMLResponse)
    def landing() -> str:
        return page

    @app.get("/healthz")
    def health() -> dict:
        return {"spaces": [s.name for s in spaces if s.name not in failed], "failed": failed}

    for space in spaces:
        started = time.perf_counter()
        try:
            module = load_app_module(space)
            mount(app, module.demo, space.path, css=getattr(module, "CSS", None))
        except Exception as error:  # noqa: BLE001 - one line for the teacher, the rest of the class still works
            failed[space.name] = f"{type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}"
            print(f"  ✗ {space.name:<20} could not start: {failed[space.name]}")
            continue
        if verbose:
            print(f"  {space.emoji} {space.name:<20} ready in {time.perf_counter() - started:5.2f} s  -> {space.path}/")
    page = render_landing(spaces, failed)
    return app, spaces


def mount(app: FastAPI, demo: gr.Blocks, path: str, css: str | None = None) -> None:
    """Mount one Space so that it refuses exactly what it refuses when run alone (`core.common.edge.launch`)."""
    edge.harden(demo)
    # root_path makes file URLs (examples, outputs) carry the mount prefix; an app's CSS is its module's
    # CSS string, passed here as its own `edge.launch(demo, css=CSS)` does when it runs alone.
    gr.mount_gradio_app(app, demo, path=path, root_path=path, footer_links=["api", "settings"], css=css,
                        **edge.SERVE_SETTINGS)
    # Gradio checks that an input file was uploaded by a user only once a Blocks "has launched", which
    # `launch()` sets and `mount_gradio_app` does not: without this, a request naming any server file
    # (/etc/passwd) has it copied into the cache and served. Gradio's own reload path sets it the same way.
    demo.has_launched = True


def open_share_tunnel(host: str, port: int, timeout: float = 15.0) -> str | None:
    """Gradio's share tunnel to the combined server; None (with a message) when it can't be made.

    `Blocks.launch(share=True)` tunnels only the one app it serves, so the launcher calls the function that
    launch itself uses (gradio.networking.setup_tunnel) for its own FastAPI app: the one Gradio API we use
    that the docs do not list."""
    from gradio import networking

    result: list[str | Exception] = []

    def connect():
        try:
            result.append(networking.setup_tunnel(host, port, secrets.token_urlsafe(32), None, None))
        except Exception as error:  # offline, blocked, missing frpc binary: all mean "no share link"
            result.append(error)

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(timeout)
    if result and isinstance(result[0], str):
        return result[0]
    reason = result[0] if result else f"no answer in {timeout:.0f} s"
    print(f"Could not create a share link ({reason}); serving locally only.")
    return None
