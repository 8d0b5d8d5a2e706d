"""core.common.warm_up: a page's default views computed when the server starts, in the caches a visitor reads."""

import os
import shutil
import threading
import time

import numpy as np
import pytest
from PIL import Image

from core.common import edge, links, warm_up
from core.common.example_results import for_examples


@pytest.fixture
def blocks(tmp_path):  # (not `page`: pytest-playwright's fixture of that name opens a browser)
    """A page as a Space builds one: a remembered result shown on load, and an example shown first whose change
    runs a handler (cached for the Space's examples) and, after it, a second one."""
    import gradio as gr

    example = tmp_path / "example.png"
    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(example)
    counts = {"shown": 0, "described": 0, "after": 0}

    @edge.remember()
    def shown(level):
        counts["shown"] += 1
        return f"shown at {level}"

    @for_examples([example])
    def describe(upload, level):
        counts["described"] += 1
        return f"{Image.open(upload).size} at {level}"

    def describe_new(upload, level):
        return describe(upload, level) if upload else gr.skip()

    def after(level):
        counts["after"] += 1
        return level

    with gr.Blocks() as demo:
        level = gr.Number(3, precision=0, label="level")
        upload = gr.Image(type="filepath", image_mode=None)
        examples = gr.Examples([[str(example)]], inputs=[upload])
        text, described, echoed = gr.Markdown(), gr.Markdown(), gr.Number()
        upload.change(describe_new, [upload, level], described).then(after, level, echoed)
        link = links.Link({"level": level}, examples={"example": examples}, shown_first={"example": 0})
        link.restore(demo, shown=[links.Shown(shown, [level], [text])])
    demo.counts, demo.example, demo.describe_new = counts, example, describe_new
    return demo


def test_the_default_calls_are_the_shown_results_then_the_first_examples_events_with_browser_values(blocks):
    calls = warm_up.default_calls(blocks)
    assert [(name, args) for name, _, args in calls] == [
        ("shown", [3]), ("describe_new", [str(blocks.example), 3]), ("after", [3])]
    assert all(type(args[-1]) is int for _, _, args in calls)  # a Number of precision 0 arrives as an int


def test_a_lesson_click_named_by_the_space_is_warmed_last_with_its_values_or_its_inputs_defaults(blocks):
    level = next(b for b in blocks.blocks.values() if getattr(b, "label", None) == "level")
    clicked = []
    warm_up.also(blocks, lambda painting, value: clicked.append((painting, value)), ["Hokusai", level])
    name, _, args = warm_up.default_calls(blocks)[-1]
    assert (name, args) == ("<lambda>", ["Hokusai", 3])  # a value as given, a component at its default
    warm_up.run(blocks)
    assert clicked == [("Hokusai", 3)]


def test_warming_fills_the_caches_a_visitors_request_reads(blocks, tmp_path):
    warm_up.run(blocks)
    assert blocks.counts == {"shown": 1, "described": 1, "after": 1}
    # a visitor's page: Gradio hands the example over as a copy under its cache
    copy = tmp_path / "gradio-cache" / "example.png"
    copy.parent.mkdir()
    shutil.copy(blocks.example, copy)
    assert blocks.describe_new(str(copy), 3) == "(8, 8) at 3"
    assert blocks.counts["described"] == 1  # the visitor's request read the warmed result
    warm_up.run(blocks)  # a second warm-up (another start of the same process) computes nothing kept
    assert blocks.counts == {"shown": 1, "described": 1, "after": 2}


def test_a_view_that_fails_to_warm_is_logged_and_the_others_still_warm(blocks, monkeypatch, caplog):
    import logging

    calls = warm_up.default_calls(blocks)

    def broken(level):
        raise ValueError("no such level")

    monkeypatch.setattr(warm_up, "default_calls", lambda demo: [("broken", broken, [3]), *calls])
    with caplog.at_level(logging.INFO, logger="manifold_lab"):
        warm_up.run(blocks, "tiny")
    assert blocks.counts == {"shown": 1, "described": 1, "after": 1}
    assert "warm-up: tiny broken failed: no such level" in caplog.text


def test_a_streamed_view_is_run_to_its_end():
    steps = []

    def streamed(n):
        for step in range(n):
            steps.append(step)
            yield step

    class Steps:  # an input component, as far as the warm-up reads one
        value = 4

    class Page:
        shown_results = [links.Shown(streamed, [Steps()], [])]
        fns, blocks = {}, {}

    warm_up.run(Page())
    assert steps == [0, 1, 2, 3]


def test_the_warm_up_thread_runs_at_the_lowest_priority_and_can_be_turned_off(blocks, monkeypatch):
    seen = []
    calls = warm_up.default_calls(blocks)

    def observe(level):
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    monkeypatch.setattr(warm_up, "default_calls", lambda demo: [("observe", observe, [3]), *calls])
    monkeypatch.setenv("MANIFOLD_WARM_UP", "0")
    assert warm_up.warm_in_background([("tiny", blocks)]) is None
    assert seen == [] and blocks.counts["shown"] == 0

    monkeypatch.setenv("MANIFOLD_WARM_UP", "1")
    thread = warm_up.warm_in_background([("tiny", blocks)])
    thread.join(30)
    assert seen == [warm_up.LOWEST_PRIORITY] and blocks.counts == {"shown": 1, "described": 1, "after": 1}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) != warm_up.LOWEST_PRIORITY  # only that thread


WARMED_APP = '''import gradio as gr

from core.common import edge, links

computed = []


@edge.remember()
def shown(level):
    computed.append(level)
    return f"level {level}"


with gr.Blocks() as demo:
    level = gr.Number(2, precision=0)
    text = gr.Markdown()
    links.Link({"level": level}).restore(demo, shown=[links.Shown(shown, [level], [text])])
'''


def test_the_launcher_warms_every_space_once_all_are_loaded_and_says_so(tmp_path, monkeypatch):
    import json
    import urllib.request

    from spaces import server
    from spaces.registry import discover, load_app_module
    from tests.conftest import LiveServer, tiny_spaces

    root = tiny_spaces(tmp_path / "spaces", ["warm-one", "warm-two"])
    for name in ("warm-one", "warm-two"):
        (root / name / "app.py").write_text(WARMED_APP)
    monkeypatch.setattr(server, "discover", lambda: discover(root))
    monkeypatch.setenv("MANIFOLD_WARM_UP", "1")
    app, launcher = server.build_app(verbose=False)
    with LiveServer(app) as live:
        launcher.wait(60)
        deadline = time.monotonic() + 60
        while not launcher.warmed and time.monotonic() < deadline:
            time.sleep(0.05)
        with urllib.request.urlopen(live.url + "/healthz") as response:
            health = json.loads(response.read())
        assert health["ready"] and health["warmed"]
        modules = [load_app_module(slot.space) for slot in launcher.slots]  # the modules the launcher loaded
        assert [module.computed for module in modules] == [[2], [2]]  # each Space's default view, once
