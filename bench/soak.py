"""A class for an hour: simulated students come and go across every Space while the server's memory is watched.

    python -m bench.soak                          # 30 students at a time for 60 minutes (the issue's soak)
    python -m bench.soak --minutes 10 --students 10
    python -m bench.soak --default-malloc         # the same with glibc's defaults: the "before" curve

Each student is a real session: it opens two to four Spaces (their page config, as a browser does), makes one
to three calls in each (uploads to denoise, colorise, super-resolve and turn gray-to-colour; quiz games of a few
rounds; the GAN lab; faces, digits, PCA, an isomap), thinks 1-4 s between calls, and leaves; a new student
takes its place. Every minute: the server's RSS, the files and bytes in Gradio's cache folder, calls and errors
so far. At the end: p50/p95 per action and the verdict, RSS after the warm-up (max - min, the issue's goal:
within 150 MB) and errors (goal: 0). `--json` writes the whole curve.
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from bench.class_load import start_launcher
from bench.launcher import rss_mb
from bench.toolkit.ports import free_port
from bench.toolkit.raw_gradio import Answer, RawGradio, defaults, file_data


def folder_usage(folder: Path) -> tuple[int, int]:
    """(files, bytes) under `folder`."""
    files = total = 0
    for root, _, names in os.walk(folder):  # os.walk skips a folder swept while we look; rglob raises
        for name in names:
            try:
                total += (Path(root) / name).stat().st_size
                files += 1
            except OSError:  # swept while we looked
                pass
    return files, total


def _photos() -> list[Image.Image]:
    from skimage import data

    return [Image.fromarray(image) for image in (data.astronaut(), data.coffee(), data.chelsea())]


PHOTOS = _photos()


def photo_png(rng: random.Random) -> bytes:
    """A random crop (96-256 px) of a scikit-image photo: every upload is a different file and size."""
    photo = rng.choice(PHOTOS)
    side = rng.randint(96, 256)
    left, top = rng.randint(0, photo.width - side), rng.randint(0, photo.height - side)
    buffer = io.BytesIO()
    photo.crop((left, top, left + side, top + side)).save(buffer, format="PNG")
    return buffer.getvalue()


class Visit:
    """One student in one Space: a client with the student's session id."""

    def __init__(self, base: str, space: str, session: str, rng: random.Random):
        self.client, self.session, self.rng = RawGradio(f"{base}/{space}"), session, rng
        self.client.config  # noqa: B018 - the page load: a browser fetches the config first

    def call(self, api_name: str, values: dict[str, object] | None = None) -> Answer:
        """Call an endpoint with its defaults, some inputs replaced by label."""
        endpoint = self.client.endpoint(api_name)
        labels = [c["props"].get("label") for c in endpoint.inputs]
        replace = {labels.index(label): value for label, value in (values or {}).items()}
        data = [None if c["type"] == "state" else v for c, v in zip(endpoint.inputs, defaults(endpoint, replace),
                                                                       strict=True)]
        return self.client.call(endpoint.fn_index, data, self.session)

    def upload_photo(self) -> dict:
        name = f"photo{self.rng.randrange(10**6)}.png"
        return file_data(self.client.upload(name, photo_png(self.rng)), orig_name=name)

    def seed(self) -> int:
        return self.rng.randrange(100_000)


# -- what students do in each Space: (space, action name, calls) -----------------------------------------------

def denoise_photo(v: Visit):
    yield v.call("denoise", {"Photo": v.upload_photo(), "Noise level": v.rng.choice([10, 25, 50]),
                             "Noise seed": v.seed()})


def denoise_digit(v: Visit):
    yield v.call("denoise_digit", {"Digit #": v.rng.randrange(500), "Seed": v.seed()})


def faces_grid(v: Visit):
    first = v.seed()
    yield v.call("sample_faces", {"Seeds": f"{first}-{first + 15}",
                                  "Generator": v.rng.choice(["DCGAN (baseline)", "Style-based DCGAN"])})


def faces_interpolation(v: Visit):
    yield v.call("interpolate", {"From seed": v.seed(), "To seed": v.seed()})


def gan_lab(v: Visit):
    yield v.call("gan_lab", {"Training steps": 300, "Seed": v.seed()})


def quiz_game(v: Visit):
    shown = v.call("new_game", {"Difficulty": "Our GAN (easier)", "Class code (optional)": ""})
    yield shown
    for _ in range(v.rng.randint(2, 5)):
        if not shown.ok:
            return
        yield v.call(v.rng.choice(["guess_left", "guess_right"]))
        shown = v.call("next_round")
        yield shown


def super_resolve(v: Visit):
    yield v.call("super_resolve", {"Image": v.upload_photo()})


