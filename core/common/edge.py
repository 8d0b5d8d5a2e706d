"""The edge between a client and our code: every payload is checked before Gradio or a handler touches it.

Anything a browser or a script sends is hostile. `harden(demo)` makes a Space refuse, with a message that
names the control, what its components do not allow: numbers that are NaN, infinite, out of a slider's
range or not whole where they must be; a choice that is not offered; files that were not uploaded, are no
image, or have too many pixels. Handlers' own `ValueError`s (ours: `UserInputError`, `ImageInputError`)
become `gr.Error` messages. `launch(demo)` (a Space run alone) and the launcher's mount both go through
`harden` and `serve_settings()`, so the two refuse exactly the same requests. What one visitor may take (jobs
in flight, bodies, session ids, uploads) is `core.common.limits`; sweeping files and freeing sessions while a
Space serves, `core.common.upkeep`. What this needs from Gradio's internals (no public hook exists) is in
`core.common.gradio_patches`, checked against the installed Gradio.

Gradio is imported lazily: `core` stays importable without it (trainers, benches).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import math
import numbers
import os
import threading
import uuid
from pathlib import Path

import numpy as np

from core.common import gradio_patches, memory, warm_up
from core.common.images import ImageInputError, probe_image
from core.common.log import log, show_log
from core.common.torch_threads import serve_on_one_thread
from core.common.upkeep import FILE_AGE_S, SWEEP_EVERY_S, keep_newest

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_TEXT_LENGTH = 1_000  # a seed list or a query, never an essay
MAX_EDITOR_PIXELS = 4096 * 4096  # a drawing canvas is 512 px; its layers are decoded in full by Gradio
# One editor request: background, composite and at most MAX_EDITOR_LAYERS layers (our canvases use one), all
# decoded by Gradio; the pixel cap is per part, so without a count 30 copies of one upload took +2.2 GB.
MAX_EDITOR_LAYERS = 2
CACHE_EXPIRY = (SWEEP_EVERY_S, FILE_AGE_S)  # (sweep every, delete files older than) seconds, by core.common.upkeep
# Launch settings shared by a Space run alone and by the launcher: the same upload cap, and errors that
# are not ours (gr.Error) reach the client as a bare "Error", never as a traceback or a server path.
SERVE_SETTINGS = {"max_file_size": MAX_UPLOAD_BYTES, "show_error": False}


def serve_settings() -> dict:
    """SERVE_SETTINGS plus what Gradio's app is built with, fresh per app (Gradio edits `app_kwargs`): the
    front-end files kept in memory and the visitor limits in front of every route, and the upkeep (sweep,
    session janitor) while it serves."""
    from starlette.middleware import Middleware

    from core.common.gradio_patches import KeptFrontEnd
    from core.common.limits import VisitorLimits
    from core.common.upkeep import upkeep_lifespan

    # ours, outermost first (Gradio adds its CORS and Brotli layers outside them): a kept front-end file is
    # answered before the limits and the router look at the request
    middleware = [Middleware(KeptFrontEnd), Middleware(VisitorLimits)]
    return {**SERVE_SETTINGS, "app_kwargs": {"middleware": middleware, "lifespan": upkeep_lifespan}}


class UserInputError(ValueError):
    """A value a user (or a client) sent that we cannot use; the message says what to send instead."""


# -- checks a handler can call on values it derives itself -------------------------------------------

def number(value, label: str, minimum: float | None = None, maximum: float | None = None,
           integer: bool = False) -> float | int:
    """A finite real number within [minimum, maximum] (an int when `integer`), or UserInputError."""
    bounds = _bounds_text(minimum, maximum)
    if value is None or isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise UserInputError(f"{label}: enter a number{bounds}.")
    if not math.isfinite(value):
        raise UserInputError(f"{label}: {value} is not a usable number; enter one{bounds}.")
    if integer and value != int(value):
        raise UserInputError(f"{label}: use a whole number{bounds}, not {value}.")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise UserInputError(f"{label}: {_show(value)} is out of range; use a number{bounds}.")
    return int(value) if integer else float(value)


def choice(value, label: str, options) -> object:
    options = list(options)
    if value not in options:
        raise UserInputError(f"{label}: choose one of {', '.join(map(str, options))}.")
    return value


def text(value, label: str, max_length: int = MAX_TEXT_LENGTH) -> str:
    if not isinstance(value, str):
        raise UserInputError(f"{label}: expected text.")
    if len(value) > max_length:
        raise UserInputError(f"{label}: at most {max_length} characters, got {len(value)}.")
    return value


def _bounds_text(minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f" between {_show(minimum)} and {_show(maximum)}"
    if minimum is not None:
        return f" of at least {_show(minimum)}"
    return f" of at most {_show(maximum)}" if maximum is not None else ""


def _show(value) -> str:
    return f"{value:g}" if isinstance(value, float) and abs(value) < 1e15 else str(value)


def user_message(handler, error: Exception) -> str:
    """A user error's text for the client (a gr.Error's message, else the exception's), logged in one line."""
    import gradio as gr

    message = error.message if isinstance(error, gr.Error) else str(error)
    log.info("user error in %s: %s", getattr(handler, "__name__", handler), message)
    return message


