"""Publishing the course under a teacher's namespace, against a local Hub-compatible server that stores uploads."""

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch
from huggingface_hub import ModelCard

from bench.toolkit.hub_server import serve_writable_hub
from core.autoencoder.model import ConvAutoencoder
from core.common.display import weights_note
from core.hub import BUNDLED_ROOT, load_pretrained, namespaced
from spaces import publish
from spaces.landing import online_link, render_landing
from spaces.registry import discover, read_front_matter
from tests.local_hub import use_endpoint

ORG = "teacher-org"
SMALL = "image-manifold"  # one Space, one model: the smallest real publish


@pytest.fixture
def hub(tmp_path, monkeypatch):
    with serve_writable_hub(tmp_path / "hub") as server:
        use_endpoint(monkeypatch, server.endpoint, tmp_path / "hf_cache")
        monkeypatch.setenv("HF_TOKEN", "test")
        yield server


def run_publish(tmp_path, *extra):
    return publish.main(["--namespace", ORG, "--only", SMALL, "--record", str(tmp_path / "record.json"), *extra])


def test_dry_run_writes_every_model_and_space_under_the_namespace(tmp_path):
    publish.main(["--namespace", ORG, "--dry-run", str(tmp_path / "out")])
    spaces = discover()
    wanted = {m.rsplit("/", 1)[-1] for s in spaces for m in s.models}
    assert {p.name for p in (tmp_path / "out" / "models").iterdir()} == wanted
    assert {p.name for p in (tmp_path / "out" / "spaces").iterdir()} == {s.name for s in spaces}
    for space in spaces:
        folder = tmp_path / "out" / "spaces" / space.name
        meta = read_front_matter(folder / "README.md")
        assert meta["models"] == [f"{ORG}/{m.rsplit('/', 1)[-1]}" for m in space.models]
        assert json.loads((folder / "core" / "deployment.json").read_text())["namespace"] == ORG
        assert not (folder / "core" / "bundled_weights").exists()  # the Hub repos are the weights
    card = ModelCard.load(tmp_path / "out" / "models" / "pix2pix-facades-l1" / "README.md")
    assert card.data.library_name == "pytorch" and card.data.datasets == ["huggan/facades"]
    assert {r.metric_type for r in card.data.eval_results} >= {"psnr", "l1"}
    gan_card = ModelCard.load(tmp_path / "out" / "models" / "dcgan-faces" / "README.md")
    assert {r.metric_type for r in gan_card.data.eval_results} >= {"face_detected", "face_fd_gap"}
    order = json.loads((tmp_path / "out" / "collection.json").read_text())["items"]
    assert order[0] == {"type": "space", "id": f"{ORG}/pca"}
    assert [i["id"] for i in order if i["type"] == "space"] == [f"{ORG}/{s.name}" for s in spaces]  # lecture order


def test_with_fallback_keeps_the_bundled_twins(tmp_path):
    publish.main(["--namespace", ORG, "--only", SMALL, "--with-fallback", "--dry-run", str(tmp_path / "out")])
    space = tmp_path / "out" / "spaces" / SMALL
    assert (space / "core" / "bundled_weights" / "digits-autoencoder" / "model.safetensors").is_file()
    assert json.loads((space / "core" / "deployment.json").read_text())["with_fallback"] is True
    publish.main(["--namespace", ORG, "--only", SMALL, "--dry-run", str(tmp_path / "out")])  # replaces its own
    assert not (space / "core" / "bundled_weights").exists()


