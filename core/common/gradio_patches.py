"""Every place the project reaches past Gradio's public API, in one file: each written against Gradio 6.31.0.

Gradio offers no hook for these. Each function says which Gradio internal it replaces or reads, and why we
need it. On a Gradio upgrade, run `tests/test_gradio_patches.py` first: it checks that every internal used
here still exists with the shape assumed below, and fails while the installed Gradio is not `WRITTEN_FOR`.
`core.common.edge` (the checks at the edge) and `spaces.server` (the launcher's mount) call these.

Gradio is imported lazily, inside functions: `core` stays importable without it (trainers, benches).
"""

from __future__ import annotations

import datetime
import os
import threading
import weakref
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


def close_direct_route(demo) -> None:
    """Close Gradio's direct route (`POST /gradio_api/run/<api_name>`, `/api/<api_name>`) to every queued event.

    Sets Gradio 6.31.0's `Blocks.api_open`, which `Blocks.__init__` sets True off Hugging Face and the `predict`
    route reads (`if not api_open and fn.queue: 404`); `Blocks.queue(api_open=False)` sets the same attribute but
    also builds a new queue and app. Open, that route runs a model outside the queue: no concurrency limit at all.
    """
    demo.api_open = False


def guard_queue(demo, admit: Callable) -> None:
    """Call `admit(body, request)` before Gradio's queue takes a job; it refuses by raising an exception that
    FastAPI answers (an `HTTPException`), which reaches the client as the answer to its `queue/join` (or `call`).

    Replaces (on this instance's queue) Gradio 6.31.0's `Queue.push(self, body, request, username)`, a coroutine
    returning (ok, message_or_data, status), called by `routes.queue_join_helper` for `/queue/join`, `/call/<api>`
    and `/call/v2/<api>`: the one door into the queue. The queue object is `Blocks._queue`, made in
    `Blocks.__init__`; no public hook exists.
    """
    queue = demo._queue
    push = queue.push

    async def admitted_push(body, request, username):
        admit(body, request)
        return await push(body=body, request=request, username=username)

    queue.push = admitted_push


QUEUE_IDLE_POLL_S = 0.02  # a job waits at most this long to start; Gradio's own: 1 ms
PROGRESS_IDLE_POLL_S = 0.05  # progress reaches the page at most 20 times a second; Gradio's own: 100


def calm_idle_queue(demo) -> None:
    """Let an idle queue sleep: Gradio 6.31.0's `Queue.start_processing` sleeps `Queue.sleep_when_free` (1 ms on
    Linux, set in `Queue.__init__`) between looks for a new job, and `Queue.start_progress_updates` sleeps
    `progress_update_sleep_when_free` (10 ms): every Blocks' loop wakes about 1,100 times a second with nothing to
    do. The launcher runs every Space's Blocks on one event loop: idle, it used 37% of a core, 4.5% with this
    (`python -m bench.launcher`); the test lane runs two launchers and a standalone set at once.

    Only while nothing waits: the same sleep is taken when jobs wait for a free slot (an event's concurrency
    limit), so a class's thirty clicks of one event each waited up to 20 ms more to start, one after another.
    While any job waits, the queue looks again after Gradio's own 1 ms.
    No public setting exists; the attributes are the queue instance's own (`Blocks._queue`); its class becomes a
    subclass whose `sleep_when_free` reads the queue's length (`Queue.__len__`: the jobs waiting)."""
    queue = demo._queue
    if not isinstance(queue, _CalmQueue):
        busy_poll = queue.__dict__.pop("sleep_when_free")  # Gradio's own, for when jobs wait
        queue.__class__ = type("CalmQueue", (_CalmQueue, type(queue)), {})
        queue.busy_poll_s = busy_poll
    queue.progress_update_sleep_when_free = max(queue.progress_update_sleep_when_free, PROGRESS_IDLE_POLL_S)


class _CalmQueue:
    """Mixed into a Blocks' queue's class by `calm_idle_queue`."""

    busy_poll_s = 0.001

    @property
    def sleep_when_free(self) -> float:
        return self.busy_poll_s if len(self) else QUEUE_IDLE_POLL_S

    @sleep_when_free.setter
    def sleep_when_free(self, value: float) -> None:  # Gradio sets it once, in __init__
        self.busy_poll_s = value


QUEUE_ESTIMATES_EVERY_S = 1.0  # how often a waiting visitor's place in the queue is sent


