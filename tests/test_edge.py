"""The edge: payload checks derived from each component, plain messages for user errors, a seeded memo."""

import math
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from core.common import edge
from core.common.edge import UserInputError, check_payload
from core.common.seeds import MAX_SEED, parse_seeds


@pytest.mark.parametrize("value, message", [
    (math.nan, "nan is not a usable number"), (math.inf, "inf is not a usable number"), (None, "enter a number"),
    ("7", "enter a number"), (True, "enter a number"), (2.5, "use a whole number"), (11, "11 is out of range"),
    (-1, "-1 is out of range"),
])
def test_a_slider_payload_must_be_a_number_it_could_have_sent(value, message):
    slider = gr.Slider(0, 10, 3, step=1, label="Steps")
    with pytest.raises(UserInputError, match=f"^Steps: {message}"):
        check_payload(slider, value)
    assert check_payload(slider, 4.0) == 4 and check_payload(gr.Slider(0, 1, step=0.05, label="psi"), 0.35) == 0.35


def test_a_seed_number_is_whole_and_within_the_seed_range():
    seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="Seed")
    assert check_payload(seed, MAX_SEED) == MAX_SEED
    for bad in (MAX_SEED + 1, 2**70, -5, 0.5, math.nan, None):
        with pytest.raises(UserInputError, match="^Seed: "):
            check_payload(seed, bad)


def test_choices_checkboxes_and_text_are_checked():
    radio = gr.Radio(["a", "b"], value="a", label="Kind")
    assert check_payload(radio, "b") == "b"
    for bad in (None, "c", 1):
        with pytest.raises(UserInputError, match="^Kind: choose one of a, b"):
            check_payload(radio, bad)
    with pytest.raises(UserInputError, match="true or false"):
        check_payload(gr.Checkbox(label="Add noise"), "yes")
    with pytest.raises(UserInputError, match="at most 1000 characters"):
        check_payload(gr.Textbox(label="Seeds"), "1," * 600)


def test_an_image_payload_must_name_an_uploaded_file(tmp_path):
    image = gr.Image(type="filepath", image_mode=None, label="Photo")
    outside = tmp_path / "photo.png"
    outside.write_bytes(b"\x89PNG")
    for payload in ({"path": str(outside)}, {"path": "/etc/passwd"}, {"path": "http://127.0.0.1/x.png"},
                    {"path": None, "url": "data:image/png;base64,AAAA"}, "photo.png"):
        with pytest.raises(UserInputError, match="^Photo: "):
            check_payload(image, payload)
    assert check_payload(image, None) is None


def test_harden_refuses_image_inputs_that_gradio_would_decode():
    with gr.Blocks() as demo:
        upload = gr.Image(type="pil")
        gr.Button().click(lambda image: None, upload, None)
    with pytest.raises(TypeError, match="type='filepath', image_mode=None"):
        edge.harden(demo)


def test_user_errors_become_messages_in_functions_and_generators():
    def handler(x):
        raise ValueError(f"bad {x}")

    def stream(x):
        yield 1
        raise UserInputError(f"worse {x}")

    with pytest.raises(gr.Error, match="bad 3"):
        edge.user_errors(handler)(3)
    wrapped = edge.user_errors(stream)(4)
    assert next(wrapped) == 1
    with pytest.raises(gr.Error, match="worse 4"):
        next(wrapped)
    with pytest.raises(KeyError):  # a bug stays a bug: only ValueErrors are the user's
        edge.user_errors(lambda: {}["x"])()


def test_remember_computes_once_per_arguments_and_forgets_the_oldest(tmp_path):
    calls = []

    @edge.remember(maxsize=2)
    def render(seed):
        calls.append(seed)
        path = tmp_path / f"{seed}.gif"
        path.write_text("x")
        return str(path), seed

    assert render(1) == render(1) and calls == [1]
    render(2), render(3)  # 1 is now the oldest of three: forgotten
    render(1)
    assert calls == [1, 2, 3, 1]
    (tmp_path / "1.gif").unlink()  # a cached file that was removed since: computed again
    render(1)
    assert calls == [1, 2, 3, 1, 1]
    from bench.harness import uncached

    uncached(render)(1)  # what the bench times: the computation, not the cache
    assert calls == [1, 2, 3, 1, 1, 1]


