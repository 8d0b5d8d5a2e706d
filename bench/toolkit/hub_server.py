"""A small writable Hugging Face Hub for tests and `bench.publish`: real `huggingface_hub.HfApi` uploads and downloads over HTTP.

`serve_writable_hub(root)` runs a FastAPI app under uvicorn in a background thread on 127.0.0.1 and keeps
all state on disk under `root`, so a test can inspect it directly:

    root/models/<org>/<name>/files/...        the repo's current files, as plain files (also datasets/, spaces/)
    root/models/<org>/<name>/repo.json        {"id", "type", "private", "sdk", "createdAt"}
    root/models/<org>/<name>/commits.json     every commit, oldest first
    root/collections.json                     every collection

It answers what huggingface_hub 2.4.0 sends for: create_repo / delete_repo, repo_info / model_info /
space_info / dataset_info, list_models, list_repo_tree / list_repo_files, upload_file / upload_folder /
create_commit (regular files only: preupload always answers "regular", an "lfsFile" line is refused),
hf_hub_download / snapshot_download / PyTorchModelHubMixin.from_pretrained, create_collection /
get_collection / add_collection_item, whoami, and the HEAD /api/models?limit=1 reachability probe.

Like the real Hub: a new repo starts with an "initial commit" holding `.gitattributes`; every write needs an
`Authorization` header (any token is accepted, the user is always "teacher"); a private repo is invisible
without one. Only the branch "main" (or the current head commit's oid) can be read or written: there is no
history of file contents, no branches, no pull requests.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

USER = "teacher"
KINDS = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
MAIN = ("main", "refs/heads/main")
NAME = re.compile(r"[A-Za-z0-9][\w.-]*")
RESOLVE = re.compile(r"(?:(datasets|spaces)/)?([^/]+)/([^/]+)/resolve/([^/]+)/(.+)")
COLLECTION_ITEM_TYPES = ("model", "dataset", "space", "paper", "collection")
GITATTRIBUTES = b"".join(
    f"*.{ext} filter=lfs diff=lfs merge=lfs -text\n".encode()
    for ext in ("7z", "bin", "ckpt", "gz", "h5", "npy", "npz", "onnx", "pt", "pth", "safetensors", "tar", "zip")
)


def git_blob_id(data: bytes) -> str:
    """The git object id of a file: what the Hub reports as a (non-LFS) file's blob id / oid / ETag."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _git_tree_id(entries: dict[str, bytes]) -> str:
    """The git tree id of {relative path: content} (nested folders become nested trees)."""
    files, folders = {}, {}
    for path, data in entries.items():
        head, sep, rest = path.partition("/")
        if sep:
            folders.setdefault(head, {})[rest] = data
        else:
            files[head] = data
    rows = [(name, b"100644", bytes.fromhex(git_blob_id(data))) for name, data in files.items()]
    rows += [(name + "/", b"40000", bytes.fromhex(_git_tree_id(sub))) for name, sub in folders.items()]
    body = b"".join(mode + b" " + name.rstrip("/").encode() + b"\0" + oid for name, mode, oid in sorted(rows))
    return hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, **extra):
        super().__init__(message)
        self.status, self.message, self.code, self.extra = status, message, code, extra
        self.headers: dict[str, str] = {}

    def response(self) -> JSONResponse:
        headers = {"X-Error-Message": self.message.encode("ascii", "backslashreplace").decode(), **self.headers}
        if self.code:
            headers["X-Error-Code"] = self.code
        return JSONResponse({"error": self.message, **self.extra}, status_code=self.status, headers=headers)


def _check_path(path: str) -> str:
    parts = path.split("/")
    if not path or path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts) \
            or parts[0] == ".git":
        raise HubError(400, f"Invalid path in repo: {path!r}")
    return path