def periodic_queue_estimates(demo) -> None:
    """Send each waiting visitor its place in the queue once a second, not at every job's start.

    Gradio 6.31.0's default queue (`live_updates=True`, what `Blocks.queue(status_update_rate="auto")` sets) sends
    an estimation message to every waiting event each time any job starts (`Queue.start_processing` ->
    `broadcast_estimations`): thirty page views at once got 433 estimation messages for 60 calls, each one JSON
    and a write on a socket. `Blocks.queue(status_update_rate=1)` is the public way to ask for them once a second
    instead (`Queue.notify_clients`, started by `Queue.start` when `live_updates` is off), but it builds a new
    queue and app; this sets the same two attributes on the queue the Space already has (`Blocks._queue`), before
    it starts. A new event still gets its place at once (`Queue.push`)."""
    queue = demo._queue
    queue.live_updates = False
    queue.update_intervals = QUEUE_ESTIMATES_EVERY_S


# Gradio's per-event analytics: how many events it keeps, and how often it summarises them (see below)
ANALYTICS_KEPT_EVENTS = 500
ANALYTICS_SUMMARY_EVERY = 10**9  # in effect never: nothing here reads the summary


def quiet_queue_analytics(demo) -> None:
    """Stop the queue summarising its whole event history after every event.

    Gradio 6.31.0's `Queue.process_events` calls `compute_analytics_summary(list(event_analytics.values()))` when
    each job ends; every `ANAYLTICS_CACHE_FREQUENCY` events (1, from `GRADIO_ANALYTICS_CACHE_FREQUENCY`) it builds a
    pandas DataFrame of up to `ANALYTICS_MAX_EVENTS` (10,000) past events, groups it by function and takes
    percentiles: work that grows with the class's history, for a monitoring page no Space shows. Profiled
    (py-spy, 40 PCA page views after a cold start) it was 13% of the server's CPU; after 10,000 events it is a
    10,000-row DataFrame per event. An environment variable would have to be set before every Blocks is
    built; the attributes are the queue instance's own (`Blocks._queue`). Fewer kept events also bound memory."""
    queue = demo._queue
    queue.ANAYLTICS_CACHE_FREQUENCY = ANALYTICS_SUMMARY_EVERY  # [sic] Gradio's spelling
    queue.ANALYTICS_MAX_EVENTS = min(queue.ANALYTICS_MAX_EVENTS, ANALYTICS_KEPT_EVENTS)


def lazy_session_config() -> None:
    """Build a session's copy of each component's config when it is first needed, not all of them per visitor.

    Gradio 6.31.0's `state_holder.SessionState.__init__` fills `config_values` with `BlocksConfig.config_for_block`
    of every block of the Space (each component's `get_config`, which calls `inspect.signature`) for every new
    session: a copy kept for Gradio's deep links (`SessionState.components`), which no Space uses. Profiled (py-spy,
    40 GAN page views) it was 20% of the server's CPU, and it is memory each session holds. Events then read and
    update only the entries of the blocks they touch (`__setitem__`, `_update_config`, `_update_value_in_config`,
    through `config_values[key]` and `key in config_values`); `components` (a deep link) still gets every block.

    The same for what events do to it: Gradio 6.31.0's `Blocks.postprocess_data` rebuilds a component's config
    twice for each update an event returns (`__setitem__`, then `_update_config`: `get_config` and the
    component's `api_info`, a pydantic JSON schema for a new instance) and `Blocks.preprocess_data` builds the
    config of every input it has not built yet (`_update_value_in_config`), on every event of every visitor, for
    the deep link nobody asks for. Here an update only marks the entry stale and a value is kept aside; the entry
    is built, with the last value, when a deep link reads it. Replaces `SessionState.__init__`, `__setitem__`,
    `_update_config` and `_update_value_in_config` on the class (every Blocks of the process), once."""
    from copy import copy

    from gradio import state_holder
    from gradio.components import State  # once, not in every event's __setitem__ as Gradio's own does

    session_class = state_holder.SessionState
    if getattr(session_class, "_manifold_lazy_config", False):
        return

    def __init__(self, blocks):
        self.blocks_config = copy(blocks.default_config)
        self.config_values = _LazyConfigValues(self.blocks_config, [k for k in self.blocks_config.blocks if k in blocks.blocks])
        self.state_data, self._state_ttl, self.is_closed = {}, {}, False
        self.STATE_TTL_WHEN_CLOSED = 1 if os.getenv("GRADIO_IS_E2E_TEST", None) else 3600

    def __setitem__(self, key, value):
        block = self.blocks_config.blocks.get(key)
        if isinstance(block, State):
            self._state_ttl[key] = (block.time_to_live, datetime.datetime.now())
            self.state_data[key] = value
        else:
            self.blocks_config.blocks[key] = value
        if block:
            self.config_values.stale(key)

    def _update_config(self, key):
        if self[key] is not None:
            self.config_values.stale(key)

    def _update_value_in_config(self, key, value):
        self.config_values.set_value(key, value)

    for name, replacement in [("__init__", __init__), ("__setitem__", __setitem__), ("_update_config", _update_config),
                              ("_update_value_in_config", _update_value_in_config)]:
        replacement.__wrapped__ = getattr(session_class, name)
        setattr(session_class, name, replacement)
    session_class._manifold_lazy_config = True  # our own mark on the class, not a Gradio attribute


