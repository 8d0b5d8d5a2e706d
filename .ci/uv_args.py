"""Print this machine's pip configuration as `uv pip install` arguments, one per line (for .ci/run).

uv does not read pip's configuration; a CI machine's local wheel folders, extra indexes, constraints and CA
certificate live there (`pip config list`), so they are passed on as the same options uv takes.
"""

import shlex
import subprocess
import sys

OPTIONS = {"find-links": "--find-links", "extra-index-url": "--extra-index-url", "index-url": "--index-url",
           "constraint": "--constraint"}


def main() -> None:
    listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    seen = set()
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        name = key.rsplit(".", 1)[-1]
        if name not in OPTIONS:
            continue
        for item in shlex.split(shlex.split(value)[0] if value else ""):
            if (name, item) not in seen:
                seen.add((name, item))
                print(OPTIONS[name])
                print(item)


if __name__ == "__main__":
    main()
