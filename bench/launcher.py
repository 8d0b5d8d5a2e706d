"""`python -m spaces` as a teacher starts it: time to the landing page, time until every Space answers, and
memory at start and over a scripted stretch of class use.

    python -m bench.launcher                 # 60 minutes of use (denoise, faces grid, quiz rounds)
    python -m bench.launcher --minutes 5

The launcher runs in its own process, over real HTTP; RSS is that process's resident memory (VmRSS).
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from pathlib import Path

import httpx

from bench.class_load import ACTIONS, start_launcher_process
from bench.toolkit.raw_gradio import RawGradio


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used (/proc/<pid>/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(check, deadline: float, clock=time.perf_counter) -> float:
    """Poll `check` until it is true; returns the clock reading at that moment."""
    while clock() < deadline:
        try:
            if check():
                return clock()
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError("the launcher did not get there in time")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.launcher", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the scripted use")
    parser.add_argument("--port", type=int, default=7893)
    parser.add_argument("--idle_seconds", type=float, default=20.0, help="no requests, CPU measured")
    args = parser.parse_args(argv)
    base = f"http://127.0.0.1:{args.port}"

    started = time.perf_counter()
    process = start_launcher_process([], args.port)
    try:
        landing = wait_for(lambda: httpx.get(f"{base}/", timeout=2).status_code == 200, started + 120) - started
        health = {}

        def all_ready() -> bool:
            health.update(httpx.get(f"{base}/healthz", timeout=2).json())
            return health["ready"]

        ready = wait_for(all_ready, started + 600) - started
        names = health["spaces"]
        for name in names:  # "answers" means its page, not only its health line
            assert httpx.get(f"{base}/{name}/", timeout=30).status_code == 200, name
        answered = time.perf_counter() - started
        rss_start = rss_mb(process.pid)
        time.sleep(5)  # then no requests at all: what the server costs a class doing nothing
        cpu_before, idle_started = cpu_s(process.pid), time.perf_counter()
        time.sleep(args.idle_seconds)
        idle_share = (cpu_s(process.pid) - cpu_before) / (time.perf_counter() - idle_started)
        print(f"python -m spaces, {len(names)} Spaces ({len(health['failed'])} failed)")
        print(f"  landing page answers after   {landing:6.1f} s")
        print(f"  every Space loaded after     {ready:6.1f} s (each page answered by {answered:.1f} s)")
        print(f"  RSS when all are loaded      {rss_start:6.0f} MB")
        print(f"  CPU idle, no requests        {idle_share:6.1%} of one core ({args.idle_seconds:.0f} s)")

        users = [action(RawGradio(f"{base}/{action.space}")) for action in ACTIONS.values()]
        calls, errors, samples = 0, 0, []
        use_started = time.perf_counter()
        next_sample = use_started
        for user in itertools.cycle(users):
            now = time.perf_counter()
            if now >= next_sample:
                samples.append(((now - use_started) / 60, rss_mb(process.pid)))
                next_sample += 60
            if now - use_started >= args.minutes * 60:
                break
            answer = user.call()
            calls += 1
            errors += not answer.ok
        print(f"  scripted use: {calls} calls in {args.minutes:.0f} min (denoise, faces grid, quiz round), "
              f"{errors} errors")
        print("  RSS over the use (minute: MB): " + ", ".join(f"{m:.0f}: {mb:.0f}" for m, mb in samples))
        print(f"  RSS after the use            {rss_mb(process.pid):6.0f} MB")
    finally:
        process.kill()


if __name__ == "__main__":
    main()
