"""Logging in and out, the account page, and the language switch."""

from __future__ import annotations

import asyncio

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.identity.accounts import (
    MIN_PASSWORD,
    USERNAME,
    AccountError,
    authenticate,
    change_email,
    change_password,
    end_session,
    profile,
    start_session,
)
from services.notify.store import preference as mail_preference
from services.notify.store import set_preference
from web import i18n
from web.forms import current_user, login_redirect, require_user, see_other
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


def _too_many() -> str:
    return _("Too many failed attempts. Wait a few minutes and try again.")


def _password_keys(request: Request, username: str) -> dict[str, int]:
    """What a wrong password counts against: the same as a failed login, so a session
    left open on a shared phone is no way to guess its owner's password either."""
    client = request.client.host if request.client else "unknown"
    return login_keys(client, username, _limiter(request).max_failures)


def _form(request: Request, values: dict[str, str], errors: dict[str, str],
          status_code: int = 200) -> Response:
    return templates.TemplateResponse(request, "login.html", {"values": values, "errors": errors},
                                      status_code=status_code)


async def login(request: Request) -> Response:
    """The form; after an invite or a reset link, with the person's username filled in
    and a word on what just happened."""
    params = request.query_params
    values = {"next": safe_next(params.get("next"))}
    for notice in ("joined", "reset"):
        username = params.get(notice, "")
        if USERNAME.match(username):
            values.update(username=username, notice=notice)
    return _form(request, values, {})


@form_post
async def do_login(request: Request, form: FormData) -> Response:
    values = {"username": text(form, "username").lower(), "next": safe_next(text(form, "next"))}
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    client = request.client.host if request.client else "unknown"
    limiter = _limiter(request)
    keys = login_keys(client, values["username"], limiter.max_failures)
    if limiter.blocked(keys):
        return _form(request, values, {"form": _too_many()}, 429)
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
        return _form(request, values, {"form": _too_many()}, 429)
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


#: what ``?changed=`` on the account page says was saved
CHANGED = ("password", "email", "mail")


async def _account_page(request: Request, values: dict[str, str], errors: dict[str, str],
                        status_code: int = 200) -> Response:
    user = require_user(request)
    engine = request.app.state.engine
    name = await asyncio.to_thread(node_name, engine, user.node_id)
    found = await asyncio.to_thread(profile, engine, user.username)
    choice = await asyncio.to_thread(mail_preference, engine, user.username)
    changed = request.query_params.get("changed")
    values = {"email": (found.email if found else None) or "", **values}
    return templates.TemplateResponse(request, "account.html", {
        "node_name": name, "email": found.email if found else None, "values": values,
        "errors": errors, "min_password": MIN_PASSWORD, "mail_mode": choice.mode,
        "mail_on": request.app.state.settings.smtp_url is not None,
        "changed": changed if changed in CHANGED and not errors else None,
    }, status_code=status_code)


async def account(request: Request) -> Response:
    if current_user(request) is None:
        return login_redirect(request)
    return await _account_page(request, {}, {})


def _password(form: FormData, name: str) -> str:
    value = form.get(name)  # never stripped: a space may be part of a password
    return value if isinstance(value, str) else ""


@form_post
async def do_change_password(request: Request, form: FormData) -> Response:
    user = require_user(request)
    current, new = _password(form, "current_password"), _password(form, "new_password")
    errors: dict[str, str] = {}
    if not current:
        errors["current_password"] = _("Enter your current password.")
    if len(new) < MIN_PASSWORD:
        errors["new_password"] = _("The new password needs at least %(num)d characters.") % {
            "num": MIN_PASSWORD}
    elif new != _password(form, "new_password_again"):
        errors["new_password_again"] = _("The two new passwords are not the same.")
    status = 400
    keys = _password_keys(request, user.username)
    if not errors and (mark := _limiter(request).attempt(keys)) is None:
        errors["current_password"], status = _too_many(), 429
    elif not errors:
        try:
            await asyncio.to_thread(change_password, request.app.state.engine, user.username,
                                    current, new, getattr(request.state, "session_token", None))
            _limiter(request).succeeded(keys, mark)
        except AccountError:
            errors["current_password"] = _("Your current password is not right.")
    if errors:  # passwords are never sent back into the page
        return await _account_page(request, {}, errors, status)
    return see_other(str(request.url_for("account")) + "?changed=password")


@form_post
async def do_change_email(request: Request, form: FormData) -> Response:
    user = require_user(request)
    values = {"email": text(form, "email")}
    current = _password(form, "email_password")
    errors: dict[str, str] = {}
    status = 400
    keys = _password_keys(request, user.username)
    if not current:
        errors["email_password"] = _("Enter your current password.")
    elif (mark := _limiter(request).attempt(keys)) is None:
        errors["email_password"], status = _too_many(), 429
    else:
        try:
            await asyncio.to_thread(change_email, request.app.state.engine, user.username,
                                    current, values["email"])
            _limiter(request).succeeded(keys, mark)
        except AccountError as exc:
            if "password" in str(exc):
                errors["email_password"] = _("Your current password is not right.")
            else:
                _limiter(request).succeeded(keys, mark)  # not a wrong password: not counted
                errors["email"] = _("This is not an e-mail address: write it as "
                                    "name@example.org.")
    if errors:
        return await _account_page(request, values, errors, status)
    return see_other(str(request.url_for("account")) + "?changed=email")


def _remember_language(request: Request, response: Response, chosen: str) -> Response:
    response.set_cookie(i18n.COOKIE, chosen, max_age=i18n.COOKIE_MAX_AGE, httponly=True,
                        samesite="lax", secure=request.app.state.settings.cookie_secure)
    response.headers["Cache-Control"] = "no-store"  # a cookie is never a cache's to repeat
    return response


@form_post
async def language(request: Request, form: FormData) -> Response:
    """A signed-in person's choice: the site's language in this browser, and their mail's."""
    chosen = text(form, "lang")
    response = see_other(safe_next(text(form, "next")))
    if chosen in i18n.LOCALES:
        user = current_user(request)
        if user is not None:  # their mail comes in the language they read the site in
            await asyncio.to_thread(set_preference, request.app.state.engine, user.username,
                                    locale=chosen)
        _remember_language(request, response, chosen)
    return response


async def switch_language(request: Request) -> Response:
    """A visitor's choice, from a link: the language cookie of this browser and nothing
    else (no account's preference), so it needs no form token, and the pages visitors
    share carry none. A forged link can only change how a page reads, as the visitor can."""
    chosen = request.path_params["lang"]
    if chosen not in i18n.LOCALES:
        raise HTTPException(404)
    response = see_other(safe_next(request.query_params.get("next")))
    return _remember_language(request, response, chosen)


routes = [
    Route("/login", login, name="login"),
    Route("/login", do_login, methods=["POST"], name="do_login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/account", account, name="account"),
    Route("/account/password", do_change_password, methods=["POST"], name="change_password"),
    Route("/account/email", do_change_email, methods=["POST"], name="change_email"),
    Route("/language", language, methods=["POST"], name="language"),
    Route("/language/{lang}", switch_language, name="switch_language"),
]
