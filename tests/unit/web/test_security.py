"""CSRF tokens, cookies and security headers."""

from __future__ import annotations

import asyncio
from typing import Any

from web.security import (
    CSRF_COOKIE,
    CsrfToken,
    SecurityHeadersMiddleware,
    SessionMiddleware,
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


async def _session_answer(cookie: bytes | None, page: bytes) -> tuple[list[Any], Any]:
    """What ``SessionMiddleware`` sends for a page that writes ``page`` (``{token}``: the
    form token goes there)."""
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        token = seen["token"] = scope["state"]["csrf_token"]
        body = page.replace(b"{token}", str(token).encode()) if b"{token}" in page else page
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    headers = [(b"cookie", cookie)] if cookie is not None else []
    await SessionMiddleware(app, b"s" * 32, secure=False)(
        {"type": "http", "path": "/", "headers": headers}, None, send)
    return list(sent[0]["headers"]), seen["token"]


def test_a_page_without_a_form_sets_no_csrf_cookie() -> None:
    headers, token = asyncio.run(_session_answer(None, b"<p>no form</p>"))
    assert not token.issued and not any(name == b"set-cookie" for name, _ in headers)


def test_a_page_with_a_form_sets_the_cookie_its_token_is_bound_to() -> None:
    headers, token = asyncio.run(_session_answer(None, b"<input value={token}>"))
    cookies = [value.decode() for name, value in headers if name == b"set-cookie"]
    assert len(cookies) == 1 and cookies[0].startswith(f"{CSRF_COOKIE}={token.browser};")
    assert str(token) == csrf_token(b"s" * 32, token.browser, None)


def test_a_browser_with_its_cookie_keeps_it_and_its_token() -> None:
    headers, token = asyncio.run(_session_answer(f"{CSRF_COOKIE}=b1".encode(),
                                                 b"<input value={token}>"))
    assert not any(name == b"set-cookie" for name, _ in headers)
    assert token == csrf_token(b"s" * 32, "b1", None)


def test_a_token_never_issued_is_no_token() -> None:
    token = CsrfToken(b"s" * 32, None, None)
    assert not token.issued and repr(token) == "CsrfToken(not issued)"
    assert str(token) == str(token) and token.fresh and token.issued
