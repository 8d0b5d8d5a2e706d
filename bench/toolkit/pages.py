"""A Gradio page in a browser, settled: nothing pending and nothing changing (for tests and screenshots).

Right after `goto` nothing is pending yet (a page's load events start a moment later), so one check for idleness
is not enough: the page must also stay the same for a while.
"""

from __future__ import annotations

import time

# everything a result can change on screen: the visible images and text (numbers in captions, tables, plots);
# hidden tabs' outputs are left out, since their load events may finish at any time
SNAPSHOT = ("() => [...document.images].filter(i => i.offsetParent !== null).map(i => i.src).join() "
            "+ document.body.innerText")
IDLE = "() => !document.querySelector('.pending, .eta-bar, .generating')"  # .generating: a stream between updates


def settled(page, quiet_ms: int = 1500, timeout_s: float = 90) -> str:
    """The page's snapshot once nothing is pending and it has not changed for `quiet_ms` (load events done)."""
    deadline, last = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        page.wait_for_function(IDLE, timeout=timeout_s * 1000)
        now = page.evaluate(SNAPSHOT)
        if now == last:
            return now
        last = now
        page.wait_for_timeout(quiet_ms)
    raise TimeoutError(f"{page.url} kept changing for {timeout_s:.0f} s")
