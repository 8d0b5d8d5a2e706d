"""A page's default views computed once when the server starts, on a low-priority thread.

What a page shows at its default settings is cached for the class (`edge.remember`, `for_examples`), but the cache
starts empty: the first visitor after a start waited for it. That visitor is usually the teacher, opening the
Space in front of the class: measured in a browser with two busy processes beside the server, style transfer's
first page took 14 s, denoising's 9 s, colorization's 5 s, later visitors 1-2 s (`bench.browser_walk`); once
warmed, 1.3, 2.0 and 2.9 s.

`run(demo)` runs, once, the events a bare page's load sets off: each `links.Shown` result at its defaults, and
each handler of an example a page shows first (`links.Link(shown_first=...)`: its input's change event and what
runs after it), with the values a browser would send; then a lesson's first clicks a Space names (`also`). Their
results land in the same caches a visitor's request reads. The thread runs at the lowest CPU priority: a visitor who arrives meanwhile is served first, and one who asks
for a result being warmed waits for that one computation (the caches are single-flight), never for a second. On a
machine whose cores other processes keep busy (a training beside the server), it waits for them: measured with two
spinning processes, it had done almost nothing after five minutes. Visitors are then served as without it.

Nothing here is a second path to a result: the handlers are the page's own, called as its events call them.
`MANIFOLD_WARM_UP=0` turns it off (tests that need cold caches).
"""

from __future__ import annotations

import contextlib
import inspect
import os
import threading
import time
from collections.abc import Callable

from core.common.log import log

LOWEST_PRIORITY = 19


def default_calls(demo) -> list[tuple[str, Callable, list]]:
    """(name, handler, arguments) for each event a bare page's load sets off, in the order the page runs them.

    Gradio 6.31.0: `Blocks.blocks` is {id: block}, `Blocks.fns` {index: BlockFunction}; a BlockFunction's
    `targets` are its (block id, event name) triggers and `trigger_after` the index of the event it follows."""
    examples = getattr(demo, "examples_shown_first", {})  # id(input) -> the example it shows first
    calls = [(shown.fn.__name__, shown.fn, [_value(c, examples) for c in shown.inputs])
             for shown in getattr(demo, "shown_results", [])]
    shown_first = {block._id for block in demo.blocks.values() if id(block) in examples}
    ran: set[int] = set()
    for index, block_fn in demo.fns.items():
        fired = any(block_id in shown_first and event == "change" for block_id, event in block_fn.targets)
        follows = block_fn.trigger_after in ran and not block_fn.trigger_only_on_failure
        if block_fn.fn is None or not (fired or follows):
            continue
        ran.add(index)
        calls.append((block_fn.name, block_fn.fn, [_value(c, examples) for c in block_fn.inputs]))
    calls += [(fn.__name__, fn, [_value(c, examples) for c in inputs]) for fn, inputs in getattr(demo, "warm_also", [])]
    return calls


def also(demo, fn, inputs) -> None:
    """Warm `fn(*inputs)` too, after the page's own: a lesson's first click at its defaults, whose result the class
    shares (the button's handler, with its inputs: components at their defaults, or values)."""
    demo.warm_also = [*getattr(demo, "warm_also", []), (fn, list(inputs))]


def _value(component, examples: dict):
    """What the browser sends for this input on a bare page: its example, else its default as the handler gets it
    (a Number with precision 0 arrives as an int)."""
    if id(component) in examples:
        return examples[id(component)]
    if not hasattr(component, "value"):  # a value given as is (`also`)
        return component
    value = component.value() if callable(component.value) else component.value
    if type(component).__name__ == "Number" and value is not None and component.precision == 0:
        return int(value)
    return value


def run(demo, name: str = "") -> float:
    """Compute each default view of this page now (a failure is logged, the others still run); its seconds."""
    started = time.perf_counter()
    for call_name, fn, args in default_calls(demo):
        cached = getattr(fn, "is_cached", None)
        if cached is not None and cached(*args):
            continue
        try:
            answer = fn(*args)
            if inspect.isgenerator(answer):  # a streamed result (style transfer): its last step is the one kept
                for _ in answer:
                    pass
        except Exception as error:  # noqa: BLE001 - a view that fails here fails for its visitor, with a message
            log.info("warm-up: %s %s failed: %s", name, call_name, error)
    return time.perf_counter() - started


def enabled() -> bool:
    return os.environ.get("MANIFOLD_WARM_UP", "1") != "0"


def warm_in_background(demos: list[tuple[str, object]]) -> threading.Thread | None:
    """Warm these (name, demo) pages one after another on one thread at the lowest CPU priority; the thread, or
    None when turned off."""
    if not enabled():
        return None

    def warm_all():
        with contextlib.suppress(AttributeError, OSError):  # Linux: a thread has its own nice value
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
        for name, demo in demos:
            seconds = run(demo, name)
            log.info("warm-up: %s's default views ready in %.1f s", name, seconds)

    thread = threading.Thread(target=warm_all, name="warm-up", daemon=True)
    thread.start()
    return thread
