"""A small Server-Sent Events reader for tests, bounded in time and in events."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson


@dataclass
class SSEReader:
    """Reads ``url`` in a thread until ``count`` events arrived, the deadline, or ``close``."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    count: int = 10**9
    timeout: float = 30.0
    events: list[tuple[str, Any]] = field(default_factory=list)
    connected: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> SSEReader:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self.connected.wait(15), f"SSE connection failed: {self.error!r}"
        return self

    def _run(self) -> None:
        deadline = time.monotonic() + self.timeout
        try:
            with httpx.stream("GET", self.url, headers=self.headers,
                              timeout=httpx.Timeout(5.0, read=2.0)) as response:
                response.raise_for_status()
                self.connected.set()
                event_id, data = "", ""
                lines = response.iter_lines()
                while time.monotonic() < deadline and not self._stop.is_set():
                    try:
                        line = next(lines)
                    except httpx.ReadTimeout:
                        lines = response.iter_lines()
                        continue
                    except StopIteration:
                        return
                    if line.startswith("id: "):
                        event_id = line[4:]
                    elif line.startswith("data: "):
                        data = line[6:]
                    elif line == "" and data:
                        self.events.append((event_id, orjson.loads(data)))
                        data = ""
                        if len(self.events) >= self.count:
                            return
        except BaseException as exc:  # reported by the test through .error
            self.error = exc
            self.connected.set()

    def wait(self, timeout: float = 30.0) -> list[tuple[str, Any]]:
        assert self._thread is not None
        self._thread.join(timeout)
        return self.events

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
