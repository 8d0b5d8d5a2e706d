"""Put the whole course online under one namespace: every model repo first, then Spaces that pull from them.

    huggingface-cli login                                    # a token that can write to ORG
    python -m spaces.publish --namespace ORG                 # models, Spaces, and a collection in lecture order
    python -m spaces.publish --namespace ORG --only pca gan  # just these Spaces (and their models)
    python -m spaces.publish --namespace ORG --dry-run out/  # write everything it would upload; upload nothing
    python -m spaces.publish --namespace ORG --release dcgan-faces=outputs/long/dcgan/final

For each model a Space lists (its README's `models:`), `ORG/<model>` gets the release: the bundled folder,
or a trained `final/` folder named by `--release`, with its card's front matter in the Hub's conventions
(datasets, metrics as eval_results). Each Space is assembled by `spaces.deploy` with a `core/deployment.json`
naming ORG, so `core.hub` loads `ORG/<model>`, and its README's `models:` rewritten to match. The bundled
twins stay in a Space only with `--with-fallback` (then an offline Hub still gives a working app).
A second run uploads only files whose git blob hash differs from the Hub's, and commits nothing when all match.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core.hub import BUNDLED_ROOT, HOME_NAMESPACE, check_safetensors_folder, valid_namespace
from spaces.deploy import IGNORE, assemble
from spaces.registry import SpaceInfo, discover
from train.card import hub_card

COLLECTION_TITLE = "Image Manifolds & Image Generation"
COLLECTION_DESCRIPTION = "The manifold-lab Spaces in lecture order, each followed by the models it runs."
RELEASE_FILES = ("config.json", "model.safetensors", "README.md", "model_index.json", "unet/config.json",
                 "unet/diffusion_pytorch_model.safetensors", "scheduler/scheduler_config.json")


@dataclass
class Plan:
    """What one publish creates: model repos (name -> folder to upload) and Spaces (name -> folder)."""

    namespace: str
    models: dict[str, Path] = field(default_factory=dict)
    spaces: dict[str, Path] = field(default_factory=dict)
    order: list[tuple[str, str]] = field(default_factory=list)  # (kind, repo id) for the collection


def git_blob_id(data: bytes) -> str:
    """The id git (and the Hub's tree API, for a non-LFS file) gives a file's content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def release_folder(name: str, releases: dict[str, Path], target: Path) -> Path:
    """A model repo's files: the release named by --release, else the bundled twin; the card made Hub-ready."""
    source = releases.get(name, BUNDLED_ROOT / name)
    if not source.is_dir():
        raise SystemExit(f"no release for {name}: {source} is not a folder (train it, or pass --release {name}=DIR)")
    check_safetensors_folder(source)
    target.mkdir(parents=True)
    for relative in RELEASE_FILES:
        if (source / relative).is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / relative, target / relative)
    card = target / "README.md"
    if card.is_file():
        card.write_text(hub_card(card.read_text(encoding="utf-8")), encoding="utf-8")
    return target


def rewrite_space_readme(readme: Path, namespace: str) -> None:
    """Front matter `models:` (and every model link in the body) under the namespace."""
    text = readme.read_text(encoding="utf-8")
    match = re.match(r"^---\s*\n(.*?)\n---\s*\n", text, re.DOTALL)
    meta = yaml.safe_load(match.group(1))
    meta["models"] = [to_namespace(m, namespace) for m in meta.get("models") or []]
    body = text[match.end():].replace(f"huggingface.co/{HOME_NAMESPACE}/", f"huggingface.co/{namespace}/")
    body = body.replace(f"`{HOME_NAMESPACE}/", f"`{namespace}/")
    readme.write_text(f"---\n{yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)}---\n{body}", encoding="utf-8")


def to_namespace(repo_id: str, namespace: str) -> str:
    owner, _, name = repo_id.partition("/")
    return f"{namespace}/{name}" if owner == HOME_NAMESPACE else repo_id


def space_folder(space: SpaceInfo, target: Path, namespace: str, with_fallback: bool) -> Path:
    assemble(space, target)
    if not with_fallback:  # the Hub repos are the weights; the Space is smaller without its twins
        shutil.rmtree(target / "core" / "bundled_weights", ignore_errors=True)
    deployment = {"namespace": namespace, "space": f"{namespace}/{space.name}", "collection": None,
                  "with_fallback": with_fallback}
    (target / "core" / "deployment.json").write_text(json.dumps(deployment, indent=2) + "\n", encoding="utf-8")
    rewrite_space_readme(target / "README.md", namespace)
    return target