class _LazyConfigValues(dict):
    """`SessionState.config_values`, an entry computed on first read (`lazy_session_config`)."""

    def __init__(self, blocks_config, keys):
        super().__init__()
        # the session's BlocksConfig, not the session: no reference cycle, so a freed session is freed at once
        self._blocks_config, self._order = blocks_config, {key: index for index, key in enumerate(keys)}
        self._values: dict = {}  # key -> the value an event gave it, for an entry not built yet

    def __missing__(self, key):
        blocks = self._blocks_config.blocks
        if key not in blocks:
            raise KeyError(key)
        value = self[key] = self._blocks_config.config_for_block(key, [], blocks[key])
        if key in self._values and "props" in value:
            value["props"]["value"] = self._values.pop(key)
        return value

    def stale(self, key) -> None:
        """The block changed: its entry is built again when read (Gradio rebuilt it at once, value and all)."""
        dict.pop(self, key, None)
        self._values.pop(key, None)
        self._known(key)

    def set_value(self, key, value) -> None:
        """Gradio's `_update_value_in_config`: the entry's value, kept aside until the entry is built."""
        if dict.__contains__(self, key):
            if "props" in self[key]:
                self[key]["props"]["value"] = value
        elif key in self._blocks_config.blocks:
            self._values[key] = value
            self._known(key)

    def _known(self, key) -> None:
        """A block an event added (Gradio keys an updated input by its new instance's id): its entry comes
        after the others, where Gradio's dict put it."""
        if key not in self._order and key in self._blocks_config.blocks:
            self._order[key] = len(self._order)

    def _every_block(self) -> list:
        """Every block's entry (computed now if not yet), in the order Gradio's own dict had them."""
        for key in self._order:
            if not dict.__contains__(self, key) and key in self._blocks_config.blocks:
                self[key]  # noqa: B018 - computes the entry
        return sorted(dict.items(self), key=lambda item: self._order.get(item[0], len(self._order)))

    def items(self):
        return self._every_block()

    def values(self):
        return [value for _, value in self._every_block()]

    def keys(self):
        return [key for key, _ in self._every_block()]

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self._every_block())


ENCODED_PICTURES_KEPT = 1024  # picture digests remembered (a path each); the files are Gradio's cache's, swept as ever


def memo_picture_encoding() -> None:
    """Encode each distinct picture once: the same pixels sent again reuse the file already in Gradio's cache.

    Gradio 6.31.0's `processing_utils.save_pil_to_cache(img, cache_dir, name, format)` (which
    `save_img_array_to_cache`, `image_utils.save_image` and the Gallery call for every picture of every response)
    encodes the picture (PNG: tens of ms at 512 px) and only then hashes the bytes to name the file. Thirty students
    clicking the same example got the same six gallery pictures encoded thirty times (denoising: 8 s p95 for a
    cached result). Here the raw pixels are hashed first (about 1 ms), and a picture seen before gets its file
    back, its time touched so the cache sweep keeps a file still in use. Replaces the module function, once."""
    import hashlib

    from gradio import processing_utils

    if getattr(processing_utils.save_pil_to_cache, "_manifold_memo", False):
        return
    original = processing_utils.save_pil_to_cache
    known: dict[bytes, str] = {}
    lock = threading.Lock()

    def save_pil_to_cache(img, cache_dir, name="image", format="webp"):
        digest = hashlib.blake2b(img.tobytes(), digest_size=20)
        digest.update(repr((str(cache_dir), name, format, img.mode, img.size, sorted(img.info.items()),
                            img.getpalette() if img.mode == "P" else None)).encode())
        key = digest.digest()
        with lock:
            path = known.pop(key, None)
            if path is not None:
                known[key] = path  # most recently used last
        if path is not None:
            try:
                os.utime(path)  # still in use: the sweep goes by age
                return path
            except OSError:  # swept meanwhile: encode again
                pass
        path = original(img, cache_dir, name=name, format=format)
        with lock:
            known[key] = path
            while len(known) > ENCODED_PICTURES_KEPT:
                known.pop(next(iter(known)))
        return path

    save_pil_to_cache._manifold_memo = True  # our own mark, not a Gradio attribute
    save_pil_to_cache.__wrapped__ = original
    processing_utils.save_pil_to_cache = save_pil_to_cache

    # A frozen array (a remembered result's: `core.common.edge.remember` freezes them) cannot change, so the same
    # object sent again is the same picture: its file is found by identity, without copying and hashing its
    # pixels (a cached denoising answer is twelve pictures: a fifth of its server time, py-spy). Held weakly: an
    # entry leaves with its array, and an id reused by a new array never matches.
    original_array = processing_utils.save_img_array_to_cache
    by_identity = KeptByIdentity(ENCODED_PICTURES_KEPT)  # a frozen array -> (cache_dir, format, path)

    def save_img_array_to_cache(arr, cache_dir, format="webp"):
        frozen = _immutable(arr)
        if frozen and (known := by_identity.get(arr)) is not None and known[:2] == (str(cache_dir), format):
            try:
                os.utime(known[2])
                return known[2]
            except OSError:  # swept meanwhile: encode again
                pass
        path = original_array(arr, cache_dir, format=format)
        if frozen:
            by_identity.put(arr, (str(cache_dir), format, path))
        return path

    save_img_array_to_cache._manifold_memo = True
    save_img_array_to_cache.__wrapped__ = original_array
    processing_utils.save_img_array_to_cache = save_img_array_to_cache


