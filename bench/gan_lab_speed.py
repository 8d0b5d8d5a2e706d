"""The 2-D GAN lab's cost per step and per frame, as the Space ran it before (torch's default threads) and now
(one thread per run), on an idle machine and with busy processes beside it (a class on the same two cores).

    python -m bench.gan_lab_speed                 # idle, then 1 and 2 busy processes
    python -m bench.gan_lab_speed --busy 2 --steps 300

Ratios are within one run, same machine, same moment.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from bench.toolkit.busy import busy_neighbours
from core.common.torch_threads import one_torch_thread
from core.gan.lab import LabConfig, LabSession
from core.gan.lab_figures import game_figure, loss_figure


def ms_per_step(steps: int, one_thread: bool, clock=time.perf_counter) -> float:
    session = LabSession(LabConfig(steps=steps + 20))
    for _ in range(20):  # warm up
        session.train_step()
    threads = torch.get_num_threads()
    started = clock()
    if one_thread:
        with one_torch_thread():
            for _ in range(steps):
                session.train_step()
    else:
        torch.set_num_threads(threads)
        for _ in range(steps):
            session.train_step()
    return (clock() - started) / steps * 1000


def ms_per_frame(frames: int = 5, clock=time.perf_counter) -> float:
    session = LabSession(LabConfig())
    for _ in range(200):
        session.train_step()
    times = []
    for _ in range(frames):
        started = clock()
        snap = session.snapshot()
        game_figure(snap), loss_figure(snap)
        times.append(clock() - started)
    return statistics.median(times) * 1000


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gan_lab_speed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--busy", type=int, default=2, help="measure with up to this many busy processes beside")
    args = parser.parse_args(argv)

    print(f"torch threads by default: {torch.get_num_threads()}; {args.steps} steps per measurement\n")
    print(f"{'busy processes':>14} {'default threads ms/step':>24} {'one thread ms/step':>19} {'ratio':>6} "
          f"{'frame ms':>9} {'2,000-step run s':>17}")
    for busy in range(args.busy + 1):
        with busy_neighbours(busy):
            before = ms_per_step(args.steps, one_thread=False)
            after = ms_per_step(args.steps, one_thread=True)
            frame = ms_per_frame()
        run_s = (2000 * after + 21 * frame) / 1000  # the default lesson: 2,000 steps, a frame every 100
        print(f"{busy:>14} {before:>24.2f} {after:>19.2f} {before / after:>5.1f}x {frame:>9.0f} {run_s:>17.1f}")


if __name__ == "__main__":
    main()
