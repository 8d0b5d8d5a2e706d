"""Run Spaces as each runs alone (`core.common.edge.launch`, i.e. `demo.launch`), one port each, in one process.

    python tests/serve_alone.py pca denoising ...

Prints one JSON line {name: port} once every Space answers, then serves until killed. The attacker tests
send the same requests here and to the launcher: a Space must refuse the same things in both.
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.common import edge  # noqa: E402
from spaces.registry import discover, load_app_module  # noqa: E402
from tests.conftest import free_port  # noqa: E402


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
