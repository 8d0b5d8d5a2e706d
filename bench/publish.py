"""How long `python -m spaces.publish` takes and how much it sends: the whole course into a local Hub-compatible
server (bench/toolkit/hub_server.py, real HTTP on this machine), then the same publish again (nothing should go up).

    python -m bench.publish

The bytes are what a teacher's connection carries to the real Hub; the local time is the floor (hashing,
assembling, HTTP), so on the Hub add bytes / upload bandwidth.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench.toolkit.hub_server import serve_writable_hub
from spaces import publish

NAMESPACE = "bench-course"


def stored_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and "files" in p.parts)


def main() -> None:
    from huggingface_hub import constants

    with tempfile.TemporaryDirectory() as tmp, serve_writable_hub(Path(tmp) / "hub") as hub:
        constants.ENDPOINT, constants.HF_HUB_OFFLINE = hub.endpoint, False
        constants.HUGGINGFACE_CO_URL_TEMPLATE = hub.endpoint + "/{repo_id}/resolve/{revision}/{filename}"
        os.environ.update(HF_ENDPOINT=hub.endpoint, HF_TOKEN="bench")
        os.environ.pop("HF_HUB_OFFLINE", None)
        rows = []
        for label in ("first publish", "second publish (no change)"):
            started = time.perf_counter()
            report = publish.main(["--namespace", NAMESPACE, "--record", str(Path(tmp) / "record.json")])
            seconds = time.perf_counter() - started
            files = sum(len(v) for kind in ("models", "spaces") for v in report[kind].values())
            rows.append((label, len(report["models"]), len(report["spaces"]), files, seconds))
        total = stored_bytes(Path(tmp) / "hub")
    print(f"\n{'run':<28} {'models':>6} {'Spaces':>6} {'files up':>8} {'seconds':>8}")
    for label, models, spaces, files, seconds in rows:
        print(f"{label:<28} {models:>6} {spaces:>6} {files:>8} {seconds:>8.1f}")
    print(f"\nstored on the Hub: {total / 1e6:.0f} MB; at 5 MB/s upload that is {total / 5e6 / 60:.1f} min more")


if __name__ == "__main__":
    main()
