"""One server for every Space: the landing page at `/`, each Space's Gradio app at `/<name>/`."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
import time
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from core.common import warm_up
from core.common.gradio_patches import KeptFrontEndFirst
from spaces.landing import render_landing, render_waiting
from spaces.registry import SpaceInfo, discover, load_app_module

if TYPE_CHECKING:
    import gradio as gr


def select(spaces: list[SpaceInfo], only: list[str] | None) -> list[SpaceInfo]:
    if not only:
        return spaces
    known = {s.name for s in spaces}
    unknown = sorted(set(only) - known)
    if unknown:
        raise SystemExit(f"unknown Space(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return [s for s in spaces if s.name in only]


class SpaceSlot:
    """What answers at a Space's path: its Gradio app once loaded, a page that says "starting" until then."""

    def __init__(self, space: SpaceInfo, position: int):
        self.space, self.position = space, position
        self.app = None  # the Space's Gradio (FastAPI) app, set by the loader
        self.error: str | None = None
        self.asked = False  # someone opened it before it was ready: load it next

    async def __call__(self, scope, receive, send) -> None:
        if self.app is not None:
            return await self.app(scope, receive, send)
        self.asked = True
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1013})  # "try again later"
        if scope["type"] == "http":
            page = render_waiting(self.space, self.error)
            status = 503 if self.error is None else 500
            await HTMLResponse(page, status_code=status, headers={"Retry-After": "2"})(scope, receive, send)


class Launcher:
    """Loads the Spaces one by one in a thread, each mounted the moment it is ready (lecture order, except
    that a Space someone is waiting for goes next), so the landing page answers at once."""

    def __init__(self, spaces: list[SpaceInfo], verbose: bool = True):
        self.slots = [SpaceSlot(space, i) for i, space in enumerate(spaces, start=1)]
        self.verbose = verbose
        self.started = time.perf_counter()
        self.finished_s: float | None = None
        self.stack = contextlib.AsyncExitStack()  # each Space's own lifespan (queue, cache sweeps)
        self.served_paths: set[str] = set()  # the mount paths of the Spaces being served ("/gan")
        self.stopping = threading.Event()
        self.loaded: list[tuple[str, gr.Blocks]] = []  # (name, demo) of each Space served, in the order loaded
        self.warming: threading.Thread | None = None  # core.common.warm_up's thread, once every Space is loaded

    @property
    def warmed(self) -> bool:
        """Every Space loaded and its default views computed (or warm-up turned off)."""
        return self.finished_s is not None and (self.warming is None or not self.warming.is_alive())

    @property
    def ready(self) -> list[str]:
        return [slot.space.name for slot in self.slots if slot.app is not None]

    @property
    def failed(self) -> dict[str, str]:
        return {slot.space.name: slot.error for slot in self.slots if slot.error is not None}

    def pending(self) -> list[SpaceSlot]:
        waiting = [slot for slot in self.slots if slot.app is None and slot.error is None]
        return sorted(waiting, key=lambda slot: (not slot.asked, slot.position))

    def load_all(self, loop: asyncio.AbstractEventLoop) -> None:
        while not self.stopping.is_set() and (waiting := self.pending()):
            slot, started = waiting[0], time.perf_counter()
            try:
                module = load_app_module(slot.space)
                gradio_app = prepare(module.demo, slot.space.path, css=getattr(module, "CSS", None))
                asyncio.run_coroutine_threadsafe(self.stack.enter_async_context(gradio_app.lifespan()), loop).result(120)
                slot.app = gradio_app.asgi
                self.served_paths.add(slot.space.path)
                self.loaded.append((slot.space.name, module.demo))
            except Exception as error:  # noqa: BLE001 - one line for the teacher, the rest of the class still works
                slot.error = f"{type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}"
                print(f"  ✗ {slot.space.name:<20} could not start: {slot.error}", flush=True)
                continue
            if self.verbose:
                print(f"  {slot.space.emoji} {slot.space.name:<20} ready in {time.perf_counter() - started:5.2f} s"
                      f"  -> {slot.space.path}/", flush=True)
        if not self.stopping.is_set():  # each Space's default views, computed before its first visitor asks
            self.warming = warm_up.warm_in_background(self.loaded)
        self.finished_s = time.perf_counter() - self.started
        if self.verbose and not self.stopping.is_set():
            print(f"{len(self.ready)} of {len(self.slots)} Spaces ready in {self.finished_s:.1f} s", flush=True)

    def wait(self, timeout: float = 600) -> None:
        """Block until every Space has loaded or failed (tests and benches)."""
        deadline = time.monotonic() + timeout
        while self.finished_s is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"Spaces still loading after {timeout:.0f} s: {[s.space.name for s in self.pending()]}")
            time.sleep(0.05)