def _immutable(array) -> bool:
    """Whether no one can change this array's pixels: read-only, and so is everything it is a view of. (numpy's
    own type, found without importing numpy here: a picture is checked on every send.)"""
    ndarray = type(array)
    if ndarray.__name__ != "ndarray" or ndarray.__module__ != "numpy":
        return False
    while isinstance(array, ndarray):
        if array.flags.writeable:
            return False
        array = array.base
    return array is None or isinstance(array, bytes)


class KeptByIdentity:
    """Values kept for objects by their identity, the objects held weakly: an entry leaves with its object, and an
    id that a new object reuses never matches. At most `limit`, the oldest out first; thread-safe."""

    def __init__(self, limit: int):
        self.limit, self.entries, self.lock = limit, {}, threading.Lock()  # id -> (weak reference, value)

    def get(self, thing, default=None):
        with self.lock:
            entry = self.entries.get(id(thing))
        return entry[1] if entry is not None and entry[0]() is thing else default

    def put(self, thing, value) -> None:
        key = id(thing)

        def forget(reference, key=key):
            with self.lock:
                if self.entries.get(key, (None,))[0] is reference:
                    del self.entries[key]

        with self.lock:
            self.entries[key] = (weakref.ref(thing, forget), value)
            while len(self.entries) > self.limit:
                self.entries.pop(next(iter(self.entries)))


FROZEN_FIGURES_KEPT = 256  # shared figures whose JSON is kept (a pca page's: ~50 KB each)
_frozen_figures = KeptByIdentity(FROZEN_FIGURES_KEPT)  # a frozen figure -> [its PlotData, once made]


def freeze_figure(figure) -> None:
    """Mark a Plotly figure as shared and never changed again (`core.common.edge.freeze`, for a remembered
    result): `memo_plot_json` makes its JSON once. Held weakly."""
    if _frozen_figures.get(figure) is None:
        _frozen_figures.put(figure, [None])


def memo_plot_json() -> None:
    """A shared figure's JSON written once, not for every visitor.

    Gradio 6.31.0's `Plot.postprocess(value)` turns a Plotly figure into `PlotData(type="plotly", plot=value.to_json())`
    on every call: for a remembered figure (a pca page's four default plots, sent to each of thirty students) the
    same JSON again, about an eighth of a pca page view's server time (py-spy). A figure `freeze_figure` marked
    gets its PlotData made once (a pydantic model Gradio only reads); any other value goes to Gradio's own method.
    Replaces the class's method, once."""
    from gradio import components

    original = components.Plot.postprocess
    if getattr(original, "_manifold_memo", False):
        return

    def postprocess(self, value):
        made = _frozen_figures.get(value) if value is not None else None
        if made is None:
            return original(self, value)
        if made[0] is None:
            made[0] = original(self, value)  # two visitors at once may both make it: the same JSON
        return made[0]

    postprocess._manifold_memo = True
    postprocess.__wrapped__ = original
    components.Plot.postprocess = postprocess


OUTPUT_FILES_KEPT = 1024  # answers remembered (a few hundred bytes each)
OUTPUT_FILE_COMPONENTS = ("Image", "Gallery")  # whose postprocessed values are small: a key costs little


