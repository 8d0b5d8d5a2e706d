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


def _load_function(demo):
    return next(f for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "read")


class _Request:
    def __init__(self, query):
        self.query_params = query


def test_a_bare_page_gets_its_results_in_the_load_call_and_a_link_defers_what_it_changed():
    """A bare page view is one server call (30 students open a page at once): the load returns every shown
    result. A result whose input a link changed is left to its own event, which the load sets off."""
    from core.common.links import Link, Shown

    calls = []

    def double(x):
        calls.append(("double", x))
        return x * 2

    def pair(y):
        calls.append(("pair", y))
        return y, -y

    with gr.Blocks() as demo:
        a, b = gr.Slider(0, 10, 3, step=1), gr.Number(5)
        doubled, plus, minus = gr.Number(), gr.Number(), gr.Number()
        link = Link({"a": a, "b": b})
        link.restore(demo, shown=[Shown(double, [a], [doubled]), Shown(pair, [b], [plus, minus])])
    load = _load_function(demo)
    names = [id(c) for c in load.outputs]
    skip = gr.skip()

    bare = dict(zip(names, load.fn(_Request({}), 3, 5), strict=True))
    assert calls == [("double", 3), ("pair", 5)]
    assert [bare[id(c)] for c in (doubled, plus, minus)] == [6, 5, -5]
    assert bare[id(a)] == bare[id(b)] == bare[id(link.restored)] == skip
    pending = [c for c in load.outputs if c not in (a, b, link.restored, doubled, plus, minus)]
    assert len(pending) == 2 and all(bare[id(c)] == skip for c in pending)

    calls.clear()
    linked = dict(zip(names, load.fn(_Request({"a": "7"}), 3, 5), strict=True))
    assert calls == [("pair", 5)]  # the link changed `a`: double runs after the load, with the link's 7
    assert linked[id(a)] == 7 and linked[id(link.restored)] == ("a",)
    assert linked[id(doubled)] == skip and linked[id(plus)] == 5
    assert linked[id(pending[0])] == (("a",), {0: 7}) and linked[id(pending[1])] == skip  # why, and the link's values
    deferred = [f for f in demo.fns.values() if f.inputs == [pending[0], a]]
    assert len(deferred) == 1 and deferred[0].outputs == [doubled]
    assert any(t[0] == pending[0]._id and t[1] == "change" for t in deferred[0].targets)
    # it computes with the link's 7 even when the browser sends the slider's old 3 (it may fire before the
    # browser has shown every restored value), and the browser's value where the link set none
    calls.clear()
    assert deferred[0].fn(linked[id(pending[0])], 3) == 14 and calls == [("double", 7)]
    assert deferred[0].fn((("cold",), {}), 3) == 6


def test_a_result_not_computed_yet_is_left_to_its_own_event_and_a_kept_one_comes_in_the_load():
    """The first page view after a start (the teacher's) fills in as each result is ready, with its progress;
    once kept, every later page view gets it in the load's one call."""
    from core.common import edge
    from core.common.links import Link, Shown

    @edge.remember()
    def negate(x):
        return -x

    with gr.Blocks() as demo:
        a = gr.Number(1)
        shown = gr.Number()
        link = Link({"a": a})
        link.restore(demo, shown=[Shown(negate, [a], [shown])])
    load = _load_function(demo)
    flag = load.outputs[-1]
    cold = dict(zip([id(c) for c in load.outputs], load.fn(_Request({}), 1), strict=True))
    assert cold[id(shown)] == gr.skip() and cold[id(flag)] == (("cold",), {})  # its own event computes it
    negate(1)  # that event ran
    warm = dict(zip([id(c) for c in load.outputs], load.fn(_Request({}), 1), strict=True))
    assert warm[id(shown)] == -1 and warm[id(flag)] == gr.skip()


def test_a_result_that_refuses_its_defaults_leaves_its_outputs_and_the_others_still_come():
    from core.common.links import Link, Shown

    def refuse(x):
        raise ValueError("no digit with that number")

    with gr.Blocks() as demo:
        a = gr.Number(1)
        refused, shown = gr.Number(), gr.Number()
        link = Link({"a": a})
        link.restore(demo, shown=[Shown(refuse, [a], [refused]), Shown(lambda x: x + 1, [a], [shown])])
    load = _load_function(demo)
    with pytest.warns(UserWarning, match="no digit with that number"):
        out = dict(zip([id(c) for c in load.outputs], load.fn(_Request({}), 1), strict=True))
    assert out[id(refused)] == gr.skip() and out[id(shown)] == 2
