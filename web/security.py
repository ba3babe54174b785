"""Who is asking, and is the form theirs: sessions, CSRF tokens, request size limits, and
the security headers of every response."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from http.cookies import SimpleCookie

from sqlalchemy import Engine
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.identity.accounts import CurrentUser, user_for_session
from services.notify.store import unread_count

SESSION_COOKIE = "gotong_session"
CSRF_COOKIE = "gotong_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: what is the same for everyone and read by programs as much as people: no session, no
#: cookie (a cookie on a feed or a file would keep every cache from keeping it)
COOKIELESS = ("/api/", "/feeds/", "/data/", "/static/", "/openapi.json", "/favicon.ico")


def csrf_token(secret: bytes, browser: str, session: str | None) -> str:
    """The form token: bound to the browser's CSRF cookie and to its session, if any."""
    message = f"{browser}|{session or ''}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def cookie_header(name: str, value: str, *, max_age: int | None, secure: bool) -> bytes:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts).encode("latin-1")


def signed_in(engine: Engine, session: str) -> tuple[CurrentUser | None, int]:
    """The session's person and their unread notifications (one index lookup more, in the
    same thread hop): only ever for a signed-in person, whose pages are never kept."""
    user = user_for_session(engine, session)
    return user, unread_count(engine, user.username) if user is not None else 0


class CsrfToken:
    """This request's form token, made when something first reads it (``str``): a page
    with a form writes it, a page without one never does. So a browser gets its CSRF
    cookie only with a page that holds a form (the login, a signed-in page), and the
    pages visitors share carry nothing of any one of them (``web.render_cache``)."""

    __slots__ = ("_secret", "_value", "browser", "fresh", "session")

    def __init__(self, secret: bytes, browser: str | None, session: str | None) -> None:
        self._secret = secret
        self.browser = browser
        self.session = session
        self.fresh = False  # a browser id made for this response: its cookie goes with it
        self._value: str | None = None

    @property
    def issued(self) -> bool:
        return self._value is not None

    def __str__(self) -> str:
        if self._value is None:
            if self.browser is None:
                self.browser, self.fresh = secrets.token_urlsafe(24), True
            self._value = csrf_token(self._secret, self.browser, self.session)
        return self._value

    __html__ = __str__  # written into a template as it is (letters and digits)

    def __eq__(self, other: object) -> bool:
        return str(self) == (str(other) if isinstance(other, CsrfToken) else other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __repr__(self) -> str:
        return f"CsrfToken({self._value or 'not issued'})"


def _cookies(scope: Scope) -> SimpleCookie:
    cookies: SimpleCookie = SimpleCookie()
    for name, value in scope["headers"]:
        if name == b"cookie":
            try:
                cookies.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is treated as no cookies
                cookies = SimpleCookie()
    return cookies


class SessionMiddleware:
    """Put ``user``, ``session_token`` and ``csrf_token`` (a ``CsrfToken``) on
    ``request.state``.

    A browser gets a random CSRF cookie with the first response that carries a token
    (a form); a session cookie is looked up server-side, so ending it on the server logs
    the browser out. The API, the feeds, open data and static files have neither
    (``COOKIELESS``).
    """

    def __init__(self, app: ASGIApp, secret: bytes, secure: bool) -> None:
        self.app = app
        self.secret = secret
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(COOKIELESS):
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        session = cookies[SESSION_COOKIE].value if SESSION_COOKIE in cookies else None
        browser = cookies[CSRF_COOKIE].value if CSRF_COOKIE in cookies else None
        if browser is not None and len(browser) > 100:
            browser = None
        user: CurrentUser | None = None
        unread = 0
        if session:
            engine = scope["app"].state.engine
            user, unread = await asyncio.to_thread(signed_in, engine, session)
            if user is None:
                session = None
        token = CsrfToken(self.secret, browser, session)
        state = scope.setdefault("state", {})
        state.update(user=user, unread=unread, session_token=session, csrf_token=token)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and token.fresh:
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", cookie_header(
                    CSRF_COOKIE, str(token.browser), max_age=None, secure=self.secure)))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


