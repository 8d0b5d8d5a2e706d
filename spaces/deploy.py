"""Assemble one Space as a self-contained folder and upload it to the Hugging Face Hub.

    python -m spaces.deploy pca --repo USER/pca                 # assemble in a temp dir, upload
    python -m spaces.deploy pca --repo USER/pca --dry-run out/  # only write the folder

The folder holds the Space's own files (app.py, README.md with front matter, requirements.txt,
examples), beside them the parts of `core` its app imports (read from the imports, transitively: the
common package, its own topic, any other topic it uses), and only the bundled weights its models need.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import tempfile
from pathlib import Path

from spaces.registry import SpaceInfo, discover

REPO_ROOT = Path(__file__).resolve().parents[1]
CORE = REPO_ROOT / "core"
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".DS_Store")


def find_space(name: str) -> SpaceInfo:
    spaces = {s.name: s for s in discover()}
    if name not in spaces:
        raise SystemExit(f"unknown Space {name!r}; known: {', '.join(spaces)}")
    return spaces[name]


def core_imports(path: Path) -> set[str]:
    """The `core.*` modules a Python file imports, anywhere in it (lazy imports inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("core.")}
        elif isinstance(node, ast.ImportFrom) and node.module and (node.module == "core" or node.module.startswith("core.")):
            found |= {f"{node.module}.{alias.name}" if node.module == "core" else node.module for alias in node.names}
    return found


def core_parts(app_file: Path) -> set[str]:
    """Top-level parts of `core` (packages like "common", "gan", modules like "hub") that app_file needs."""
    parts, seen, pending = set(), set(), list(core_imports(app_file))
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        relative = Path(*module.split(".")[1:])
        for candidate in (CORE / relative.with_suffix(".py"), CORE / relative / "__init__.py"):
            if candidate.is_file():
                parts.add(relative.parts[0] if len(relative.parts) > 1 or candidate.name == "__init__.py"
                          else relative.with_suffix("").name)
                pending += core_imports(candidate)
                break
        else:  # `from core.pkg import name` where name is not a module: the package itself
            parent = module.rsplit(".", 1)[0]
            if parent != "core":
                pending.append(parent)
    return parts


def assemble(space: SpaceInfo, target: Path) -> Path:
    """Write a runnable Space folder at `target` (replaced if it exists)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(space.folder, target, ignore=IGNORE)
    (target / "core").mkdir()
    shutil.copy2(CORE / "__init__.py", target / "core" / "__init__.py")
    for part in sorted(core_parts(space.app_file)):
        if (CORE / part).is_dir():
            shutil.copytree(CORE / part, target / "core" / part, ignore=IGNORE)
        else:
            shutil.copy2(CORE / f"{part}.py", target / "core" / f"{part}.py")
    for repo_id in space.models:
        bundled = CORE / "bundled_weights" / repo_id.rsplit("/", 1)[-1]
        if bundled.is_dir():
            shutil.copytree(bundled, target / "core" / "bundled_weights" / bundled.name, ignore=IGNORE)
    return target


def upload(folder: Path, repo_id: str, private: bool = False) -> str:
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(repo_id, repo_type="space", space_sdk="gradio", private=private, exist_ok=True)
    commit = api.upload_folder(repo_id=repo_id, repo_type="space", folder_path=str(folder),
                               commit_message="Deploy from manifold-lab")
    return str(commit)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m spaces.deploy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="the Space folder under spaces/")
    parser.add_argument("--repo", required=True, help="target Space repo id, USER/SPACE")
    parser.add_argument("--dry-run", "--dry_run", dest="dry_run", metavar="DIR",
                        help="write the assembled folder to DIR and upload nothing")
    parser.add_argument("--private", action="store_true", help="create the Space as private")
    args = parser.parse_args(argv)

    space = find_space(args.name)
    if args.dry_run:
        folder = assemble(space, Path(args.dry_run))
        files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        print(f"assembled {space.name} for {args.repo} in {folder} ({len(files)} files); nothing uploaded")
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = assemble(space, Path(tmp) / space.name)
        print(f"uploading {space.name} to https://huggingface.co/spaces/{args.repo} ...")
        print(upload(folder, args.repo, args.private))


if __name__ == "__main__":
    main()
