"""A shared link's query string: each value parsed and checked against its component; anything else ignored."""

import gradio as gr
import pytest

from core.common.links import parse_query, parse_value


@pytest.fixture(scope="module")
def controls():
    with gr.Blocks():
        return {
            "points": gr.Slider(2, 1000, 200, step=1, label="Number of points"),
            "noise": gr.Slider(0, 2, 0.3, label="Noise"),
            "seed": gr.Number(0, precision=0, minimum=0, maximum=2**31 - 1, label="Seed"),
            "model": gr.Radio(["Digits (MNIST)", "Faces"], value="Digits (MNIST)", label="Model"),
            "add": gr.Checkbox(True, label="Add noise"),
            "seeds": gr.Textbox("0-7", label="Seeds", max_length=20),
        }


def test_good_values_become_the_components_values(controls):
    query = {"points": "300", "noise": "0.75", "seed": "42", "model": "Faces", "add": "false", "seeds": "3, 5-9"}
    assert parse_query(query, controls) == {"points": 300, "noise": 0.75, "seed": 42, "model": "Faces",
                                            "add": False, "seeds": "3, 5-9"}
    assert isinstance(parse_query(query, controls)["points"], int)


@pytest.mark.parametrize("name, text", [
    ("points", "1"), ("points", "1001"), ("points", "2.5"), ("points", "nan"), ("points", "inf"), ("points", "1e400"),
    ("points", "12abc"), ("points", ""), ("noise", "-0.1"), ("noise", "Infinity"), ("seed", "-1"), ("seed", "1.5"),
    ("seed", "9" * 40), ("model", "faces"), ("model", "<script>"), ("add", "1"), ("add", "True"),
    ("seeds", "0" * 21),
])
def test_a_bad_value_is_dropped_and_the_default_kept(controls, name, text):
    assert parse_query({name: text}, controls) == {}


def test_unknown_names_are_ignored_and_never_raise(controls):
    assert parse_query({"tab": "x", "__proto__": "1", "points": "5", "junk": "y" * 10_000}, controls) == {"points": 5}


def test_an_example_is_linked_by_its_index_only():
    with gr.Blocks():
        photo = gr.Image(type="filepath")
        examples = gr.Examples([["a.png"], ["b.png"]], photo)
    assert parse_value(examples.dataset, "1") == 1
    for text in ("2", "-1", "0.5", "a.png"):
        with pytest.raises(ValueError):
            parse_value(examples.dataset, text)
    with pytest.raises(ValueError):  # an upload itself never comes from a link
        parse_value(photo, "/etc/passwd")


def test_the_example_shown_first_must_be_one_of_the_links_examples():
    from core.common.links import Link

    with gr.Blocks():
        photo = gr.Image(type="filepath")
        examples = gr.Examples([["a.png"], ["b.png"]], photo)
        Link({}, examples={"example": examples}, shown_first={"example": 0})
        with pytest.raises(ValueError, match="shown_first"):
            Link({}, examples={"example": examples}, shown_first={"photo": 0})