def test_a_dry_run_never_replaces_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(SystemExit, match="not an earlier dry run"):
        publish.main(["--namespace", ORG, "--only", SMALL, "--dry-run", str(tmp_path)])
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_unchanged_files_are_found_by_git_blob_id_or_by_the_lfs_sha256():
    """On the real Hub a safetensors file is LFS/Xet: its tree entry's blob id is the pointer's, lfs.sha256 the
    content's. Our local server stores everything as regular files, so this path is checked on the entries."""
    import hashlib

    from huggingface_hub.hf_api import RepoFile

    weights, card = b"\x00weights" * 1000, b"# card\n"
    remote = [RepoFile(path="model.safetensors", size=len(weights), oid="0" * 40,
                       lfs={"oid": hashlib.sha256(weights).hexdigest(), "size": len(weights), "pointerSize": 134}),
              RepoFile(path="README.md", size=len(card), oid=publish.git_blob_id(card)),
              RepoFile(path="old.json", size=2, oid="1" * 40), RepoFile(path=".gitattributes", size=5, oid="2" * 40)]
    assert publish.changed_files({"model.safetensors": weights, "README.md": card}, remote) == ([], ["old.json"])
    upload, _ = publish.changed_files({"model.safetensors": weights + b"!", "README.md": card + b"!"}, remote)
    assert upload == ["model.safetensors", "README.md"]
    assert publish.git_blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"  # `git hash-object`


def test_bad_arguments_stop_with_one_line(tmp_path):
    with pytest.raises(SystemExit, match="unknown Space"):
        publish.main(["--namespace", ORG, "--only", "nope", "--dry-run", str(tmp_path)])
    with pytest.raises(SystemExit, match="Hub user or organisation"):
        publish.main(["--namespace", "../evil", "--dry-run", str(tmp_path)])
    with pytest.raises(SystemExit, match="no chosen Space uses"):
        publish.main(["--namespace", ORG, "--only", SMALL, "--release", f"dcgan-faces={BUNDLED_ROOT / 'dcgan-faces'}",
                      "--dry-run", str(tmp_path)])