def link_collection(folder: Path, url: str) -> None:
    """Once the collection exists: its link in a Space's README and deployment.json."""
    deployment = json.loads((folder / "core" / "deployment.json").read_text(encoding="utf-8"))
    (folder / "core" / "deployment.json").write_text(json.dumps({**deployment, "collection": url}, indent=2) + "\n",
                                                     encoding="utf-8")
    with (folder / "README.md").open("a", encoding="utf-8") as readme:
        readme.write(f"\n\nThe whole course, in lecture order: [{COLLECTION_TITLE}]({url}).\n")


def course_order(namespace: str, spaces: list[SpaceInfo]) -> list[tuple[str, str]]:
    """(kind, repo id) in lecture order: each Space, then the models it runs that no earlier Space listed."""
    order: list[tuple[str, str]] = []
    for space in spaces:
        order.append(("space", f"{namespace}/{space.name}"))
        order += [("model", to_namespace(m, namespace)) for m in space.models
                  if ("model", to_namespace(m, namespace)) not in order]
    return order


def make_plan(namespace: str, spaces: list[SpaceInfo], releases: dict[str, Path], workdir: Path,
              with_fallback: bool) -> Plan:
    plan = Plan(namespace, order=course_order(namespace, spaces))
    for space in spaces:
        for repo_id in space.models:
            name = repo_id.rsplit("/", 1)[-1]
            if repo_id.partition("/")[0] != HOME_NAMESPACE:  # someone else's model: the Space loads it as is
                continue
            if name not in plan.models:
                plan.models[name] = release_folder(name, releases, workdir / "models" / name)
        plan.spaces[space.name] = space_folder(space, workdir / "spaces" / space.name, namespace, with_fallback)
    unused = set(releases) - set(plan.models)
    if unused:
        raise SystemExit(f"--release names models no chosen Space uses: {', '.join(sorted(unused))}")
    return plan