class _Store:
    """The on-disk state; every method runs under one lock (the server thread and the test thread share it)."""

    def __init__(self, root: Path):
        self.root = root
        self.lock = threading.RLock()

    # ---- repos ------------------------------------------------------------------------------------
    def repo_dir(self, repo_type: str, repo_id: str) -> Path:
        org, _, name = repo_id.partition("/")
        if repo_type not in URL_PREFIX or not NAME.fullmatch(org) or not NAME.fullmatch(name):
            raise HubError(400, f"Invalid repo: {repo_type} {repo_id!r}")
        return self.root / f"{repo_type}s" / org / name

    def meta(self, repo_type: str, repo_id: str, authorized: bool = True) -> dict:
        try:
            path = self.repo_dir(repo_type, repo_id) / "repo.json"
        except HubError:
            path = None
        if path is None or not path.is_file():
            raise HubError(404, f"Repository not found: {repo_type} {repo_id}", "RepoNotFound")
        meta = json.loads(path.read_text())
        if meta["private"] and not authorized:
            raise HubError(404, f"Repository not found: {repo_type} {repo_id}", "RepoNotFound")
        return meta

    def repo_ids(self, repo_type: str) -> list[str]:
        base = self.root / f"{repo_type}s"
        return sorted(p.parent.relative_to(base).as_posix() for p in base.glob("*/*/repo.json"))

    def raw_commits(self, repo_type: str, repo_id: str) -> list[dict]:
        return json.loads((self.repo_dir(repo_type, repo_id) / "commits.json").read_text())

    def files(self, repo_type: str, repo_id: str) -> dict[str, bytes]:
        base = self.repo_dir(repo_type, repo_id) / "files"
        return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}

    def resolve(self, repo_type: str, repo_id: str, revision: str, authorized: bool) -> str:
        """The commit oid that `revision` names (only "main" and the head oid exist)."""
        self.meta(repo_type, repo_id, authorized)
        head = self.raw_commits(repo_type, repo_id)[-1]["oid"]
        if revision not in (*MAIN, head):
            error = HubError(404, f"Revision not found: {revision!r} (this test Hub has only 'main' = {head})",
                             "RevisionNotFound")
            error.headers["X-Repo-Commit"] = head
            raise error
        return head

    def create_repo(self, repo_type: str, repo_id: str, private: bool, sdk: str | None) -> None:
        folder = self.repo_dir(repo_type, repo_id)
        if (folder / "repo.json").is_file():
            raise HubError(409, f"You already created this {repo_type} repo: {repo_id}")
        (folder / "files").mkdir(parents=True)
        (folder / "repo.json").write_text(json.dumps(
            {"id": repo_id, "type": repo_type, "private": private, "sdk": sdk, "createdAt": _now()}, indent=2))
        (folder / "commits.json").write_text("[]")
        self.commit(repo_type, repo_id, {"summary": "initial commit"}, [("file", ".gitattributes", GITATTRIBUTES)])

    def delete_repo(self, repo_type: str, repo_id: str) -> None:
        import shutil

        self.meta(repo_type, repo_id)
        shutil.rmtree(self.repo_dir(repo_type, repo_id))

    def commit(self, repo_type: str, repo_id: str, header: dict, ops: list[tuple[str, str, bytes | None]]) -> str:
        """Apply [("file", path, data) | ("deletedFile", path, None) | ("deletedFolder", path, None)]."""
        folder = self.repo_dir(repo_type, repo_id)
        commits = self.raw_commits(repo_type, repo_id)
        parent = commits[-1]["oid"] if commits else None
        if header.get("parentCommit") and header["parentCommit"] != parent:
            raise HubError(412, f"parentCommit {header['parentCommit']} is not the head of main ({parent}): "
                                "a commit has happened since. Please refresh and try again.")
        before = self.files(repo_type, repo_id)
        after: dict[str, bytes] = dict(before)
        for key, path, data in ops:
            if key == "file":
                after[_check_path(path)] = data
            elif key == "deletedFile":
                if path not in after:
                    raise HubError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
                del after[path]
            else:  # deletedFolder
                prefix = path.rstrip("/") + "/"
                inside = [p for p in after if p.startswith(prefix)]
                if not inside:
                    raise HubError(404, f"A folder with this name doesn't exist: {path}", "EntryNotFound")
                for p in inside:
                    del after[p]
        for path in after:
            parents = path.split("/")[:-1]
            for i in range(1, len(parents) + 1):
                if "/".join(parents[:i]) in after:
                    raise HubError(400, f"{path!r} needs a folder where the file {'/'.join(parents[:i])!r} is")
        changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
        manifest = {p: git_blob_id(d) for p, d in sorted(after.items())}
        summary, description = header.get("summary") or "", header.get("description") or ""
        oid = hashlib.sha1(json.dumps([repo_type, repo_id, len(commits), parent, summary, description, manifest])
                           .encode()).hexdigest()
        files_dir = folder / "files"
        for path in changed:
            target = files_dir / path
            if path in after:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(after[path])
            else:
                target.unlink()
                for empty in target.parents:
                    if empty == files_dir or any(empty.iterdir()):
                        break
                    empty.rmdir()
        commits.append({"oid": oid, "parent": parent, "summary": summary, "description": description,
                        "paths": changed, "date": _now()})
        (folder / "commits.json").write_text(json.dumps(commits, indent=2))
        return oid

    # ---- collections ------------------------------------------------------------------------------
    def raw_collections(self) -> list[dict]:
        path = self.root / "collections.json"
        return json.loads(path.read_text()) if path.is_file() else []

    def save_collections(self, collections: list[dict]) -> None:
        (self.root / "collections.json").write_text(json.dumps(collections, indent=2))

    def collection(self, slug: str, authorized: bool) -> dict:
        for c in self.raw_collections():
            if c["slug"] == slug and (authorized or not c["private"]):
                return c
        raise HubError(404, f"Collection not found: {slug}")


