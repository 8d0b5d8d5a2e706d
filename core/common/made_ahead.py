"""Results a page shows at its default settings, made ahead and kept beside the Space: the first visitor after a
start sees them at once instead of waiting for the model (the diffusion Space's default views are about 17 CPU-s,
half a minute or more on a free Space's two vCPUs with a class arriving).

`store = MadeAhead(folder, weights_digest(model, ...))`, then `@edge.remember(made_ahead=store)` on a seeded
handler: a cache miss first looks in the store. `python -m core.common.made_ahead SPACE...` imports each Space and
saves the results its page shows on load (its `links.Shown` results at their defaults) for every handler that has a
store. A stored result counts only for the same arguments, the same weights and the same handler source; anything
else is computed live, as before. `tests/` checks that every store is current and that one stored result is what a
fresh computation gives.

A result is a tuple of pictures, arrays, text and files (a path to an animation): pictures and arrays go into the folder's `.npz`, text and
numbers into its JSON, a file's bytes into the `.npz` (written back to a temporary file when loaded).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import tempfile
import threading
from pathlib import Path

import numpy as np

from core.common.log import log

FILE_PREFIX = "file:"


def weights_digest(*modules) -> str:
    """A digest of these modules' weights (results made with other weights are not theirs)."""
    digest = hashlib.blake2b(digest_size=16)
    for module in modules:
        for name, tensor in sorted(module.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().float().contiguous().numpy().tobytes())
    return digest.hexdigest()


@functools.lru_cache(maxsize=256)
def source_of(handler) -> str:
    """A handler's own source, read once (a page's load asks for every default view's key)."""
    return inspect.getsource(inspect.unwrap(handler))


def result_key(handler, args, version: str) -> str:
    """The arguments, the weights' digest and the handler's own source: a changed handler makes its results stale."""
    source = source_of(handler)
    text = json.dumps([handler.__qualname__, [repr(a) for a in args], version, source])
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class MadeAhead:
    """One Space's made-ahead results: `<folder>/made_ahead.json` (keys, text) and `made_ahead.npz` (arrays, files)."""

    def __init__(self, folder: Path, version: str):
        self.folder, self.version = Path(folder), version
        self._entries: dict | None = None
        self._lock = threading.Lock()
        self._files = Path(tempfile.mkdtemp(prefix="made-ahead-"))

    @property
    def index_path(self) -> Path:
        return self.folder / "made_ahead.json"

    @property
    def arrays_path(self) -> Path:
        return self.folder / "made_ahead.npz"

    def entries(self) -> dict:
        """key -> {"handler", "args", "values"}, read once."""
        with self._lock:
            if self._entries is None:
                try:
                    self._entries = json.loads(self.index_path.read_text())["results"]
                except (OSError, ValueError, KeyError):
                    self._entries = {}
            return self._entries

    def has(self, handler, args) -> bool:
        return result_key(handler, args, self.version) in self.entries()

    def load(self, handler, args):
        """The stored result of handler(*args), or None."""
        entry = self.entries().get(result_key(handler, args, self.version))
        if entry is None:
            return None
        with np.load(self.arrays_path) as arrays:
            values = [self._value(spec, arrays) for spec in entry["values"]]
        return tuple(values) if entry["tuple"] else values[0]

    def _value(self, spec, arrays):
        if isinstance(spec, dict) and "picture" in spec:
            from PIL import Image

            return Image.fromarray(arrays[spec["picture"]])
        if isinstance(spec, dict) and "array" in spec:
            return arrays[spec["array"]]
        if isinstance(spec, dict) and "file" in spec:
            path = self._files / spec["file"]
            if not path.exists():
                path.write_bytes(arrays[spec["array_of_file"]].tobytes())
            return str(path)
        return spec["text"]

    def save(self, results: list[tuple]) -> None:
        """Write (handler, args, result) triples as the whole store (results made with other weights are dropped)."""
        index, arrays = {}, {}
        for handler, args, result in results:
            key = result_key(handler, args, self.version)
            values = result if isinstance(result, tuple) else (result,)
            specs = []
            for position, value in enumerate(values):
                name = f"{key}/{position}"
                if hasattr(value, "getpixel"):  # a PIL image, kept as its pixels (PNG-like: exact)
                    arrays[name] = np.asarray(value)
                    specs.append({"picture": name})
                elif isinstance(value, np.ndarray):
                    arrays[name] = value
                    specs.append({"array": name})
                elif isinstance(value, str) and value.startswith("/") and Path(value).is_file():
                    arrays[name] = np.frombuffer(Path(value).read_bytes(), dtype=np.uint8)
                    specs.append({"file": f"{key}-{position}{Path(value).suffix}", "array_of_file": name})
                elif value is None or isinstance(value, (str, int, float, bool)):
                    specs.append({"text": value})
                else:
                    raise TypeError(f"{handler.__qualname__}: a {type(value).__name__} cannot be made ahead")
            index[key] = {"handler": handler.__qualname__, "args": [repr(a) for a in args],
                          "tuple": isinstance(result, tuple), "values": specs}
        self.folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(self.arrays_path, **arrays)
        self.index_path.write_text(json.dumps({"version": self.version, "results": index}, indent=1) + "\n")
        with self._lock:
            self._entries = None


def shown_defaults(demo) -> list[tuple]:
    """(remembered handler, its default arguments) for each result a page shows on load (`links.Link.restore`)."""
    return [(shown.fn, [component.value for component in shown.inputs]) for shown in getattr(demo, "shown_results", [])]


def make(space_names: list[str]) -> None:
    from spaces.registry import discover, load_app_module

    for space in discover():
        if space_names and space.name not in space_names:
            continue
        module = load_app_module(space)
        stores: dict[int, tuple] = {}
        for fn, args in shown_defaults(module.demo):
            store = getattr(fn, "made_ahead", None)
            if store is None:
                continue
            log.info("%s: making %s%s ahead", space.name, fn.__qualname__, tuple(args))
            stores.setdefault(id(store), (store, []))[1].append((fn, args, fn.compute(*args)))
        for store, results in stores.values():
            store.save(results)
            print(f"{space.name}: {len(results)} results -> {store.index_path.parent}")


if __name__ == "__main__":
    import argparse
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")  # the results must be those a Space's one thread computes
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spaces", nargs="*", help="Space names (default: every Space with a store)")
    make(parser.parse_args().spaces)
