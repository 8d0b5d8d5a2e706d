"""Run Spaces as each runs alone (`core.common.edge.launch`, i.e. `demo.launch`), one port each, in one process.

    python -m tests.serve_alone pca denoising ...      # from the repository root (or with it on PYTHONPATH)

Prints one JSON line {name: port} once every Space answers, then serves until killed. The attacker tests
send the same requests here and to the launcher: a Space must refuse the same things in both.
"""

import json
import sys
import time

from bench.toolkit.ports import free_port
from core.common import edge
from spaces.registry import discover, load_app_module


def main(names: list[str]) -> None:
    spaces = [s for s in discover() if not names or s.name in names]
    ports = {}
    for space in spaces:
        module = load_app_module(space)
        ports[space.name] = free_port()
        edge.launch(module.demo, server_port=ports[space.name], prevent_thread_lock=True, quiet=True,
                    css=getattr(module, "CSS", None))
    print(json.dumps(ports), flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv[1:])
