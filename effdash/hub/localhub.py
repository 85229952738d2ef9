"""A small local server that speaks the Hugging Face Hub model API, for tests, demos and benchmarks.

It answers the requests ``huggingface_hub`` makes, in the Hub's response shape:

- ``GET /api/models/{id}`` and ``/api/models/{id}/revision/{rev}`` (``expand`` limits the keys),
- ``GET /api/models?pipeline_tag=...&sort=downloads&limit=N`` (most downloaded first),
- ``GET /{id}/resolve/{rev}/{file}`` (e.g. ``config.json``),

and the Hub's failure answers: 401/404 with ``X-Error-Code: RepoNotFound`` (missing, or private
without a token), 403 with ``X-Error-Code: GatedRepo``, 404 ``RevisionNotFound``, 429 with
``Retry-After``, 5xx, a request that never gets an answer, malformed JSON and a truncated body.
It ships in the package (like a replay meter) so that tests, demos and ``benchmarks/hub_sync.py``
share it; it binds to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


#: Key of ``LocalHub.faults`` that makes the model listing misbehave.
LISTING = "*listing*"


@dataclass
class Fault:
    """How the server misbehaves for one model id.

    kind: ``rate_limit`` (429 for the first ``times`` requests, ``Retry-After: retry_after_s``),
    ``server_error`` (answer ``status``), ``hang`` (never answer), ``malformed`` (invalid JSON),
    ``partial`` (JSON without ``id``), ``truncated`` (body shorter than Content-Length),
    ``gated_api`` (403 GatedRepo on the API itself).
    """

    kind: str
    times: int = 1_000_000
    retry_after_s: int = 1
    status: int = 503


@dataclass
class LocalHub:
    """Models (JSON as the Hub returns them), files, faults, and a log of requests."""

    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    private: set[str] = field(default_factory=set)
    gated: set[str] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)  # tokens that may read private/gated repos
    delay_s: float = 0.0  # added to every request, like network latency
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # --- content -------------------------------------------------------------------------------
    def add_model(self, model: dict[str, Any]) -> None:
        self.models[model["id"]] = model

    def add_file(self, model_id: str, name: str, content: dict | bytes) -> None:
        self.files[(model_id, name)] = content if isinstance(content, bytes) else json.dumps(content).encode()

    # --- lifecycle -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "LocalHub":
        hub = self

        class Handler(_Handler):
            pass

        Handler.hub = hub
        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="localhub", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "LocalHub":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def count(self, path_part: str) -> int:
        """How many logged requests had ``path_part`` in their path."""
        with self._lock:
            return sum(path_part in r["path"] for r in self.requests)

    # --- used by the handler -------------------------------------------------------------------
    def _log(self, path: str, headers) -> None:
        with self._lock:
            self.requests.append({"path": path, "authorization": headers.get("Authorization")})

    def _authorised(self, headers) -> bool:
        auth = headers.get("Authorization") or ""
        return auth.removeprefix("Bearer ") in self.tokens

    def _take_fault(self, model_id: str) -> Fault | None:
        with self._lock:
            fault = self.faults.get(model_id)
            if fault is None or fault.times <= 0:
                return None
            fault.times -= 1
            return fault

    def _wait_forever(self) -> None:
        self._stop.wait()


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default backlog of 5 drops connections under concurrent syncs


class _Handler(BaseHTTPRequestHandler):
    hub: LocalHub
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are written separately: avoid 40 ms delayed-ACK stalls

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        hub = self.hub
        parts = urlsplit(self.path)
        path, query = unquote(parts.path), parse_qs(parts.query)
        hub._log(path, self.headers)
        if hub.delay_s:
            time.sleep(hub.delay_s)
        if path == "/api/models":
            return self._listing(query)
        if path.startswith("/api/models/"):
            return self._model(path.removeprefix("/api/models/"), query)
        if "/resolve/" in path:
            return self._file(path.lstrip("/"))
        self._json(404, {"error": "Not found"})

    # --- answers -------------------------------------------------------------------------------
    def _listing(self, query: dict[str, list[str]]) -> None:
        hub = self.hub
        fault = hub._take_fault(LISTING)
        if fault is not None and self._fault(fault):
            return
        rows = list(hub.models.values())
        if "pipeline_tag" in query:
            rows = [m for m in rows if m.get("pipeline_tag") == query["pipeline_tag"][0]]
        rows = [m for m in rows if m["id"] not in hub.private]
        if query.get("sort", [""])[0] == "downloads":
            rows.sort(key=lambda m: m.get("downloads") or 0, reverse=True)
        limit = int(query.get("limit", ["1000"])[0])
        expand = query.get("expand")
        listed = ["_id", "id", "likes", "downloads", "pipeline_tag", "library_name", "tags", "private", "createdAt"]
        self._json(200, [_select(m, expand or listed) for m in rows[:limit]])

    def _model(self, rest: str, query: dict[str, list[str]]) -> None:
        hub = self.hub
        model_id, _, revision = rest.partition("/revision/")
        fault = hub._take_fault(model_id)
        if fault is not None and self._fault(fault):
            return
        model = hub.models.get(model_id)
        if model is None or (model_id in hub.private and not hub._authorised(self.headers)):
            return self._error(401, "RepoNotFound", "Repository not found")
        if revision and revision != model.get("sha"):
            return self._error(404, "RevisionNotFound", "Invalid rev id: " + revision)
        self._json(200, _select(model, query.get("expand")))

    def _file(self, path: str) -> None:
        hub = self.hub
        model_id, _, rest = path.partition("/resolve/")
        _revision, _, name = rest.partition("/")
        if model_id in hub.gated and not hub._authorised(self.headers):
            return self._error(403, "GatedRepo", "Access to model " + model_id + " is restricted.")
        content = hub.files.get((model_id, name))
        if content is None:
            return self._error(404, "EntryNotFound", "Entry not found")
        self._send(200, content, "application/json")

    def _fault(self, fault: Fault) -> bool:
        """Answer as ``fault`` says; False when the fault leaves the answer to the normal path."""
        if fault.kind == "rate_limit":
            self._json(429, {"error": "You have been rate-limited."}, {"Retry-After": str(fault.retry_after_s)})
        elif fault.kind == "server_error":
            self._json(fault.status, {"error": "Internal Error - We're working hard to fix this."})
        elif fault.kind == "hang":
            self.hub._wait_forever()
        elif fault.kind == "malformed":
            self._send(200, b'{"id": "x", "sha": ', "application/json")
        elif fault.kind == "partial":
            self._json(200, {"sha": "0" * 40, "downloads": 3})
        elif fault.kind == "truncated":
            body = b'{"id": "truncated/model", "sha": "'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) + 500))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
        elif fault.kind == "gated_api":
            self._error(403, "GatedRepo", "Access to this model is restricted.")
        else:
            return False
        return True

    def _error(self, status: int, code: str, message: str) -> None:
        self._json(status, {"error": message}, {"X-Error-Code": code, "X-Error-Message": message})

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8", headers)

    def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


def _select(model: dict[str, Any], keys: list[str] | None) -> dict[str, Any]:
    """The model's JSON limited to ``keys`` (the Hub's ``expand``), always with ``_id`` and ``id``."""
    if not keys:
        return {k: v for k, v in model.items() if k not in ("baseModels", "evalResults")}
    wanted = set(keys) | {"_id", "id"}
    return {k: v for k, v in model.items() if k in wanted}


def hub_model_json(model_id: str, *, sha: str, downloads: int = 0, pipeline_tag: str | None = None,
                   **extra: Any) -> dict[str, Any]:
    """A model as ``GET /api/models/{id}`` returns it (the keys the Hub sends), with ``extra`` merged in."""
    author = model_id.split("/")[0] if "/" in model_id else None
    model = {
        "_id": sha[:24], "id": model_id, "modelId": model_id, "author": author, "sha": sha,
        "lastModified": "2024-03-01T12:00:00.000Z", "createdAt": "2022-03-02T23:29:04.000Z",
        "private": False, "disabled": False, "gated": False, "downloads": downloads, "likes": 0,
        "library_name": "transformers", "tags": ["transformers"], "pipeline_tag": pipeline_tag,
        "config": {"architectures": [], "model_type": "bert"}, "cardData": {},
        "siblings": [{"rfilename": "config.json"}], "spaces": [], "usedStorage": 0,
    }
    model.update(extra)
    return model
