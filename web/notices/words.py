"""A notification in words, in the reader's language: for the page and for mail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from web.i18n import format_day
from web.i18n import gettext as _
from web.queries.board import status_words

#: where each kind of thing is shown
PATHS = {"proposal": "/proposals/", "meeting": "/meetings/", "commitment": "/commitments/",
         "forum": "/forums/", "node": "/nodes/", "program": "/programs/"}


def path(kind: str, target_id: str, anchor: str = "") -> str:
    """Where a notification leads: a comment by its lasting address (the page of a long
    thread that shows it), anything else by its page and anchor."""
    comment = anchor.removeprefix("#comment-")
    if kind == "proposal" and comment != anchor and comment:
        return f"/proposals/{quote(target_id, safe='')}/comments/{quote(comment, safe='')}"
    return f"{PATHS.get(kind, '/')}{quote(target_id, safe='')}{anchor}"


def excerpt(params: Mapping[str, Any]) -> str:
    """The short text shown under a notification: what was written, or, for a comment
    the forum's moderators hid, why (never its text)."""
    if "hidden" in params:
        return _("hidden by the forum's moderators: %(reason)s") % {"reason": params["hidden"]}
    return str(params.get("excerpt") or "")


def proposal_status(status: str) -> str:
    words = {"open": _("Open"), "under_review": _("Under review"), "accepted": _("Accepted"),
             "rejected": _("Rejected"), "withdrawn": _("Withdrawn"),
             "implemented": _("Implemented")}
    return words.get(status, status)


def _who(params: Mapping[str, Any]) -> str:
    author, by = params.get("author") or "", params.get("by") or ""
    if author and by:
        return f"{author} ({by})"
    return author or by or "Gotong"


def sentence(what: str, params: Mapping[str, Any]) -> str:
    """What happened, in one sentence of the current language."""
    p = {"title": params.get("title") or "", "forum": params.get("forum") or "",
         "who": _who(params), "owner": params.get("owner") or "",
         "percent": params.get("percent", 0),
         "due": format_day(params.get("due_date") or None),
         "indicator": params.get("indicator") or "", "period": params.get("period") or ""}
    if what == "proposal_submitted":
        return _("New proposal “%(title)s” by %(who)s") % p
    if what == "commented":
        return _("%(who)s commented on “%(title)s”") % p
    if what == "endorsed":
        return _("%(who)s endorsed “%(title)s”") % p
    if what == "proposal_status":
        return _("“%(title)s” is now: %(status)s") % (
            p | {"status": proposal_status(params.get("status") or "")})
    if what == "meeting_scheduled":
        return _("%(who)s scheduled a meeting: “%(title)s”") % p
    if what == "minutes_published":
        return _("Minutes of “%(title)s” are published") % p
    if what == "commitment_created":
        return _("%(who)s made a commitment: “%(title)s”") % p
    if what == "progress":
        return _("Progress on “%(title)s”: %(percent)s%%") % p
    if what == "commitment_status":
        return _("“%(title)s” is now: %(status)s") % (
            p | {"status": status_words(params.get("status") or "")})
    if what == "reassigned":
        return _("“%(title)s” now belongs to %(owner)s") % p
    if what == "overdue":
        return _("“%(title)s” is overdue (it was due on %(due)s)") % p
    if what == "due_soon":
        return _("“%(title)s” is due on %(due)s") % p
    if what == "forum_opened":
        return _("%(who)s opened the forum “%(title)s”") % p
    if what == "indicator_reported":
        return _("%(who)s reported %(indicator)s for %(period)s in “%(title)s”") % p
    if what == "program_defined":
        return _("%(who)s defined the program “%(title)s”") % p
    return p["title"]