def colorize(v: Visit):
    yield v.call("colorize", {"Photo (colour or black-and-white)": v.upload_photo()})


def gray_to_colour(v: Visit):
    yield v.call("grayscale", {"a photo (colour or gray)": v.upload_photo()})


def pca_digit(v: Visit):
    yield v.call("reconstruct", {"Image": v.rng.randrange(1797), "k: components kept": v.rng.randint(1, 100)})


def autoencoder_prior(v: Visit):
    yield v.call("sample_prior", {"Seed": v.seed()})


def diffusion_digits(v: Visit):
    first = v.rng.randrange(1000)
    yield v.call("generate", {"Seeds": f"{first}-{first + 7}"})


def isomap(v: Visit):
    yield v.call("unroll", {"Seed": v.seed()})


ACTIONS = {
    "denoising": [denoise_photo, denoise_digit],
    "gan": [faces_grid, faces_interpolation, gan_lab],
    "which-face-is-real": [quiz_game],
    "super-resolution": [super_resolve],
    "colorization": [colorize],
    "pix2pix": [gray_to_colour],
    "pca": [pca_digit],
    "autoencoder": [autoencoder_prior],
    "diffusion": [diffusion_digits],
    "image-manifold": [isomap],
}


@dataclass
class Tally:
    """What every student did, shared by their threads."""
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    sessions: int = 0
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, action: str, seconds: float, answer: Answer | None, error: str | None = None):
        with self.lock:
            self.calls += 1
            self.latencies.setdefault(action, []).append(seconds)
            if error or not answer.ok:
                self.errors.append(f"{action}: {error or answer.message or answer.status}"[:300])


def student(base: str, rng: random.Random, tally: Tally, think_s: tuple[float, float], spaces: list[str]) -> None:
    """One student's visit to the class: a few Spaces, a few calls each, then gone."""
    session = f"{rng.randrange(16**16):016x}"
    for space in rng.sample(spaces, k=min(len(spaces), rng.randint(2, 4))):
        try:
            visit = Visit(base, space, session, rng)
        except Exception as error:  # noqa: BLE001 - a page that does not load is an error to count
            tally.record(f"{space}: open", 0.0, None, repr(error))
            continue
        try:
            for _ in range(rng.randint(1, 3)):
                action = rng.choice(ACTIONS[space])
                calls = action(visit)
                while True:
                    started = time.perf_counter()
                    try:
                        answer = next(calls)
                    except StopIteration:
                        break
                    except Exception as error:  # noqa: BLE001 - a dropped connection is an error to count
                        tally.record(f"{space}: {action.__name__}", time.perf_counter() - started, None, repr(error))
                        break
                    tally.record(f"{space}: {action.__name__}", time.perf_counter() - started, answer)
                    time.sleep(rng.uniform(*think_s))
        finally:
            visit.client.close()
    with tally.lock:
        tally.sessions += 1


def visit_every_action(base: str, spaces: list[str], seed: int = 0) -> Tally:
    """One student who takes every action of every Space once: what loads lazily (a model, a quiz pool, a
    thread's arena) is loaded before memory is measured, whatever a random class would have picked."""
    tally, rng = Tally(), random.Random(seed)
    for space in spaces:
        visit = Visit(base, space, f"warm{seed}{rng.randrange(16**8):08x}", rng)
        try:
            for action in ACTIONS[space]:
                for answer in action(visit):
                    tally.record(f"{space}: {action.__name__}", 0.0, answer)
        finally:
            visit.client.close()
    tally.sessions = 1
    return tally


