"""Every place the project reaches past Gradio's public API, in one file: each written against Gradio 6.31.0.

Gradio offers no hook for these. Each function says which Gradio internal it replaces or reads, and why we
need it. On a Gradio upgrade, run `tests/test_gradio_patches.py` first: it checks that every internal used
here still exists with the shape assumed below, and fails while the installed Gradio is not `WRITTEN_FOR`.
`core.common.edge` (the checks at the edge) and `spaces.server` (the launcher's mount) call these.

Gradio is imported lazily, inside functions: `core` stays importable without it (trainers, benches).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

WRITTEN_FOR = "6.31.0"  # the Gradio version every patch below was written and tested against


# -- reading a Blocks' events ---------------------------------------------------------------------------

def event_functions(demo) -> list:
    """Every event of a Blocks, as Gradio's `BlockFunction` (`.fn`, `.inputs`, `.batch`, `.name`).

    Gradio 6.31.0: `Blocks.fns` is a dict {fn_index: BlockFunction}; there is no public accessor.
    """
    return list(demo.fns.values())


def has_event(demo, fn_index: int) -> bool:
    """Whether `fn_index` names an event of this Blocks (Gradio 6.31.0: a key of `Blocks.fns`)."""
    return fn_index in demo.fns


# -- patches ----------------------------------------------------------------------------------------------

def wrap_validate_inputs(demo, validate: Callable) -> None:
    """Route every event's raw inputs through `validate(original, block_fn, inputs)`.

    Replaces (on this instance) Gradio 6.31.0's `Blocks.validate_inputs(self, block_fn, inputs)`, which
    `Blocks.preprocess_data` (from `process_api`, for every event) calls on the raw payload before any
    component's preprocess; Gradio's own version only checks that enough inputs came. `original` is that bound
    method, for `validate` to call.
    """
    original = demo.validate_inputs

    def validate_inputs(block_fn, inputs):
        return validate(original, block_fn, inputs)

    demo.validate_inputs = validate_inputs


def wrap_handlers(demo, wrap: Callable[[Callable], Callable]) -> None:
    """Replace every plain (not async) event handler `fn` by `wrap(fn)`.

    Replaces Gradio 6.31.0's `BlockFunction.fn` in place: the function the queue calls for an event. Gradio
    reads a handler's special arguments (gr.Request, gr.Progress) through `inspect.signature`, which follows
    the wrapper's `__wrapped__` (functools.wraps), so `wrap` must keep it.
    """
    import inspect

    for block_fn in event_functions(demo):
        if block_fn.fn is not None and not inspect.iscoroutinefunction(block_fn.fn):
            block_fn.fn = wrap(block_fn.fn)


def expire_cache(demo, expiry: tuple[int, int]) -> None:
    """Sweep the files a Blocks serves every `expiry[0]` s, deleting those older than `expiry[1]` s, unless the
    app chose its own setting.

    Sets Gradio 6.31.0's `Blocks.delete_cache` after construction (it is a constructor argument); Gradio reads it
    when it builds the app (`routes.App.create_app`), i.e. at `launch` or `mount_gradio_app`, which come later.
    """
    if demo.delete_cache is None:
        demo.delete_cache = expiry


def refuse_unknown_events(demo, message: Callable[[int], str]) -> None:
    """Answer a queue request for an event this Blocks does not have with `message(fn_index)` (HTTP 400), not
    with a KeyError inside Gradio's queue (HTTP 500).

    Replaces (on this instance's queue) Gradio 6.31.0's `Queue.push(self, body, request, username)`, a coroutine
    returning (ok, message_or_data, status); it looks the event up by `body.fn_index` with no check. The queue
    object is `Blocks._queue`, made in `Blocks.__init__`: no public hook exists.
    """
    queue = demo._queue
    push = queue.push

    async def push_known(body, request, username):
        if body.fn_index is not None and not has_event(demo, body.fn_index):
            return False, message(body.fn_index), "error"
        return await push(body=body, request=request, username=username)

    queue.push = push_known


def mark_launched(demo) -> None:
    """Turn on Gradio's own check that an input file was uploaded by a user, for a Blocks that was mounted.

    Sets Gradio 6.31.0's `Blocks.has_launched`, which `Blocks.launch()` sets and `gr.mount_gradio_app` does
    not; `processing_utils._check_allowed` skips every path check while it is False, so without it a request
    naming any server file (/etc/passwd) has it copied into the cache and served. Gradio's own reload path
    (`utils.SourceFileReloader`) sets it the same way.
    """
    demo.has_launched = True


# -- Gradio internals we read or call ----------------------------------------------------------------------

def mounted_gradio_app(holder):
    """The Gradio app (a FastAPI `gradio.routes.App`) that `gr.mount_gradio_app(holder, ...)` just mounted.

    Gradio 6.31.0's `mount_gradio_app` ends with `holder.mount(path, gradio_app)`: the app is the last route's
    `.app`; the function returns the holder, not the Gradio app.
    """
    return holder.router.routes[-1].app


def upload_folder() -> Path:
    """Where Gradio keeps uploads and the files it serves (Gradio 6.31.0: `gradio.utils.get_upload_folder`)."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder())


def is_inside(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or inside it, symlinks resolved as Gradio's own checks do
    (Gradio 6.31.0: `gradio.utils.is_in_or_equal`)."""
    from gradio.utils import is_in_or_equal

    return is_in_or_equal(path, folder)


def setup_share_tunnel(host: str, port: int, token: str) -> str:
    """A share link (https://*.gradio.live) to any local server; raises when it cannot be made.

    `Blocks.launch(share=True)` tunnels only the one app it serves; the launcher calls the function launch itself
    uses, Gradio 6.31.0's `gradio.networking.setup_tunnel(local_host, local_port, share_token,
    share_server_address, share_server_tls_certificate)`, with Gradio's default share server.
    """
    from gradio import networking

    return networking.setup_tunnel(host, port, token, None, None)
