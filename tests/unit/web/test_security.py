"""CSRF tokens, cookies and security headers."""

from __future__ import annotations

import asyncio
from typing import Any

from web.security import (
    SecurityHeadersMiddleware,
    cookie_header,
    csrf_token,
    security_headers,
)


async def _respond(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    sent: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    async def send(message: Any) -> None:
        sent.append(message)

    middleware = SecurityHeadersMiddleware(app, https=True)
    await middleware({"type": "http", "path": "/"}, None, send)
    return list(sent[0]["headers"])


def test_csrf_token_depends_on_browser_and_session() -> None:
    secret = b"s" * 32
    assert csrf_token(secret, "b1", None) != csrf_token(secret, "b2", None)
    assert csrf_token(secret, "b1", None) != csrf_token(secret, "b1", "session")


def test_cookies_are_httponly_lax_and_secure_when_asked() -> None:
    header = cookie_header("n", "v", max_age=10, secure=True).decode()
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" in header
    assert "Secure" not in cookie_header("n", "v", max_age=None, secure=False).decode()


def test_security_headers_are_added_and_a_responses_own_are_kept() -> None:
    own = [(b"content-type", b"text/html"), (b"referrer-policy", b"no-referrer")]
    headers = dict(asyncio.run(_respond(own)))
    assert headers[b"referrer-policy"] == b"no-referrer"  # the response's own choice
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert b"frame-ancestors 'none'" in headers[b"content-security-policy"]
    assert headers[b"strict-transport-security"].startswith(b"max-age=")
    assert b"strict-transport-security" not in dict(security_headers(https=False))


def test_invite_and_reset_tokens_never_reach_the_access_log() -> None:
    import logging

    from web.security import RedactLinks

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("10.0.0.1:5", "GET", "/invites/s3cr3t-t0ken?x=1", "1.1", 200),
                               None)
    assert RedactLinks().filter(record)
    assert "s3cr3t" not in record.getMessage() and "/invites/…?x=1" in record.getMessage()
    reset = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "POST /reset/abc",
                              None, None)
    RedactLinks().filter(reset)
    assert reset.getMessage() == "POST /reset/…"
