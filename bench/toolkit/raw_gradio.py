"""A raw-HTTP Gradio client that sends exactly what we tell it: the tool of the attacker tests and benches.

gradio_client validates and uploads on the caller's behalf; an attacker does not. This speaks the queue
protocol directly (`queue/join`, then the `queue/data` event stream) and exposes every field of a payload.
"""

from __future__ import annotations

import functools
import json
import secrets
import ssl
from dataclasses import dataclass, field

import httpx


@dataclass
class Answer:
    status: str  # "complete", "error" or "http <code>"
    data: list | None = None
    message: str | None = None  # the error text the client is shown (None: a bare "Error")
    raw: list[dict] = field(default_factory=list)  # every event-stream message

    @property
    def ok(self) -> bool:
        return self.status == "complete"


@dataclass(frozen=True)
class Endpoint:
    fn_index: int
    api_name: str | None
    inputs: list[dict]  # the input components' config: {"id", "type", "props"}
    outputs: list[dict]


class RawGradio:
    """One mounted or standalone Gradio app at `base` (e.g. http://127.0.0.1:7860/denoising)."""

    def __init__(self, base: str, timeout: float = 120):
        self.base = base.rstrip("/")
        self.http = httpx.Client(timeout=timeout, verify=_tls_context())
        self._config: dict | None = None

    def close(self):
        self.http.close()

    @property
    def config(self) -> dict:
        if self._config is None:
            self._config = self.http.get(f"{self.base}/config").json()
        return self._config

    def endpoints(self) -> list[Endpoint]:
        components = {c["id"]: c for c in self.config["components"]}
        found = []
        for dependency in self.config["dependencies"]:
            if dependency.get("backend_fn") is False:
                continue  # a JS-only event: nothing runs on the server
            found.append(Endpoint(dependency["id"], dependency.get("api_name"),
                                  [components[i] for i in dependency["inputs"]],
                                  [components[i] for i in dependency["outputs"]]))
        return found

    def endpoint(self, api_name: str) -> Endpoint:
        return next(e for e in self.endpoints() if e.api_name == api_name)

    def call(self, fn_index: int, data: list, session_hash: str | None = None, event_data=None) -> Answer:
        session_hash = session_hash or secrets.token_hex(8)
        body = {"fn_index": fn_index, "data": data, "session_hash": session_hash, "event_data": event_data,
                "trigger_id": None}
        # json.dumps writes NaN and Infinity, as a hostile client may
        response = self.http.post(f"{self.base}/gradio_api/queue/join", content=json.dumps(body),
                                  headers={"content-type": "application/json"})
        if response.status_code != 200:
            return Answer(f"http {response.status_code}", message=response.text[:500])
        messages = []
        with self.http.stream("GET", f"{self.base}/gradio_api/queue/data",
                              params={"session_hash": session_hash}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                messages.append(message)
                if message.get("msg") == "process_completed":
                    output = message.get("output") or {}
                    if message.get("success"):
                        return Answer("complete", output.get("data"), raw=messages)
                    return Answer("error", message=output.get("error"), raw=messages)
                if message.get("msg") == "unexpected_error":
                    return Answer("error", message=message.get("message"), raw=messages)
        return Answer("error", message="the event stream ended without a result", raw=messages)

    def upload(self, name: str, content: bytes) -> str:
        """Upload a file the way the browser does; returns the server-side path to put in a FileData."""
        response = self.http.post(f"{self.base}/gradio_api/upload", files={"files": (name, content)})
        response.raise_for_status()
        return response.json()[0]

    def fetch(self, path_or_url: str) -> httpx.Response:
        """GET a served file by its URL (as an output carries it) or by a server path."""
        if path_or_url.startswith("http"):
            return self.http.get(path_or_url)
        return self.http.get(f"{self.base}/gradio_api/file={path_or_url}")


def file_data(path: str, **extra) -> dict:
    return {"path": path, "meta": {"_type": "gradio.FileData"}, **extra}


# -- payloads: what a raw client puts in `data` ----------------------------------------------------------

IMAGE_INPUTS = ("image", "imageeditor", "sketchpad")  # component types whose payload is a file reference
NUMERIC_INPUTS = ("slider", "number")


def defaults(endpoint: Endpoint, replace: dict[int, object] | None = None) -> list:
    """The endpoint's inputs at their components' default values, some replaced."""
    replace = replace or {}
    return [replace[i] if i in replace else c["props"].get("value") for i, c in enumerate(endpoint.inputs)]


def image_payload(component: dict, path: str, name: str = "image.png"):
    """A file reference for an image input: a FileData, or an editor's value with it as every part."""
    data = file_data(path, orig_name=name)
    if component["type"] == "image":
        return data
    return {"background": data, "layers": [], "composite": data, "id": None}


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every client: httpx builds its own per client, reading the whole CA bundle (about 50 ms
    of CPU, holding the GIL), which thirty simulated students in one process paid before their first request."""
    return ssl.create_default_context()