def _collection_json(c: dict, position: int) -> dict:
    return {
        "slug": c["slug"], "title": c["title"], "description": c["description"],
        "owner": {"name": c["namespace"], "type": "user" if c["namespace"] == USER else "org"},
        "items": [{"_id": i["_id"], "type": i["type"], "id": i["id"], "position": n,
                   **({"note": {"text": i["note"], "html": i["note"]}} if i["note"] is not None else {})}
                  for n, i in enumerate(c["items"])],
        "lastUpdated": c["lastUpdated"], "position": position, "private": c["private"], "theme": "default",
        "upvotes": 0, "isUpvotedByUser": False, "gating": False,
    }


def _slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "collection"


def _build_app(store: _Store) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.exception_handler(HubError)
    async def _hub_error(request: Request, error: HubError):
        return error.response()

    def authorized(request: Request) -> bool:
        return bool(request.headers.get("authorization", "").strip())

    def require_auth(request: Request) -> None:
        if not authorized(request):
            raise HubError(401, "Invalid credentials in Authorization header: this test Hub accepts any token, "
                                "but a write needs one")

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def repo_type_of(kind: str) -> str:
        if kind not in KINDS:
            raise HubError(404, f"Unknown route /api/{kind}")
        return KINDS[kind]

    async def json_body(request: Request) -> dict:
        try:
            body = json.loads(await request.body() or b"{}")
        except json.JSONDecodeError as error:
            raise HubError(400, f"Body is not JSON: {error}") from None
        if not isinstance(body, dict):
            raise HubError(400, "Body must be a JSON object")
        return body

    def repo_json(request: Request, repo_type: str, repo_id: str, blobs: bool) -> dict:
        meta = store.meta(repo_type, repo_id, authorized(request))
        commits = store.raw_commits(repo_type, repo_id)
        files = store.files(repo_type, repo_id)
        siblings = [{"rfilename": p, **({"size": len(d), "blobId": git_blob_id(d)} if blobs else {})}
                    for p, d in files.items()]
        info = {"_id": hashlib.sha1(f"{repo_type}/{repo_id}".encode()).hexdigest()[:24], "id": repo_id,
                "author": repo_id.split("/")[0], "sha": commits[-1]["oid"], "lastModified": commits[-1]["date"],
                "createdAt": meta["createdAt"], "private": meta["private"], "gated": False, "disabled": False,
                "likes": 0, "tags": [], "siblings": siblings}
        if repo_type == "model":
            info.update(downloads=0, library_name=None)
        if repo_type == "space":
            info.update(sdk=meta["sdk"], subdomain=repo_id.replace("/", "-").lower())
        return info

    # ---- account ---------------------------------------------------------------------------------
    @app.get("/api/whoami-v2")
    async def whoami(request: Request):
        require_auth(request)
        return {"type": "user", "id": "0" * 24, "name": USER, "fullname": USER, "email": None,
                "emailVerified": False, "isPro": False, "orgs": [],
                "auth": {"type": "access_token", "accessToken": {"displayName": "test", "role": "write"}}}

    @app.post("/api/validate-yaml")
    async def validate_yaml(request: Request):
        await json_body(request)
        return {"errors": [], "warnings": []}

    # ---- collections (before the repo routes: /api/{kind}/{org}/{name} would shadow /api/collections/{ns}/{slug})
    @app.post("/api/collections")
    async def create_collection(request: Request):
        body = await json_body(request)
        require_auth(request)
        title, namespace = body.get("title"), body.get("namespace") or USER
        if not title:
            raise HubError(400, "A collection needs a title")
        with store.lock:
            collections = store.raw_collections()
            for c in collections:
                if c["namespace"] == namespace and c["title"] == title:
                    raise HubError(409, f"You already have a collection titled {title!r}", slug=c["slug"])
            hex_id = hashlib.sha1(f"{namespace}\n{title}\n{len(collections)}".encode()).hexdigest()[:24]
            record = {"slug": f"{namespace}/{_slugify(title)}-{hex_id}", "title": title, "namespace": namespace,
                      "description": body.get("description"), "private": bool(body.get("private")),
                      "lastUpdated": _now(), "items": []}
            collections.append(record)
            store.save_collections(collections)
            return _collection_json(record, len(collections) - 1)

    @app.get("/api/collections/{namespace}/{slug}")
    async def get_collection(request: Request, namespace: str, slug: str):
        with store.lock:
            record = store.collection(f"{namespace}/{slug}", authorized(request))
            return _collection_json(record, store.raw_collections().index(record))

    @app.post("/api/collections/{namespace}/{slug}/items")
    async def add_collection_item(request: Request, namespace: str, slug: str):
        body = await json_body(request)
        require_auth(request)
        item = body.get("item") or {}
        item_type, item_id = item.get("type"), item.get("id")
        if item_type not in COLLECTION_ITEM_TYPES or not isinstance(item_id, str):
            raise HubError(400, f"Invalid collection item {item!r}")
        with store.lock:
            collections = store.raw_collections()
            record = store.collection(f"{namespace}/{slug}", True)
            index = collections.index(record)
            if item_type in URL_PREFIX:
                store.meta(item_type, item_id)  # 404 RepoNotFound, as on the Hub, for a repo that does not exist
            if any(i["type"] == item_type and i["id"] == item_id for i in record["items"]):
                raise HubError(409, f"{item_type} {item_id} is already in the collection {record['slug']}")
            record["items"].append({
                "_id": hashlib.sha1(f"{record['slug']}\n{item_type}\n{item_id}".encode()).hexdigest()[:24],
                "type": item_type, "id": item_id, "note": body.get("note")})
            record["lastUpdated"] = _now()
            collections[index] = record
            store.save_collections(collections)
            return _collection_json(record, index)

    @app.patch("/api/collections/{namespace}/{slug}/items/{item_object_id}")
    async def update_collection_item(request: Request, namespace: str, slug: str, item_object_id: str):
        body = await json_body(request)
        require_auth(request)
        with store.lock:
            collections = store.raw_collections()
            record = store.collection(f"{namespace}/{slug}", True)
            index = collections.index(record)
            item = next((i for i in record["items"] if i["_id"] == item_object_id), None)
            if item is None:
                raise HubError(404, f"No item {item_object_id} in the collection {record['slug']}")
            if "note" in body:
                item["note"] = body["note"]
            if "position" in body:  # move it there; the others keep their relative order
                record["items"].remove(item)
                record["items"].insert(max(0, min(int(body["position"]), len(record["items"]))), item)
            record["lastUpdated"] = _now()
            collections[index] = record
            store.save_collections(collections)
            return _collection_json(record, index)

    # ---- repos -----------------------------------------------------------------------------------
    @app.post("/api/repos/create")
    async def create_repo(request: Request):
        body = await json_body(request)
        require_auth(request)
        repo_type = body.get("type") or "model"
        if repo_type not in URL_PREFIX:
            raise HubError(400, f"This test Hub has no repo type {repo_type!r}")
        repo_id = f"{body.get('organization') or USER}/{body.get('name')}"
        if repo_type == "space" and body.get("sdk") not in ("gradio", "streamlit", "docker", "static"):
            raise HubError(400, f"A Space needs an sdk, got {body.get('sdk')!r}")
        private = body.get("visibility", "public") != "public" or bool(body.get("private"))
        url = f"{base(request)}/{URL_PREFIX[repo_type]}{repo_id}"
        with store.lock:
            try:
                store.create_repo(repo_type, repo_id, private, body.get("sdk"))
            except HubError as error:
                if error.status == 409:
                    error.extra["url"] = url
                raise
        return {"url": url, "name": repo_id, "id": hashlib.sha1(f"{repo_type}/{repo_id}".encode()).hexdigest()[:24]}

    @app.delete("/api/repos/delete")
    async def delete_repo(request: Request):
        body = await json_body(request)
        require_auth(request)
        with store.lock:
            store.delete_repo(body.get("type") or "model", f"{body.get('organization') or USER}/{body.get('name')}")
        return Response(status_code=200)

    @app.api_route("/api/{kind}/{org}/{name}/preupload/{rev:path}", methods=["POST"])
    async def preupload(request: Request, kind: str, org: str, name: str, rev: str):
        repo_type, repo_id = repo_type_of(kind), f"{org}/{name}"
        body = await json_body(request)
        require_auth(request)
        if request.query_params.get("create_pr"):
            raise HubError(400, "This test Hub has no pull requests (create_pr)")
        with store.lock:
            store.resolve(repo_type, repo_id, rev, True)
            current = store.files(repo_type, repo_id)
        return {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False,
                           "oid": git_blob_id(current[f["path"]]) if f["path"] in current else None}
                          for f in body.get("files", [])]}

    @app.api_route("/api/{kind}/{org}/{name}/commit/{rev:path}", methods=["POST"])
    async def commit(request: Request, kind: str, org: str, name: str, rev: str):
        repo_type, repo_id = repo_type_of(kind), f"{org}/{name}"
        raw = await request.body()
        require_auth(request)
        if request.query_params.get("create_pr"):
            raise HubError(400, "This test Hub has no pull requests (create_pr)")
        try:
            lines = [json.loads(line) for line in raw.splitlines() if line.strip()]
        except json.JSONDecodeError as error:
            raise HubError(400, f"Commit payload is not NDJSON: {error}") from None
        if not lines or lines[0].get("key") != "header":
            raise HubError(400, "Commit payload must start with a {'key': 'header'} line")
        ops = []
        for line in lines[1:]:
            key, value = line.get("key"), line.get("value") or {}
            if key == "file":
                content = value.get("content", "")
                data = base64.b64decode(content) if value.get("encoding") == "base64" else content.encode()
                ops.append(("file", value.get("path", ""), data))
            elif key in ("deletedFile", "deletedFolder"):
                ops.append((key, value.get("path", ""), None))
            elif key == "lfsFile":
                raise HubError(400, f"lfsFile {value.get('path')!r}: this test Hub stores regular files only "
                                    "(its preupload never answers 'lfs')")
            else:
                raise HubError(400, f"Unknown commit operation {key!r}")
        with store.lock:
            store.resolve(repo_type, repo_id, rev, True)
            if rev not in MAIN:
                raise HubError(400, f"This test Hub commits to the branch 'main' only, not to {rev!r}")
            oid = store.commit(repo_type, repo_id, lines[0].get("value") or {}, ops)
        return {"success": True, "commitOid": oid, "commitMessage": (lines[0].get("value") or {}).get("summary"),
                "commitUrl": f"{base(request)}/{URL_PREFIX[repo_type]}{repo_id}/commit/{oid}",
                "pullRequestUrl": None}

    @app.api_route("/api/{kind}/{org}/{name}/tree/{rev}", methods=["GET"])
    @app.api_route("/api/{kind}/{org}/{name}/tree/{rev}/{path:path}", methods=["GET"])
    async def tree(request: Request, kind: str, org: str, name: str, rev: str, path: str = ""):
        repo_type, repo_id = repo_type_of(kind), f"{org}/{name}"
        recursive = request.query_params.get("recursive", "").lower() in ("1", "true")
        expand = request.query_params.get("expand", "").lower() in ("1", "true")
        with store.lock:
            store.resolve(repo_type, repo_id, rev, authorized(request))
            files = store.files(repo_type, repo_id)
            commits = store.raw_commits(repo_type, repo_id)
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        inside = {p: d for p, d in files.items() if p.startswith(prefix)}
        if prefix and not inside:
            raise HubError(404, f"No folder {path!r} in {repo_id}", "EntryNotFound")

        def last_commit(entry: str, folder: bool) -> dict:
            for c in reversed(commits):
                if any(p == entry or (folder and p.startswith(entry + "/")) for p in c["paths"]):
                    return {"id": c["oid"], "title": c["summary"], "date": c["date"]}
            return {"id": commits[0]["oid"], "title": commits[0]["summary"], "date": commits[0]["date"]}

        entries, folders = [], {}
        for p, d in inside.items():
            rest = p[len(prefix):]
            if recursive or "/" not in rest:
                entries.append({"type": "file", "oid": git_blob_id(d), "size": len(d), "path": p,
                                **({"lastCommit": last_commit(p, False)} if expand else {})})
            parts = rest.split("/")[:-1]
            for i in range(1, (len(parts) if recursive else min(1, len(parts))) + 1):
                folders.setdefault(prefix + "/".join(parts[:i]), None)
        for folder in folders:
            sub = {p[len(folder) + 1:]: d for p, d in files.items() if p.startswith(folder + "/")}
            entries.append({"type": "directory", "oid": _git_tree_id(sub), "size": 0, "path": folder,
                            **({"lastCommit": last_commit(folder, True)} if expand else {})})
        return sorted(entries, key=lambda e: e["path"])

    @app.api_route("/api/{kind}/{org}/{name}", methods=["GET"])
    @app.api_route("/api/{kind}/{org}/{name}/revision/{rev:path}", methods=["GET"])
    async def repo_info(request: Request, kind: str, org: str, name: str, rev: str = "main"):
        repo_type, repo_id = repo_type_of(kind), f"{org}/{name}"
        blobs = request.query_params.get("blobs", "").lower() in ("1", "true")
        with store.lock:
            store.resolve(repo_type, repo_id, rev, authorized(request))
            return repo_json(request, repo_type, repo_id, blobs)

    @app.api_route("/api/{kind}", methods=["GET", "HEAD"])
    async def list_repos(request: Request, kind: str):
        repo_type = repo_type_of(kind)
        params = request.query_params
        author, search = params.get("author"), (params.get("search") or "").lower()
        with store.lock:
            found = [repo_json(request, repo_type, r, False) for r in store.repo_ids(repo_type)
                     if (not author or r.split("/")[0] == author) and search in r.lower()
                     and (authorized(request) or not store.meta(repo_type, r)["private"])]
        if params.get("limit", "").isdigit():
            found = found[: int(params["limit"])]
        for info in found:
            info.pop("siblings")
        if request.method == "HEAD":
            return Response(status_code=200, media_type="application/json")
        return found

    # ---- file downloads: /{org}/{name}/resolve/{rev}/{path}, /datasets/..., /spaces/... ---------------
    @app.api_route("/{full:path}", methods=["GET", "HEAD"])
    async def resolve(request: Request, full: str):
        match = RESOLVE.fullmatch(full)
        if not match:
            raise HubError(404, f"Not found: /{full}")
        kind, org, name, rev, path = match.groups()
        repo_type, repo_id = KINDS[kind] if kind else "model", f"{org}/{name}"
        with store.lock:
            head = store.resolve(repo_type, repo_id, rev, authorized(request))
            file = store.repo_dir(repo_type, repo_id) / "files" / _check_path(path)
            data = file.read_bytes() if file.is_file() else None
        if data is None:
            error = HubError(404, f"Entry not found: {path} in {repo_type} {repo_id}", "EntryNotFound")
            error.headers["X-Repo-Commit"] = head
            raise error
        headers = {"X-Repo-Commit": head, "ETag": f'"{git_blob_id(data)}"', "Accept-Ranges": "bytes",
                   "Content-Type": "application/octet-stream"}
        status, body = 200, data
        ranged = re.fullmatch(r"bytes=(\d*)-(\d*)", request.headers.get("range", ""))
        if ranged and (ranged[1] or ranged[2]):
            start = int(ranged[1]) if ranged[1] else max(len(data) - int(ranged[2]), 0)
            end = min(int(ranged[2]), len(data) - 1) if ranged[1] and ranged[2] else len(data) - 1
            if start >= len(data) or start > end:
                return Response(status_code=416, headers={"Content-Range": f"bytes */{len(data)}"})
            status, body = 206, data[start:end + 1]
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        headers["Content-Length"] = str(len(body))
        return Response(b"" if request.method == "HEAD" else body, status_code=status, headers=headers)

    return app


