"""The web site (pages and forms), composed from its parts for ``web.app``."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from services.settings import Settings
from web import account_pages, forms_commitment, forms_meeting, forms_thread, live, pages
from web.i18n import LocaleMiddleware
from web.security import BodyLimitMiddleware, SessionMiddleware
from web.templating import templates

STATIC = Path(__file__).resolve().parent / "static"

routes: list[BaseRoute] = [
    *pages.routes,
    *forms_thread.routes,
    *forms_meeting.routes,
    *forms_commitment.routes,
    *account_pages.routes,
    *live.routes,
    Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
]


def middleware(settings: Settings) -> list[Middleware]:
    return [
        Middleware(BodyLimitMiddleware, limit=settings.max_form_bytes),
        Middleware(LocaleMiddleware, tz=settings.timezone),
        Middleware(SessionMiddleware, secret=settings.secret_key, secure=settings.cookie_secure),
    ]


async def http_error(request: Request, exc: Exception) -> Response:
    """A page for people; the API keeps its own problem-details answers."""
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/") or request.url.path.startswith("/live/"):
        return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
    return templates.TemplateResponse(request, "error.html", {"status_code": exc.status_code},
                                      status_code=exc.status_code, headers=exc.headers)


exception_handlers = {HTTPException: http_error}