def memo_output_files() -> None:
    """Check and place an output's files once: the same picture files sent again get the same answer.

    Gradio 6.31.0's `processing_utils.async_move_files_to_cache(data, block, postprocess=True, ...)` runs twice for
    every output of every event (`Blocks.postprocess_data`: once for the session's config, once for the answer).
    For each file it resolves the path against every static, allowed and blocked folder (`Path.resolve`, a
    syscall per path component), checks it, copies it into the block's cache unless it is there, and builds its
    URL: a cached denoising answer (twelve pictures) spent a fifth of its server time there (py-spy). For an
    Image or a Gallery output the answer depends only on the data, the block and its files: kept by those, given
    again while every file it names still exists (the cache sweep may remove one: then checked again), and copied
    (Gradio adds the root URL to an answer in place). The block's record of its files (`Block.temp_files`, what a
    sweep reads) gets them as Gradio's own call adds them. Inputs (`postprocess=False`: a visitor's paths) are
    never kept: every one is checked. Replaces the module function, once."""
    import copy
    import json

    from gradio import processing_utils
    from gradio.data_classes import GradioModel, GradioRootModel

    if getattr(processing_utils.async_move_files_to_cache, "_manifold_memo", False):
        return
    original = processing_utils.async_move_files_to_cache
    known: dict[tuple, object] = {}
    lock = threading.Lock()

    async def async_move_files_to_cache(data, block, postprocess=False, check_in_upload_folder=False,
                                        keep_in_cache=False):
        if not postprocess or check_in_upload_folder or type(block).__name__ not in OUTPUT_FILE_COMPONENTS:
            return await original(data, block, postprocess=postprocess, check_in_upload_folder=check_in_upload_folder,
                                  keep_in_cache=keep_in_cache)
        if isinstance(data, (GradioModel, GradioRootModel)):  # as Gradio's own function does first
            data = data.model_dump()
        try:
            key = (block._id, id(block), keep_in_cache, json.dumps(data, sort_keys=True))
        except (TypeError, ValueError):  # a value JSON can't write (a model, an array): no memo
            return await original(data, block, postprocess=postprocess, keep_in_cache=keep_in_cache)
        with lock:
            answer = known.get(key)
        if answer is not None:
            paths = _file_paths(answer)
            if all(os.path.exists(path) for path in paths):
                for path in paths:
                    block.temp_files.add(path)
                    if keep_in_cache:
                        block.keep_in_cache.add(path)
                return copy.deepcopy(answer)
        answer = await original(data, block, postprocess=postprocess, keep_in_cache=keep_in_cache)
        with lock:
            known.pop(key, None)
            known[key] = copy.deepcopy(answer)
            while len(known) > OUTPUT_FILES_KEPT:
                known.pop(next(iter(known)))
        return answer

    async_move_files_to_cache._manifold_memo = True
    async_move_files_to_cache.__wrapped__ = original
    processing_utils.async_move_files_to_cache = async_move_files_to_cache


def _file_paths(value) -> list[str]:
    """The `path` of every FileData in a postprocessed value (dicts with `meta: {"_type": "gradio.FileData"}`)."""
    if isinstance(value, dict):
        if (value.get("meta") or {}).get("_type") == "gradio.FileData" and isinstance(value.get("path"), str):
            return [value["path"]]
        return [path for item in value.values() for path in _file_paths(item)]
    if isinstance(value, (list, tuple)):
        return [path for item in value for path in _file_paths(item)]
    return []


PAGE_ANSWERS_KEPT = 8  # per route: one per public address it is reached by (a client chooses its Host header)


def memo_page_routes(app) -> None:
    """Answer a Space's page (`GET /`) and its `/config` from the bytes made for the first visitor, not anew for
    every visitor.

    Gradio 6.31.0's `GET /` (`routes.App.create_app`'s `main`: the HTML a browser opens, with the config inside)
    and `GET /config` (`get_config`: the same config, for API clients) copy the Blocks' whole config, rewrite
    every file URL in it for the caller's root URL (`route_utils.update_root_in_config`) and serialise it (the
    page also renders its template with the API info): measured for the GAN Space, 14 ms of server CPU per page
    and 10-60 ms per config, for each student of a class opening it. For the same config object, user, page and
    request origin (URL, forwarding headers, mount path: all the root URL is made from) the answer is the same
    bytes. A deep link, `all_endpoints` or a HEAD request goes to Gradio's route as ever. Replaces the routes'
    endpoints (`APIRoute.dependant.call`, which FastAPI 0.165's request handler reads per request; it calls the
    endpoint with keyword arguments) on this app."""
    from fastapi.routing import APIRoute
    from starlette.responses import Response

    for route in app.router.routes:
        if not (isinstance(route, APIRoute) and route.path.rstrip("/") in ("", "/config")):
            continue
        original = route.dependant.call
        if getattr(original, "_manifold_memo", False):
            continue
        answers: dict = {}
        lock, making = threading.Lock(), threading.Lock()

        def endpoint(original=original, answers=answers, lock=lock, making=making, **values):
            request = values["request"]
            if values.get("deep_link") or request.method != "GET" or "all_endpoints" in request.query_params:
                return original(**values)
            headers = tuple(request.headers.get(h) for h in ("x-forwarded-host", "x-gradio-server", "x-forwarded-proto"))
            key = (id(app.get_blocks().config), values.get("user"), values.get("page"),
                   str(request.url.replace(query=None)), request.scope.get("root_path"), headers)
            with lock:
                known = answers.get(key)
            if known is None:
                with making:  # one at a time: thirty API clients asking a cold /config at once made it thirty times
                    with lock:
                        known = answers.get(key)
                    if known is None:
                        response = original(**values)
                        known = (response.body, response.media_type, response.status_code)
                        with lock:
                            answers[key] = known
                            while len(answers) > PAGE_ANSWERS_KEPT:
                                answers.pop(next(iter(answers)))
            body, media_type, status = known
            return Response(content=body, media_type=media_type, status_code=status)

        _replace_endpoint(route, endpoint)