class WritableHub:
    """A running writable Hub: its endpoint, its storage folder and read-only views of its state."""

    def __init__(self, endpoint: str, root: Path):
        self.endpoint = endpoint
        self.root = root
        self._store = _Store(root)

    def files(self, repo_id: str, repo_type: str = "model") -> dict[str, bytes]:
        """{path: content} of the repo's current files (including the `.gitattributes` of its first commit)."""
        with self._store.lock:
            try:
                self._store.meta(repo_type, repo_id)
            except HubError:
                raise KeyError(f"no {repo_type} repo {repo_id!r} on this hub") from None
            return self._store.files(repo_type, repo_id)

    def commits(self, repo_id: str, repo_type: str = "model") -> list[dict]:
        """[{"oid", "summary", "paths": changed paths, sorted}], oldest first ("initial commit" is the first)."""
        with self._store.lock:
            try:
                self._store.meta(repo_type, repo_id)
            except HubError:
                raise KeyError(f"no {repo_type} repo {repo_id!r} on this hub") from None
            return [{"oid": c["oid"], "summary": c["summary"], "paths": list(c["paths"])}
                    for c in self._store.raw_commits(repo_type, repo_id)]

    def collections(self) -> list[dict]:
        """[{"slug", "title", "namespace", "description", "items": [{"item_type", "item_id", "position", "note"}]}]"""
        with self._store.lock:
            return [{"slug": c["slug"], "title": c["title"], "namespace": c["namespace"],
                     "description": c["description"],
                     "items": [{"item_type": i["type"], "item_id": i["id"], "position": n, "note": i["note"]}
                               for n, i in enumerate(c["items"])]}
                    for c in self._store.raw_collections()]


@contextlib.contextmanager
def serve_writable_hub(root: Path, timeout: float = 30.0) -> Iterator[WritableHub]:
    """Serve a writable Hub stored under `root` on 127.0.0.1:<free port> for the duration of the block."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # handed to uvicorn already bound: no race for the port
    hub = WritableHub(f"http://127.0.0.1:{sock.getsockname()[1]}", root)
    server = uvicorn.Server(uvicorn.Config(_build_app(hub._store), log_level="warning", access_log=False,
                                           lifespan="off", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="writable-hub", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the writable test Hub did not start within {timeout}s")
            time.sleep(0.01)
        yield hub
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
