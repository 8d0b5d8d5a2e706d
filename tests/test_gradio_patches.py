"""Gradio's internals that `core.common.gradio_patches` patches or reads are still there, with the shape it assumes.

These fail loudly when Gradio changes under the project. When one fails after a Gradio upgrade: re-read each
function of core/common/gradio_patches.py against the new Gradio source (the Gradio function it names, who
calls it, what it returns), fix what moved, run tests/test_attacks.py and tests/test_edge.py (they prove
the patches work end to end), then set WRITTEN_FOR to the new version.
"""

import asyncio
import inspect
import math
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from fastapi import FastAPI, HTTPException
from gradio import networking, processing_utils, queueing, route_utils, routes, utils
from gradio.block_function import BlockFunction
from gradio.data_classes import PredictBodyInternal
from gradio.state_holder import SessionState

from core.common import edge, gradio_patches

RECHECK = ("re-check every function of core/common/gradio_patches.py against this Gradio (see the docstring of "
           "tests/test_gradio_patches.py), then update WRITTEN_FOR")


def parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def source(function) -> str:
    return inspect.getsource(function)


def run_async(coroutine):
    """Run a coroutine to its end in a thread of its own (a test after the browser tests has a running loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def tiny_demo() -> gr.Blocks:
    with gr.Blocks() as demo:
        count = gr.Number(2, minimum=0, maximum=10, label="Count")
        out = gr.Number()
        gr.Button().click(lambda x: 2 * x, count, out, api_name="double")
        gr.Button().click(lambda x: int("not a number"), count, out, api_name="fails")
    return demo


def test_the_installed_gradio_is_the_one_the_patches_were_written_for():
    assert gr.__version__ == gradio_patches.WRITTEN_FOR, (
        f"Gradio {gr.__version__} is installed; core/common/gradio_patches.py was written against "
        f"{gradio_patches.WRITTEN_FOR}: {RECHECK}.")


def test_validate_inputs_is_still_the_per_event_check_on_raw_inputs():
    assert parameters(gr.Blocks.validate_inputs) == ["self", "block_fn", "inputs"], RECHECK
    assert "self.validate_inputs(block_fn, inputs)" in source(gr.Blocks.preprocess_data), (
        f"Blocks.preprocess_data no longer calls validate_inputs: the edge's payload checks would not run; {RECHECK}")


def test_an_event_is_still_a_block_function_in_blocks_fns():
    demo = tiny_demo()
    assert isinstance(demo.fns, dict) and all(isinstance(key, int) for key in demo.fns), RECHECK
    for block_fn in gradio_patches.event_functions(demo):
        assert isinstance(block_fn, BlockFunction), RECHECK
        assert callable(block_fn.fn) and isinstance(block_fn.inputs, list), RECHECK
        assert isinstance(block_fn.batch, bool) and isinstance(block_fn.name, str), RECHECK
    assert gradio_patches.has_event(demo, next(iter(demo.fns))) and not gradio_patches.has_event(demo, 9999)


def test_the_queue_push_is_still_where_an_event_is_looked_up():
    demo = tiny_demo()
    assert isinstance(demo._queue, queueing.Queue), RECHECK
    assert inspect.iscoroutinefunction(queueing.Queue.push), RECHECK
    assert parameters(queueing.Queue.push) == ["self", "body", "request", "username"], RECHECK
    assert "fn_index" in PredictBodyInternal.model_fields, RECHECK


def test_has_launched_still_gates_gradios_own_upload_check():
    assert gr.Blocks().has_launched is False, RECHECK
    assert "has_launched" in source(processing_utils._check_allowed), (
        f"Gradio's upload-folder check no longer depends on has_launched: is mark_launched still needed? {RECHECK}")
    assert "has_launched" not in source(routes.mount_gradio_app), (
        f"mount_gradio_app now sets has_launched itself: mark_launched may be dropped; {RECHECK}")


def test_delete_cache_still_decides_whether_gradio_sweeps():
    assert "delete_cache" in parameters(gr.Blocks.__init__), RECHECK
    assert "blocks.delete_cache or (None, None)" in source(routes.App.create_app), RECHECK
    assert "if frequency and age:" in source(route_utils.create_lifespan_handler), RECHECK


def test_gradios_own_sweep_still_iterates_sets_that_handlers_grow():
    """Why core.common.upkeep sweeps instead: Gradio's loop over each live set dies on 'Set changed size during
    iteration' and its schedule never restarts. If this fails, Gradio changed its sweep: re-check whether ours is
    still needed."""
    assert "for file in temp_set:" in source(route_utils.delete_files_created_by_app), RECHECK
    assert "while True:" in source(route_utils.delete_files_on_schedule), RECHECK
    demo = tiny_demo()
    assert demo.upload_file_set in gradio_patches.served_file_sets(demo), RECHECK
    assert all(isinstance(files, set) for files in gradio_patches.served_file_sets(demo)), RECHECK


def test_the_app_is_still_built_with_our_lifespan_and_middleware():
    source_text = source(routes.App.create_app)
    assert 'app_kwargs.get("lifespan", None)' in source_text and "**app_kwargs" in source_text, RECHECK
    assert "app_kwargs" in parameters(routes.mount_gradio_app) and "app_kwargs" in parameters(gr.Blocks.launch), RECHECK


def test_the_direct_route_still_obeys_api_open():
    assert gr.Blocks().api_open is True, RECHECK  # off Hugging Face Gradio leaves it open: close_direct_route
    assert "not app.get_blocks().api_open and fn.queue" in source(routes.App.create_app), RECHECK
    assert '"/run/{api_name}"' in source(routes.App.create_app) and '"/api/{api_name}"' in source(routes.App.create_app)


def test_the_queue_still_tracks_jobs_and_sessions_where_the_limits_read_them():
    demo = tiny_demo()
    assert isinstance(demo._queue.event_ids_to_events, dict), RECHECK
    assert {"session_hash", "request"} <= set(parameters(queueing.Event.__init__)), RECHECK
    assert "self.event_ids_to_events.pop(event._id, None)" in source(queueing.Queue.process_events), RECHECK
    assert "blocks._queue.push(" in source(routes.App.create_app), RECHECK  # /queue/join, /call: one door
    holder = routes.App().state_holder
    assert {"session_data", "time_last_used", "lock"} <= set(vars(holder)), RECHECK
    assert parameters(type(holder).delete_state) == ["self", "session_id", "expired_only"], RECHECK
    assert '"/heartbeat/{session_hash}"' in source(routes.App.create_app), RECHECK  # limits.OPEN_PAGES


def test_an_idle_queue_still_polls_the_attributes_that_calm_idle_queue_raises():
    assert "await asyncio.sleep(self.sleep_when_free)" in source(queueing.Queue.start_processing), RECHECK
    assert "len(event_queue.queue)" in source(queueing.Queue.__len__), RECHECK
    assert "await asyncio.sleep(self.progress_update_sleep_when_free)" in source(
        queueing.Queue.start_progress_updates), RECHECK
    demo = tiny_demo()
    assert demo._queue.sleep_when_free < gradio_patches.QUEUE_IDLE_POLL_S, RECHECK  # Gradio's own: 1 ms on Linux
    gradio_patches.calm_idle_queue(demo)
    assert demo._queue.sleep_when_free == gradio_patches.QUEUE_IDLE_POLL_S
    assert demo._queue.progress_update_sleep_when_free == gradio_patches.PROGRESS_IDLE_POLL_S
    gradio_patches.calm_idle_queue(demo)  # twice: the same
    assert demo._queue.sleep_when_free == gradio_patches.QUEUE_IDLE_POLL_S
    # a job waiting for a free slot: the queue looks again after Gradio's own 1 ms, not the idle sleep
    waiting = demo._queue.event_queue_per_concurrency_id.setdefault("test", queueing.EventQueue("test", 1))
    waiting.queue.append(object())  # (Queue.__len__ counts each concurrency group's waiting events)
    assert demo._queue.sleep_when_free == 0.001
    waiting.queue.clear()
    assert demo._queue.sleep_when_free == gradio_patches.QUEUE_IDLE_POLL_S


def test_the_queue_still_summarises_its_analytics_by_the_attributes_quiet_queue_analytics_sets():
    compute = source(queueing.Queue.compute_analytics_summary)
    assert "self.ANAYLTICS_CACHE_FREQUENCY" in compute and "self._get_df(records)" in compute, RECHECK
    assert "self.ANALYTICS_MAX_EVENTS" in source(queueing.Queue.push), RECHECK  # where old events are dropped
    demo = tiny_demo()
    assert demo._queue.ANAYLTICS_CACHE_FREQUENCY == 1 and demo._queue.ANALYTICS_MAX_EVENTS == 10_000, RECHECK
    gradio_patches.quiet_queue_analytics(demo)
    assert demo._queue.ANAYLTICS_CACHE_FREQUENCY == gradio_patches.ANALYTICS_SUMMARY_EVERY
    assert demo._queue.ANALYTICS_MAX_EVENTS == gradio_patches.ANALYTICS_KEPT_EVENTS


def test_a_session_still_copies_the_config_where_lazy_session_config_defers_it():
    from gradio import state_holder

    eager = getattr(state_holder.SessionState.__init__, "__wrapped__", state_holder.SessionState.__init__)
    init = source(eager)
    assert "self.config_values = {" in init and "config_for_block(k, [], v)" in init, RECHECK
    gradio_update_value = getattr(state_holder.SessionState._update_value_in_config, "__wrapped__",
                                  state_holder.SessionState._update_value_in_config)
    assert "self.config_values[key]" in source(gradio_update_value), RECHECK
    assert "self.config_values.items()" in source(state_holder.SessionState.components.fget), RECHECK
    demo = tiny_demo()
    expected = state_holder.SessionState.__new__(state_holder.SessionState)
    eager(expected, demo)  # Gradio's own session, built at once

    gradio_patches.lazy_session_config()
    gradio_patches.lazy_session_config()  # once: a second call keeps the first patch
    session = state_holder.SessionState(demo)
    assert dict.__len__(session.config_values) == 0  # nothing built for a new visitor
    some = list(expected.config_values)[-1]
    assert session.config_values[some] == expected.config_values[some]  # built when read, as Gradio built it
    session._update_value_in_config(some, 42)
    assert session.config_values[some]["props"]["value"] == 42
    assert list(session.components) == [  # a deep link still gets every block
        {**c, "props": {**c["props"], "value": 42}} if c.get("id") == some else c for c in expected.components]


def test_events_leave_a_deep_link_the_config_gradio_would_have_built():
    """`lazy_session_config` defers what events do to a session's config: after updates, values and state, a deep
    link's components are what Gradio's eager methods built."""
    from gradio import state_holder

    gradio_patches.lazy_session_config()
    replaced = ("__init__", "__setitem__", "_update_config", "_update_value_in_config")
    gradio_own = {name: getattr(state_holder.SessionState, name).__wrapped__ for name in replaced}
    assert "self.config_values[key] = self.blocks_config.config_for_block(" in source(gradio_own["__setitem__"]), RECHECK
    assert "self._state_ttl[key] = (" in source(gradio_own["__setitem__"]), RECHECK
    assert "config_for_block(" in source(gradio_own["_update_config"]), RECHECK
    blocks_source = source(gr.Blocks.postprocess_data) + source(gr.Blocks.preprocess_data)
    assert "state._update_config(block._id)" in blocks_source and "state._update_value_in_config(" in blocks_source, RECHECK
    eager_session = type("GradiosOwnSession", (state_holder.SessionState,), gradio_own)

    with gr.Blocks() as demo:
        count = gr.Number(2, minimum=0, maximum=10, label="Count")
        k = gr.Slider(0, 10, 1, step=1, label="k")
        clicks = gr.State(0)
        out = gr.Number()
        gr.Button().click(lambda x, s, n: (gr.Slider(maximum=5, value=3), 2 * x, n + 1), [count, k, clicks],
                          [k, out, clicks])
        gr.Button().click(lambda s: gr.Number(label=f"relabelled at {s}"), k, count)
        gr.Button().click(lambda x: gr.Slider(maximum=9), count, k)
    update, relabel, widen = demo.fns
    steps = [(update, [4, 2, None]), (relabel, [3]), (update, [5, 3, None]), (widen, [1]), (relabel, [4])]
    lazy, eager = state_holder.SessionState(demo), eager_session(demo)
    for session in (lazy, eager):
        for fn_index, inputs in steps:
            run_async(demo.process_api(fn_index, inputs, state=session))
    assert dict.__len__(lazy.config_values) == 0  # nothing built for the events

    def deep_link(session):  # a block an event added has a new id in each session: compared without it
        return [c if c["id"] in demo.blocks else {**c, "id": "added"} for c in session.components]

    assert deep_link(lazy) == deep_link(eager) and len(deep_link(lazy)) > len(demo.blocks)
    assert lazy[clicks._id] == eager[clicks._id] == 2

def test_the_same_picture_is_encoded_once_where_gradio_saves_pictures_to_its_cache(tmp_path):
    import numpy as np
    from gradio import image_utils
    from PIL import Image

    save = getattr(processing_utils.save_pil_to_cache, "__wrapped__", processing_utils.save_pil_to_cache)
    assert "encode_pil_to_bytes(img, format)" in source(save), RECHECK  # encodes first, hashes the bytes after
    assert "return save_pil_to_cache(" in source(processing_utils.save_img_array_to_cache), RECHECK
    assert "processing_utils.save_img_array_to_cache(" in source(image_utils.save_image), RECHECK
    gradio_patches.memo_picture_encoding()
    gradio_patches.memo_picture_encoding()  # once
    encoded = []
    real_encode = processing_utils.encode_pil_to_bytes

    def counting(img, format="webp", *args, **kwargs):
        encoded.append(img.size)
        return real_encode(img, format, *args, **kwargs)

    processing_utils.encode_pil_to_bytes = counting
    try:
        picture = np.random.default_rng(0).integers(0, 256, (40, 30, 3), dtype=np.uint8)
        first = image_utils.save_image(picture, str(tmp_path), format="png")
        again = image_utils.save_image(picture.copy(), str(tmp_path), format="png")  # same pixels, a new array
        assert again == first and len(encoded) == 1
        other = picture.copy()
        other[0, 0, 0] ^= 1
        assert image_utils.save_image(other, str(tmp_path), format="png") != first and len(encoded) == 2
        assert image_utils.save_image(picture, str(tmp_path), format="webp") != first  # another format: its own file
        Path(first).unlink()  # swept: encoded again, the file back
        assert image_utils.save_image(picture, str(tmp_path), format="png") == first and Path(first).exists()
        assert np.array_equal(np.asarray(Image.open(first)), picture)
    finally:
        processing_utils.encode_pil_to_bytes = real_encode


def test_a_frozen_array_sent_again_is_found_by_identity_and_a_writeable_one_never(tmp_path):
    """A remembered result's arrays are frozen (`edge.remember`): the same object sent again gets its file without
    its pixels being copied or hashed; an array anyone could still change is hashed every time."""
    from gradio import image_utils
    from PIL import Image

    assert "save_img_array_to_cache(" in source(image_utils.save_image), RECHECK
    assert "processing_utils.save_img_array_to_cache(" in source(gr.Gallery.postprocess), RECHECK
    gradio_patches.memo_picture_encoding()
    hashed = []
    real_fromarray = Image.fromarray

    def counting(array, *args, **kwargs):
        hashed.append(array.shape)
        return real_fromarray(array, *args, **kwargs)

    Image.fromarray = counting
    try:
        frozen = np.random.default_rng(1).integers(0, 256, (24, 16, 3), dtype=np.uint8)
        frozen.flags.writeable = False
        first = image_utils.save_image(frozen, str(tmp_path), format="png")
        assert image_utils.save_image(frozen, str(tmp_path), format="png") == first and len(hashed) == 1
        assert image_utils.save_image(frozen, str(tmp_path), format="webp") != first  # another format: its own file
        Path(first).unlink()  # swept: encoded again
        assert image_utils.save_image(frozen, str(tmp_path), format="png") == first and Path(first).exists()

        base = frozen.copy()  # writeable: changed in place between two sends, the second shows the change
        view = base[:]
        view.flags.writeable = False  # read-only, but a view of pixels someone can change
        before = image_utils.save_image(view, str(tmp_path), format="png")
        base[0, 0] = 255 - base[0, 0]
        after = image_utils.save_image(view, str(tmp_path), format="png")
        assert after != before and np.array_equal(np.asarray(Image.open(after)), base)
    finally:
        Image.fromarray = real_fromarray


def test_values_kept_by_identity_leave_with_their_object_and_only_the_newest_stay():
    import gc

    kept = gradio_patches.KeptByIdentity(limit=2)
    first, second, third = (np.zeros(3) for _ in range(3))
    kept.put(first, "a")
    assert kept.get(first) == "a" and kept.get(first.copy()) is None  # the same pixels, another object
    del first
    gc.collect()
    assert not kept.entries  # gone with its array: memory follows the remembered results
    for thing, value in ((second, "b"), (third, "c"), (np.ones(1), "d")):
        kept.put(thing, value)
    assert kept.get(second) is None and kept.get(third) == "c"  # at most two: the oldest went


def test_an_outputs_files_are_checked_and_placed_once_and_every_answer_is_a_copy(tmp_path):
    """The same Gallery value sent again gets Gradio's answer without its path checks; each answer is a copy
    (Gradio adds the root URL in place); a swept file is placed again; inputs are always checked."""
    from PIL import Image

    assert "processing_utils.async_move_files_to_cache(" in source(gr.Blocks.postprocess_data), RECHECK
    assert "block.async_move_resource_to_block_cache(" in source(processing_utils.async_move_files_to_cache), RECHECK
    assert "self.temp_files.add(temp_file_path)" in source(gr.Blocks.async_move_resource_to_block_cache), RECHECK
    gradio_patches.memo_output_files()
    gradio_patches.memo_output_files()  # once
    with gr.Blocks():
        gallery = gr.Gallery()
    placed_by_gradio = []
    real_place = gallery.async_move_resource_to_block_cache

    async def counting(path):
        placed_by_gradio.append(path)
        return await real_place(path)

    gallery.async_move_resource_to_block_cache = counting
    picture = tmp_path / "a.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(picture)
    value = gallery.postprocess([(str(picture), "a caption")])  # a model, as Gradio's second call passes it

    def send(data=value, **kwargs):
        return run_async(processing_utils.async_move_files_to_cache(data, gallery, postprocess=True, **kwargs))

    first = send()
    again = send(value.model_dump())  # the same data as a dict, as Gradio's first call passes it
    assert first == again and first is not again and len(placed_by_gradio) == 1
    placed = first[0]["image"]["path"]
    assert placed in gallery.temp_files and first[0]["image"]["url"].endswith(placed.split("/")[-1])
    first[0]["image"]["url"] = "changed"  # as Gradio's add_root_url does, in place
    assert send() == again and len(placed_by_gradio) == 1
    Path(placed).unlink()  # swept: placed again
    assert send()[0]["image"]["path"] == placed and Path(placed).exists() and len(placed_by_gradio) == 2
    run_async(processing_utils.async_move_files_to_cache(value, gallery, postprocess=False))
    run_async(processing_utils.async_move_files_to_cache(value, gallery, postprocess=False))
    assert len(placed_by_gradio) == 4  # a visitor's input: checked every time


def test_a_remembered_figures_json_is_written_once_and_any_other_figure_every_time():
    import plotly.graph_objects as go

    assert "value.to_json()" in source(gr.Plot.postprocess.__wrapped__ if hasattr(gr.Plot.postprocess, "__wrapped__")
                                       else gr.Plot.postprocess), RECHECK
    gradio_patches.memo_plot_json()
    gradio_patches.memo_plot_json()  # once
    written = []

    class Counted(go.Figure):
        def to_json(self, *args, **kwargs):
            written.append(id(self))
            return super().to_json(*args, **kwargs)

    @edge.remember()
    def chart(slope):
        return Counted(go.Scatter(x=[0, 1], y=[0, slope])), "text"

    plot = gr.Plot()
    shared = chart(2)[0]
    answers = [plot.postprocess(chart(2)[0]) for _ in range(3)]
    assert len(written) == 1 and answers[0] is answers[2] and '"y":[0,2]' in answers[0].plot.replace(" ", "")
    fresh = Counted(go.Scatter(x=[0, 1], y=[0, 3]))  # not remembered: anyone may change it
    plot.postprocess(fresh)
    fresh.update_layout(title="changed")
    assert "changed" in plot.postprocess(fresh).plot and len(written) == 3
    assert plot.postprocess(None) is None and shared is chart(2)[0]


def test_a_waiting_visitor_hears_its_place_once_a_second_not_at_every_jobs_start():
    assert "if self.live_updates:" in source(queueing.Queue.start_processing), RECHECK
    assert "if not self.live_updates:" in source(queueing.Queue.start), RECHECK
    assert "await asyncio.sleep(self.update_intervals)" in source(queueing.Queue.notify_clients), RECHECK
    assert "live_updates=status_update_rate == \"auto\"" in source(gr.Blocks.queue), RECHECK
    demo = tiny_demo()
    assert demo._queue.live_updates is True, RECHECK  # Gradio's default: "auto"
    gradio_patches.periodic_queue_estimates(demo)
    assert demo._queue.live_updates is False
    assert demo._queue.update_intervals == gradio_patches.QUEUE_ESTIMATES_EVERY_S


def test_a_dataset_still_indexes_its_samples_unchecked():
    dataset = gr.Dataset(components=[gr.Number()], samples=[[1], [2]])
    assert len(dataset.raw_samples) == 2, RECHECK
    assert "self.raw_samples[payload]" in source(gr.Dataset.preprocess), RECHECK


def test_mount_gradio_app_still_mounts_the_gradio_app_last():
    holder = FastAPI()
    gr.mount_gradio_app(holder, tiny_demo(), path="/tiny")
    assert isinstance(gradio_patches.mounted_gradio_app(holder), routes.App), RECHECK


def test_the_share_tunnel_and_upload_folder_helpers_keep_their_signatures():
    assert parameters(networking.setup_tunnel) == [
        "local_host", "local_port", "share_token", "share_server_address", "share_server_tls_certificate"], RECHECK
    assert parameters(utils.is_in_or_equal) == ["path_1", "path_2"], RECHECK
    folder = gradio_patches.upload_folder()
    assert folder.is_absolute() and gradio_patches.is_inside(folder / "a" / "b.png", folder), RECHECK
    assert not gradio_patches.is_inside(folder / ".." / "etc", folder)


def test_a_hardened_blocks_runs_every_patch_through_gradios_own_calls():
    """The patches as Gradio calls them: process_api -> our input check and our handler wrapper; the queue ->
    our event lookup; the cache sweep set."""
    demo = edge.harden(tiny_demo())
    double, fails = (index for index, block_fn in demo.fns.items() if block_fn.name == "<lambda>")

    def run(fn_index, inputs):
        return run_async(demo.process_api(fn_index, inputs, state=SessionState(demo)))

    def refusal(fn_index, inputs) -> str:
        with pytest.raises(gr.Error) as refused:
            run(fn_index, inputs)
        return refused.value.message

    assert run(double, [3])["data"] == [6]
    assert refusal(double, [math.nan]).startswith("Count: nan is not a usable number")
    assert refusal(double, []) == "This action takes 1 inputs, got 0."
    assert refusal(fails, [3]).startswith("invalid literal for int()")  # a handler's ValueError, as a message
    body = PredictBodyInternal(fn_index=9999, data=[], session_hash="attacker")
    with pytest.raises(HTTPException) as unknown:
        run_async(demo._queue.push(body, None, None))
    assert (unknown.value.status_code, unknown.value.detail) == (400, "No event with fn_index 9999.")
    assert demo.api_open is False and demo.delete_cache is None  # the direct route closed; our sweep, not Gradio's
    assert demo._queue.sleep_when_free == gradio_patches.QUEUE_IDLE_POLL_S  # an idle queue sleeps


def test_a_page_and_its_config_are_answered_from_the_first_visitors_bytes_and_per_origin(monkeypatch):
    """`/` and `/config` are the routes `memo_page_routes` replaces: sync endpoints with these parameters."""
    import httpx
    from fastapi.routing import APIRoute

    from bench.toolkit.ports import free_port

    with gr.Blocks() as demo:
        gr.Image(value=str(Path(__file__).parent.parent / "spaces/pca/screenshot.png"), label="a file in the config")
    rewrites = []

    def counted(config, root):
        rewrites.append(root)
        if "cold" in root:
            time.sleep(0.3)  # a big config takes this long: the others arrive meanwhile
        return rewrite(config, root)

    rewrite = route_utils.update_root_in_config
    monkeypatch.setattr(route_utils, "update_root_in_config", counted)  # what both routes do for each answer
    try:
        edge.launch(demo, server_port=free_port(), prevent_thread_lock=True, quiet=True)
        memoised = {r.path: r.dependant.call for r in demo.server_app.router.routes
                    if isinstance(r, APIRoute) and r.path.rstrip("/") in ("", "/config")}
        assert set(memoised) >= {"/", "/config"} and all(c._manifold_memo for c in memoised.values()), RECHECK
        assert parameters(memoised["/config"].__wrapped__) == ["request", "user", "deep_link", "page"], RECHECK
        assert parameters(memoised["/"].__wrapped__) == ["request", "user", "page", "deep_link"], RECHECK
        assert not any(inspect.iscoroutinefunction(c.__wrapped__) for c in memoised.values()), RECHECK
        root = demo.local_url.rstrip("/")
        for path in ("/config", "/"):
            rewrites.clear()
            first, second = httpx.get(root + path), httpx.get(root + path + "?tab=x")  # a link's own query: same page
            assert first.status_code == 200 and first.content == second.content and rewrites == [root]  # made once
            proxied = httpx.get(root + path, headers={"x-forwarded-host": "example.org", "x-forwarded-proto": "https"})
            assert rewrites == [root, "https://example.org"]  # another origin: its own answer
            assert "https://example.org/gradio_api/file=" in proxied.text and "example.org" not in first.text
            httpx.get(root + path, params={"deep_link": "abc"})
            assert len(rewrites) == 3  # a deep link: Gradio's route as ever
        assert first.headers["content-type"].startswith("text/html") and "<html" in first.text
        assert httpx.head(root + "/").status_code == 200
        rewrites.clear()
        with ThreadPoolExecutor(8) as pool:  # a class's API clients at a cold origin at once: made once
            answers = list(pool.map(lambda _: httpx.get(root + "/config", headers={"x-forwarded-host": "cold.org"}),
                                    range(8)))
        assert len({a.content for a in answers}) == 1 and rewrites == ["http://cold.org"]
    finally:
        demo.close()


def test_the_front_ends_files_are_read_once_compressed_once_and_cached_by_the_browser(monkeypatch):
    """`/assets/{path}` and `/static/{path}` are the routes `memo_static_routes` replaces (async, one `path`)."""
    import re

    import httpx
    from fastapi.routing import APIRoute

    from bench.toolkit.ports import free_port

    reads = []

    def counted(folder, path):
        reads.append(str(path))
        return served(folder, path)

    served = routes.file_response
    monkeypatch.setattr(routes, "file_response", counted)  # what both routes call to read a file
    monkeypatch.setattr(gradio_patches, "_static_kept", {})  # one store for every app of the process: empty here
    with gr.Blocks() as demo:
        gr.Markdown("a page")
    try:
        edge.launch(demo, server_port=free_port(), prevent_thread_lock=True, quiet=True)
        memoised = {r.path: r.dependant for r in demo.server_app.router.routes if isinstance(r, APIRoute)
                    and r.path in ("/assets/{path:path}", "/static/{path:path}")}
        assert len(memoised) == 2 and all(d.call._manifold_memo for d in memoised.values()), RECHECK
        assert all(parameters(d.call.__wrapped__) == ["path"] and inspect.iscoroutinefunction(d.call.__wrapped__)
                   for d in memoised.values()), RECHECK
        root = demo.local_url.rstrip("/")
        script = re.search(r"\./assets/([\w.-]+\.js)", httpx.get(root + "/").text).group(1)
        plain = httpx.get(f"{root}/assets/{script}", headers={"accept-encoding": "identity"})
        packed = httpx.get(f"{root}/assets/{script}", headers={"accept-encoding": "br"})
        assert plain.status_code == packed.status_code == 200 and reads == [script]  # read from disk once
        assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "content-encoding" not in plain.headers and packed.headers["content-encoding"] == "br"
        assert packed.content == plain.content  # httpx decodes Brotli
        assert int(packed.headers["content-length"]) < len(plain.content) / 2
        assert plain.content == (Path(routes.BUILD_PATH_LIB) / script).read_bytes()
        for bad in ("../../../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "no-such-file.js"):
            assert httpx.get(f"{root}/assets/{bad}").status_code in (400, 403, 404)
        # once kept, a file is answered by the KeptFrontEnd middleware: the route is not reached again
        routed = []
        route = next(r for r in demo.server_app.router.routes if getattr(r, "path", "") == "/assets/{path:path}")
        endpoint = route.dependant.call

        async def counting(path, request):
            routed.append(path)
            return await endpoint(path=path, request=request)

        route.dependant.call = counting
        again = httpx.get(f"{root}/assets/{script}", headers={"accept-encoding": "br"})
        assert again.content == plain.content and again.headers["content-encoding"] == "br" and routed == []
        assert httpx.get(f"{root}/assets/{script}?v=1").status_code == 200 and routed == [script]  # a query: Gradio's
    finally:
        demo.close()


def test_the_theme_stylesheet_is_compressed_once_and_answered_as_gradio_answered_it(monkeypatch):
    """`/theme.css` is Gradio's sync route returning the Blocks' `theme_css`; ours gives the same text and headers
    (Brotli's encoding when asked), compressing it once."""
    import brotli
    import httpx
    from fastapi.routing import APIRoute

    from bench.toolkit.ports import free_port

    assert "app.get_blocks().theme_css" in source(routes.App.create_app), RECHECK
    compressed = []
    real_compress = brotli.compress
    monkeypatch.setattr(brotli, "compress", lambda data, **kw: compressed.append(len(data)) or real_compress(data, **kw))
    with gr.Blocks() as demo:
        gr.Markdown("a page")
    try:
        edge.launch(demo, server_port=free_port(), prevent_thread_lock=True, quiet=True)
        themed = [r for r in demo.server_app.router.routes if isinstance(r, APIRoute) and r.path.endswith("/theme.css")]
        assert themed and all(r.dependant.call._manifold_memo for r in themed), RECHECK
        assert not inspect.iscoroutinefunction(themed[0].dependant.call.__wrapped__), RECHECK  # ours stays sync
        root = demo.local_url.rstrip("/")
        answers = [httpx.get(f"{root}/theme.css?v=1", headers={"accept-encoding": encoding})
                   for encoding in ("br", "identity", "gzip, deflate, br", "br")]
        assert all(a.status_code == 200 and a.text == demo.theme_css for a in answers)  # httpx decodes
        assert all(a.headers["content-type"] == "text/css; charset=utf-8" for a in answers)
        assert [a.headers.get("content-encoding") for a in answers] == ["br", None, "br", "br"]
        assert compressed.count(len(demo.theme_css.encode())) == 1  # once, for every visitor
    finally:
        demo.close()


def test_the_kept_front_end_answers_only_kept_files_under_any_mount(monkeypatch):
    import asyncio

    monkeypatch.setattr(gradio_patches, "_static_kept", {("/assets/{path:path}", "index-1.js"): (b"x" * 9, b"br!", "text/javascript")})
    reached, sent = [], []

    async def inner(scope, receive, send):
        reached.append((scope["method"], scope["path"]))

    async def send(message):
        sent.append(message)

    door = gradio_patches.KeptFrontEnd(inner)

    def request(path, method="GET", root_path="/gan", encoding=b"gzip, br"):
        scope = {"type": "http", "method": method, "path": path, "root_path": root_path, "query_string": b"",
                 "headers": [(b"accept-encoding", encoding)]}
        sent.clear()
        asyncio.run(door(scope, None, send))
        return sent[:]

    answer = request("/gan/assets/index-1.js")
    headers = dict(answer[0]["headers"])
    assert answer[0]["status"] == 200 and answer[1]["body"] == b"br!" and headers[b"content-encoding"] == b"br"
    assert headers[b"cache-control"].endswith(b"immutable") and headers[b"content-length"] == b"3" and reached == []
    assert request("/gan/assets/index-1.js", encoding=b"identity")[1]["body"] == b"x" * 9
    for path, method in [("/gan/assets/index-2.js", "GET"), ("/gan/static/index-1.js", "GET"),
                         ("/gan/assets/index-1.js", "POST"), ("/gan/assets/index-1.js", "HEAD")]:
        assert request(path, method) == [] and reached[-1] == (method, path)
