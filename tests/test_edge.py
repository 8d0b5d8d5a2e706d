"""The edge: payload checks derived from each component, plain messages for user errors, a seeded memo."""

import math

import gradio as gr
import pytest

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


def test_seeds_share_one_range_everywhere():
    assert parse_seeds(f"{MAX_SEED - 1}-{MAX_SEED}") == [MAX_SEED - 1, MAX_SEED]
    for bad, message in ((f"{MAX_SEED + 1}", "seeds go up to"), ("9" * 400, "is not a seed"), ("-3", "is not a seed")):
        with pytest.raises(ValueError, match=message):
            parse_seeds(bad)
