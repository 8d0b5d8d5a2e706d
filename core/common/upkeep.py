"""A Space's upkeep while it serves: files swept, with their folders, and sessions freed once their visitor left.

Gradio's own sweep (`delete_cache`) leaves one empty folder per file served, never removes the deep links'
`state.json`, and dies for good on "Set changed size during iteration" when a handler adds a file while it runs
(measured: 2 of 10 Spaces stopped cleaning under 30 clients). Gradio keeps every session's state until 10,000
sessions, closed tabs included. So each Space runs `upkeep_lifespan`: a sweep and a session janitor, each
restarted (and logged) if it ever fails, for a Space alone and under the launcher alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import os
import time
from collections.abc import Callable
from pathlib import Path

from core.common import gradio_patches
from core.common.log import log

SWEEP_EVERY_S, FILE_AGE_S = 300, 900  # a served file lives 15 minutes, swept every 5
SESSIONS_EVERY_S = 30
SESSION_GRACE_S = 120  # a session with no open page, unused this long, is freed (a reload gets a new one anyway)
# The soak test (tests/test_soak.py) shortens both to measure what a visitor leaves once its session is freed.
SESSIONS_EVERY_S = float(os.environ.get("MANIFOLD_SESSIONS_EVERY_S", SESSIONS_EVERY_S))
SESSION_GRACE_S = float(os.environ.get("MANIFOLD_SESSION_GRACE_S", SESSION_GRACE_S))


def keep_newest(folder: Path, pattern: str, keep: int, spare: Path | None = None) -> None:
    """Delete all but the newest `keep` files of `folder` matching `pattern` (a handler's own bounded folder), and
    never `spare` (the file this call just wrote). Visitors prune at once: a file another call removed meanwhile
    is skipped, not an error (the likely cause of the diffusion Space's one error in an hour's soak)."""
    ages = []
    for path in folder.glob(pattern):
        try:
            ages.append((path.stat().st_mtime, path))
        except FileNotFoundError:
            continue
    for _, old in sorted(ages)[:-keep] if keep > 0 else sorted(ages):
        if old != spare:
            old.unlink(missing_ok=True)


def page_files(demo) -> set[str]:
    """The files every page load names: examples and default values, which Gradio copies into its cache once,
    when the Space is built. Swept, every later visitor got a 403 for them (the Space's examples broke after
    15 minutes)."""
    found: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(getattr(demo, "config", None) or {})
    return found


def sweep_files(demo, age: float, now: float | None = None, keep_page: bool = True) -> int:
    """Delete the files this Space wrote or received that are older than `age` seconds, and the folders they
    leave empty (up to Gradio's upload folder); and deep links' state.json. What the page itself names
    (`page_files`) stays unless `keep_page` is False. Returns how many files went."""
    now = time.time() if now is None else now
    root = gradio_patches.upload_folder()
    kept = page_files(demo) if keep_page else set()
    removed = 0
    for files in gradio_patches.served_file_sets(demo):
        for name in list(files):  # a snapshot: handler threads add files while we sweep
            if name in kept:
                continue
            path = Path(name)
            try:
                if now - path.lstat().st_ctime <= age:
                    continue
                path.unlink()
            except FileNotFoundError:
                pass
            files.discard(name)
            removed += 1
            _remove_empty_folders(path.parent, root)
    for state in (root / "deep_links").glob("*/state.json"):
        with contextlib.suppress(FileNotFoundError):
            if now - state.lstat().st_ctime > age:
                state.unlink()
                removed += 1
                _remove_empty_folders(state.parent, root)
    return removed


def _remove_empty_folders(folder: Path, root: Path) -> None:
    while folder != root and gradio_patches.is_inside(folder, root):
        try:
            folder.rmdir()  # only an empty folder: another file in it keeps it
        except OSError:
            return
        folder = folder.parent


def free_sessions(demo, open_pages, grace: float = SESSION_GRACE_S, now: datetime.datetime | None = None) -> int:
    """Free the state of every session with no open page, no job in flight and no use for `grace` seconds."""
    now = now or datetime.datetime.now()
    busy = {session for session, _ in gradio_patches.jobs_in_flight(demo)}
    freed = 0
    for session, last_used in gradio_patches.session_last_used(demo).items():
        if session in busy or open_pages.get(session) or (now - last_used).total_seconds() <= grace:
            continue
        gradio_patches.free_session(demo, session)
        freed += 1
    return freed


async def keep_running(name: str, every: float, work: Callable[[], object]) -> None:
    """Run `work` in a thread every `every` seconds, for ever; a failure is logged and the next round runs."""
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(work)
        except Exception as error:  # noqa: BLE001 - one bad round must not end the upkeep of a Space
            log.warning("%s failed (%s: %s); it runs again in %.0f s", name, type(error).__name__, error, every)


class Supervised:
    """A task started again, with a log line, whenever it ends other than by `stop()`."""

    def __init__(self, name: str, start: Callable[[], asyncio.Task]):
        self.name, self.start, self.stopped = name, start, False
        self.restarts = 0
        self.task = self._launch()

    def _launch(self) -> asyncio.Task:
        task = self.start()
        task.add_done_callback(self._restart)
        return task

    def _restart(self, done: asyncio.Task) -> None:
        if self.stopped or done.cancelled():
            return
        log.warning("%s stopped (%r); restarting it", self.name, done.exception())
        self.restarts += 1
        self.task = self._launch()

    def stop(self) -> None:
        self.stopped = True
        self.task.cancel()


@contextlib.asynccontextmanager
async def upkeep_lifespan(app):
    """Gradio calls this with its app when the Space starts (`app_kwargs["lifespan"]`), alone or mounted."""
    from core.common.limits import OPEN_PAGES

    demo = app.get_blocks()
    label = getattr(demo, "title", None) or "a Space"
    jobs = {f"file sweep of {label}": (SWEEP_EVERY_S, lambda: sweep_files(demo, FILE_AGE_S)),
            f"session janitor of {label}": (SESSIONS_EVERY_S, lambda: free_sessions(demo, OPEN_PAGES, SESSION_GRACE_S))}
    upkeep = [Supervised(name, lambda name=name, every=every, work=work: asyncio.create_task(
        keep_running(name, every, work))) for name, (every, work) in jobs.items()]
    try:
        yield
    finally:
        for supervised in upkeep:
            supervised.stop()
        with contextlib.suppress(Exception):
            sweep_files(demo, age=-1, keep_page=False)  # at shutdown, everything this Space served
