"""One server for every Space: the landing page at `/`, each Space's Gradio app at `/<name>/`."""

from __future__ import annotations

import secrets
import threading
import time

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

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
    page = render_landing(spaces)

    @app.get("/", response_class=HTMLResponse)
    def landing() -> str:
        return page

    @app.get("/healthz")
    def health() -> dict:
        return {"spaces": [s.name for s in spaces]}

    for space in spaces:
        started = time.perf_counter()
        module = load_app_module(space)
        # root_path makes file URLs (examples, outputs) carry the mount prefix; an app's CSS is its
        # module's CSS string, passed here as its own `demo.launch(css=CSS)` does when it runs alone.
        gr.mount_gradio_app(app, module.demo, path=space.path, root_path=space.path, footer_links=["api", "settings"],
                            css=getattr(module, "CSS", None))
        if verbose:
            print(f"  {space.emoji} {space.name:<20} ready in {time.perf_counter() - started:5.2f} s  -> {space.path}/")
    return app, spaces


def open_share_tunnel(host: str, port: int, timeout: float = 15.0) -> str | None:
    """Gradio's share tunnel to the combined server; None (with a message) when it can't be made."""
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
