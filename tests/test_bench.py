"""The latency bench's per-Space cases name handlers that exist: a renamed handler must not break `python -m bench`."""

import ast
import re
from pathlib import Path

import pytest

from spaces.registry import discover

BENCH_SPACES = Path(__file__).resolve().parents[1] / "bench" / "spaces"


def top_level_names(source: str) -> set[str]:
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):  # a Space's own module beside app.py, or a helper
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


@pytest.mark.parametrize("bench_file", sorted(BENCH_SPACES.glob("[!_]*.py")), ids=lambda p: p.stem)
def test_every_handler_a_bench_case_calls_is_defined_by_its_space(bench_file):
    spaces = {space.name: space for space in discover()}
    name = bench_file.stem.replace("_", "-")
    assert name in spaces, f"bench/spaces/{bench_file.name} has no Space named {name}"
    defined = top_level_names(spaces[name].app_file.read_text())
    used = set(re.findall(r"\bapp\.(\w+)", bench_file.read_text()))
    assert used and used <= defined, f"{bench_file.name} calls app.{sorted(used - defined)}, which {name}'s app.py lacks"
