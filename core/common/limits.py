"""What one visitor may take from a Space: jobs in flight, request bodies, session ids, uploads.

A free Space has two vCPUs for a whole class. Gradio bounds how many jobs of an event run at once (its queue),
but not how many one client may queue, how long a session id or a request body may be, or how much one client
may upload before the sweep. These limits are applied to every Space alike (a Space alone and the launcher):
`admit_job` in front of Gradio's queue, `VisitorLimits` in front of every route (an ASGI middleware).

A visitor is a session (one page in one browser) for jobs, and a client address for jobs and uploads. Behind
one NAT (a classroom's network) every student shares an address, so the per-address limits are sized for a class.
"""

from __future__ import annotations

import collections
import json
import re
import threading
import time
from urllib.parse import parse_qs

from core.common.log import log

# A page fires an event per control a shared link restores, plus its loads (pca: ~15 at once; 8 dropped some)
MAX_JOBS_PER_SESSION = 32
MAX_JOBS_PER_ADDRESS = 128  # per Space: a class of 32 behind one NAT, 4 jobs each
MAX_BODY_BYTES = 1 * 2**20  # a queue request carries numbers, text and file references, never file bytes
MAX_UPLOAD_REQUEST_BYTES = 2 * 20 * 2**20  # one request: an editor's background and layer at the 20 MB file cap
UPLOAD_BUDGET_BYTES = 512 * 2**20  # per address and UPLOAD_WINDOW_S: what one client can park until the sweep
UPLOAD_WINDOW_S = 900  # the sweep's age: an upload older than this is gone from the disk
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # Gradio's browser sends 11 characters; the tests up to ~40


class Refused(Exception):
    """A request we refuse before Gradio sees it: an HTTP status and a message for the client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def check_session_id(session_hash) -> None:
    if session_hash is not None and not (isinstance(session_hash, str) and SESSION_ID.fullmatch(session_hash)):
        raise Refused(400, "A session id is 1 to 64 letters, digits, '-' or '_'.")


def admit_job(session_hash: str | None, address: str | None, jobs_in_flight: list[tuple[str, str | None]]) -> None:
    """Refuse (429) a job from a session or an address that already has its share waiting or running."""
    check_session_id(session_hash)
    same_session = sum(session == session_hash for session, _ in jobs_in_flight)
    if same_session >= MAX_JOBS_PER_SESSION:
        raise Refused(429, f"At most {MAX_JOBS_PER_SESSION} requests at once per page: wait for one to finish.")
    if address is not None and sum(client == address for _, client in jobs_in_flight) >= MAX_JOBS_PER_ADDRESS:
        raise Refused(429, f"At most {MAX_JOBS_PER_ADDRESS} requests at once from one address: wait for some to finish.")


class UploadLedger:
    """Bytes uploaded per client address within the last `window` seconds (thread-safe; clock injectable)."""

    def __init__(self, budget: int = UPLOAD_BUDGET_BYTES, window: float = UPLOAD_WINDOW_S, clock=time.monotonic):
        self.budget, self.window, self.clock = budget, window, clock
        self.uploads: dict[str, collections.deque] = {}
        self.lock = threading.Lock()

    def charge(self, address: str, size: int) -> None:
        now = self.clock()
        with self.lock:
            for client in list(self.uploads):  # forget what the sweep has removed by now
                recent = self.uploads[client]
                while recent and recent[0][0] < now - self.window:
                    recent.popleft()
                if not recent:
                    del self.uploads[client]
            recent = self.uploads.setdefault(address, collections.deque())
            if sum(size for _, size in recent) + size > self.budget:
                raise Refused(429, f"Upload limit: {self.budget // 2**20} MB per {self.window // 60:.0f} minutes "
                                   "from one address. Try again later.")
            recent.append((now, size))


UPLOADS = UploadLedger()  # one per process: a client's uploads count across every Space it uses
OPEN_PAGES: collections.Counter = collections.Counter()  # session id -> open heartbeat streams (a page is open)


def _route(path: str) -> str:
    """The route inside a Gradio app ('upload', 'run', 'heartbeat', ...), whatever prefix it is mounted under."""
    _, _, rest = path.partition("/gradio_api/")
    return rest.split("/", 1)[0]


class VisitorLimits:
    """ASGI middleware in front of a Gradio app: session ids, body sizes and upload budgets; and a refusal on
    Gradio's direct route (`/run`, `/api`: events outside the queue) answered as 422, not 500."""

    def __init__(self, app, uploads: UploadLedger = UPLOADS):
        self.app, self.uploads = app, uploads

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        route, address = _route(scope["path"]), (scope.get("client") or ("unknown",))[0]
        try:
            session = self._session_in(scope, route)
            check_session_id(session)
            size = self._declared_size(scope)
            limit = MAX_UPLOAD_REQUEST_BYTES if route == "upload" else MAX_BODY_BYTES
            if size > limit:
                raise Refused(413, f"Request body over {limit // 2**20} MB.")
            if route == "upload" and size:
                self.uploads.charge(address, size)
        except Refused as refused:
            log.info("refused %s %s from %s: %s", scope["method"], scope["path"], address, refused.message)
            return await _plain(refused.status, refused.message, send)
        receive = _counted(receive, limit)
        if route in ("run", "api") and scope["method"] == "POST":
            send = _client_errors_as_422(send)
        if route == "heartbeat" and session:
            OPEN_PAGES[session] += 1
            try:
                return await self.app(scope, receive, send)
            finally:
                OPEN_PAGES[session] -= 1
                if OPEN_PAGES[session] <= 0:
                    del OPEN_PAGES[session]
        return await self.app(scope, receive, send)

    @staticmethod
    def _session_in(scope, route: str) -> str | None:
        if route == "heartbeat":
            return scope["path"].rstrip("/").rsplit("/", 1)[-1]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        for name in ("session_hash", "upload_id"):
            if name in query:
                return query[name][0]
        return None

    @staticmethod
    def _declared_size(scope) -> int:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    raise Refused(400, "Bad Content-Length.") from None
        return 0


def _counted(receive, limit: int):
    """A body sent without a length (chunked) is cut at the same limit."""
    received = 0

    async def counted():
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            from fastapi import HTTPException

            raise HTTPException(413, f"Request body over {limit // 2**20} MB.")
        return message
    return counted


def _client_errors_as_422(send):
    """Gradio's direct route answers every failure with 500; one that carries a message (our refusal, a user
    error) is the client's, so 422. A bare error (a bug: no message, show_error=False) stays 500."""
    held = None

    async def rewrite(message):
        nonlocal held
        if message["type"] == "http.response.start" and message["status"] == 500:
            held = message
            return None
        if held is not None and message["type"] == "http.response.body":
            start, held = held, None
            try:
                error = json.loads(message.get("body") or b"{}").get("error")
            except (ValueError, AttributeError):
                error = None
            await send({**start, "status": 422} if isinstance(error, str) and error else start)
        return await send(message)
    return rewrite


async def _plain(status: int, message: str, send) -> None:
    body = json.dumps({"detail": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
