"""One webhook delivery attempt: check the target, POST the signed event, classify the answer."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from services.webhooks import signing
from services.webhooks.retry import parse_retry_after
from services.webhooks.targets import TargetRefused, check_target

USER_AGENT = "Gotong-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    gone: bool  # 410: the receiver wants no more deliveries
    status_code: int | None
    error: str | None
    retry_after: float | None
    duration_ms: float


async def attempt(client: httpx.AsyncClient, url: str, secret: str, message_id: str,
                  body: bytes, allowed_hosts: Iterable[str]) -> Outcome:
    started = time.perf_counter()

    def done(status: int | None = None, error: str | None = None,
             retry_after: float | None = None) -> Outcome:
        ok = status is not None and 200 <= status < 300
        return Outcome(ok, status == 410, status, error, retry_after,
                       round((time.perf_counter() - started) * 1000, 1))

    try:
        await check_target(url, allowed_hosts)
    except TargetRefused as exc:
        return done(error=f"refused: {exc}")
    headers = signing.headers(secret, message_id, int(time.time()), body)
    headers |= {"content-type": "application/json", "user-agent": USER_AGENT}
    try:
        response = await client.post(url, content=body, headers=headers)
    except httpx.TimeoutException:
        return done(error=f"no answer within {client.timeout.read}s")
    except httpx.HTTPError as exc:
        return done(error=f"{exc.__class__.__name__}: {exc}"[:500])
    if 300 <= response.status_code < 400:
        return done(response.status_code, "redirects are not followed; give the final URL")
    error = None if response.is_success else f"HTTP {response.status_code}"
    return done(response.status_code, error,
                parse_retry_after(response.headers.get("retry-after"), time.time()))
