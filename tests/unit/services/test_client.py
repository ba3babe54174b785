"""The node client: retries with the same events, honours Retry-After, raises problems."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from services.client import GotongClient, ProblemError


def _client(handler: Any, sleeps: list[float]) -> GotongClient:
    return GotongClient("http://gotong.test", "gtk_x", transport=httpx.MockTransport(handler),
                        sleep=sleeps.append, attempts=4)


def test_publish_retries_the_same_events_after_retry_after() -> None:
    bodies: list[Any] = []
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(orjson.loads(request.content))
        if len(bodies) < 3:
            return httpx.Response(503, headers={"Retry-After": "5"}, json={"title": "later"})
        return httpx.Response(202, json={"accepted": 1})

    events = [{"id": "e1"}]
    assert _client(handler, sleeps).publish(events) == 1
    assert bodies == [events] * 3
    assert sleeps == [5.0, 5.0]


def test_connection_errors_are_retried_with_backoff() -> None:
    calls: list[int] = []
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("refused")
        return httpx.Response(202, json={})

    _client(handler, sleeps).publish([{"id": "e1"}])
    assert len(calls) == 2 and len(sleeps) == 1 and 0 <= sleeps[0] <= 0.5


def test_a_refusal_is_raised_at_once_with_its_problem() -> None:
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"title": "Invalid event", "detail": "1 problem"})

    with pytest.raises(ProblemError) as caught:
        _client(handler, sleeps).publish([{"id": "e1"}])
    assert caught.value.status == 422 and sleeps == []


def test_follow_walks_the_pages_to_the_end() -> None:
    pages = {"": {"items": [{"id": "a"}, {"id": "b"}], "next": "c1.x", "at_end": False},
             "c1.x": {"items": [], "next": "c1.x", "at_end": True}}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=pages[request.url.params.get("after", "")])

    followed = list(_client(handler, []).follow(stop_at_end=True))
    assert [e["id"] for e, _ in followed] == ["a", "b"] and followed[-1][1] == "c1.x"
