"""A counting proxy in front of the one LM server both systems share.

Each run talks to `http://127.0.0.1:PORT/<label>/v1`; the proxy strips the label, forwards the
request unchanged to the upstream server and counts, per label, what the server actually did:
HTTP requests, completions (choices) returned, prompt and completion tokens (the server's own
`usage`), and failed requests. Every request is also appended to a JSON-lines log (with the
start of each completion's text), so the counts and the failures can be audited. Neither
system's own claims enter the table.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FORWARD_TIMEOUT_S = 1800.0  # a slow local model may take minutes for one long completion
LOGGED_CHARS = 4000  # of each completion's text, in the request log (for auditing failures)


@dataclass
class Tally:
    """What the server did for one label."""

    requests: int = 0
    completions: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    failed: int = 0
    server_seconds: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class CountingProxy:
    """Start with `start()`; `url(label)` is the base URL a run should use; `tally(label)`."""

    def __init__(self, upstream: str, log_path: Path | None = None) -> None:
        self.upstream = upstream.rstrip("/")  # e.g. http://127.0.0.1:8080 (no /v1)
        self.log_path = log_path
        self._tallies: dict[str, Tally] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> CountingProxy:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the proxy first"
        return self._server.server_address[1]

    def url(self, label: str) -> str:
        return f"http://127.0.0.1:{self.port}/{label}/v1"

    def tally(self, label: str) -> Tally:
        with self._lock:
            return Tally(**asdict(self._tallies.get(label, Tally())))

    def record(self, label: str, status: int, body: bytes, seconds: float, n: int) -> None:
        try:
            payload = json.loads(body) if status == 200 else {}
        except ValueError:
            payload = {}
        choices = len(payload.get("choices") or []) if isinstance(payload, dict) else 0
        usage = (payload.get("usage") or {}) if isinstance(payload, dict) else {}
        with self._lock:
            t = self._tallies.setdefault(label, Tally())
            t.requests += 1
            t.completions += choices
            t.prompt_tokens += int(usage.get("prompt_tokens") or 0)
            t.completion_tokens += int(usage.get("completion_tokens") or 0)
            t.failed += status != 200
            t.server_seconds += seconds
            if self.log_path is not None:
                entry = {
                    "time": time.time(),
                    "label": label,
                    "status": status,
                    "n_requested": n,
                    "choices": choices,
                    "usage": usage,
                    "seconds": round(seconds, 3),
                    "finish_reasons": [c.get("finish_reason") for c in _choices(payload)],
                    "texts": [((c.get("message") or {}).get("content") or "")[:LOGGED_CHARS]
                              for c in _choices(payload)],
                }  # fmt: skip
                with self.log_path.open("a") as f:
                    f.write(json.dumps(entry) + "\n")


def _choices(payload: object) -> list[dict]:
    if not isinstance(payload, dict) or not isinstance(payload.get("choices"), list):
        return []
    return [c for c in payload["choices"] if isinstance(c, dict)]


def _split_label(path: str) -> tuple[str, str]:
    """'/oe-s0/v1/chat/completions' -> ('oe-s0', '/v1/chat/completions')."""
    parts = path.lstrip("/").split("/", 1)
    if len(parts) == 2 and parts[0] != "v1":
        return parts[0], "/" + parts[1]
    return "unlabelled", path


def _handler(proxy: CountingProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep benchmark output clean
            pass

        def _forward(self, method: str) -> None:
            label, path = _split_label(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            n = 1
            if body:
                with contextlib.suppress(ValueError, AttributeError):
                    n = int(json.loads(body).get("n") or 1)
            request = urllib.request.Request(
                proxy.upstream + path,
                data=body,
                method=method,
                headers={"Content-Type": self.headers.get("Content-Type", "application/json")},
            )
            start = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=FORWARD_TIMEOUT_S) as response:
                    status, data = response.status, response.read()
                    ctype = response.headers.get("Content-Type", "application/json")
            except urllib.error.HTTPError as exc:
                status, data = exc.code, exc.read()
                ctype = "application/json"
            except OSError as exc:
                status, data = 502, json.dumps({"error": f"upstream: {exc}"}).encode()
                ctype = "application/json"
            if method == "POST" and path.endswith("/completions"):
                proxy.record(label, status, data, time.monotonic() - start, n)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            # A client that gave up (timeout) gets nothing; the server's work is counted anyway.
            with contextlib.suppress(OSError):
                self.wfile.write(data)

        def do_GET(self) -> None:
            self._forward("GET")

        def do_POST(self) -> None:
            self._forward("POST")

    return Handler