def test_a_remembered_result_is_frozen_every_visitor_shares_it_and_no_one_can_change_it():
    @edge.remember()
    def grid(seed):
        picture = np.full((4, 4, 3), seed, np.uint8)
        return [(picture, "a caption")], {"map": picture.astype(np.float32)}, "text"

    first = grid(3)
    assert grid(3) is first
    gallery, arrays, _ = first
    with pytest.raises(ValueError, match="read-only"):
        gallery[0][0][0, 0, 0] = 1  # a handler that changed it would change every visitor's picture
    assert not arrays["map"].flags.writeable


def test_remember_answers_from_its_made_ahead_store_for_the_same_arguments_weights_and_handler(tmp_path):
    from core.common.made_ahead import MadeAhead

    calls = []

    def draw(seed):
        calls.append(seed)
        return Image.new("RGB", (4, 3), (seed, 0, 0)), np.full(2, seed), f"seed {seed}"

    made = edge.remember(made_ahead=MadeAhead(tmp_path, "weights-1"))(draw)
    made.made_ahead.save([(made, (5,), made.compute(5))])
    assert calls == [5] and made.is_cached(5) and not made.is_cached(6)

    picture, array, text = edge.remember(made_ahead=MadeAhead(tmp_path, "weights-1"))(draw)(5)  # a new process
    assert calls == [5] and picture.getpixel((0, 0)) == (5, 0, 0) and array.tolist() == [5, 5] and text == "seed 5"
    edge.remember(made_ahead=MadeAhead(tmp_path, "weights-2"))(draw)(5)  # other weights: computed
    assert calls == [5, 5]


def test_remember_by_content_shares_a_result_for_the_same_pixels_in_new_arrays_and_tensors():
    import numpy as np
    import torch

    calls = []

    @edge.remember(maxsize=4, by_content=True)
    def brighten(task, picture, known=None):
        calls.append(task)
        return picture + 1

    picture = np.arange(12, dtype=np.float32).reshape(3, 4)
    first = brighten("a", picture)
    assert brighten("a", picture.copy()) is first and calls == ["a"]  # the same pixels, another array
    brighten("b", picture)
    other = picture.copy()
    other[0, 0] = -1
    brighten("a", other)
    assert calls == ["a", "b", "a"]
    tensor = torch.from_numpy(picture)
    brighten("a", tensor, (tensor, tensor[:1]))
    brighten("a", tensor.clone(), (tensor.clone(), tensor[:1].clone()))
    assert calls == ["a", "b", "a", "a"]


def test_remember_keeps_nothing_when_the_environment_caps_it_at_zero(monkeypatch):
    monkeypatch.setenv("MANIFOLD_REMEMBER_MAX", "0")  # what the soak test's server runs with
    calls = []

    @edge.remember(maxsize=8)
    def square(x):
        calls.append(x)
        return x * x

    assert square(3) == square(3) == 9 and calls == [3, 3]


def test_remember_is_single_flight_callers_of_the_same_arguments_wait_for_one_computation():
    import threading

    calls, entered, release = [], threading.Event(), threading.Event()

    @edge.remember()
    def measure(seed):
        calls.append(seed)
        entered.set()
        release.wait(timeout=30)
        return seed * 10

    results = []
    first = threading.Thread(target=lambda: results.append(measure(1)))
    first.start()
    assert entered.wait(timeout=30)
    second = threading.Thread(target=lambda: results.append(measure(1)))
    second.start()
    second.join(timeout=1.0)  # were it not single-flight, the second caller would be inside measure by now
    release.set()
    first.join(), second.join()
    assert calls == [1] and results == [10, 10]


