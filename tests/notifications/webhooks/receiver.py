"""A real HTTP webhook receiver for the tests: the documented example (`docs/examples/webhook_receiver.py`, which
verifies signatures with `standardwebhooks`) served on a free local port, recording what it got.

It can refuse the validation handshake, answer a chosen status, or go down and come back on the same port.
"""

from __future__ import annotations

import importlib.util
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "webhook_receiver.py"
_spec = importlib.util.spec_from_file_location("webhook_receiver_example", EXAMPLE)
assert _spec and _spec.loader
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)

ORIGIN = "cdv-tests.example"


@dataclass
class Request:
    method: str
    headers: dict[str, str]
    body: bytes
    status: int = 0


@dataclass
class Receiver:
    """`url` to register; `requests` as received; `events` those whose signature verified."""

    secret: str | None = None
    consent: bool = True  # answer the handshake with WebHook-Allowed-Origin
    answer: int | None = None  # force this status on POST (e.g. 500, 410) instead of verifying
    delay: float = 0.0  # seconds to wait before answering a POST (a slow receiver)
    requests: list[Request] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/cdv"

    def posts(self) -> list[Request]:
        return [r for r in self.requests if r.method == "POST"]

    def start(self) -> Receiver:
        owner = self

        class Handler(example.Receiver):  # type: ignore[name-defined,misc]
            origin = ORIGIN

            @property
            def secret(self) -> str | None:  # type: ignore[override]
                return owner.secret

            def do_OPTIONS(self) -> None:
                owner.requests.append(Request("OPTIONS", dict(self.headers), b""))
                if owner.consent:
                    super().do_OPTIONS()
                else:  # a server that handles OPTIONS but never consents
                    self._answer(200, {"Allow": "POST, OPTIONS"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                request = Request("POST", dict(self.headers), body)
                owner.requests.append(request)
                time.sleep(owner.delay)
                if owner.answer is not None:
                    request.status = owner.answer
                    self.send_response(owner.answer)
                    text = b"Erreur interne du recepteur " + b"x" * 5000  # long: the log keeps its start
                    self.send_header("Content-Length", str(len(text)))
                    self.end_headers()
                    self.wfile.write(text)
                    return
                # Hand the body back to the example's own verification.
                self.rfile = _Replay(body)  # type: ignore[assignment]
                super().do_POST()

            def handle_event(self, event: dict[str, Any]) -> None:
                owner.events.append(event)

            def send_response(self, code: int, message: str | None = None) -> None:
                if owner.requests and owner.requests[-1].status == 0:
                    owner.requests[-1].status = code
                super().send_response(code, message)

        if not self.port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Goes down: the port refuses connections until `start()` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _Replay:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, _n: int = -1) -> bytes:
        return self.data
