"""Follow and unfollow, the notifications page, and unsubscribing from mail.

Follows and notifications are a person's own (``services.notify``): never in an
event, never in a page kept for visitors (the unread count in the header is only
rendered for a signed-in person, whose pages are never kept).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.notify import mail
from services.notify import store as notes
from services.notify.tables import KINDS, MAIL_MODES, Notification
from services.readmodel.tables import ActionItem, Forum, Node, Proposal
from web.forms import current_user, login_redirect, require_user, see_other, service_secret
from web.i18n import gettext as _
from web.notices.words import excerpt, path, sentence
from web.pages.account import safe_next
from web.queries.filters import whole_number
from web.security import form_post, text
from web.templating import templates

PAGE = 30
MODELS: dict[str, Any] = {"forum": Forum, "proposal": Proposal, "commitment": ActionItem,
                          "node": Node}


async def following(request: Request, kind: str, target_id: str) -> bool:
    """Whether the signed-in person follows it (False for a visitor)."""
    user = current_user(request)
    if user is None:
        return False
    return await asyncio.to_thread(notes.is_following, request.app.state.engine,
                                   user.username, kind, target_id)


def _exists(engine: Any, kind: str, target_id: str) -> bool:
    with Session(engine) as session:
        return session.get(MODELS[kind], target_id) is not None


@form_post
async def follow(request: Request, form: FormData) -> Response:
    kind, target_id = text(form, "kind"), text(form, "id")
    if kind not in KINDS or not target_id or len(target_id) > 200:
        raise HTTPException(400, "kind must be forum, proposal, commitment or node, with an id")
    back = safe_next(text(form, "next")) if text(form, "next") else path(kind, target_id)
    user = current_user(request)
    if user is None:  # a kept page's button: sign in, then come back and press it again
        return see_other(f"{request.url_for('login')}?next={quote(back)}")
    engine = request.app.state.engine
    if not await asyncio.to_thread(_exists, engine, kind, target_id):
        raise HTTPException(404)
    if text(form, "action") == "unfollow":
        await asyncio.to_thread(notes.unfollow, engine, user.username, kind, target_id)
    else:
        await asyncio.to_thread(notes.follow, engine, user.username, kind, target_id)
    return see_other(back)


def _before(request: Request) -> int | None:
    return whole_number(request.query_params.get("before", ""))


async def notifications(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return login_redirect(request)
    engine = request.app.state.engine
    rows = await asyncio.to_thread(notes.notifications_of, engine, user.username, PAGE + 1,
                                   _before(request))
    shown = rows[:PAGE]
    items = [{"id": n.id, "sentence": sentence(n.what, n.params or {}),
              "excerpt": excerpt(n.params or {}), "at": n.at,
              "unread": n.read_at is None,
              "url": request.url_for("open_notification", id=str(n.id))} for n in shown]
    context = {"items": items, "older": shown[-1].id if len(rows) > PAGE else None,
               "unread_shown": [i["id"] for i in items if i["unread"]]}
    return templates.TemplateResponse(request, "notifications.html", context)


@form_post
async def mark_read(request: Request, form: FormData) -> Response:
    user = require_user(request)
    engine = request.app.state.engine
    if text(form, "all"):
        await asyncio.to_thread(notes.mark_read, engine, user.username)
    else:
        ids = [n for v in form.getlist("id")
               if isinstance(v, str) and (n := whole_number(v)) is not None][:200]
        await asyncio.to_thread(notes.mark_read, engine, user.username, ids)
    return see_other(safe_next(text(form, "next")) if text(form, "next")
                     else str(request.url_for("notifications")))


def _open(engine: Any, username: str, notification_id: int) -> str | None:
    with Session(engine) as session:
        found = session.get(Notification, notification_id)
        if found is None or found.username != username:  # someone else's: as if none
            return None
        target = path(found.kind, found.target_id, found.anchor)
    notes.mark_read(engine, username, [notification_id])
    return target


async def open_notification(request: Request) -> Response:
    """Mark one notification read and go to what changed."""
    user = current_user(request)
    if user is None:
        return login_redirect(request)
    number = whole_number(request.path_params["id"])
    target = (await asyncio.to_thread(_open, request.app.state.engine, user.username, number)
              if number is not None else None)
    if target is None:
        raise HTTPException(404)
    return see_other(target)


def _unsubscriber(request: Request) -> str:
    username = mail.unsubscribe_username(service_secret(request), request.path_params["token"])
    if username is None:
        raise HTTPException(404)
    return username


async def unsubscribe_page(request: Request) -> Response:
    """The link in a mail: a confirmation, since mail scanners follow links (GET)."""
    _unsubscriber(request)
    return templates.TemplateResponse(request, "unsubscribe.html", {"done": False})


async def unsubscribe(request: Request) -> Response:
    """RFC 8058 one-click: a POST to the mail's own URL unsubscribes, with no login and no
    CSRF token (the token in the URL is the proof; the mail client sends no cookie)."""
    username = _unsubscriber(request)
    await asyncio.to_thread(notes.set_preference, request.app.state.engine, username,
                            mode="none")
    return templates.TemplateResponse(request, "unsubscribe.html", {"done": True})


@form_post
async def mail_choice(request: Request, form: FormData) -> Response:
    """How often the person gets mail; mail comes in the language they chose it in."""
    user = require_user(request)
    mode = text(form, "mode")
    if mode not in MAIL_MODES:
        raise HTTPException(400, _("Choose how often you get mail."))
    await asyncio.to_thread(notes.set_preference, request.app.state.engine, user.username,
                            mode=mode, locale=request.state.locale)
    return see_other(str(request.url_for("account")) + "?changed=mail#mail")


routes = [
    Route("/follows", follow, methods=["POST"], name="follow"),
    Route("/notifications", notifications, name="notifications"),
    Route("/notifications/read", mark_read, methods=["POST"], name="mark_read"),
    Route("/notifications/{id}", open_notification, name="open_notification"),
    Route("/unsubscribe/{token}", unsubscribe_page, name="unsubscribe_page"),
    Route("/unsubscribe/{token}", unsubscribe, methods=["POST"], name="unsubscribe"),
    Route("/account/mail", mail_choice, methods=["POST"], name="mail_choice"),
]