def test_remembered_pictures_are_served_as_png_files_written_once_and_python_callers_get_pictures():
    import numpy as np

    calls = []

    @edge.remember(images_as_files=True)
    def draw(seed):
        calls.append(seed)
        gray = np.full((4, 6), seed, dtype=np.uint8)
        return gray, Image.new("RGB", (3, 2), (seed, 0, 0)), np.zeros((2, 2)), f"seed {seed}"

    gray, picture, floats, note = draw(7)
    assert isinstance(gray, np.ndarray) and isinstance(picture, Image.Image)  # a Python caller: the pictures
    served = edge.user_errors(draw)  # what harden gives Gradio
    first = served(7)
    assert first[2] is floats and first[3] == "seed 7"  # only uint8 pictures and images become files
    with Image.open(first[0]) as png:
        assert png.format == "PNG" and np.array_equal(np.asarray(png), gray)
    with Image.open(first[1]) as png:
        assert png.getpixel((0, 0)) == (7, 0, 0)
    assert served(7) == first and calls == [7]  # written once: a second visitor gets the same files
    Path(first[0]).unlink()  # swept meanwhile: written again, not computed again, under the same name
    again = served(7)
    assert Path(again[0]).is_file() and again[0] == first[0] and calls == [7]


def test_a_picture_computed_again_is_served_under_the_same_name_and_another_under_its_own():
    """A shared link and the same settings made by hand name the same file even when the cache dropped the result
    between them (CI saw a link's picture under a new name on a busy server), and the sweep keeps reused files."""
    import numpy as np

    @edge.remember(images_as_files=True, maxsize=1)
    def draw(seed):
        return np.full((3, 3), seed, dtype=np.uint8)

    served = edge.user_errors(draw)
    first = served(1)
    served(2)  # drops seed 1's result: computed again below
    again = served(1)
    assert again == first and Path(first).is_file()
    assert served(2) != first
    with Image.open(first) as png:
        assert np.asarray(png).tolist() == [[1] * 3] * 3


def test_seeds_share_one_range_everywhere():
    assert parse_seeds(f"{MAX_SEED - 1}-{MAX_SEED}") == [MAX_SEED - 1, MAX_SEED]
    for bad, message in ((f"{MAX_SEED + 1}", "seeds go up to"), ("9" * 400, "is not a seed"), ("-3", "is not a seed")):
        with pytest.raises(ValueError, match=message):
            parse_seeds(bad)


# -- what one visitor may take (core.common.limits) and the upkeep while a Space serves (core.common.upkeep) --

def test_an_editor_request_carries_at_most_two_layers_and_an_example_index_in_range():
    editor = gr.ImageEditor(label="Canvas")
    layers = [None] * (edge.MAX_EDITOR_LAYERS + 1)
    with pytest.raises(UserInputError, match="^Canvas: at most 2 layers"):
        check_payload(editor, {"background": None, "composite": None, "layers": layers})
    dataset = gr.Dataset(components=[gr.Number()], samples=[[1], [2], [3]], label="Examples")
    assert check_payload(dataset, 2) == 2
    for bad in (3, -1, 1.5, "0", True, None):
        with pytest.raises(UserInputError, match="^Examples: "):
            check_payload(dataset, bad)


def test_a_session_or_an_address_gets_its_share_of_jobs_and_no_more(monkeypatch):
    from core.common import limits

    per_address = limits.MAX_JOBS_PER_SESSION + 2
    monkeypatch.setattr(limits, "MAX_JOBS_PER_ADDRESS", per_address)
    jobs = [("page", "10.0.0.1")] * limits.MAX_JOBS_PER_SESSION
    limits.admit_job("another-page", "10.0.0.1", jobs)
    with pytest.raises(limits.Refused, match="per page") as refused:
        limits.admit_job("page", "10.0.0.2", jobs)
    assert refused.value.status == 429
    crowd = [(f"page-{i}", "10.0.0.1") for i in range(per_address)]
    with pytest.raises(limits.Refused, match="from one address"):
        limits.admit_job("new-page", "10.0.0.1", crowd)
    limits.admit_job("new-page", "10.0.0.9", crowd)  # another client is not held back
    for bad in ("x" * 65, "", "../../etc", 7):
        with pytest.raises(limits.Refused, match="session id"):
            limits.admit_job(bad, None, [])


