"""Tensor work on the calling thread only: what a busy server's handlers should do.

A Space's two vCPUs are shared by a class: while one visitor's handler runs, others' handlers and Gradio itself
want the second core. torch's default (one OpenMP thread per core) then splits each operation over two threads
that wait for each other at every operation's end, one of them often descheduled. Measured with
`python -m bench.torch_threads` on a two-core machine that also trained a model: one thread was 3-28x faster
for projection, face sampling, segmentation and super-resolution; no handler was faster on two.
"""

from __future__ import annotations

import contextlib

import torch


@contextlib.contextmanager
def one_torch_thread():
    """Run small tensor operations on the calling thread only, restoring torch's thread count afterwards.

    The GAN lab's 64-wide MLP step is a few hundred microseconds of arithmetic; split over two OpenMP threads on
    a server whose cores are busy with other visitors, each of its ~150 small ops waits for a spinning partner
    thread: measured 6-9 ms a step on one thread against 185-420 ms on two, with a class's load beside it
    (`python -m bench.gan_lab_speed`). torch's setting is per thread here, but a thread started meanwhile
    inherits it, so it is restored at once."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def serve_on_one_thread() -> None:
    """Make torch use one thread in every thread this process starts from now on (Gradio's workers included).

    Call it when a server starts, before any worker thread exists: torch's setting is per thread here, and only
    threads started after the call inherit it."""
    torch.set_num_threads(1)
