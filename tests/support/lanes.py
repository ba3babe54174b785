"""Driving a lane (an ASGI middleware that may answer before the app behind it) in
unit tests, without a server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


def through(lane: Callable[[Any], Any], scope: dict[str, Any]) -> tuple[bool, list[Any]]:
    """(whether the ordinary way — the app behind ``lane`` — was taken, what was sent)
    for a GET or HEAD in ``scope``."""
    inner: list[bool] = []
    sent: list[Any] = []

    async def ordinary(scope: Any, receive: Any, send: Any) -> None:
        inner.append(True)

    async def receive() -> Any:
        raise AssertionError("a GET has no body to read")

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(lane(ordinary)(scope, receive, send))
    return bool(inner), sent
