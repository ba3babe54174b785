"""A small client for node systems: publish with retries, follow the feed.

    client = GotongClient("https://gotong.example", key="gtk_…")
    client.publish(events)                     # retried safely: the ids make it idempotent
    for event, cursor in client.follow(type="gotong.action_item.*", owner="dinsos"):
        handle(event); save(cursor)            # restart later with follow(after=cursor)

Retry rule (the server's contract): on a connection error, a timeout, 429 or
any 5xx, send the same events again, with the same ids, after ``Retry-After``
or an exponential backoff with jitter; the gate drops duplicates. A 4xx other
than 429 is the caller's mistake and is raised at once as ``ProblemError``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import httpx

MAX_BATCH = 500
RETRIABLE = {429, 500, 502, 503, 504}


class ProblemError(Exception):
    """The server refused the request; ``problem`` is its RFC 9457 body."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        super().__init__(f"{status}: {problem.get('title')}: {problem.get('detail')}")
        self.status = status
        self.problem = problem


def backoff(attempt: int, base: float, cap: float) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**attempt)]."""
    return random.uniform(0, min(cap, base * 2**attempt))


def retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after", "")
    return float(raw) if raw.isdigit() else None


class GotongClient:
    def __init__(self, url: str, key: str | None = None, *, timeout: float = 30.0,
                 attempts: int = 8, backoff_base: float = 0.5, backoff_cap: float = 30.0,
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout,
                                  transport=transport)
        self.attempts = attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GotongClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(self.attempts):
            last = attempt == self.attempts - 1
            try:
                response = self._http.request(method, path, **kwargs)
            except (httpx.TransportError, httpx.TimeoutException):
                if last:
                    raise
                self._sleep(backoff(attempt, self.backoff_base, self.backoff_cap))
                continue
            if response.status_code in RETRIABLE and not last:
                wait = retry_after(response)
                self._sleep(wait if wait is not None
                            else backoff(attempt, self.backoff_base, self.backoff_cap))
                continue
            if response.status_code >= 400:
                try:
                    body = response.json()
                except ValueError:
                    body = {"title": response.reason_phrase, "detail": response.text[:500]}
                raise ProblemError(response.status_code, body)
            return response
        raise AssertionError("unreachable")

    def publish(self, events: Sequence[Mapping[str, Any]],
                progress: Callable[[int], None] | None = None) -> int:
        """Publish ``events`` in batches; returns how many were accepted (all, or it raises)."""
        accepted = 0
        for start in range(0, len(events), MAX_BATCH):
            batch = list(events[start:start + MAX_BATCH])
            self._send("POST", "/api/v1/events", json=batch)
            accepted += len(batch)
            if progress is not None:
                progress(len(batch))
        return accepted

    def page(self, after: str = "", limit: int = 500,
             filters: Mapping[str, str] | None = None) -> dict[str, Any]:
        params = {"after": after, "limit": str(limit), **(filters or {})}
        body: dict[str, Any] = self._send("GET", "/api/v1/events", params=params).json()
        return body

    def follow(self, after: str = "", *, poll: float = 2.0, stop_at_end: bool = False,
               **filters: str) -> Iterator[tuple[Mapping[str, Any], str]]:
        """Every event from ``after`` on, with the cursor to resume after it; polls at the end."""
        while True:
            body = self.page(after, filters=filters)
            for event in body["items"]:
                yield event, body["next"] if event is body["items"][-1] else after
            after = body["next"]
            if body["at_end"] and not body["items"]:
                if stop_at_end:
                    return
                self._sleep(poll)
