"""A webhook receiver on loopback for tests: scripted answers, every request recorded."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from services.feeds.webhooks.signing import verify


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def event(self) -> Any:
        return orjson.loads(self.body)

    def signed_with(self, secret: str) -> bool:
        h = self.headers
        return verify(secret, h["webhook-id"], h["webhook-timestamp"], self.body,
                      h["webhook-signature"])


class Receiver:
    """``script[path]`` is the list of answers, in order; the last one repeats."""

    def __init__(self) -> None:
        self.script: dict[str, list[Answer]] = {}
        self.received: dict[str, list[Received]] = defaultdict(list)
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    got = receiver.received[self.path]
                    got.append(Received(self.path, {k.lower(): v for k, v in
                                                    self.headers.items()}, body, time.time()))
                    answers = receiver.script.get(self.path) or [Answer()]
                    answer = answers[min(len(got) - 1, len(answers) - 1)]
                if answer.delay:
                    time.sleep(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def got(self, path: str) -> list[Received]:
        with self._lock:
            return list(self.received[path])