def run_class(base: str, students: int, *, minutes: float | None = None, sessions: int | None = None,
              think_s: tuple[float, float] = (1.0, 4.0), seed: int = 0, spaces: list[str] | None = None,
              on_minute=None, clock=time.monotonic) -> Tally:
    """`students` at a time, each replaced when it leaves, until `minutes` pass or `sessions` have ended."""
    tally, stop = Tally(), threading.Event()
    spaces = spaces or list(ACTIONS)
    started = clock()
    started_sessions = 0
    start_lock = threading.Lock()

    def seat(index: int):
        nonlocal started_sessions
        rng = random.Random(seed * 1000 + index)
        while not stop.is_set():
            with start_lock:
                if sessions is not None and started_sessions >= sessions:
                    return
                started_sessions += 1
            student(base, rng, tally, think_s, spaces)
            if minutes is not None and clock() - started >= minutes * 60:
                return

    seats = [threading.Thread(target=seat, args=(i,), daemon=True) for i in range(students)]
    for thread in seats:
        thread.start()
    minute = 0
    while any(thread.is_alive() for thread in seats):
        # sample on the clock, every whole minute since the start, however long the students' calls take
        next_sample = started + 60 * (minute + 1)
        while clock() < next_sample and any(thread.is_alive() for thread in seats):
            time.sleep(min(1.0, max(0.0, next_sample - clock())))
        if on_minute and clock() >= next_sample:
            minute += 1
            on_minute(minute, tally)
    return tally


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30, help="students in the room at any moment")
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=10.0, help="minutes before memory should be flat")
    parser.add_argument("--default-malloc", action="store_true",
                        help="keep glibc's allocator defaults in the server (MANIFOLD_DEFAULT_MALLOC=1): the before run")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--json", metavar="FILE", help="write the per-minute curve and the summary here")
    parser.add_argument("--log", metavar="FILE", help="the server's log (default: beside its cache folder); "
                        "the exceptions in it are summed up at the end")
    args = parser.parse_args(argv)

    port = args.port or free_port()
    cache = Path(tempfile.mkdtemp(prefix="soak-gradio-"))
    env = {"GRADIO_TEMP_DIR": str(cache), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    if args.default_malloc:
        env["MANIFOLD_DEFAULT_MALLOC"] = "1"
    log = Path(args.log) if args.log else cache.with_name(cache.name + ".log")
    process = start_launcher([], port, extra_env=env, log=log)
    base = f"http://127.0.0.1:{port}"
    curve = [{"minute": 0, "rss_mb": rss_mb(process.pid), "cache_files": 0, "cache_mb": 0.0, "calls": 0,
              "errors": 0, "sessions": 0}]
    print(f"{args.students} students at a time for {args.minutes:.0f} min against `python -m spaces` "
          f"({'glibc defaults' if args.default_malloc else 'bounded native memory'}), {os.cpu_count()} cores")
    print(f"{'minute':>6} {'RSS MB':>8} {'cache files':>11} {'cache MB':>9} {'sessions':>9} {'calls':>6} {'errors':>6}")

    def on_minute(minute: int, tally: Tally):
        files, size = folder_usage(cache)
        row = {"minute": minute, "rss_mb": rss_mb(process.pid), "cache_files": files, "cache_mb": size / 2**20,
               "calls": tally.calls, "errors": len(tally.errors), "sessions": tally.sessions}
        curve.append(row)
        print(f"{minute:>6} {row['rss_mb']:>8.0f} {files:>11} {row['cache_mb']:>9.1f} {tally.sessions:>9} "
              f"{tally.calls:>6} {row['errors']:>6}", flush=True)

    try:
        tally = run_class(base, args.students, minutes=args.minutes, on_minute=on_minute)
    finally:
        final_rss = rss_mb(process.pid)
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:  # a worker still busy with a student's call
            process.kill()

    settled = [row["rss_mb"] for row in curve if row["minute"] >= args.warmup] or [final_rss]
    summary = {"students": args.students, "minutes": args.minutes, "default_malloc": args.default_malloc,
               "sessions": tally.sessions, "calls": tally.calls, "errors": len(tally.errors),
               "rss_start_mb": curve[0]["rss_mb"], "rss_end_mb": final_rss,
               "rss_spread_after_warmup_mb": max(settled) - min(settled),
               "per_action": {name: {"calls": len(values), "p50_s": statistics.median(values),
                                     "p95_s": percentile(values, 0.95)}
                              for name, values in sorted(tally.latencies.items())}}
    print(f"\n{'action':<42} {'calls':>6} {'p50 s':>7} {'p95 s':>7}")
    for name, row in summary["per_action"].items():
        print(f"{name:<42} {row['calls']:>6} {row['p50_s']:>7.2f} {row['p95_s']:>7.2f}")
    print(f"\n{tally.sessions} students, {tally.calls} calls, {len(tally.errors)} errors; RSS {curve[0]['rss_mb']:.0f} -> "
          f"{final_rss:.0f} MB; after the {args.warmup:.0f}-minute warm-up it moved within "
          f"{summary['rss_spread_after_warmup_mb']:.0f} MB (goal: 150)")
    for error in tally.errors[:5]:
        print(f"    error: {error}")
    exceptions = server_exceptions(log)
    print(f"server log: {log}; {sum(exceptions.values())} tracebacks" + "".join(
        f"\n    {count} x {last_line}" for last_line, count in exceptions.most_common(5)))
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "curve": curve, "errors": tally.errors[:50]},
                                              indent=1))


def server_exceptions(log: Path) -> collections.Counter:
    """Each traceback in the server's log, by its last line (the exception and its message)."""
    counts: collections.Counter = collections.Counter()
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    inside = False
    for index, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            inside = True
        elif inside and line and not line.startswith((" ", "\t")) and not line.startswith("During handling"):
            counts[line[:200]] += 1
            inside = index + 1 < len(lines) and lines[index + 1].startswith(("During handling", "The above"))
    return counts


if __name__ == "__main__":
    main()