def user_errors(handler):
    """Errors a user can cause (`ValueError` and its kin from core, `gr.Error`) become a message for the
    client and one line in the log, not a traceback. A remembered handler's `served` form is what runs (its
    pictures as files: `remember(images_as_files=True)`)."""
    import gradio as gr

    handler = getattr(handler, "served", handler)

    def to_message(error: Exception) -> gr.Error:
        return gr.Error(user_message(handler, error), print_exception=False)

    if inspect.isgeneratorfunction(handler):
        @functools.wraps(handler)
        def wrapped_generator(*args, **kwargs):
            try:
                yield from handler(*args, **kwargs)
            except (gr.Error, ValueError) as error:
                raise to_message(error) from error
        return wrapped_generator

    @functools.wraps(handler)
    def wrapped(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except (gr.Error, ValueError) as error:
            raise to_message(error) from error
    return wrapped


def remember(maxsize: int = 32, images_as_files: bool = False, by_content: bool = False, made_ahead=None):
    """Memoize a deterministic handler on its arguments: a page's default view is computed once, not per visitor.

    Only for handlers whose outputs follow from their inputs (seeded); a cached result that names a file
    which has since been removed is computed again. Single-flight: visitors who ask for the same arguments while
    they are being computed wait for that one computation instead of repeating it (a cold start's first page
    view arrives from many browsers at once).

    images_as_files: what the server sends (`served`, which `harden` gives Gradio) names each picture of the
    result (a uint8 array or a PIL image, as a value of its own) as a PNG file written once: gr.Image encodes an
    array on every call, and a remembered grid of faces was PNG-encoded again for every visitor (half of the GAN
    Space's page-view CPU, py-spy). A Python caller still gets the pictures. Only for handlers whose pictures all
    go to image outputs.

    by_content: arrays and tensors among the arguments (a decoded drawing, an upload) are keyed by their content's
    digest, so thirty students sending the same example picture share one result; keep `maxsize` small, as each
    entry holds a result for pictures of any size.

    made_ahead: a `core.common.made_ahead.MadeAhead` store: a miss looks there before computing (a page's default
    views, made when the Space was built, are there at once after a start).
    """
    # MANIFOLD_REMEMBER_MAX caps every such cache (0: keep nothing, single flight only): the soak test measures
    # what a visitor leaves behind without the bounded caches' filling up counted as growth
    maxsize = min(maxsize, int(os.environ.get("MANIFOLD_REMEMBER_MAX", maxsize)))

    def decorate(handler):
        cache: dict = {}
        computing: dict = {}  # key -> the lock its one computation holds
        lock = threading.Lock()

        def cached(key):
            with lock:
                result = cache.pop(key, None)
                if result is not None:
                    cache[key] = result  # most recently used last
            if result is not None and all(Path(v).exists() for v in _paths(result)):
                return result
            return None

        def key_of(args):
            key = tuple(_content_key(a) for a in args) if by_content else tuple(args)
            hash(key)
            return key

        @functools.wraps(handler)
        def wrapped(*args):
            try:
                key = key_of(args)
            except TypeError:  # an unhashable input (an upload's array): no caching
                return handler(*args)
            result = cached(key)
            if result is not None:
                return result
            with lock:
                flight = computing.setdefault(key, threading.Lock())
            with flight:
                result = cached(key)  # computed while this caller waited
                if result is not None:
                    return result
                try:
                    result = made_ahead.load(handler, args) if made_ahead is not None else None
                    if result is None:
                        result = handler(*args)
                finally:
                    with lock:
                        computing.pop(key, None)
                freeze(result)  # shared by every visitor from now on: no one may change it
                with lock:
                    cache.pop(key, None)
                    cache[key] = result
                    while len(cache) > maxsize:
                        cache.pop(next(iter(cache)))
            return result

        if images_as_files:
            files: dict = {}  # key -> (the cached result, the same with its pictures as PNG files)

            @functools.wraps(handler)
            def served(*args):
                result = wrapped(*args)
                try:
                    key = key_of(args)
                except TypeError:
                    return _pictures_as_files(result)
                with lock:
                    known = files.get(key)
                if known is not None and known[0] is result and all(Path(v).exists() for v in _paths(known[1])):
                    return known[1]
                as_files = _pictures_as_files(result)
                with lock:
                    files.pop(key, None)
                    files[key] = (result, as_files)
                    while len(files) > maxsize:
                        files.pop(next(iter(files)))
                return as_files

            wrapped.served = served

        def is_cached(*args) -> bool:
            """Whether these arguments' result is kept (a page's load shows it at once, else defers it)."""
            try:
                return cached(key_of(args)) is not None or (made_ahead is not None and made_ahead.has(handler, args))
            except TypeError:
                return False

        wrapped.is_cached = is_cached
        wrapped.compute, wrapped.made_ahead = handler, made_ahead  # uncached, for `python -m core.common.made_ahead`
        return wrapped
    return decorate


def freeze(value) -> None:
    """Make every array in a result (inside tuples, lists and dicts) read-only, in place, and mark every Plotly
    figure as shared: a remembered result is shared by every visitor, so Gradio sends a frozen picture again
    without hashing it (`gradio_patches.memo_picture_encoding`) and a frozen figure's JSON made once
    (`gradio_patches.memo_plot_json`). A figure cannot be made read-only: no one may change a remembered one."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif hasattr(value, "to_plotly_json"):  # a Plotly figure, without importing Plotly here
        gradio_patches.freeze_figure(value)
    elif isinstance(value, (tuple, list)):
        for item in value:
            freeze(item)
    elif isinstance(value, dict):
        for item in value.values():
            freeze(item)


def _content_key(value):
    """An argument as a cache key: an array or a tensor by its content (about 1 ms a megabyte), a tuple or a list
    item by item, anything else as it is."""
    if isinstance(value, (tuple, list)):
        return type(value).__name__, tuple(_content_key(v) for v in value)
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, without importing torch here
        value = value.detach().cpu().contiguous().numpy()
    if isinstance(value, np.ndarray):
        digest = hashlib.blake2b(np.ascontiguousarray(value).tobytes(), digest_size=20).digest()
        return "array", value.shape, str(value.dtype), digest
    return value


REMEMBERED_PICTURES_KEPT = 128  # the newest files (a few MB); an older one a cached result names is computed again


@functools.cache
def _pictures_folder() -> Path:
    import tempfile

    return Path(tempfile.mkdtemp(prefix="manifold-remembered-"))


def _pictures_as_files(result):
    from PIL import Image

    def as_file(value):
        if isinstance(value, Image.Image):
            picture = value
        elif (isinstance(value, np.ndarray) and value.dtype == np.uint8
              and (value.ndim == 2 or (value.ndim == 3 and value.shape[-1] in (3, 4)))):
            picture = Image.fromarray(value)
        else:
            return value
        folder = _pictures_folder()
        # named by its pixels: a result computed again after its file was swept (or its cache entry dropped) is
        # served under the same address, so a page and a shared link of the same settings show the same file
        digest = hashlib.blake2b(f"{picture.mode} {picture.size}".encode(), digest_size=16)
        digest.update(picture.tobytes())
        path = folder / f"{digest.hexdigest()}.png"
        try:
            os.utime(path)  # written before: the newest again, so the sweep below keeps it
            return str(path)
        except FileNotFoundError:
            pass
        partial = folder / f".{uuid.uuid4().hex}.partial"  # another thread may be writing the same picture
        picture.save(partial, format="PNG")
        os.replace(partial, path)
        keep_newest(folder, "*.png", REMEMBERED_PICTURES_KEPT, spare=path)
        return str(path)

    return tuple(as_file(v) for v in result) if isinstance(result, tuple) else as_file(result)


def _paths(result) -> list[str]:
    values = result if isinstance(result, tuple) else (result,)
    return [v for v in values if isinstance(v, str) and v.startswith("/")]


# -- the raw payload of each component, checked against what the component declares -------------------

def check_payload(component, payload):
    """Raise UserInputError unless `payload` is a value this component could have sent itself."""
    kind = type(component).__name__
    label = getattr(component, "label", None) or kind
    if kind == "Slider":
        return number(payload, label, component.minimum, component.maximum, integer=_integer_slider(component))
    if kind == "Number":
        return number(payload, label, component.minimum, component.maximum, integer=component.precision == 0)
    if kind in ("Radio", "Dropdown"):
        values = [value for _, value in component.choices]
        if kind == "Dropdown" and component.multiselect:
            if not isinstance(payload, list):
                raise UserInputError(f"{label}: expected a list of choices.")
            return [choice(item, label, values) for item in payload]
        return choice(payload, label, values)
    if kind == "Checkbox":
        if not isinstance(payload, bool):
            raise UserInputError(f"{label}: expected true or false.")
        return payload
    if kind == "Textbox":
        return text(payload, label, component.max_length or MAX_TEXT_LENGTH)
    if kind == "Image":
        return _check_image_payload(payload, label, MAX_UPLOAD_BYTES)
    if kind in ("ImageEditor", "Sketchpad", "ImageMask", "Paint"):
        if payload is None:
            return None
        if not isinstance(payload, dict):
            raise UserInputError(f"{label}: expected an editor value (background, layers, composite).")
        layers = payload.get("layers") or []
        if not isinstance(layers, list) or len(layers) > MAX_EDITOR_LAYERS:
            raise UserInputError(f"{label}: at most {MAX_EDITOR_LAYERS} layers; merge your layers and send again.")
        for part in [payload.get("background"), payload.get("composite"), *layers]:
            _check_image_payload(part, label, MAX_UPLOAD_BYTES, max_pixels=MAX_EDITOR_PIXELS, decode=True)
        return payload
    if kind == "Dataset":  # an example's index: Gradio looks it up with no check (an IndexError, a traceback)
        return number(payload, label, 0, len(component.raw_samples) - 1, integer=True)
    return payload  # State, buttons: nothing a user types


def _integer_slider(slider) -> bool:
    return float(slider.step).is_integer() and float(slider.minimum).is_integer()


def _check_image_payload(payload, label: str, max_bytes: int, max_pixels: int | None = None, decode: bool = False):
    """A file reference must name a file uploaded to this server; its header must be an image we accept."""
    if payload is None:
        return None
    if not isinstance(payload, dict):
        raise UserInputError(f"{label}: expected an uploaded image.")
    if not payload.get("path") or str(payload.get("url") or "").startswith("data:"):
        # the browser uploads files first and sends their path; inline data and remote URLs are refused
        raise UserInputError(f"{label}: expected an uploaded image file.")
    path = Path(str(payload["path"]))
    # Gradio refuses files outside its upload folder once an app has launched; we check it ourselves too,
    # with one message whether or not the path exists, so an error never tells what is on the disk.
    if not (path.is_absolute() and gradio_patches.is_inside(path, gradio_patches.upload_folder()) and path.is_file()):
        raise UserInputError(f"{label}: that file was not uploaded here; upload the image again.")
    if path.stat().st_size == 0:
        raise UserInputError(f"{label}: the file is empty; upload a PNG, JPEG or WebP image.")
    if path.stat().st_size > max_bytes:
        raise UserInputError(f"{label}: the file is over {max_bytes // 2**20} MB; use a smaller one.")
    with probe_image(path, path.name) as image:
        if max_pixels is not None and image.width * image.height > max_pixels:
            raise UserInputError(f"{label}: the image is too large for the canvas ({image.width}x{image.height}).")
        if decode:  # editors are decoded by Gradio itself: a truncated file must fail here, with our words
            try:
                image.load()
            except (OSError, SyntaxError, ValueError) as error:
                raise ImageInputError(f"{path.name} is not a readable image (corrupt or truncated).") from error
    return payload


# -- one Space, hardened -------------------------------------------------------------------------------

def harden(demo):
    """Check every event's raw inputs at the edge, speak plainly on user errors, admit jobs through the queue only.

    Idempotent; called by `launch` (a Space alone) and by the launcher before it mounts a Space.
    """
    if getattr(demo, "_manifold_hardened", False):
        return demo
    gradio_patches.wrap_validate_inputs(demo, _validate_inputs)
    inputs = {id(c): c for block_fn in gradio_patches.event_functions(demo) for c in block_fn.inputs}
    for component in inputs.values():
        if type(component).__name__ == "Image" and (component.type != "filepath" or component.image_mode is not None):
            raise TypeError(f"image input {component.label!r}: use gr.Image(type='filepath', image_mode=None), "
                            "so uploads reach core.common.images undecoded")
    gradio_patches.wrap_handlers(demo, user_errors)
    # every event that runs a model goes through the queue (its concurrency limits), never Gradio's direct route
    gradio_patches.close_direct_route(demo)
    gradio_patches.guard_queue(demo, functools.partial(_admit, demo))
    gradio_patches.calm_idle_queue(demo)  # Gradio's queue polls 1,000 times a second, idle
    gradio_patches.periodic_queue_estimates(demo)  # and told every waiting visitor at each job's start
    gradio_patches.quiet_queue_analytics(demo)  # and summarises its whole history after every event
    gradio_patches.lazy_session_config()  # and copied every component's config for each new visitor
    gradio_patches.memo_picture_encoding()  # and encoded the same picture again for every visitor
    gradio_patches.memo_output_files()  # and checked and placed the same files again for every visitor
    gradio_patches.memo_plot_json()  # and wrote a remembered figure's JSON again for every visitor
    gradio_patches.disable_gradio_sweep(demo)  # core.common.upkeep sweeps instead (serve_settings)
    demo._manifold_hardened = True  # our own mark on the Blocks, not a Gradio attribute
    return demo


def _validate_inputs(gradio_validate, block_fn, inputs) -> None:
    """Every event's raw inputs: as many as the event takes, Gradio's own check, then each payload against its
    component (`check_payload`); a refusal is a gr.Error with our message and one log line."""
    import gradio as gr

    if len(inputs) < len(block_fn.inputs):
        raise gr.Error(f"This action takes {len(block_fn.inputs)} inputs, got {len(inputs)}.",
                       print_exception=False)
    gradio_validate(block_fn, inputs)
    for component, payload in zip(block_fn.inputs, inputs, strict=False):
        try:
            for value in (payload if block_fn.batch and isinstance(payload, list) else [payload]):
                check_payload(component, value)
        except ValueError as error:
            log.info("refused input to %s: %s", block_fn.name, error)
            raise gr.Error(str(error), print_exception=False) from error


def _admit(demo, body, request) -> None:
    """In front of Gradio's queue: an unknown fn_index is HTTP 400 (not a KeyError inside the queue, 500); a
    session or an address with its share of jobs in flight is 429 (`core.common.limits`)."""
    from fastapi import HTTPException

    from core.common.limits import Refused, admit_job

    try:
        if body.fn_index is not None and not gradio_patches.has_event(demo, body.fn_index):
            raise Refused(400, f"No event with fn_index {body.fn_index}.")
        client = getattr(request, "client", None)
        admit_job(body.session_hash, client.host if client else None, gradio_patches.jobs_in_flight(demo))
    except Refused as refused:
        log.info("refused a job for %s: %s", getattr(demo, "title", "a Space"), refused.message)
        raise HTTPException(refused.status, refused.message) from None


def launch(demo, **settings):
    """Run one Space alone, with the same checks and settings as under the launcher."""
    show_log()
    memory.bound_native_memory()  # a Space runs for hours: its native heap must give memory back
    serve_on_one_thread()  # before Gradio's workers start: they inherit it
    harden(demo)
    blocking = not settings.pop("prevent_thread_lock", False)
    answer = demo.launch(**{**serve_settings(), **settings}, prevent_thread_lock=True)
    gradio_patches.memo_page_routes(demo.server_app)  # the app exists only once launched
    gradio_patches.memo_static_routes(demo.server_app)
    warm_up.warm_in_background([(demo.title, demo)])  # its default views, before its first visitor asks
    if blocking:
        demo.block_thread()
    return answer