def sync_folder(api, repo_id: str, repo_type: str, folder: Path, message: str, private: bool = False) -> list[str]:
    """Upload what differs from the repo (by git blob id) and delete what the folder no longer has.

    Returns the changed paths; makes no commit when there are none."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    api.create_repo(repo_id, repo_type=repo_type, space_sdk="gradio" if repo_type == "space" else None,
                    private=private, exist_ok=True)
    local = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    upload, delete = changed_files(local, api.list_repo_tree(repo_id, repo_type=repo_type, recursive=True))
    operations = [CommitOperationAdd(path_in_repo=path, path_or_fileobj=local[path]) for path in upload]
    operations += [CommitOperationDelete(path_in_repo=path) for path in delete]
    if operations:
        api.create_commit(repo_id, operations, repo_type=repo_type, commit_message=message)
    return upload + delete


def changed_files(local: dict[str, bytes], remote_entries) -> tuple[list[str], list[str]]:
    """(paths to upload, paths to delete): a file is unchanged when its hash matches the Hub's, the content's
    sha256 for an LFS/Xet file (the Hub's `lfs.sha256`; its blob id is the pointer's), else the git blob id."""
    remote = {}
    for entry in remote_entries:
        if getattr(entry, "blob_id", None) is not None:  # a file (folders have no blob id)
            lfs = getattr(entry, "lfs", None)
            remote[entry.path] = ("sha256", lfs.sha256) if lfs else ("git", entry.blob_id)
    upload = []
    for path, data in local.items():
        kind, remote_id = remote.get(path, (None, None))
        ours = hashlib.sha256(data).hexdigest() if kind == "sha256" else git_blob_id(data)
        if ours != remote_id:
            upload.append(path)
    return upload, sorted(set(remote) - set(local) - {".gitattributes"})


def fill_collection(api, slug: str, order: list[tuple[str, str]], published: set[tuple[str, str]]) -> int:
    """Add the published repos the collection lacks, then put ours in lecture order (a Space published later
    by `--only` moves to its place). Returns how many were added."""
    present = {(item.item_type, item.item_id) for item in api.get_collection(slug).items}
    missing = [key for key in order if key in published and key not in present]
    for kind, repo_id in missing:
        api.add_collection_item(slug, item_id=repo_id, item_type=kind, exists_ok=True)
    items = api.get_collection(slug).items
    current = [(item.item_type, item.item_id) for item in items]
    object_ids = {(item.item_type, item.item_id): item.item_object_id for item in items}
    for position, key in enumerate(k for k in order if k in object_ids):
        if current[position] != key:
            api.update_collection_item(slug, object_ids[key], position=position)
            current.remove(key)
            current.insert(position, key)
    return len(missing)


def write_dry_run(plan: Plan, target: Path) -> None:
    """Everything that would be uploaded, under target/models and target/spaces. Replaces only an earlier dry run."""
    if target.exists() and any(target.iterdir()):
        if not (target / "collection.json").is_file() or (target / ".git").exists():
            raise SystemExit(f"--dry-run {target}: the folder is not empty and is not an earlier dry run; "
                             "name a new folder")
        shutil.rmtree(target)
    for kind, folders in (("models", plan.models), ("spaces", plan.spaces)):
        for name, folder in folders.items():
            shutil.copytree(folder, target / kind / name, ignore=IGNORE)
    (target / "collection.json").write_text(json.dumps(
        {"title": COLLECTION_TITLE, "namespace": plan.namespace,
         "items": [{"type": kind, "id": repo_id} for kind, repo_id in plan.order],
         "note": "the collection's link is added to each Space's README and deployment.json once it exists"},
        indent=2) + "\n")


def parse_releases(values: list[str]) -> dict[str, Path]:
    releases = {}
    for value in values:
        name, _, folder = value.partition("=")
        if not name or not folder:
            raise SystemExit(f"--release wants NAME=FOLDER (e.g. dcgan-faces=outputs/long/dcgan/final), got {value!r}")
        releases[name] = Path(folder)
    return releases


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m spaces.publish", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--namespace", required=True, help="your Hub user or organisation")
    parser.add_argument("--only", nargs="+", metavar="SPACE", help="publish just these Spaces (and their models)")
    parser.add_argument("--release", action="append", default=[], metavar="NAME=FOLDER",
                        help="upload this trained folder (a trainer's final/) as model NAME instead of the bundled one")
    parser.add_argument("--with-fallback", "--with_fallback", dest="with_fallback", action="store_true",
                        help="keep each Space's bundled demo weights as its offline fallback")
    parser.add_argument("--dry-run", "--dry_run", dest="dry_run", metavar="DIR", help="write what would be uploaded")
    parser.add_argument("--private", action="store_true", help="create the repos private")
    parser.add_argument("--record", type=Path, default=Path(__file__).parent / "deployment.json",
                        help="where to note what was published (the local landing page links the course from it)")
    args = parser.parse_args(argv)
    if not valid_namespace(args.namespace):
        raise SystemExit(f"--namespace must be a Hub user or organisation name, got {args.namespace!r}")

    known = {s.name: s for s in discover()}
    unknown = [name for name in args.only or [] if name not in known]
    if unknown:
        raise SystemExit(f"unknown Space(s) {', '.join(unknown)}; known: {', '.join(known)}")
    spaces = [s for s in known.values() if not args.only or s.name in args.only]
    releases = parse_releases(args.release)

    if args.private and not args.with_fallback:
        print("note: a private Space reads private model repos only with an HF_TOKEN secret set in its settings; "
              "without one (and without --with-fallback) it cannot load its weights")
    with tempfile.TemporaryDirectory() as tmp:
        plan = make_plan(args.namespace, spaces, releases, Path(tmp), args.with_fallback)  # every check first
        if args.dry_run:
            write_dry_run(plan, Path(args.dry_run))
            print(f"{len(plan.models)} model repos and {len(plan.spaces)} Spaces for {args.namespace} written to "
                  f"{args.dry_run}; nothing uploaded")
            return {"models": {}, "spaces": {}, "collection": None, "collection_added": 0}

        from huggingface_hub import HfApi

        api = HfApi()
        started = time.monotonic()
        # The collection before the uploads (it is empty until filled), so every Space's README can link it.
        collection = api.create_collection(COLLECTION_TITLE, namespace=args.namespace,
                                           description=COLLECTION_DESCRIPTION, exists_ok=True, private=args.private)
        for folder in plan.spaces.values():
            link_collection(folder, collection.url)
        report = {"models": {}, "spaces": {}, "collection": collection.url}
        for kind, folders, message in (("model", plan.models, "Release from manifold-lab"),  # models first:
                                       ("space", plan.spaces, "Deploy from manifold-lab")):  # Spaces load them
            for name, folder in folders.items():
                repo_id = f"{args.namespace}/{name}"
                changed = sync_folder(api, repo_id, kind, folder, message, args.private)
                report[f"{kind}s"][repo_id] = changed
                print(f"{kind} {repo_id}: {len(changed) or 'no'} file(s) changed")
        published = {("model", f"{args.namespace}/{m}") for m in plan.models}
        published |= {("space", f"{args.namespace}/{name}") for name in plan.spaces}
        full_order = course_order(args.namespace, list(known.values()))
        report["collection_added"] = fill_collection(api, collection.slug, full_order, published)
        args.record.write_text(json.dumps(
            {"namespace": args.namespace, "collection": collection.url,
             "spaces": {name: f"https://huggingface.co/spaces/{args.namespace}/{name}" for name in plan.spaces}},
            indent=2) + "\n", encoding="utf-8")
        print(f"collection: {collection.url} ({time.monotonic() - started:.0f} s in all)")
        return report


if __name__ == "__main__":
    main()
