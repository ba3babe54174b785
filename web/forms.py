"""What every form handler shares: who may post, and how a result or an error is shown."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from sqlmodel import SQLModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from services.identity.accounts import CurrentUser
from services.ingest.publish import NotPublished
from web.i18n import gettext as _
from web.posting import projected, publish_all
from web.templating import templates

#: a form shown again with what the person typed and the fields the schema refused
Rerender = Callable[[dict[str, str]], Awaitable[Response]]


def current_user(request: Request) -> CurrentUser | None:
    user = getattr(request.state, "user", None)
    return user if isinstance(user, CurrentUser) else None


def service_secret(request: Request) -> bytes:
    """The service's secret, read once per app (``Settings.secret_key`` reads a file)."""
    state = request.app.state
    secret: bytes | None = getattr(state, "service_secret", None)
    if secret is None:
        secret = state.service_secret = state.settings.secret_key
    return secret


class Forbidden(HTTPException):
    """A 403 whose explanation, in the person's language, the error page shows: who may
    do what was refused (the owner node, the meeting's convener)."""

    def __init__(self, explanation: str) -> None:
        super().__init__(403, explanation)


def require_user(request: Request) -> CurrentUser:
    user = current_user(request)
    if user is None:
        raise Forbidden(_("Sign in first: only people with an account may do this."))
    return user


def require_coordinator(request: Request) -> CurrentUser:
    user = require_user(request)
    if not user.can_coordinate:
        raise Forbidden(_("Only a node's coordinators and the service's admins may do this; "
                          "members post proposals, comment and endorse."))
    return user


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{request.url_for('login')}?next={quote(target)}", status_code=303)


def see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


async def publish_and_show(request: Request, user: CurrentUser,
                           events: Sequence[tuple[str, str, Mapping[str, Any]]], *,
                           rerender: Rerender, shown: tuple[type[SQLModel], str, int],
                           url: str, anchor: str = "", as_node: str | None = None) -> Response:
    """What every form does once its input is valid: publish its events, then send the
    person to ``url`` once the read model shows the change (``shown``: the row's model,
    key and version before), with ``?pending=1`` if it is not there in time; the form
    again (400) if the schema refused a field; a 403 page if an aggregate's rule refused
    what the site's own checks let through; a 503 page if Kafka did not take it.
    """
    try:
        await publish_all(request, user, events, as_node=as_node)
    except NotPublished as exc:
        if exc.kind == "invalid":  # a form's field is the first step under /data
            return await rerender({e.pointer.removeprefix("/data/").split("/")[0]: e.detail
                                   for e in exc.errors})
        if exc.kind != "kafka-unavailable":
            raise Forbidden(_("The rules do not let your node do that: %(reason)s")
                            % {"reason": exc.detail}) from exc
        return _unavailable(request)
    model, key, before = shown
    if not await projected(request, model, key, before):
        url += "?pending=1"
    return see_other(url + anchor)


def _unavailable(request: Request) -> Response:
    """Kafka did not take the event: say so plainly; the user's input is not lost (Back)."""
    return templates.TemplateResponse(request, "error.html", {"status_code": 503},
                                      status_code=503, headers={"Retry-After": "5"})


def slug_id(prefix: str, title: str) -> str:
    """A readable, unique aggregate id from a title: ``usulan-pelatihan-menjahit-3f9a1c``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-")
    suffix = uuid.uuid4().hex[:6]
    return f"{prefix}-{slug}-{suffix}" if slug else f"{prefix}-{suffix}"
