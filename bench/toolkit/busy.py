"""Busy neighbours: processes that keep the CPU busy while a bench measures, as other visitors' work would."""

from __future__ import annotations

import contextlib
import multiprocessing


def spin(stop) -> None:
    """A busy neighbour: pure-Python arithmetic until told to stop (another visitor's work)."""
    x = 0
    while not stop.is_set():
        for i in range(100_000):
            x = (x + i) % 7


@contextlib.contextmanager
def busy_neighbours(count: int):
    """`count` spinning processes for the duration of the block (0: none), stopped and joined after it."""
    stop = multiprocessing.Event()
    neighbours = [multiprocessing.Process(target=spin, args=(stop,), daemon=True) for _ in range(count)]
    for process in neighbours:
        process.start()
    try:
        yield
    finally:
        stop.set()
        for process in neighbours:
            process.join()