def test_uploads_per_address_are_bounded_within_the_sweeps_window():
    from core.common.limits import Refused, UploadLedger

    now = [0.0]
    ledger = UploadLedger(budget=100, window=900, clock=lambda: now[0])
    ledger.charge("a", 60)
    with pytest.raises(Refused, match="Upload limit") as refused:
        ledger.charge("a", 50)
    assert refused.value.status == 429
    ledger.charge("b", 50)  # another address has its own budget
    now[0] = 901  # the first upload has been swept by now
    ledger.charge("a", 50)
    assert set(ledger.uploads) == {"a"}  # b's old upload forgotten too: the ledger stays small


def test_the_sweep_removes_old_files_with_their_folders_and_deep_links(tmp_path, monkeypatch):
    import os
    import time

    from core.common import gradio_patches, upkeep

    monkeypatch.setattr(gradio_patches, "upload_folder", lambda: tmp_path)
    with gr.Blocks() as demo:
        gr.Number()
    old = tmp_path / "abc123" / "out.png"
    new = tmp_path / "def456" / "out.png"
    link = tmp_path / "deep_links" / "hash" / "state.json"
    for path in (old, new, link):
        path.parent.mkdir(parents=True)
        path.write_text("x")
    demo.upload_file_set.update({str(old), str(new)})
    now = time.time()
    for path in (old, link):
        os.utime(path, (now - 1000, now - 1000))
    # st_ctime cannot be set: the sweep is given a clock 1,000 s ahead for the old ones, and age 900
    assert upkeep.sweep_files(demo, age=900, now=now + 950) == 3
    assert not old.parent.exists() and not new.parent.exists() and not link.parent.exists()
    assert (tmp_path / "deep_links").exists() is False and tmp_path.exists()  # up to, not including, the root
    assert not demo.upload_file_set


def test_the_sweep_keeps_the_examples_every_page_load_names(tmp_path, monkeypatch):
    """Swept after 15 minutes, a Space's examples answered 403 to every later visitor (CI caught it)."""
    import time

    from core.common import gradio_patches, upkeep

    example = tmp_path / "cat.png"
    Image.new("RGB", (8, 8), "white").save(example)
    with gr.Blocks() as demo:
        image = gr.Image()
        gr.Examples([[str(example)]], inputs=image)
    demo.config = demo.get_config_file()  # what launch and mount do
    cached = set().union(*gradio_patches.served_file_sets(demo))
    assert cached and cached <= upkeep.page_files(demo)  # Gradio copied the example into its cache
    later = time.time() + 10 * upkeep.FILE_AGE_S
    assert upkeep.sweep_files(demo, age=upkeep.FILE_AGE_S, now=later) == 0
    assert all(Path(name).exists() for name in cached)
    upkeep.sweep_files(demo, age=-1, keep_page=False)  # at shutdown they go too
    assert not any(Path(name).exists() for name in cached)


def test_sessions_are_freed_once_their_page_closed_and_the_grace_passed():
    import datetime
    import gc
    import weakref

    from gradio.routes import App

    from core.common import gradio_patches, upkeep

    with gr.Blocks() as demo:
        state = gr.State()
        for _ in range(20):
            gr.Slider(0, 10, label="a control, like a Space's")
    App.create_app(demo)  # builds the state holder, as launch and mount do
    games = []
    for index in range(200):
        game = {"game": list(range(1000))}
        demo.state_holder[f"visitor-{index}"][state._id] = game
        games.append(weakref.ref(demo.state_holder[f"visitor-{index}"]))
    del game
    later = datetime.datetime.now() + datetime.timedelta(seconds=upkeep.SESSION_GRACE_S + 1)
    open_pages = {"visitor-0": 1}  # one page still open: its state stays
    assert upkeep.free_sessions(demo, open_pages, now=datetime.datetime.now()) == 0  # within the grace
    gc.disable()  # what 199 abandoned sessions held is given back at once, by reference counting (no cycle)
    try:
        assert upkeep.free_sessions(demo, open_pages, now=later) == 199
        assert [ref() is not None for ref in games] == [True] + [False] * 199
    finally:
        gc.enable()
    assert list(gradio_patches.session_last_used(demo)) == ["visitor-0"]