def _replace_endpoint(route, endpoint) -> None:
    """Make `endpoint` answer `route` (FastAPI 0.165's request handler reads `APIRoute.dependant.call` per
    request), marked as ours and keeping Gradio's own as `__wrapped__`."""
    endpoint._manifold_memo = True  # our own mark, not a Gradio attribute
    endpoint.__wrapped__ = route.dependant.call
    route.dependant.call = endpoint


STATIC_BYTES_KEPT = 32 * 2**20  # one store for every Space: a page asks for ~80 files (1 MB); Gradio's build has 21 MB
STATIC_FILE_MAX_BYTES = 8 * 2**20  # Plotly's bundle is 4.6 MB (every page with a plot)
_static_kept: dict = {}  # (route, path) -> (body, Brotli body or None, media type): the same files for every Space
_static_lock = threading.Lock()
COMPRESSIBLE_SUFFIXES = {".js", ".css", ".html", ".json", ".svg", ".txt", ".md"}  # as Gradio's middleware
# the front end's routes -> whether a path's bytes never change (Vite names /assets by content; /static is Gradio's)
STATIC_ROUTES = {"/assets/{path:path}": True, "/static/{path:path}": False}


def memo_static_routes(app) -> None:
    """Serve the front end's files (`/assets/...`, `/static/...`) from memory, compressed once, with a year of
    browser caching.

    Gradio 6.31.0's `build_resource` and `static_resource` routes (`routes.App.create_app`) answer each of the
    ~80 requests of a page load with a `FileResponse` read from disk through a thread, which its
    `BrotliMiddleware` then compresses again, with no `Cache-Control`: measured for the GAN Space, 0.17 s of
    server CPU per page load, for every student, and again for each Space (each is mounted at its own path).
    Vite names every asset by its content's hash, so the bytes of a path never change while this Gradio runs:
    kept after the first read (files up to 8 MB, 32 MB in all, one store for every Space), Brotli-compressed once
    in a worker thread (the middleware passes a response that is already encoded) and marked immutable. The first
    answer for a path still comes from Gradio's route, with its path checks (a bad path raises there as ever);
    later ones come from `KeptFrontEnd`, before the rest of the app. Replaces the routes' endpoints
    (`APIRoute.dependant.call`; both async, one `path` argument) on this app, and asks FastAPI for the request
    too (`Dependant.request_param_name`, which FastAPI 0.165's `solve_dependencies` fills), for its
    Accept-Encoding."""
    import asyncio

    import brotli
    from fastapi.routing import APIRoute
    from starlette.responses import FileResponse, Response

    for route in app.router.routes:
        if not (isinstance(route, APIRoute) and route.path in STATIC_ROUTES):
            continue
        original = route.dependant.call
        if getattr(original, "_manifold_memo", False):
            continue
        immutable = STATIC_ROUTES[route.path]

        async def endpoint(path: str, request, original=original, route_path=route.path, immutable=immutable):
            key = (route_path, path)
            with _static_lock:
                known = _static_kept.get(key)
            if known is None:
                response = await original(path=path)
                if not isinstance(response, FileResponse) or response.status_code != 200:
                    return response
                file = Path(response.path)
                if file.stat().st_size > STATIC_FILE_MAX_BYTES:
                    return response

                def read_and_compress(file=file, compress=Path(path).suffix.lower() in COMPRESSIBLE_SUFFIXES):
                    body = file.read_bytes()  # Plotly's bundle: ~0.2 s to compress, off the event loop
                    return body, brotli.compress(body, quality=5) if compress and len(body) >= 400 else None

                body, compressed = await asyncio.to_thread(read_and_compress)
                known = (body, compressed, response.media_type)
                with _static_lock:
                    _static_kept[key] = known
                    while sum(len(b) + len(c or b"") for b, c, _ in _static_kept.values()) > STATIC_BYTES_KEPT:
                        _static_kept.pop(next(iter(_static_kept)))
            body, headers = _kept_answer(known, immutable, request.headers.get("accept-encoding", ""))
            return Response(content=body, headers=headers)

        route.dependant.request_param_name = route.dependant.request_param_name or "request"
        _replace_endpoint(route, endpoint)
    memo_theme_route(app)


