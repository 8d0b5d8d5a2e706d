"""Each Space's heaviest actions at their sliders' maxima: CPU-seconds on one thread (the budget: about 10).

    OMP_NUM_THREADS=1 python -m bench.worst_case                  # every Space below
    OMP_NUM_THREADS=1 python -m bench.worst_case --only diffusion gan

A free Space has 2 vCPUs shared by the whole class; one request at the maxima must not hold one of them for
minutes. The maxima are read from the app's own components, so this measures what a client may ask today.
CPU time (`time.process_time`, one torch thread) rather than wall time: the machine is shared. The GAN Space's
2-D lab is left out (bounded by its own `MAX_SECONDS`, reworked separately).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
FACE_PHOTO = str(REPO_ROOT / "spaces" / "gan" / "examples" / "00001.jpg")


def quiet_progress(*args, **kwargs):
    return None


def cases(name: str, app) -> dict:
    """{action: a call at the maxima} for one Space's app module."""
    from bench.harness import uncached

    def seeds(count: int) -> str:
        return f"0-{count - 1}"

    if name == "diffusion":  # a request's seeds x steps are capped per model (MAX_IMAGE_STEPS): its corners
        ddpm, cases = "DDPM (ancestral, fresh noise each step)", {}
        for model_name, key in app.MODEL_NAMES.items():
            budget = app.MAX_IMAGE_STEPS[key]
            for steps in (min(app.steps.maximum, budget), 25):
                count = min(app.MAX_SEEDS, budget // steps)
                cases[f"generate {key}, {count} seeds x {steps} DDPM steps"] = (
                    lambda model_name=model_name, count=count, steps=steps:
                    uncached(app.generate)(model_name, seeds(count), steps, ddpm))
        budget = app.MAX_IMAGE_STEPS["faces"]
        for steps in (min(app.versus_steps.maximum, budget), 25):
            count = min(app.MAX_SEEDS, budget // steps)
            cases[f"versus_gan, {count} seeds x {steps} steps"] = (
                lambda count=count, steps=steps: uncached(app.versus_gan)(seeds(count), steps))
        cases["one_step faces, t = 999"] = lambda: uncached(app.one_step)("Faces (FFHQ)", 9, 999, 0)
        return cases
    if name == "gan":
        return {
            f"project in w+, {app.project_steps.maximum} steps":
                lambda: app.project_photo(FACE_PHOTO, 0.5, 0.5, 1.0, "w+", app.project_steps.maximum,
                                          progress=quiet_progress),
            f"interpolate, {app.path_steps.maximum} steps": lambda: app.interpolate_faces(1, 7, app.path_steps.maximum,
                                                                                         "linear in w"),
            "GANSpace PCA (once per process)": lambda: uncached(app.ganspace)(),
        }
    if name == "image-manifold":
        return {
            f"train_autoencoder, {app.count.maximum} points":
                lambda: app.train_autoencoder("swiss roll", app.count.maximum, 1.0, app.neighbors.maximum, 0,
                                              progress=quiet_progress),
            f"unroll, {app.count.maximum} points, {app.neighbors.maximum} neighbours":
                lambda: uncached(app.unroll)("swiss roll", app.count.maximum, 1.0, app.neighbors.maximum, 0),
            f"noise_vs_natural, {app.how_many.maximum} images": lambda: app.noise_vs_natural(app.how_many.maximum, 0),
        }
    if name == "pca":
        return {
            f"plane, {app.count3.maximum} points": lambda: app.plane_demo("plane", app.count3.maximum, 1, 35, 20, 3, 0),
            f"reconstruct, k = {app.k_images.maximum}": lambda: app.reconstruct("faces", 0, app.k_images.maximum),
        }
    if name == "autoencoder":
        return {f"sample_prior, {app.how_many.maximum} samples": lambda: app.sample_prior(app.how_many.maximum, 0),
                f"interpolate, {app.steps.maximum} steps": lambda: app.interpolate(0, 499, app.steps.maximum)}
    raise ValueError(f"no worst cases listed for {name}")


SPACES = ("diffusion", "gan", "image-manifold", "pca", "autoencoder")


def main(argv=None) -> None:
    import torch

    from spaces.registry import discover, load_app_module

    parser = argparse.ArgumentParser(prog="python -m bench.worst_case", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=SPACES, default=list(SPACES))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    known = {s.name: s for s in discover()}
    print(f"{'space':<16} {'action at the maxima':<52} {'CPU s':>7} {'wall s':>7}")
    for name in args.only:
        app = load_app_module(known[name])
        for action, call in cases(name, app).items():
            cpu, wall = time.process_time(), time.perf_counter()
            call()
            print(f"{name:<16} {action:<52} {time.process_time() - cpu:>7.1f} {time.perf_counter() - wall:>7.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