def test_a_sweep_that_fails_is_logged_and_runs_again_and_a_dead_task_is_restarted(caplog):
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from core.common import upkeep

    rounds = []

    def flaky():
        rounds.append(1)
        if len(rounds) == 1:
            raise RuntimeError("Set changed size during iteration")

    async def until(condition):  # on the event loop's own pace, however busy the machine: no fixed sleeps
        async def poll():
            while not condition():
                await asyncio.sleep(0.01)
        await asyncio.wait_for(poll(), timeout=30)

    async def scenario():
        looping = asyncio.create_task(upkeep.keep_running("test sweep", 0.01, flaky))
        await until(lambda: len(rounds) >= 3)
        looping.cancel()
        starts = []

        async def dies():
            starts.append(1)
            if len(starts) < 3:
                raise RuntimeError("gone")
            await asyncio.sleep(10)

        supervised = upkeep.Supervised("test task", lambda: asyncio.create_task(dies()))
        await until(lambda: len(starts) >= 3)
        await asyncio.sleep(0.05)  # a fourth start would come at once if the third task had died too
        supervised.stop()
        return starts, supervised.restarts

    with caplog.at_level("WARNING", logger="manifold_lab"), ThreadPoolExecutor(1) as thread:
        # a thread of its own: after the browser tests, Playwright's loop is still running in this one
        starts, restarts = thread.submit(asyncio.run, scenario()).result()
    assert len(rounds) >= 3  # the round after the failure ran
    assert len(starts) == 3 and restarts == 2
    assert "test sweep failed (RuntimeError: Set changed size" in caplog.text and "restarting it" in caplog.text


def test_a_space_alone_computes_on_one_torch_thread():
    """A handler on a busy two-core server is faster on one OpenMP thread (bench/torch_threads.py): `launch` sets
    it before Gradio starts its worker threads, which inherit it."""
    import threading

    import torch
    from gradio_client import Client

    from bench.toolkit.ports import free_port

    threads_before = torch.get_num_threads()
    torch.set_num_threads(2)  # as a Space starts (the tests run with OMP_NUM_THREADS=1)
    with gr.Blocks() as demo:
        out = gr.Number()
        gr.Button().click(lambda: torch.get_num_threads(), None, out, api_name="threads")
    try:
        edge.launch(demo, server_port=free_port(), prevent_thread_lock=True, quiet=True)
        assert Client(demo.local_url, verbose=False).predict(api_name="/threads") == 1
        seen = []
        worker = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
        worker.start(), worker.join()
        assert seen == [1]
    finally:
        demo.close()
        torch.set_num_threads(threads_before)


def test_the_launcher_computes_on_one_torch_thread():
    import threading

    import torch

    from spaces.server import build_app

    threads_before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        build_app(["pca"], verbose=False)  # what `python -m spaces` calls before its server starts
        seen = []
        worker = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
        worker.start(), worker.join()
        assert seen == [1]
    finally:
        torch.set_num_threads(threads_before)


def test_a_bounded_folder_keeps_its_newest_files_and_the_one_just_written(tmp_path):
    import os

    from core.common.upkeep import keep_newest

    files = [tmp_path / f"{i}.png" for i in range(5)]
    for age, path in enumerate(files):
        path.write_bytes(b"x")
        os.utime(path, (1000 + age, 1000 + age))
    (tmp_path / "other.txt").write_text("not matched")
    keep_newest(tmp_path, "*.png", 2, spare=files[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.png", "3.png", "4.png", "other.txt"]
