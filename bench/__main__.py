"""Print a table of each Space's main actions on this CPU: p50/p95 latency, cold start, peak memory.

    python -m bench                # every Space that has bench/spaces/<name>.py
    python -m bench --only pca

Each Space runs in a fresh process so cold start and peak memory are its own. Ratios compare an
action with a baseline timed in the same process, never with numbers from another machine.
The launcher as a whole (time to the landing page, memory over use) is `python -m bench.launcher`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

BENCH_SPACES = Path(__file__).resolve().parent / "spaces"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", metavar="NAME", help="benchmark only these Spaces")
    parser.add_argument("--json", metavar="FILE", help="also write the raw results here")
    args = parser.parse_args(argv)

    names = sorted(p.stem.replace("_", "-") for p in BENCH_SPACES.glob("*.py") if p.stem != "__init__")
    if args.only:
        names = [n for n in names if n in args.only]
    env = {**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}
    print(f"manifold-lab bench on {os.cpu_count()} CPU cores, torch threads = default; one process per Space\n")
    header = f"{'space':<20} {'action':<50} {'p50 ms':>9} {'p95 ms':>9}  {'baseline (same run)':<30} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    results = []
    for name in names:
        done = subprocess.run([sys.executable, "-m", "bench.harness", name], capture_output=True, text=True, env=env)
        if done.returncode != 0:
            print(f"{name:<20} FAILED: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(result)
        for row in result["rows"]:
            base = f"{row['baseline']} {row['baseline_p50_ms']:.1f} ms" if "baseline" in row else ""
            ratio = f"{row['ratio']:.2f}x" if "ratio" in row else ""
            print(f"{name:<20} {row['action']:<50} {row['p50_ms']:>9.1f} {row['p95_ms']:>9.1f}  {base:<30} {ratio:>6}")
        print(f"{name:<20} {'cold start (import + weights)':<50} {result['cold_start_s'] * 1000:>9.0f}"
              f" {'':>9}  peak RSS {result['peak_rss_mb']:.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
