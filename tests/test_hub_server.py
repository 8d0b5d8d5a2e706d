"""bench/toolkit/hub_server.py, driven only through huggingface_hub's public API over real HTTP."""
from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path

import pytest
import torch
from huggingface_hub import (
    HfApi,
    PyTorchModelHubMixin,
    hf_hub_download,
    snapshot_download,
)
from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, RepositoryNotFoundError
from torch import nn

from bench.toolkit.hub_server import serve_writable_hub
from tests.local_hub import use_endpoint

REPO = "teacher/tiny"


class Tiny(nn.Module, PyTorchModelHubMixin):
    def __init__(self, width: int = 3):
        super().__init__()
        self.linear = nn.Linear(width, 2)


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob " + str(len(data)).encode() + b"\0" + data).hexdigest()


@pytest.fixture
def hub(monkeypatch, tmp_path):
    with serve_writable_hub(tmp_path / "hub") as hub:
        use_endpoint(monkeypatch, hub.endpoint, tmp_path / "hf_cache")
        yield hub


@pytest.fixture
def api(hub):
    return HfApi(token="test")


@pytest.fixture
def tiny_folder(tmp_path):
    torch.manual_seed(0)
    model = Tiny(width=3)
    folder = tmp_path / "tiny"
    model.save_pretrained(folder)
    return model, folder


def local_files(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_reachability_probe_and_whoami(hub, api):
    request = urllib.request.Request(hub.endpoint + "/api/models?limit=1", method="HEAD")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
    assert api.whoami()["name"] == "teacher"


def test_upload_folder_then_download_and_from_pretrained(hub, api, tiny_folder, tmp_path):
    model, folder = tiny_folder
    ours = local_files(folder)
    assert {"config.json", "model.safetensors"} <= set(ours)

    url = api.create_repo(REPO)
    assert url == f"{hub.endpoint}/{REPO}" and url.repo_id == REPO
    info = api.upload_folder(repo_id=REPO, folder_path=folder, commit_message="first weights")
    assert len(info.oid) == 40 and api.model_info(REPO).sha == info.oid

    # on disk: the Hub's initial .gitattributes plus exactly our files; one commit naming them all
    stored = hub.files(REPO)
    assert stored.pop(".gitattributes")
    assert stored == ours
    commits = hub.commits(REPO)
    assert [c["summary"] for c in commits] == ["initial commit", "first weights"]
    assert commits[-1] == {"oid": info.oid, "summary": "first weights", "paths": sorted(ours)}

    # the tree reports each file's git blob id, as the Hub does for regular files
    tree = {e.path: e for e in api.list_repo_tree(REPO, recursive=True)}
    assert {p: (e.blob_id, e.size) for p, e in tree.items() if p in ours} == \
        {p: (blob_id(d), len(d)) for p, d in ours.items()}
    assert sorted(api.list_repo_files(REPO)) == sorted([".gitattributes", *ours])
    assert sorted(s.rfilename for s in api.model_info(REPO).siblings) == sorted([".gitattributes", *ours])

    config = hf_hub_download(REPO, "config.json")
    assert Path(config).read_bytes() == ours["config.json"]
    snapshot = snapshot_download(REPO)
    assert local_files(Path(snapshot)) == hub.files(REPO)
    loaded = Tiny.from_pretrained(REPO)
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor)


def test_second_upload_commits_only_the_changed_file(hub, api, tiny_folder):
    model, folder = tiny_folder
    api.create_repo(REPO)
    api.upload_folder(repo_id=REPO, folder_path=folder)
    first = hf_hub_download(REPO, "model.safetensors")
    old_weights = Path(first).read_bytes()

    nn.init.constant_(model.linear.weight, 0.5)
    model.save_pretrained(folder)  # same config and card, new weights
    info = api.upload_folder(repo_id=REPO, folder_path=folder, commit_message="retrained")
    assert hub.commits(REPO)[-1] == {"oid": info.oid, "summary": "retrained", "paths": ["model.safetensors"]}
    new_weights = (folder / "model.safetensors").read_bytes()
    assert new_weights != old_weights
    assert Path(hf_hub_download(REPO, "model.safetensors")).read_bytes() == new_weights
    assert torch.equal(Tiny.from_pretrained(REPO).linear.weight, torch.full((2, 3), 0.5))

    # nothing changed: the client sees equal oids in preupload and makes no commit
    count = len(hub.commits(REPO))
    assert api.upload_folder(repo_id=REPO, folder_path=folder).oid == info.oid
    assert len(hub.commits(REPO)) == count

    # a deletion and a file in a folder, through create_commit-based helpers
    api.upload_file(path_or_fileobj=b"notes", path_in_repo="docs/notes.txt", repo_id=REPO)
    assert hub.commits(REPO)[-1]["paths"] == ["docs/notes.txt"]
    top = {e.path: type(e).__name__ for e in api.list_repo_tree(REPO)}
    assert top["docs"] == "RepoFolder" and "docs/notes.txt" not in top
    assert [e.path for e in api.list_repo_tree(REPO, path_in_repo="docs")] == ["docs/notes.txt"]
    api.delete_file("README.md", repo_id=REPO)
    assert hub.commits(REPO)[-1]["paths"] == ["README.md"]
    assert "README.md" not in hub.files(REPO)
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(REPO, "README.md")


