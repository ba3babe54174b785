"""Invites and reset links: people join a node through a one-time link, and get back in
through one an admin made.

Who may invite whom is ``services.identity.rules``; the links themselves are
``services.identity.links``. A link is shown once, to whoever made it, and stored only
as a hash; the pages that open a link never put the token in a redirect or a log line
(``web.linklog`` keeps it out of the access log).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.identity import links
from services.identity.accounts import MIN_PASSWORD, AccountError, CurrentUser
from services.identity.rules import INVITE_DAYS, invitable_roles, may_invite
from web.forms import Forbidden, current_user, login_redirect, require_user, see_other
from web.i18n import gettext as _
from web.queries.board import node_names
from web.security import form_post, text
from web.templating import templates


def require_inviter(request: Request) -> CurrentUser:
    user = require_user(request)
    if not invitable_roles(user):
        raise Forbidden(_("Only a node's coordinators and the service's admins may invite "
                          "people; ask a coordinator of your node."))
    return user


def _roles() -> dict[str, str]:
    return {"member": _("Member"), "coordinator": _("Coordinator"), "admin": _("Administrator")}


async def _invites_page(request: Request, user: CurrentUser, values: dict[str, str],
                        errors: dict[str, str], status_code: int = 200) -> Response:
    engine = request.app.state.engine
    names = await asyncio.to_thread(node_names, engine)
    pending = await asyncio.to_thread(links.open_invites, engine,
                                      None if user.is_admin else user.node_id)
    roles = _roles()
    return templates.TemplateResponse(request, "invites.html", {
        "values": {"node_id": user.node_id, "role": "member", **values}, "errors": errors,
        "names": names, "days": INVITE_DAYS,
        "pending": [(i, dt.datetime.fromtimestamp(i.expires_at, dt.UTC)) for i in pending],
        "role_options": [(r, roles[r]) for r in invitable_roles(user)],
        "node_options": sorted(names.items(), key=lambda item: item[1].casefold())
        if user.is_admin else [(user.node_id, names.get(user.node_id, user.node_id))],
        "roles": roles,
    }, status_code=status_code)


async def invites(request: Request) -> Response:
    if current_user(request) is None:
        return login_redirect(request)
    return await _invites_page(request, require_inviter(request), {}, {})


@form_post
async def create_invite(request: Request, form: FormData) -> Response:
    user = require_inviter(request)
    values = {"node_id": text(form, "node_id") or user.node_id, "role": text(form, "role")}
    if values["role"] not in _roles():
        return await _invites_page(request, user, values,
                                   {"role": _("Choose a role.")}, 400)
    # checked on the server whatever the form offered: a coordinator's form can be edited
    if not may_invite(user, values["node_id"], values["role"]):
        raise Forbidden(_("A coordinator invites members and coordinators to their own node "
                          "only; only the service's admins invite to other nodes or make "
                          "admins."))
    engine = request.app.state.engine
    names = await asyncio.to_thread(node_names, engine)
    if values["node_id"] not in names:
        return await _invites_page(request, user, values,
                                   {"node_id": _("Choose a node the site knows.")}, 400)
    token = await asyncio.to_thread(links.create_invite, engine, user, values["node_id"],
                                    values["role"])
    return templates.TemplateResponse(request, "shown_once.html", {
        "title": _("Invite link"),
        "lead": _("Send this link to the person you invite, by a message only they read. "
                  "It works once, for %(days)d days, and lets them join %(node)s as "
                  "%(role)s.") % {"node": names[values["node_id"]], "days": INVITE_DAYS,
                                  "role": _roles()[values["role"]].lower()},
        "label": _("Invite link"), "value": str(request.url_for("invite", token=token)),
        "back": str(request.url_for("invites")), "back_label": _("Back to invites"),
    }, headers={"Cache-Control": "no-store"})


def _gone(request: Request) -> Response:
    return templates.TemplateResponse(request, "link_gone.html", {}, status_code=410,
                                      headers={"Cache-Control": "no-store"})


async def _accept_page(request: Request, invite: links.Invite, values: dict[str, str],
                       errors: dict[str, str], status_code: int = 200) -> Response:
    names = await asyncio.to_thread(node_names, request.app.state.engine)
    return templates.TemplateResponse(request, "invite_accept.html", {
        "invite": invite, "node_name": names.get(invite.node_id, invite.node_id),
        "role_name": _roles().get(invite.role, invite.role), "values": values,
        "errors": errors, "min_password": MIN_PASSWORD,
    }, status_code=status_code, headers={"Cache-Control": "no-store"})


async def invite(request: Request) -> Response:
    try:
        found = await asyncio.to_thread(links.open_invite, request.app.state.engine,
                                        request.path_params["token"])
    except links.LinkError:
        return _gone(request)
    return await _accept_page(request, found, {}, {})


def _password(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _password_errors(form: FormData) -> dict[str, str]:
    password = _password(form, "password")
    if len(password) < MIN_PASSWORD:
        return {"password": _("The password needs at least %(num)d characters.") % {
            "num": MIN_PASSWORD}}
    if password != _password(form, "password_again"):
        return {"password_again": _("The two passwords are not the same.")}
    return {}


@form_post
async def accept_invite(request: Request, form: FormData) -> Response:
    engine = request.app.state.engine
    token = request.path_params["token"]
    try:
        found = await asyncio.to_thread(links.open_invite, engine, token)
    except links.LinkError:
        return _gone(request)
    values = {"username": text(form, "username").lower(), "name": text(form, "name"),
              "email": text(form, "email")}
    errors = _password_errors(form)
    if not values["name"]:
        errors["name"] = _("Enter your name as others should read it.")
    if not errors:
        try:
            made = await asyncio.to_thread(
                links.accept_invite, engine, token, values["username"], name=values["name"],
                password=_password(form, "password"), email=values["email"])
        except links.LinkError:
            return _gone(request)
        except AccountError as exc:
            errors.update(_account_error(str(exc)))
        else:
            return see_other(str(request.url_for("login")) + "?" + urlencode(
                {"joined": made.username}))
    return await _accept_page(request, found, values, errors, 400)


def _account_error(message: str) -> dict[str, str]:
    """``AccountError``'s English, as the field it is about, in the person's language."""
    if message.startswith("username"):
        return {"username": _("A username has 2 to 63 lowercase letters, digits, '.', '_' "
                              "or '-', and starts with a letter or a digit.")}
    if "exists already" in message:
        return {"username": _("This username is taken: choose another.")}
    if message.startswith("e-mail"):
        return {"email": _("This is not an e-mail address: write it as name@example.org.")}
    if message.startswith("password"):
        return {"password": _("The password needs at least %(num)d characters.") % {
            "num": MIN_PASSWORD}}
    return {"name": _("Enter your name as others should read it.")}


async def _reset_page(request: Request, username: str, errors: dict[str, str],
                      status_code: int = 200) -> Response:
    return templates.TemplateResponse(request, "reset_accept.html", {
        "username": username, "errors": errors, "min_password": MIN_PASSWORD,
    }, status_code=status_code, headers={"Cache-Control": "no-store"})


async def reset(request: Request) -> Response:
    try:
        username = await asyncio.to_thread(links.open_reset, request.app.state.engine,
                                           request.path_params["token"])
    except links.LinkError:
        return _gone(request)
    return await _reset_page(request, username, {})


@form_post
async def use_reset(request: Request, form: FormData) -> Response:
    engine = request.app.state.engine
    token = request.path_params["token"]
    try:
        username = await asyncio.to_thread(links.open_reset, engine, token)
    except links.LinkError:
        return _gone(request)
    errors = _password_errors(form)
    if errors:
        return await _reset_page(request, username, errors, 400)
    try:
        await asyncio.to_thread(links.use_reset, engine, token, _password(form, "password"))
    except links.LinkError:
        return _gone(request)
    return see_other(str(request.url_for("login")) + "?" + urlencode({"reset": username}))


routes = [
    Route("/invites", invites, name="invites"),
    Route("/invites", create_invite, methods=["POST"], name="create_invite"),
    Route("/invites/{token}", invite, name="invite"),
    Route("/invites/{token}", accept_invite, methods=["POST"], name="accept_invite"),
    Route("/reset/{token}", reset, name="reset"),
    Route("/reset/{token}", use_reset, methods=["POST"], name="use_reset"),
]
