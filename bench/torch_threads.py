"""What the server's one-torch-thread policy costs and saves: the heavier handlers of the Spaces timed on torch's
default thread count (as they ran before) and on one thread (`core.common.torch_threads.serve_on_one_thread`),
on this machine as it is, then with busy processes beside them (other visitors on the same two cores).

    python -m bench.torch_threads                  # 0, 1 and 2 busy processes
    python -m bench.torch_threads --busy 1 --repeats 5

The handlers: GAN projection (10 steps in w+, the style-based generator), face DDIM sampling (10 steps, 2
seeds), the CamVid segmenter with skips at 480x360, x4 super-resolution of a 64 px photo. Ratios are within
one run, same machine, same moment.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from bench.toolkit.busy import busy_neighbours
from core.diffusion.model import DiffusionModel, sample
from core.gan.projection import project
from core.gan.style_dcgan import StyleDCGANGenerator
from core.hub import load_pretrained
from core.image_prediction.model import SegmentationNet, predict
from core.super_resolution.model import SuperResolutionNet


def handlers() -> dict:
    """name -> a call the way a Space's handler makes it (models loaded once, as a Space does)."""
    style, _ = load_pretrained(StyleDCGANGenerator, "manifold-lab/style-dcgan-faces")
    faces, _ = load_pretrained(DiffusionModel, "manifold-lab/faces-diffusion")
    segmenter, _ = load_pretrained(SegmentationNet, "manifold-lab/camvid-segmenter-skips")
    upscaler, _ = load_pretrained(SuperResolutionNet, "manifold-lab/sr-x4-perceptual")
    target = style.sample([123])[0]
    street = torch.rand(3, 360, 480)
    small = torch.rand(1, 3, 64, 64)

    def upscale():
        with torch.no_grad():
            upscaler(small)

    return {
        "projection, 10 steps w+": lambda: project(style, target, steps=10, plus=True),
        "face DDIM, 10 steps x2": lambda: sample(faces, [1, 2], steps=10),
        "segmenter 480x360": lambda: predict(segmenter, street),
        "super-resolution x4": upscale,
    }


def seconds(call, threads: int, repeats: int, clock=time.perf_counter) -> float:
    torch.set_num_threads(threads)
    call()  # warm up
    times = []
    for _ in range(repeats):
        started = clock()
        call()
        times.append(clock() - started)
    return statistics.median(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.torch_threads", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--busy", type=int, default=2, help="measure with up to this many busy processes beside")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    default_threads = torch.get_num_threads()
    calls = handlers()
    print(f"torch threads by default: {default_threads}; median of {args.repeats} calls, seconds\n")
    print(f"{'busy':>4} {'handler':<26} {'default threads':>16} {'one thread':>11} {'ratio':>6}")
    for busy in range(args.busy + 1):
        with busy_neighbours(busy):
            for name, call in calls.items():
                before = seconds(call, default_threads, args.repeats)
                after = seconds(call, 1, args.repeats)
                print(f"{busy:>4} {name:<26} {before:>16.3f} {after:>11.3f} {before / after:>5.1f}x", flush=True)


if __name__ == "__main__":
    main()
