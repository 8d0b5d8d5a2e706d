"""Small tensor work on the calling thread only: what a busy server's handlers should do with tiny models."""

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
