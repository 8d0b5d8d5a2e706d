"""Keep a long-running server's native memory flat: glibc's malloc told, from inside Python, to give memory back.

Why: a Space's resident memory grew by 13-50 MB a minute under a class's load while Python's own objects
(tracemalloc) grew by 12 MB in all. The rest was glibc's heap: image and tensor buffers of a few hundred KB to
a few MB, allocated and freed in Gradio's worker threads, are served from per-thread arenas once glibc's
*dynamic* mmap threshold has risen past them (it rises to the size of every large block freed, up to 32 MB),
and freed arena memory with a live neighbour above it is never returned (fragmentation). Measured with the
environment variable `MALLOC_MMAP_THRESHOLD_=131072`, the same load stayed flat (872 -> 1,016 MB, flat from the
first minute) where the default climbed 889 -> 1,516 MB in 6 minutes.

A Space cannot set environment variables before Python starts, so we call `mallopt` through ctypes, which does
the same at run time for every allocation made afterwards: blocks of 128 KB and more get their own mapping and
go back to the system when freed, and the threshold stays put. A background thread also calls `malloc_trim`
now and then, which returns the free pages inside every arena (small-object churn).

Not glibc (macOS, musl): nothing to do, and `bound_native_memory` says so by returning False.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
import time

from core.common.log import log

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value, fixed: larger blocks are mapped, and unmapped on free
TRIM_EVERY_S = 30.0
OPT_OUT = "MANIFOLD_DEFAULT_MALLOC"  # set to 1 to keep glibc's defaults (the soak bench's "before" run)

_state = {"bounded": None, "trimmer": None}
_lock = threading.Lock()


def _libc():
    if os.name != "posix":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt  # noqa: B018 - glibc only; musl and macOS have no mallopt
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    return libc


def bound_native_memory(trim_every_s: float | None = TRIM_EVERY_S) -> bool:
    """Fix glibc's mmap threshold at 128 KB and trim its arenas every `trim_every_s` seconds (None: never).

    Idempotent; returns whether the allocator was changed (False off glibc or when opted out).
    """
    with _lock:
        if _state["bounded"] is not None:
            return _state["bounded"]
        libc = None if os.environ.get(OPT_OUT) == "1" else _libc()
        bounded = bool(libc) and libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
        if bounded:
            # setting the mmap threshold turns off glibc's dynamic adjustment of the trim threshold too;
            # keep trimming the top of the main heap at glibc's default (128 KB)
            libc.mallopt(M_TRIM_THRESHOLD, MMAP_THRESHOLD)
            if trim_every_s:
                _state["trimmer"] = _start_trimmer(libc, trim_every_s)
        _state["bounded"] = bounded
        log.info("native memory: %s", "mmap threshold 128 KB, arenas trimmed" if bounded else "allocator defaults")
        return bounded


def trim() -> bool:
    """Return free heap pages to the system now; True if any were released (False off glibc)."""
    libc = _libc()
    return bool(libc) and libc.malloc_trim(0) == 1


def _start_trimmer(libc, every_s: float) -> threading.Thread:
    def trim_forever():
        while True:
            time.sleep(every_s)
            libc.malloc_trim(0)

    thread = threading.Thread(target=trim_forever, name="malloc-trim", daemon=True)
    thread.start()
    return thread
