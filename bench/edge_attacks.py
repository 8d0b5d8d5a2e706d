"""Every bad input on every input of every event, against `python -m spaces`, over raw HTTP.

    python -m bench.edge_attacks            # all Spaces (a few minutes)
    python -m bench.edge_attacks --only denoising gan
    python -m bench.edge_attacks --flood             # one client floods image-manifold; pca's latency meanwhile

Per Space: how many hostile requests were sent (non-numbers on every slider and number, bad choices,
server paths and URLs in every image input, broken and odd files in every image input), how many were
refused with our message, answered, or failed without one (must be 0), and how many tracebacks the
server logged (unhandled exceptions: must be 0). Then 1,000 mixed calls: files left in Gradio's cache
before and after its sweep, and the server's RSS.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.toolkit.hostile_inputs import NON_NUMBERS, broken_files, odd_images
from bench.toolkit.raw_gradio import IMAGE_INPUTS, NUMERIC_INPUTS, RawGradio, defaults, image_payload

TARGETS = ("/etc/passwd", "/proc/self/environ", "/no/such/file.png", "http://127.0.0.1:1/x.png", "../../etc/hosts")


def hostile_requests(client: RawGradio):
    """(endpoint, description, data) for every hostile value on every input of every event."""
    for endpoint in client.endpoints():
        for index, component in enumerate(endpoint.inputs):
            kind = component["type"]
            if kind in NUMERIC_INPUTS:
                for name, value in NON_NUMBERS.items():
                    yield endpoint, f"{kind} = {name}", defaults(endpoint, {index: value})
            elif kind == "dataset":  # an example's index: out of range used to reach Gradio's lookup (a traceback)
                for value in (None, -1, 10**6, "0", 1.5):
                    yield endpoint, f"dataset = {value}", defaults(endpoint, {index: value})
            elif kind in ("radio", "dropdown", "checkbox", "textbox"):
                for value in (None, "not a choice", 7, ["list"], "x" * 5000):
                    yield endpoint, f"{kind} = {str(value)[:12]}", defaults(endpoint, {index: value})
            elif kind in IMAGE_INPUTS:
                for target in TARGETS:
                    yield endpoint, f"{kind} path {target}", defaults(endpoint, {index: image_payload(component, target)})
                for group in (broken_files(), odd_images()):
                    for name, (file_name, content) in group.items():
                        if kind != "image" and name.startswith("8000"):
                            continue  # editors are canvas-sized; the cap refuses it, covered by 'too large'
                        path = client.upload(file_name, content)
                        yield endpoint, f"{kind} file {name}", defaults(endpoint, {index: image_payload(component, path, file_name)})


def flood(base: str, clients: int = 200) -> None:
    """`clients` concurrent calls to image-manifold's unroll through Gradio's direct route, then as many queue joins
    (one session each, one address), while pca's `line` is timed: before, during, and the answers' statuses."""
    import collections
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    pca, manifold = RawGradio(f"{base}/pca"), RawGradio(f"{base}/image-manifold")
    line, unroll = pca.endpoint("line"), manifold.endpoint("unroll")

    def pca_seconds(seeds) -> list[float]:
        times = []
        for seed in seeds:
            started = time.perf_counter()
            assert pca.call(line.fn_index, defaults(line, {3: seed})).ok
            times.append(time.perf_counter() - started)
        return times

    def direct(i: int) -> int:
        with httpx.Client(timeout=600) as http:
            return http.post(f"{manifold.base}/gradio_api/run/unroll", json={"data": defaults(unroll, {4: i})}).status_code

    def join(i: int) -> int:
        with httpx.Client(timeout=600) as http:
            body = {"fn_index": unroll.fn_index, "data": defaults(unroll, {4: 10_000 + i}), "session_hash": f"flood-{i}"}
            return http.post(f"{manifold.base}/gradio_api/queue/join", json=body).status_code

    before = pca_seconds(range(200, 205))
    with ThreadPoolExecutor(clients) as pool:
        direct_statuses = collections.Counter(pool.map(direct, range(clients)))
        join_statuses = collections.Counter(pool.map(join, range(clients)))
    during = pca_seconds(range(300, 305))
    median = lambda values: sorted(values)[len(values) // 2]  # noqa: E731
    print(f"\nflood: {clients} concurrent direct-route calls answered {dict(direct_statuses)}; {clients} queue joins "
          f"from one address answered {dict(join_statuses)}")
    print(f"pca line call: median {median(before):.2f} s before, {median(during):.2f} s during the backlog "
          f"(max {max(during):.2f} s): ratio {median(during) / median(before):.1f}")


def start_server(spaces: list[str], port: int) -> subprocess.Popen:
    """`python -m spaces --only ...` offline, one thread per operation, its log readable (tracebacks are
    counted); returns once every Space has loaded."""
    import httpx

    process = subprocess.Popen([sys.executable, "-m", "spaces", "--port", str(port), "--only", *spaces],
                               cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1",
                                    "OMP_NUM_THREADS": "1", "GRADIO_ANALYTICS_ENABLED": "False",
                                    "HOME": str(Path.home())})
    process.log_lines = []  # read all along: a full pipe would block the server
    threading.Thread(target=lambda: process.log_lines.extend(process.stdout), daemon=True).start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()["ready"]:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    raise RuntimeError("the launcher did not start")


def rss_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024


def main(argv=None) -> None:
    from spaces.registry import discover

    names = [s.name for s in discover()]
    parser = argparse.ArgumentParser(prog="python -m bench.edge_attacks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=names, default=names)
    parser.add_argument("--mixed_calls", type=int, default=1000)
    parser.add_argument("--port", type=int, default=7872)
    parser.add_argument("--flood", action="store_true", help="only the flood: image-manifold flooded, pca timed")
    args = parser.parse_args(argv)

    if args.flood:
        process = start_server(["pca", "image-manifold"], args.port)
        try:
            flood(f"http://127.0.0.1:{args.port}")
        finally:
            process.terminate()
            process.wait(30)
        return
    process = start_server(args.only, args.port)
    base = f"http://127.0.0.1:{args.port}"
    try:
        print(f"{'space':<20} {'requests':>9} {'refused':>8} {'answered':>9} {'no message':>11} {'s':>6}")
        totals = [0, 0, 0, 0]
        failures = []
        for name in args.only:
            client = RawGradio(f"{base}/{name}")
            counts, started = [0, 0, 0, 0], time.perf_counter()
            for endpoint, what, data in hostile_requests(client):
                answer = client.call(endpoint.fn_index, data)
                counts[0] += 1
                if answer.ok:
                    counts[2] += 1
                elif answer.message and "Traceback" not in answer.message:
                    counts[1] += 1
                else:
                    counts[3] += 1
                    failures.append(f"{name} {endpoint.api_name} {what}: {answer.status} {answer.message}")
            counts[1] += client.call(9999, []).status == "http 400"
            counts[0] += 1
            totals = [t + c for t, c in zip(totals, counts, strict=True)]
            print(f"{name:<20} {counts[0]:>9} {counts[1]:>8} {counts[2]:>9} {counts[3]:>11} "
                  f"{time.perf_counter() - started:>6.0f}")
        print(f"{'all':<20} {totals[0]:>9} {totals[1]:>8} {totals[2]:>9} {totals[3]:>11}")
        for failure in failures[:10]:
            print("  no message:", failure[:200])

        from core.common.gradio_patches import upload_folder

        cache = upload_folder()
        count_files = lambda: sum(1 for p in cache.rglob("*") if p.is_file())  # noqa: E731
        before, rss_before = count_files(), rss_mb(process.pid)
        rng = random.Random(0)
        mixed = [("autoencoder", "decode", lambda: [round(rng.uniform(-1, 1), 1), round(rng.uniform(-1, 1), 1)]),
                 ("denoising", "denoise_digit", lambda: [rng.randrange(500), "Gaussian", 25, rng.randrange(10**6)]),
                 ("gan", "sample_faces", lambda: [str(rng.randrange(10**6)), 1.0, "Style-based DCGAN"]),
                 ("which-face-is-real", "new_game", lambda: ["NVIDIA StyleGAN (hard)", "", None])]
        mixed = [m for m in mixed if m[0] in args.only]
        if mixed:
            clients = {name: RawGradio(f"{base}/{name}") for name, _, _ in mixed}
            errors = 0
            for call in range(args.mixed_calls):
                name, api_name, arguments = mixed[call % len(mixed)]
                errors += not clients[name].call(clients[name].endpoint(api_name).fn_index, arguments()).ok
            after = count_files()
            print(f"\n{args.mixed_calls} mixed calls ({', '.join(f'{n}/{a}' for n, a, _ in mixed)}): {errors} errors; "
                  f"files in Gradio's cache {before} -> {after} (each call serves a new image; the sweep every "
                  f"5 min removes those older than 15); server RSS {rss_before:.0f} -> {rss_mb(process.pid):.0f} MB")
    finally:
        process.terminate()
        process.wait(30)
    time.sleep(1)  # the log's last lines
    tracebacks = sum("Traceback" in line for line in process.log_lines)
    print(f"tracebacks in the server log: {tracebacks}")


if __name__ == "__main__":
    main()