def test_create_repo_exist_ok_and_writes_need_a_token(hub, api):
    api.create_repo(REPO)
    with pytest.raises(HfHubHTTPError) as error:
        api.create_repo(REPO)
    assert error.value.response.status_code == 409
    assert api.create_repo(REPO, exist_ok=True) == f"{hub.endpoint}/{REPO}"
    assert len(hub.commits(REPO)) == 1  # not re-created

    with pytest.raises(HfHubHTTPError) as error:
        HfApi(token=False).upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=REPO)
    assert error.value.response.status_code == 401
    assert "x.txt" not in hub.files(REPO)


def test_unknown_repo_and_file(hub, api):
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("teacher/missing")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("teacher/missing", "config.json")
    with pytest.raises(RepositoryNotFoundError):
        api.upload_file(path_or_fileobj=b"{}", path_in_repo="config.json", repo_id="teacher/missing")
    api.create_repo(REPO)
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(REPO, "config.json")
    with pytest.raises(RepositoryNotFoundError):  # repo types are separate namespaces
        api.space_info(REPO)


def test_space_upload(hub, api, tmp_path):
    space = "teacher/demo"
    url = api.create_repo(space, repo_type="space", space_sdk="gradio")
    assert url == f"{hub.endpoint}/spaces/{space}"
    folder = tmp_path / "space"
    (folder / "core").mkdir(parents=True)
    (folder / "app.py").write_text("import gradio as gr\n")
    (folder / "core" / "__init__.py").write_text("")
    (folder / "README.md").write_text("---\ntitle: Demo\nsdk: gradio\napp_file: app.py\n---\n# Demo\n")
    info = api.upload_folder(repo_id=space, repo_type="space", folder_path=folder)

    assert hub.commits(space, repo_type="space")[-1]["paths"] == ["README.md", "app.py", "core/__init__.py"]
    stored = hub.files(space, repo_type="space")
    assert stored["app.py"] == b"import gradio as gr\n" and stored["core/__init__.py"] == b""
    space_info = api.space_info(space)
    assert space_info.sdk == "gradio" and space_info.sha == info.oid
    assert api.repo_info(space, repo_type="space").sha == info.oid
    assert Path(hf_hub_download(space, "app.py", repo_type="space")).read_bytes() == b"import gradio as gr\n"
    with pytest.raises(KeyError):
        hub.files(space)  # no model repo of that name
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(space)


def test_collections_exists_ok(hub, api):
    api.create_repo(REPO)
    first = api.create_collection("Image Manifolds", namespace="teacher", description="the course",
                                  exists_ok=True)
    assert first.slug.startswith("teacher/image-manifolds-")
    again = api.create_collection("Image Manifolds", namespace="teacher", description="the course",
                                  exists_ok=True)
    assert again.slug == first.slug
    with pytest.raises(HfHubHTTPError) as error:
        api.create_collection("Image Manifolds", namespace="teacher")
    assert error.value.response.status_code == 409

    api.add_collection_item(first.slug, item_id=REPO, item_type="model", note="start here", exists_ok=True)
    collection = api.add_collection_item(first.slug, item_id=REPO, item_type="model", exists_ok=True)
    assert [(i.item_type, i.item_id, i.note) for i in collection.items] == [("model", REPO, "start here")]
    assert [(i.item_type, i.item_id) for i in api.get_collection(first.slug).items] == [("model", REPO)]
    with pytest.raises(HfHubHTTPError) as error:
        api.add_collection_item(first.slug, item_id=REPO, item_type="model")
    assert error.value.response.status_code == 409
    with pytest.raises(RepositoryNotFoundError):  # the Hub refuses items that do not exist
        api.add_collection_item(first.slug, item_id="teacher/missing", item_type="model")

    assert hub.collections() == [{
        "slug": first.slug, "title": "Image Manifolds", "namespace": "teacher", "description": "the course",
        "items": [{"item_type": "model", "item_id": REPO, "position": 0, "note": "start here"}],
    }]
    assert api.create_collection("Other").slug.startswith("teacher/other-")  # namespace from whoami
