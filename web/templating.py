"""Jinja2 for the site: autoescaped templates, Babel gettext, locale-aware filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, NoMatchFound, Route
from starlette.templating import Jinja2Templates

from services.identity.accounts import person
from web import i18n, richtext
from web.queries import programs as program_queries
from web.queries.board import status_words

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _site_context(request: Request) -> dict[str, Any]:
    state = request.state
    return {
        "user": getattr(state, "user", None),
        # a signed-in person's unread notifications (0 for visitors: kept pages never show one)
        "unread": getattr(state, "unread", 0) if getattr(state, "user", None) else 0,
        "csrf_token": getattr(state, "csrf_token", ""),
        "locale": getattr(state, "locale", i18n.DEFAULT_LOCALE),
        "locales": i18n.LOCALES,
        # Kafka unreachable: pages still read the read model, but nothing can be sent
        "read_only": not getattr(request.app.state, "kafka_available", True),
    }


def _query(base: dict[str, str], **changes: Any) -> str:
    """``?a=1&b=2`` from ``base`` with ``changes`` applied (None removes a key)."""
    merged = {k: v for k, v in {**base, **changes}.items() if v not in (None, "")}
    return "?" + urlencode(merged) if merged else "?"


def is_http(url: str | None) -> bool:
    """Only web links become ``href``s: a ``javascript:`` URI is a valid URI, but not a link."""
    return bool(url) and urlsplit(str(url)).scheme in ("http", "https")


@jinja2.pass_context
def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> URL:
    """Starlette's ``url_for`` without its search: a page links dozens of times, and the
    router finds a name by trying every route in turn (each miss raises an exception)."""
    request: Request = context["request"]
    router = request.scope["router"]
    named = _named_routes(router)
    route = named.get(name)
    try:
        if route is None:
            raise NoMatchFound(name, path_params)
        path = route.url_path_for(name, **path_params)
    except NoMatchFound:  # another route of that name, or a nested one: the full search
        path = router.url_path_for(name, **path_params)
    return path.make_absolute_url(base_url=request.base_url)


def _named_routes(router: Any) -> dict[str, BaseRoute]:
    named: dict[str, BaseRoute] | None = getattr(router, "_gotong_named", None)
    if named is None:
        named = {}
        for route in router.routes:
            if isinstance(route, Route | Mount) and route.name and route.name not in named:
                named[route.name] = route
        router._gotong_named = named
    return named


def _words(slug: str | None) -> str:
    words = (slug or "").replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


@jinja2.pass_context
def program_name(context: Any, slug: str | None) -> str:
    """A program as people read it: its name, or for a program not defined (yet) its slug
    in words ("pelatihan-keterampilan-perempuan" -> "Pelatihan keterampilan perempuan").
    The names are read once per request."""
    request = context.get("request")
    if request is None or not slug:
        return _words(slug)
    return _program_names(request).get(slug) or _words(slug)


def _program_names(request: Request) -> dict[str, str]:
    names: dict[str, str] | None = getattr(request.state, "program_names", None)
    if names is None:
        names = request.state.program_names = program_queries.names(request.app.state.engine)
    return names


@jinja2.pass_context
def program_defined(context: Any, slug: str | None) -> bool:
    """Whether a program has a page (it was defined), so a link to it leads somewhere."""
    request = context.get("request")
    return bool(slug) and request is not None and slug in _program_names(request)


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(day=i18n.format_day, moment=i18n.format_moment,
                       number=i18n.format_number, ratio=i18n.format_ratio, person=person,
                       program=program_name,
                       rich=richtext.render, rich_inline=richtext.render_inline)
    env.globals["query"] = _query
    env.globals["zone_name"] = i18n.zone_name
    env.globals["status_words"] = status_words
    env.globals["program_defined"] = program_defined
    env.globals["url_for"] = url_for  # Jinja2Templates only sets its own when none is set
    env.tests["http_url"] = is_http
    return env


templates = Jinja2Templates(env=make_environment(), context_processors=[_site_context])