def memo_theme_route(app) -> None:
    """Answer the theme's stylesheet (`GET /theme.css?v=...`, one per page view) from bytes compressed once.

    Gradio 6.31.0's `theme_css` route (`routes.App.create_app`, sync: a trip through the thread pool) returns the
    Blocks' `theme_css` string, which its `BrotliMiddleware` compresses again for every request: 2-3 ms of server
    CPU a student, a third of what a page's ~75 front-end files cost once the rest were kept. The string is made
    when the Blocks is built; kept by its identity, compressed once, answered with the headers Gradio's
    layers gave it (`text/css; charset=utf-8`; Brotli's encoding and `Vary` when asked for). Replaces the route's
    endpoint (`APIRoute.dependant.call`) on this app."""
    import brotli
    from fastapi.routing import APIRoute
    from starlette.responses import Response

    kept: dict = {}  # id(theme_css) -> (the string, its bytes, their Brotli form)

    for route in app.router.routes:
        if not (isinstance(route, APIRoute) and route.path.endswith("/theme.css")):
            continue
        if getattr(route.dependant.call, "_manifold_memo", False):
            continue

        def endpoint(request):  # sync, as Gradio's: FastAPI decided how to call it when the route was built
            css = app.get_blocks().theme_css
            known = kept.get(id(css))
            if known is None or known[0] is not css:
                body = css.encode()
                known = (css, body, brotli.compress(body, quality=5) if len(body) >= 400 else None)
                kept.clear()
                kept[id(css)] = known
            _, body, compressed = known
            headers = {"content-type": "text/css; charset=utf-8"}
            if compressed is not None:
                headers["vary"] = "Accept-Encoding"
                if "br" in request.headers.get("accept-encoding", ""):
                    body, headers["content-encoding"] = compressed, "br"
            return Response(content=body, headers=headers)

        route.dependant.request_param_name = route.dependant.request_param_name or "request"
        _replace_endpoint(route, endpoint)


def _kept_answer(known: tuple, immutable: bool, accept_encoding: str) -> tuple[bytes, dict]:
    """A kept file's body and headers for a request that accepts `accept_encoding`."""
    body, compressed, media_type = known
    headers = {"content-type": media_type,
               "cache-control": "public, max-age=31536000, immutable" if immutable else "public, max-age=3600"}
    if compressed is not None:
        headers["vary"] = "Accept-Encoding"
        if "br" in accept_encoding:
            body, headers["content-encoding"] = compressed, "br"
    return body, headers


class KeptFrontEnd:
    """ASGI middleware, the first of ours in front of a Gradio app (after Gradio's own CORS and Brotli layers, which
    `create_app` adds outermost): a GET for a front-end file `memo_static_routes` already keeps is answered here,
    before the visitor limits, the router and FastAPI's request handling (in the launcher, `KeptFrontEndFirst`
    answers most of them sooner still).

    Measured (30 pca page views, ~80 files each): the files cost the server 0.54 CPU-s through that stack even
    when answered from memory, 0.25 CPU-s from here. Only a path already served once by Gradio's route (after its
    path checks) is kept, so anything else,
    a bad path included, still goes through Gradio. The key is the path inside the Gradio app, whatever prefix
    it is mounted under (Starlette's `get_route_path`, what its router matches)."""

    def __init__(self, app):
        from starlette.routing import get_route_path

        self.app, self.route_path = app, get_route_path  # imported once, not per request

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("query_string"):
            answer = kept_front_end_answer(self.route_path(scope), scope["headers"])
            if answer is not None:
                return await _send_answer(send, *answer)
        await self.app(scope, receive, send)


# Gradio 6.31.0's `BrotliMiddleware._is_compressible_file_type` (by the whole path's last suffix) and its
# `minimum_size` (the GZip fallback's too): what its layer would compress on the way out
GRADIO_COMPRESSED_SUFFIXES = {".html", ".htm", ".js", ".css", ".json", ".md", ".txt", ".csv", ".tsv", ".xml", ".svg"}
GRADIO_COMPRESS_MINIMUM_BYTES = 400