def build_app(only: list[str] | None = None, verbose: bool = True) -> tuple[KeptFrontEndFirst, Launcher]:
    """The landing page at once; every (selected) Space mounted behind it as it loads, once the server runs.
    The ASGI app returned answers a Space's kept front-end files first (`gradio_patches.KeptFrontEndFirst`);
    its `app` is the FastAPI app behind."""
    from core.common.torch_threads import serve_on_one_thread

    serve_on_one_thread()  # here, in the thread that starts the server: every worker thread inherits it
    launcher = Launcher(select(discover(), only), verbose)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        loop = asyncio.get_running_loop()
        threading.Thread(target=launcher.load_all, args=(loop,), name="space-loader", daemon=True).start()
        async with launcher.stack:
            try:
                yield
            finally:
                launcher.stopping.set()

    app = FastAPI(title="manifold-lab", lifespan=lifespan)

    @app.get("/", response_class=HTMLResponse)
    def landing() -> str:
        return render_landing([slot.space for slot in launcher.slots], launcher.failed, set(launcher.ready))

    @app.get("/healthz")
    def health() -> dict:
        return {"spaces": launcher.ready, "failed": launcher.failed, "loading": [s.space.name for s in launcher.pending()],
                "ready": launcher.finished_s is not None, "warmed": launcher.warmed}

    for slot in launcher.slots:
        app.mount(slot.space.path, slot)
    return KeptFrontEndFirst(app, lambda: launcher.served_paths), launcher


class PreparedSpace:
    """A Space's Gradio app, built as `gr.mount_gradio_app` builds it, with the lifespan it needs to run."""

    def __init__(self, holder: FastAPI):
        from core.common.gradio_patches import mounted_gradio_app

        self.holder = holder
        self.asgi = mounted_gradio_app(holder)

    def lifespan(self):
        # Gradio's lifespan for a mounted app starts its queue and its cache sweeps; entered when the Space
        # is ready, since the server itself started long before.
        return self.holder.router.lifespan_context(self.holder)


def prepare(demo: gr.Blocks, path: str, css: str | None = None) -> PreparedSpace:
    holder = FastAPI()
    mount(holder, demo, path, css=css)
    return PreparedSpace(holder)


def mount(app: FastAPI, demo: gr.Blocks, path: str, css: str | None = None) -> None:
    """Mount one Space so that it refuses exactly what it refuses when run alone (`core.common.edge.launch`)."""
    import gradio as gr  # here, not at the top: the landing page must not wait for Gradio and torch

    from core.common import edge, gradio_patches

    edge.harden(demo)
    # root_path makes file URLs (examples, outputs) carry the mount prefix; an app's CSS is its module's
    # CSS string, passed here as its own `edge.launch(demo, css=CSS)` does when it runs alone.
    gr.mount_gradio_app(app, demo, path=path, root_path=path, footer_links=["api", "settings"], css=css,
                        **edge.serve_settings())
    # Gradio checks that an input file was uploaded by a user only once a Blocks "has launched", which
    # `launch()` sets and `mount_gradio_app` does not: without this, a request naming any server file
    # (/etc/passwd) has it copied into the cache and served.
    gradio_patches.mark_launched(demo)
    gradio_app = gradio_patches.mounted_gradio_app(app)
    gradio_patches.memo_page_routes(gradio_app)  # a page's bytes made once for every visitor
    gradio_patches.memo_static_routes(gradio_app)  # and the front end's files read once


def open_share_tunnel(host: str, port: int, timeout: float = 15.0) -> str | None:
    """Gradio's share tunnel to the combined server; None (with a message) when it can't be made.

    `Blocks.launch(share=True)` tunnels only the one app it serves, so the launcher calls the function that
    launch itself uses for its own FastAPI app (`core.common.gradio_patches.setup_share_tunnel`)."""
    from core.common.gradio_patches import setup_share_tunnel

    result: list[str | Exception] = []

    def connect():
        try:
            result.append(setup_share_tunnel(host, port, secrets.token_urlsafe(32)))
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
