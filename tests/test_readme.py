"""The README stays true and short: it shows every Space, CI runs the test command it shows, and every
repository path it (or bench/RESULTS.md, spaces/SECURITY.md) names exists."""

import re
from pathlib import Path

import pytest

from spaces.registry import discover

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("README.md", "bench/RESULTS.md", "spaces/SECURITY.md")
README_MAX_LINES = 170

FENCE = re.compile(r"```.*?```", re.DOTALL)
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)  # fenced blocks and inline code spans
LINK = re.compile(r"\]\(([^)\s]+)\)|(?:src|href)=\"([^\"]+)\"")  # markdown links, <img src>, <a href>
PATH = re.compile(r"(?<![\w./~-])((?:core|spaces|train|bench|tests|\.ci)/[\w./-]*)")
MODULE = re.compile(r"(?<![\w./-])((?:core|spaces|train|bench|tests)(?:\.[A-Za-z_]\w*)+)")
RUN_MODULE = re.compile(r"(?:^|\s)-m\s+((?:core|spaces|train|bench|tests)(?:\.\w+)*)\b")
PLACEHOLDER = "<*{"  # `spaces/<name>/app.py`, `bench/<topic>*.py`: a pattern, not a path


def named_paths(text: str) -> set[str]:
    """Repository paths in the code spans of a document, relative to the repository root."""
    found = set()
    for span in CODE.findall(text):
        for match in PATH.finditer(span):
            if match.end() < len(span) and span[match.end()] in PLACEHOLDER:
                continue
            found.add(match.group(1).rstrip("."))
    return found


def named_modules(text: str) -> set[str]:
    """Dotted names (`core.common.images`, `core.hub.load_pretrained`) and `python -m` targets in code spans."""
    found = set()
    for span in CODE.findall(text):
        found |= {m.group(1).rstrip(".") for m in MODULE.finditer(span)
                  if not (m.end() < len(span) and span[m.end()] in PLACEHOLDER)}
        found |= set(RUN_MODULE.findall(span))
    return found


def module_exists(dotted: str) -> bool:
    """A module or package of this repository, optionally followed by one name defined in it."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:end])
        source = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
        if not source.is_file():
            continue
        rest = parts[end:]
        if not rest:
            return True
        defined = rf"^\s*(?:async\s+)?(?:def|class)\s+{rest[0]}\b|^{rest[0]}\s*[:=]|import .*\b{rest[0]}\b"
        return len(rest) <= 2 and re.search(defined, source.read_text(encoding="utf-8"), re.MULTILINE) is not None
    return False


def heading_slugs(text: str) -> set[str]:
    """GitHub's anchors for a document's headings."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", FENCE.sub("", text), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_readme_gallery_shows_every_space_folder():
    readme = (ROOT / "README.md").read_text()
    shown = set(re.findall(r'<img src="spaces/([a-z0-9-]+)/screenshot\.png"', readme))
    linked = set(re.findall(r'<a href="spaces/([a-z0-9-]+)/">', readme))
    assert shown == linked == {s.name for s in discover()}
    for space in discover():  # each caption is the Space's one-line lesson, its README's short_description
        assert f"{space.emoji} <b>{space.name}</b>: {space.lecture_point}</td>" in readme, space.name


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = "HF_HUB_OFFLINE=1 python -m pytest -q"
    assert f"`{command}`" in readme
    assert command in (ROOT / ".ci" / "run").read_text()
    full_lane = f'{command} -m "slow or not slow" -n 3 --dist loadfile'
    assert full_lane in readme and full_lane in (ROOT / ".ci" / "run").read_text()  # the full lane, as CI runs it


def test_the_readme_is_read_in_a_minute():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; measurements go to bench/RESULTS.md"


@pytest.mark.parametrize("doc", DOCS)
def test_every_path_a_document_names_exists(doc):
    """Paths and modules in code spans are relative to the root; links and images to the document's folder."""
    text = (ROOT / doc).read_text()
    missing = [p for p in sorted(named_paths(text)) if not (ROOT / p.rstrip("/")).exists()]
    missing += [m for m in sorted(named_modules(text)) if not module_exists(m)]
    slugs = heading_slugs(text)
    for groups in LINK.findall(text):
        target = next(t for t in groups if t)
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        if not file:
            if anchor not in slugs:
                missing.append(target)
        elif not ((ROOT / doc).parent / file).resolve().exists():
            missing.append(target)
    assert not missing, f"{doc} names what is not in the repository: {missing}"


def test_the_path_check_sees_stale_names():
    text = "`core/edge.py`, `core.images`, `core.common.images.no_such_thing`, `python -m bench.nowhere`, `core/<x>/`"
    assert {"core/edge.py"} == {p for p in named_paths(text) if not (ROOT / p).exists()}
    assert {m for m in named_modules(text) if not module_exists(m)} == {
        "core.images", "core.common.images.no_such_thing", "bench.nowhere"}
    assert module_exists("core.common.images.load_image") and module_exists("spaces")


def test_every_bundled_model_is_named_by_a_space():
    """...or is what another bundled release's command starts from (`--init_from ...=core/bundled_weights/<name>`)."""
    import re

    named = {m.rsplit("/", 1)[-1] for s in discover() for m in s.models}
    folders = [p for p in (ROOT / "core" / "bundled_weights").iterdir() if p.is_dir()]
    started_from = {name for p in folders if (p / "README.md").exists()
                    for name in re.findall(r"--init_from \w+=core/bundled_weights/([\w.-]+)", (p / "README.md").read_text())}
    bundled = {p.name for p in folders}
    assert bundled <= named | started_from, f"bundled but used by no Space: {bundled - named - started_from}"


def test_the_architecture_page_describes_the_tree_as_it_is():
    """Every path ARCHITECTURE.md names exists, and every topic package of core/ and Space is on its map."""
    page = (ROOT / "ARCHITECTURE.md").read_text()
    named = set(re.findall(r"`((?:core|spaces|train|bench|tests)/[\w./-]+?)`", page))
    missing = [path for path in sorted(named) if "*" not in path and not (ROOT / path.rstrip("/")).exists()]
    assert not missing, missing
    packages = {p.name for p in (ROOT / "core").iterdir() if (p / "__init__.py").is_file()}
    assert all(f"`core/{name}/`" in page for name in packages), packages
    assert all(f"`spaces/{s.name}/`" in page for s in discover())