def kept_front_end_answer(path: str, headers, outside_gradio: bool = False, full_path: str = "") -> tuple | None:
    """(body, headers) for a GET of a kept front-end file at `path` (the path inside a Gradio app), None when it is
    not kept. `outside_gradio`: asked from in front of Gradio's CORS and Brotli layers (`KeptFrontEndFirst`), so
    also None where those layers would change the answer: a request with an Origin (CORS headers), or a body
    Brotli or GZip would compress on its way out (`full_path`: the path those layers read)."""
    for route, immutable in STATIC_ROUTES.items():
        prefix = route.split("{", 1)[0]
        if not path.startswith(prefix):
            continue
        known = _static_kept.get((route, path[len(prefix):]))  # a dict read: atomic under the GIL
        if known is None:
            return None
        accept = ""
        for name, value in headers:
            if name == b"accept-encoding":
                accept = value.decode("latin-1")
            elif name == b"origin" and outside_gradio:
                return None
        body, answer_headers = _kept_answer(known, immutable, accept)
        if outside_gradio and "content-encoding" not in answer_headers and len(body) >= GRADIO_COMPRESS_MINIMUM_BYTES \
                and "." in full_path and "." + full_path.split(".")[-1].lower() in GRADIO_COMPRESSED_SUFFIXES:
            return None
        answer_headers["content-length"] = str(len(body))
        return body, answer_headers
    return None


async def _send_answer(send, body: bytes, headers: dict) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()]})
    await send({"type": "http.response.body", "body": body})


class KeptFrontEndFirst:
    """ASGI, the launcher's outermost layer: a kept front-end file of a Space being served is answered before the
    launcher's app, its mount, and the Space's Gradio layers (CORS, Brotli) are entered; the answer is the one
    `KeptFrontEnd` gives inside them, and a request those layers would change (an Origin, a body they would
    compress) goes through them as before. A page's ~80 requests crossed about fifteen layers each.
    `served_prefixes()`: the mount paths of the Spaces being served ("/gan"), read per request."""

    def __init__(self, app, served_prefixes: Callable[[], object]):
        from starlette.routing import get_route_path

        self.app, self.served_prefixes, self.route_path = app, served_prefixes, get_route_path

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("query_string"):
            path = self.route_path(scope)
            slash = path.find("/", 1)
            if slash > 0 and path[:slash] in self.served_prefixes():
                answer = kept_front_end_answer(path[slash:], scope["headers"], outside_gradio=True,
                                               full_path=scope["path"])
                if answer is not None:
                    return await _send_answer(send, *answer)
        await self.app(scope, receive, send)


def jobs_in_flight(demo) -> list[tuple[str | None, str | None]]:
    """(session id, client address) of every job waiting in or running from this Blocks' queue.

    Gradio 6.31.0: `Queue.event_ids_to_events` {event id: Event}; `push` adds an event, and it leaves when its job
    ends (`process_events`) or its session is cleaned (`clean_events`). `Event.request` is the FastAPI request.
    """
    events = list(demo._queue.event_ids_to_events.values())  # a snapshot: the event loop adds and removes
    return [(event.session_hash, _address(event.request)) for event in events]


def _address(request) -> str | None:
    client = getattr(request, "client", None)
    return client.host if client is not None else None


def session_last_used(demo) -> dict:
    """{session id: when its state was last used (a naive datetime)} for every session this Blocks holds.

    Gradio 6.31.0: `Blocks.state_holder` (a `StateHolder`, set when the app is built) keeps `session_data`
    (session id -> SessionState) and `time_last_used`; it frees a session only past `capacity` (10,000).
    """
    holder = getattr(demo, "state_holder", None)
    if holder is None:
        return {}
    with holder.lock:
        sessions = list(holder.session_data)
    return {session: holder.time_last_used.get(session, datetime.datetime.min) for session in sessions}


def free_session(demo, session: str) -> None:
    """Drop a session's state (Gradio 6.31.0: `StateHolder.delete_state` runs each State's delete callback, then
    the SessionState itself leaves `session_data` and `time_last_used`, which Gradio never does before capacity)."""
    holder = demo.state_holder
    holder.delete_state(session)
    with holder.lock:
        holder.session_data.pop(session, None)
        holder.time_last_used.pop(session, None)


def served_file_sets(demo) -> list[set]:
    """The sets of file paths a Blocks served or received (Gradio 6.31.0: `Blocks.temp_file_sets`, one set per
    component plus `upload_file_set`; handler threads add to them, so a sweep must iterate over a copy)."""
    return list(demo.temp_file_sets)


def disable_gradio_sweep(demo) -> None:
    """Leave Gradio 6.31.0's own sweep off (`Blocks.delete_cache` None: `App.create_app` then starts no
    `delete_files_on_schedule` task); `core.common.upkeep` sweeps instead, folders and deep links included."""
    demo.delete_cache = None


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