def test_publish_uploads_models_then_a_space_that_loads_them_and_a_second_run_uploads_nothing(tmp_path, hub,
                                                                                              monkeypatch):
    report = run_publish(tmp_path)
    model_id, space_id = f"{ORG}/digits-autoencoder", f"{ORG}/{SMALL}"
    assert set(report["models"]) == {model_id} and set(report["spaces"]) == {space_id}
    files = hub.files(model_id)
    assert files["model.safetensors"] == (BUNDLED_ROOT / "digits-autoencoder" / "model.safetensors").read_bytes()
    assert ModelCard(files["README.md"].decode()).data.eval_results  # the Hub shows our numbers
    space_files = hub.files(space_id, "space")
    assert json.loads(space_files["core/deployment.json"])["namespace"] == ORG
    assert f"- {model_id}" in space_files["README.md"].decode() and not any("bundled_weights" in p for p in space_files)
    collection = hub.collections()[0]
    assert collection["namespace"] == ORG and collection["title"] == publish.COLLECTION_TITLE
    assert [(i["item_type"], i["item_id"]) for i in collection["items"]] == [("space", space_id), ("model", model_id)]

    # The published model loads back through the Spaces' own loader, under the namespace.
    monkeypatch.setenv("MANIFOLD_NAMESPACE", ORG)
    model, source = load_pretrained(ConvAutoencoder, "manifold-lab/digits-autoencoder")
    assert source.kind == "hub" and source.repo_id == model_id
    bundled = ConvAutoencoder.from_pretrained(BUNDLED_ROOT / "digits-autoencoder")
    for a, b in zip(model.state_dict().values(), bundled.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert f">{model_id}</a></code> (Hub)" in weights_note({"": source})

    # Idempotent: nothing changed, nothing uploaded, no new commit, no duplicate collection items.
    commits = len(hub.commits(model_id)), len(hub.commits(space_id, "space"))
    again = run_publish(tmp_path)
    assert again["models"] == {model_id: []} and again["spaces"] == {space_id: []} and again["collection_added"] == 0
    assert (len(hub.commits(model_id)), len(hub.commits(space_id, "space"))) == commits
    assert len(hub.collections()) == 1 and len(hub.collections()[0]["items"]) == 2

    # A new release of one model: only its changed file goes up.
    release = tmp_path / "release"
    shutil.copytree(BUNDLED_ROOT / "digits-autoencoder", release)
    (release / "README.md").write_text((release / "README.md").read_text() + "\nRetrained.\n")
    third = run_publish(tmp_path, "--release", f"digits-autoencoder={release}")
    assert third["models"] == {model_id: ["README.md"]} and hub.commits(model_id)[-1]["paths"] == ["README.md"]
    record = json.loads((tmp_path / "record.json").read_text())
    assert record["namespace"] == ORG and record["collection"] == collection_url(hub)
    assert collection_url(hub) in hub.files(space_id, "space")["README.md"].decode()  # each Space links the course

    # A Space published later goes to its place in lecture order (pca opens the lecture), not to the end.
    publish.main(["--namespace", ORG, "--only", "pca", "--record", str(tmp_path / "record.json")])
    assert [i["item_id"] for i in hub.collections()[0]["items"]] == [f"{ORG}/pca", space_id, model_id]


def collection_url(hub):
    return f"{hub.endpoint}/collections/{hub.collections()[0]['slug']}"


@pytest.mark.slow  # a fresh interpreter importing the downloaded Space (~10-15 s)
def test_the_deployed_space_runs_on_hub_weights_alone(tmp_path, hub):
    run_publish(tmp_path)
    from huggingface_hub import snapshot_download

    folder = snapshot_download(f"{ORG}/{SMALL}", repo_type="space", local_dir=tmp_path / "space")
    probe = "import app; print(app.weights_line)"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HF_HUB_OFFLINE", "MANIFOLD_NAMESPACE")}
    done = subprocess.run([sys.executable, "-c", probe], cwd=folder, capture_output=True, text=True, timeout=180,
                          env=env | {"HF_ENDPOINT": hub.endpoint, "HF_HOME": str(tmp_path / "space_home")})
    assert done.returncode == 0, done.stderr[-2000:]
    assert f">{ORG}/digits-autoencoder</a></code> (Hub)" in done.stdout  # no banner: the Hub weights run


def test_namespace_comes_from_the_environment_or_the_deployment_file(tmp_path, monkeypatch):
    import core.hub

    monkeypatch.delenv("MANIFOLD_NAMESPACE", raising=False)
    monkeypatch.setattr(core.hub, "DEPLOYMENT_FILE", tmp_path / "deployment.json")
    assert namespaced("manifold-lab/dcgan-faces") == "manifold-lab/dcgan-faces"
    (tmp_path / "deployment.json").write_text(json.dumps({"namespace": ORG}))
    assert namespaced("manifold-lab/dcgan-faces") == f"{ORG}/dcgan-faces"
    assert namespaced("someone/else") == "someone/else"  # only our own ids move
    monkeypatch.setenv("MANIFOLD_NAMESPACE", "other")
    assert namespaced("manifold-lab/dcgan-faces") == "other/dcgan-faces"
    monkeypatch.delenv("MANIFOLD_NAMESPACE")
    for broken in ("{not json", "[1, 2]", '{"namespace": 5}'):  # ignored (one log line): the home ids and twins
        (tmp_path / "deployment.json").write_text(broken)
        assert namespaced("manifold-lab/dcgan-faces") == "manifold-lab/dcgan-faces"
    monkeypatch.setenv("MANIFOLD_NAMESPACE", "a..b")
    with pytest.raises(core.hub.WeightsNotFoundError, match="not a Hub user"):
        namespaced("manifold-lab/dcgan-faces")


def test_the_landing_page_links_the_published_course(tmp_path):
    record = tmp_path / "deployment.json"
    assert online_link(record) == ""
    record.write_text(json.dumps({"namespace": ORG, "collection": "https://huggingface.co/collections/t/c-1"}))
    page = render_landing(discover(), record=record)
    assert 'href="https://huggingface.co/collections/t/c-1"' in page and ORG in page
    record.write_text(json.dumps({"namespace": ORG, "collection": "javascript:alert(1)"}))
    assert online_link(record) == ""
