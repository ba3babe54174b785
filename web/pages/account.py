"""Logging in and out, the account page, and the language switch."""

from __future__ import annotations

import asyncio

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.identity.accounts import authenticate, end_session, start_session
from web import i18n
from web.forms import current_user, login_redirect, see_other
from web.i18n import gettext as _
from web.queries.board import node_name
from web.ratelimit import LoginLimiter, login_keys
from web.security import SESSION_COOKIE, form_post, text
from web.templating import templates


def safe_next(raw: str | None) -> str:
    """Only a path on this site: never an open redirect to somewhere else."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/"
    return raw


def _limiter(request: Request) -> LoginLimiter:
    state = request.app.state
    limiter = getattr(state, "login_limiter", None)
    if limiter is None:
        settings = state.settings
        limiter = state.login_limiter = LoginLimiter(settings.login_max_failures,
                                                     settings.login_window_s)
    return limiter


def _form(request: Request, values: dict[str, str], errors: dict[str, str],
          status_code: int = 200) -> Response:
    return templates.TemplateResponse(request, "login.html", {"values": values, "errors": errors},
                                      status_code=status_code)


async def login(request: Request) -> Response:
    return _form(request, {"next": safe_next(request.query_params.get("next"))}, {})


@form_post
async def do_login(request: Request, form: FormData) -> Response:
    values = {"username": text(form, "username").lower(), "next": safe_next(text(form, "next"))}
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    client = request.client.host if request.client else "unknown"
    limiter = _limiter(request)
    keys = login_keys(client, values["username"], limiter.max_failures)
    if limiter.blocked(keys):
        return _form(request, values, {"form": _("Too many failed attempts. Wait a few minutes "
                                                 "and try again.")}, 429)
    errors: dict[str, str] = {}
    if not values["username"]:
        errors["username"] = _("Enter your username.")
    if not password:
        errors["password"] = _("Enter your password.")
    if errors:
        return _form(request, values, errors, 400)
    # counted before the password is checked, taken back if it was right: attempts
    # sent together cannot all pass the limit while the first is being checked
    mark = limiter.attempt(keys)
    if mark is None:
        return _form(request, values, {"form": _("Too many failed attempts. Wait a few minutes "
                                                 "and try again.")}, 429)
    engine = request.app.state.engine
    user = await asyncio.to_thread(authenticate, engine, values["username"], password)
    if user is None:
        return _form(request, values, {"form": _("Wrong username or password.")}, 400)
    # the person's own earlier typos from here are forgotten; the username's and the
    # address's counts stay (a guesser elsewhere keeps what they have used)
    limiter.succeeded(keys, mark, forget=[k for k in keys if k.startswith("pair:")])
    old = getattr(request.state, "session_token", None)
    if old:
        await asyncio.to_thread(end_session, engine, old)
    settings = request.app.state.settings
    token = await asyncio.to_thread(start_session, engine, user.username, settings.session_days)
    response = see_other(values["next"])
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_days * 86400,
                        httponly=True, samesite="lax", secure=settings.cookie_secure)
    return response


@form_post
async def logout(request: Request, form: FormData) -> Response:
    token = getattr(request.state, "session_token", None)
    if token:
        await asyncio.to_thread(end_session, request.app.state.engine, token)
    response = see_other(str(request.url_for("home")))
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax",
                           secure=request.app.state.settings.cookie_secure)
    return response


async def account(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return login_redirect(request)
    name = await asyncio.to_thread(node_name, request.app.state.engine, user.node_id)
    return templates.TemplateResponse(request, "account.html", {"node_name": name})


@form_post
async def language(request: Request, form: FormData) -> Response:
    chosen = text(form, "lang")
    response = see_other(safe_next(text(form, "next")))
    if chosen in i18n.LOCALES:
        response.set_cookie(i18n.COOKIE, chosen, max_age=i18n.COOKIE_MAX_AGE, httponly=True,
                            samesite="lax", secure=request.app.state.settings.cookie_secure)
    return response


routes = [
    Route("/login", login, name="login"),
    Route("/login", do_login, methods=["POST"], name="do_login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/account", account, name="account"),
    Route("/language", language, methods=["POST"], name="language"),
]
