"""The README stays true: it lists every Space, and CI runs the test command it shows."""

import re
from pathlib import Path

from spaces.registry import discover

ROOT = Path(__file__).resolve().parents[1]


def test_readme_table_lists_every_space_folder():
    readme = (ROOT / "README.md").read_text()
    listed = set(re.findall(r"^\| \[`([a-z0-9-]+)`\]\(spaces/\1\)", readme, re.MULTILINE))
    assert listed == {s.name for s in discover()}


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = "HF_HUB_OFFLINE=1 python -m pytest -q"
    assert f"`{command}`" in readme
    assert command in (ROOT / ".ci" / "run").read_text()


def test_every_bundled_model_is_named_by_a_space():
    named = {m.rsplit("/", 1)[-1] for s in discover() for m in s.models}
    bundled = {p.name for p in (ROOT / "core" / "bundled_weights").iterdir() if p.is_dir()}
    assert bundled <= named, f"bundled but used by no Space: {bundled - named}"


def test_the_architecture_page_describes_the_tree_as_it_is():
    """Every path ARCHITECTURE.md names exists, and every topic package of core/ and Space is on its map."""
    page = (ROOT / "ARCHITECTURE.md").read_text()
    named = set(re.findall(r"`((?:core|spaces|train|bench|tests)/[\w./-]+?)`", page))
    missing = [path for path in sorted(named) if "*" not in path and not (ROOT / path.rstrip("/")).exists()]
    assert not missing, missing
    packages = {p.name for p in (ROOT / "core").iterdir() if (p / "__init__.py").is_file()}
    assert all(f"`core/{name}/`" in page for name in packages), packages
    assert all(f"`spaces/{s.name}/`" in page for s in discover())
