"""A Space's results for its own example files: computed once, then served to every visitor who clicks them.

A lecture starts with thirty students clicking the same example photo: each click ran the whole model again
(denoising's five methods on a 512 px photo: 19 s alone, 28 s p50 with a class). Gradio hands a clicked example
to the handler as a copy under its cache, so the path says nothing; the file's bytes do. `for_examples` keys a
handler's result on the digest of the image file and the other arguments, only when the file is one of the
Space's examples (an upload of any other image runs as before and is never kept). Single-flight and bounded, as
`core.common.edge.remember` (which it uses).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path

from core.common import edge

MAX_EXAMPLE_BYTES = 20 * 2**20  # never hash more than an upload may be


def file_digest(path) -> str | None:
    """SHA-256 of a file's bytes, or None when it is not a readable file of at most MAX_EXAMPLE_BYTES."""
    try:
        path = Path(path)
        if not path.is_file() or path.stat().st_size > MAX_EXAMPLE_BYTES:
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except (OSError, TypeError, ValueError):
        return None


def _size(path) -> int | None:
    try:
        return Path(path).stat().st_size if path is not None else None
    except (OSError, TypeError, ValueError):
        return None


def for_examples(examples: Iterable[str | Path], maxsize: int = 64):
    """Decorate `handler(image_path, *settings)`: for an example image, the result is computed once per settings."""
    originals = {file_digest(path): str(path) for path in examples}
    originals.pop(None, None)
    sizes = {Path(path).stat().st_size for path in originals.values()}  # cheap test first: hash only a same-size file

    def decorate(handler):
        @edge.remember(maxsize=maxsize)
        def for_example(digest: str, *settings):
            return handler(originals[digest], *settings)  # the example's own file: the same for every visitor

        @functools.wraps(handler)
        def wrapped(image_path, *settings):
            digest = file_digest(image_path) if _size(image_path) in sizes else None
            if digest in originals:
                return for_example(digest, *settings)
            return handler(image_path, *settings)

        wrapped.examples = dict(originals)  # for tests: which files count as examples
        return wrapped

    return decorate