class BodyLimitMiddleware:
    """Refuse page requests whose body is larger than ``limit`` bytes (413).

    The JSON API has its own, larger limit and is left alone.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        # (a GET's body is never read: a page that streams, such as /live/, listens on
        # ``receive`` for the client going away and must not meet the refusal there)
        declared_too_large = scope["method"] not in ("GET", "HEAD") and any(
            name == b"content-length" and (not value.isdigit() or int(value) > self.limit)
            for name, value in scope["headers"])
        received = 0

        # Refused where the page reads its form: the 413 is then a page of the site, in the
        # person's language (``site.http_error``), not a bare line of text
        async def limited() -> Message:
            nonlocal received
            if declared_too_large:
                raise HTTPException(413)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(413)
            return message

        await self.app(scope, limited, send)


#: Every response's security headers. Scripts and styles only from this site's own files
#: (no inline script anywhere: ``live.js`` is a static file), no framing (clickjacking),
#: no plugins, forms posting only here, and no sniffing a feed or JSON into HTML.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
))
PERMISSIONS_POLICY = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
                      "interest-cohort=()")
HSTS = b"max-age=31536000; includeSubDomains"


def security_headers(*, https: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"permissions-policy", PERMISSIONS_POLICY.encode()),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if https:
        headers.append((b"strict-transport-security", HSTS))
    return headers


def with_headers(headers: Iterable[tuple[bytes, bytes]], added: Iterable[tuple[bytes, bytes]]
                 ) -> list[tuple[bytes, bytes]]:
    """``headers`` and those of ``added`` that they do not set themselves."""
    found = list(headers)
    present = {name.lower() for name, _ in found}
    return found + [header for header in added if header[0] not in present]


class SecurityHeadersMiddleware:
    """Add the security headers to every response (pages, API, feeds, errors) that does
    not set its own."""

    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        self.headers = security_headers(https=https)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": with_headers(message.get("headers", []),
                                                              self.headers)}
            await send(message)

        await self.app(scope, receive, send_with_headers)


FormHandler = Callable[[Request, FormData], Awaitable[Response]]


def form_post(handler: FormHandler) -> Callable[[Request], Awaitable[Response]]:
    """Parse a posted form and check its CSRF token (403 without a valid one)."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=200,
                                  max_part_size=request.app.state.settings.max_form_bytes)
        sent = form.get("csrf_token")
        held = getattr(request.state, "csrf_token", None)
        # a browser that never had a token (no CSRF cookie) has none to send back
        expected = str(held) if held is not None and (
            not isinstance(held, CsrfToken) or held.browser is not None) else ""
        # compared as bytes: compare_digest raises on a str with non-ASCII characters
        if not isinstance(sent, str) or not expected or not hmac.compare_digest(
                sent.encode(), expected.encode()):
            raise HTTPException(403, "missing or invalid CSRF token")
        return await handler(request, form)

    return endpoint


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    # U+0000 is never meant in a form, and PostgreSQL refuses it in a lookup
    # and line ends as one character each, as the browser counted them for maxlength
    return (value.replace("\x00", "").replace("\r\n", "\n").strip() if isinstance(value, str)
            else "")


class RejectNul:
    """400 for a path or query string holding U+0000 (%00): no database takes it in text."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (
                "\x00" not in scope["path"] and b"%00" not in scope.get("query_string", b"")):
            await self.app(scope, receive, send)
            return
        from web.problems import problem  # the API's errors are problem details

        detail = "the path or the query string holds a NUL character (%00)"
        if scope["path"].startswith(("/api/", "/feeds/", "/data/")):
            response: Response = problem(400, "bad-request", "Bad request", detail)
        else:
            response = Response(detail, status_code=400, media_type="text/plain")
        await response(scope, receive, send)


#: the one-time links' paths (``web.pages.people``): their token is a password for one use
LINK_PATH = re.compile(r"/(invites|reset)/[^/?#\s\"]+")


class RedactLinks(logging.Filter):
    """Keep invite and reset tokens out of the access log (``GOTONG_ACCESS_LOG``): the
    path is written with ``…`` where the token was."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(LINK_PATH.sub(r"/\1/…", a) if isinstance(a, str) else a
                                for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = LINK_PATH.sub(r"/\1/…", record.msg)
        return True


def redact_links_in_access_log() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactLinks) for f in logger.filters):
        logger.addFilter(RedactLinks())
