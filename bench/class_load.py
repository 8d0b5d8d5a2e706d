"""A class at once: 30 clients against `python -m spaces`, each calling an action 10 times, over real HTTP.

    python -m bench.class_load                  # denoise, the faces grid, a quiz round
    python -m bench.class_load --clients 10 --calls 5 --only faces

For each action: one client's sequential throughput (the baseline, same run), then every client at once:
throughput, its ratio to the baseline, p50/p95 latency per call and errors (which must be 0). On 2 cores a
class cannot make calls faster; it should keep the machine busy (ratio >= 1) and lose nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from PIL import Image

from bench.toolkit.raw_gradio import RawGradio, file_data  # the same raw client as the attacker tests

REPO_ROOT = Path(__file__).resolve().parents[1]


def photo_bytes(side: int = 256) -> bytes:
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()[:side, :side]).save(buffer, format="PNG")
    return buffer.getvalue()


class Denoise:
    space, label = "denoising", "denoise 256x256 (network + 4 classical filters)"

    def __init__(self, client: RawGradio):
        self.client, self.endpoint = client, client.endpoint("denoise")
        self.photo = file_data(client.upload("photo.png", photo_bytes()), orig_name="photo.png")

    def call(self):
        return self.client.call(self.endpoint.fn_index, [self.photo, "Gaussian", 25, secrets.randbelow(1000), True])


class Faces:
    space, label = "gan", "faces grid: 16 style-based DCGAN faces"

    def __init__(self, client: RawGradio):
        self.client, self.endpoint = client, client.endpoint("sample_faces")

    def call(self):
        first = secrets.randbelow(10_000)
        return self.client.call(self.endpoint.fn_index, [f"{first}-{first + 15}", 1.0, "Style-based DCGAN"])


class QuizRound:
    space, label = "which-face-is-real", "quiz round: show a pair, then guess"

    def __init__(self, client: RawGradio):
        self.client = client
        self.new_game, self.next_round = client.endpoint("new_game"), client.endpoint("next_round")
        self.guess = client.endpoint("guess_left")
        self.session, self.rounds = secrets.token_hex(8), 0

    def call(self):
        if self.rounds % 10 == 0:
            self.session = secrets.token_hex(8)
            shown = self.client.call(self.new_game.fn_index, ["Our GAN (easier)", "", None], self.session)
        else:
            shown = self.client.call(self.next_round.fn_index, [None], self.session)
        if not shown.ok:
            return shown
        self.rounds += 1
        return self.client.call(self.guess.fn_index, [None], self.session)


ACTIONS = {"denoise": Denoise, "faces": Faces, "quiz": QuizRound}


def run_clients(action, base: str, clients: int, calls: int) -> dict:
    """`clients` threads, each with its own connection and session, `calls` calls each; wall time for all."""
    latencies, errors = [], []
    ready = [action(RawGradio(f"{base}/{action.space}")) for _ in range(clients)]
    barrier = threading.Barrier(clients)

    def work(user):
        barrier.wait()
        for _ in range(calls):
            started = time.perf_counter()
            try:
                answer = user.call()
            except Exception as error:  # noqa: BLE001 - a dropped connection is an error to count
                errors.append(repr(error))
                continue
            latencies.append(time.perf_counter() - started)
            if not answer.ok:
                errors.append(answer.message or answer.status)

    threads = [threading.Thread(target=work, args=(user,)) for user in ready]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {"calls": clients * calls, "wall_s": wall, "throughput": clients * calls / wall,
            "p50_s": statistics.median(latencies) if latencies else float("nan"),
            "p95_s": latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))] if latencies else float("nan"),
            "errors": errors}


def start_launcher_process(spaces: list[str], port: int, extra_env: dict[str, str] | None = None,
                           log: Path | None = None) -> subprocess.Popen:
    """`python -m spaces` (only `spaces`, if any) in its own process, offline; returns at once. `log`: a file
    for its output (tracebacks of errors a client sees only as "error"), else it is dropped."""
    only = ["--only", *spaces] if spaces else []
    output = subprocess.DEVNULL if log is None else open(log, "w")  # noqa: SIM115 - the child keeps it open
    return subprocess.Popen([sys.executable, "-m", "spaces", "--port", str(port), *only],
                            cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT, text=True,
                            env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1",
                                 "GRADIO_ANALYTICS_ENABLED": "False", "HOME": str(Path.home()),
                                 # the caller's warm-up setting (the tests turn it off), unless extra_env says
                                 "MANIFOLD_WARM_UP": os.environ.get("MANIFOLD_WARM_UP", "1"), **(extra_env or {})})


@contextlib.contextmanager
def busy_beside(count: int):
    """`count` processes spinning (`while True: pass`) while the block runs, killed after it whatever happens: other
    work on the server's cores, as issue 31's walk asks ("a server with two other busy processes")."""
    spinning = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for process in spinning:
            process.kill()


def start_launcher(spaces: list[str], port: int, extra_env: dict[str, str] | None = None,
                   log: Path | None = None, warmed: bool = False) -> subprocess.Popen:
    """As above, once every Space has loaded; `warmed`: and computed its default views (`core.common.warm_up`),
    as when a class arrives some minutes after a start."""
    process = start_launcher_process(spaces, port, extra_env, log)
    import httpx

    deadline = time.monotonic() + (600 if warmed else 180)
    while time.monotonic() < deadline:
        try:
            health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
            if health["ready"] and (health["warmed"] or not warmed):
                return process
            time.sleep(0.5)
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the launcher did not start")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.class_load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--calls", type=int, default=10, help="calls per client")
    parser.add_argument("--only", nargs="+", choices=list(ACTIONS), default=list(ACTIONS))
    parser.add_argument("--port", type=int, default=7871)
    args = parser.parse_args(argv)

    actions = [ACTIONS[name] for name in args.only]
    process = start_launcher(sorted({a.space for a in actions}), args.port)
    base = f"http://127.0.0.1:{args.port}"
    try:
        print(f"{args.clients} clients x {args.calls} calls each, against `python -m spaces` on this machine\n")
        header = (f"{'action':<48} {'1 client calls/s':>16} {'class calls/s':>14} {'ratio':>6} "
                  f"{'p50 s':>7} {'p95 s':>7} {'errors':>6}")
        print(header)
        print("-" * len(header))
        for action in actions:
            run_clients(action, base, 1, 2)  # warm up: first calls compile kernels and fill caches
            alone = run_clients(action, base, 1, args.calls)
            crowd = run_clients(action, base, args.clients, args.calls)
            print(f"{action.label:<48} {alone['throughput']:>16.2f} {crowd['throughput']:>14.2f} "
                  f"{crowd['throughput'] / alone['throughput']:>5.2f}x {crowd['p50_s']:>7.2f} {crowd['p95_s']:>7.2f} "
                  f"{len(crowd['errors']) + len(alone['errors']):>6}")
            for error in (alone["errors"] + crowd["errors"])[:3]:
                print(f"    error: {error[:160]}")
    finally:
        process.terminate()
        process.wait(30)


if __name__ == "__main__":
    main()
