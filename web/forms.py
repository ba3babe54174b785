"""What every form handler shares: who may post, and how a result or an error is shown."""

from __future__ import annotations

import re
import unicodedata
import uuid
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from services.identity.accounts import CurrentUser
from web.i18n import gettext as _
from web.posting import NotPublished
from web.templating import templates


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


def unavailable(request: Request, exc: NotPublished) -> Response:
    """Kafka did not take the event: say so plainly; the user's input is not lost (Back).
    Refused by an aggregate's rule (the site's own checks let it through): a 403 saying so.
    """
    if exc.reason in ("not-allowed", "wrong-source"):
        raise Forbidden(_("The rules do not let your node do that: %(reason)s")
                        % {"reason": exc.detail})
    return templates.TemplateResponse(request, "error.html", {"status_code": 503},
                                      status_code=503, headers={"Retry-After": "5"})


def slug_id(prefix: str, title: str) -> str:
    """A readable, unique aggregate id from a title: ``usulan-pelatihan-menjahit-3f9a1c``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-")
    suffix = uuid.uuid4().hex[:6]
    return f"{prefix}-{slug}-{suffix}" if slug else f"{prefix}-{suffix}"
