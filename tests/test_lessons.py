"""Every page of every Space says what to notice in its result: a "What to notice" line in each tab (issue 31)."""

import gradio as gr
import pytest

from spaces.registry import discover
from tests.conftest import space_module

NOTICE = "What to notice"
# Tabs without a line of their own, each with why. None today: the quiz's class area is an accordion, not a tab,
# and the quiz's one page carries its line; pix2pix's photo-task tabs (only where their weights are found) share one.
EXEMPT: set[tuple[str, str]] = set()


def markdown_values(block) -> list[str]:
    """The text of every gr.Markdown inside a block, however deep in rows and columns."""
    found = [str(block.value or "")] if isinstance(block, gr.Markdown) else []
    for child in getattr(block, "children", None) or []:
        found += markdown_values(child)
    return found


def pages(demo: gr.Blocks) -> dict[str, gr.blocks.Block]:
    """A Space's pages by name: each gr.Tab, or the whole demo for a Space without tabs."""
    tabs = [block for block in demo.blocks.values() if isinstance(block, gr.Tab)]
    return {tab.label: tab for tab in tabs} if tabs else {"(the page)": demo}


@pytest.mark.parametrize("name", [space.name for space in discover()])
def test_every_tab_says_what_to_notice(name):
    demo = space_module(name).demo
    silent = [label for label, page in pages(demo).items()
              if (name, label) not in EXEMPT and not any(NOTICE in text for text in markdown_values(page))]
    assert not silent, f"{name}: tabs with no '{NOTICE}' line under their result: {silent}"


def test_the_check_finds_a_missing_line():
    with gr.Blocks() as demo:
        with gr.Tab("told"), gr.Row():  # nested, as a result's line sits in rows and columns
            gr.Markdown(f"**{NOTICE}:** the blur.")
        with gr.Tab("silent"):
            gr.Markdown("A result, and nothing said about it.")
    assert {label: any(NOTICE in t for t in markdown_values(page)) for label, page in pages(demo).items()} == {
        "told": True, "silent": False}
