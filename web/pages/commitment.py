"""A commitment's own page, and the forms of those the rules let act on it.

The rules (``services.domain.action_items.decide``): the owner node reports
progress; the owner and the creator node change its status and hand it to another
owner. On the site, every member of the owner node reports and changes its status
(cancelling excepted); the creator node's coordinators change its status and may
cancel it; the coordinators of either hand it to another owner.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlparse

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.catalog import (
    ACTION_ITEM_PROGRESS_REPORTED,
    ACTION_ITEM_REASSIGNED,
    ACTION_ITEM_STATUS_CHANGED,
)
from services.domain import action_items
from services.domain.action_items import CLOSED, is_late, step_statuses
from services.domain.base import allows
from services.identity.accounts import CurrentUser
from services.readmodel.db import snapshot
from services.readmodel.tables import ActionItem, Meeting, Proposal
from web.forms import (
    Forbidden,
    current_user,
    publish_and_show,
    require_user,
)
from web.i18n import gettext as _
from web.i18n import today
from web.pages.notifications import following
from web.posting import acting_node, version_of
from web.queries.board import by_name, node_names
from web.queries.filters import whole_number
from web.security import form_post, text
from web.templating import templates

OWNER_STATUSES = ("in_progress", "blocked", "done")
CREATOR_STATUSES = (*OWNER_STATUSES, "cancelled")


def rights(user: CurrentUser | None, item: ActionItem) -> frozenset[str]:
    """What ``user`` may do to ``item`` on the site: "report", "status", "cancel",
    "reassign" (nothing once it is done or cancelled)."""
    if user is None or item.status in CLOSED:
        return frozenset()
    state = {"id": item.id, "exists": True, "node_id": item.node_id,
             "owner_node_id": item.owner_node_id}
    # what the user's node may do, by the aggregate's own rule; the site adds who in the
    # node (members, coordinators) and keeps cancelling for the creator's coordinators
    owner = allows(action_items.decide, state, ACTION_ITEM_PROGRESS_REPORTED, user.node_id)
    steers = allows(action_items.decide, state, ACTION_ITEM_REASSIGNED, user.node_id)
    creator = user.node_id == item.node_id
    may: set[str] = set()
    if owner:
        may |= {"report", "status"}
    if creator and user.can_coordinate:
        may |= {"status", "cancel"}
    if steers and user.can_coordinate:
        may.add("reassign")
    if user.is_admin:  # the service's admins steer any open commitment, as the service
        may |= {"status", "cancel", "reassign"}
    return frozenset(may)


def statuses(may: frozenset[str], current: str) -> list[str]:
    """The statuses a person may move the commitment to (never the one it has)."""
    if "status" not in may:
        return []
    offered = CREATOR_STATUSES if "cancel" in may else OWNER_STATUSES
    return [s for s in offered if s != current]


def _load(engine: Any, item_id: str) -> tuple[ActionItem | None, str | None, str | None]:
    with snapshot(engine) as session:
        item = session.get(ActionItem, item_id)
        if item is None:
            return None, None, None
        proposal = session.get(Proposal, item.proposal_id) if item.proposal_id else None
        meeting = session.get(Meeting, item.meeting_id) if item.meeting_id else None
        return (item, proposal.title if proposal else None,
                meeting.title if meeting else None)


async def _item(request: Request) -> tuple[ActionItem, dict[str, str | None]]:
    item, proposal_title, meeting_title = await asyncio.to_thread(
        _load, request.app.state.engine, request.path_params["id"])
    if item is None:
        raise HTTPException(404)
    return item, {"proposal": proposal_title, "meeting": meeting_title}


async def _page(request: Request, item: ActionItem, titles: dict[str, str | None],
                form: str | None = None, values: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    may = rights(current_user(request), item)
    names = await asyncio.to_thread(node_names, request.app.state.engine)
    context = {
        "item": item,
        # the status each status change left, by the fold's rule (an unblock after progress
        # is under way, not back to not started)
        "step_statuses": step_statuses(item.history or []),
        "overdue": is_late(item.status, item.due_date, today(request)),
        "proposal_title": titles["proposal"],
        "meeting_title": titles["meeting"],
        "node_names": names,
        "may": may,
        # who may take it over: every other node, by name
        "new_owners": [(n, name) for n, name in by_name(names) if n != item.owner_node_id],
        "statuses": statuses(may, item.status),
        "pending": request.query_params.get("pending"),
        "form": form, "values": values or {}, "errors": errors or {},
        "following": await following(request, "commitment", item.id),
    }
    return templates.TemplateResponse(request, "commitment.html", context,
                                      status_code=status_code)


async def commitment(request: Request) -> Response:
    item, titles = await _item(request)
    return await _page(request, item, titles)


async def _allowed(request: Request, item: ActionItem, right: str) -> CurrentUser:
    """The signed-in person, if they may do ``right``; else a 403 that says who may."""
    user = require_user(request)
    if right in rights(user, item):
        return user
    if item.status in CLOSED:
        raise Forbidden(_("This commitment is closed: nothing more can be changed."))
    names = await asyncio.to_thread(node_names, request.app.state.engine)
    who = {"owner": names.get(item.owner_node_id, item.owner_node_id),
           "creator": names.get(item.node_id, item.node_id)}
    if right == "report":
        raise Forbidden(_("Only members of %(owner)s report progress on this commitment.")
                        % who)
    if right == "cancel":
        raise Forbidden(_("Only coordinators of %(creator)s, which made this commitment, "
                          "or an admin, cancel it.") % who)
    if right == "reassign":
        raise Forbidden(_("Only coordinators of %(owner)s or of %(creator)s, or an admin, "
                          "hand this commitment to another owner.") % who)
    raise Forbidden(_("Only members of %(owner)s, coordinators of %(creator)s, or an admin, "
                      "change the status of this commitment.") % who)


async def _publish(request: Request, user: CurrentUser, item: ActionItem,
                   titles: dict[str, str | None], type_: str, data: dict[str, Any],
                   form_name: str, values: dict[str, str]) -> Response:
    engine = request.app.state.engine
    before = await asyncio.to_thread(version_of, engine, ActionItem, item.id)

    async def rerender(fields: dict[str, str]) -> Response:
        return await _page(request, item, titles, form_name, values, fields, 400)

    return await publish_and_show(
        request, user, [(type_, item.id, data)], rerender=rerender,
        shown=(ActionItem, item.id, before), url=str(request.url_for("commitment", id=item.id)),
        as_node=acting_node(user, item.owner_node_id, item.node_id))


@form_post
async def report_progress(request: Request, form: FormData) -> Response:
    item, titles = await _item(request)
    user = await _allowed(request, item, "report")
    values = {k: text(form, k) for k in ("percent", "note", "evidence_url")}
    errors: dict[str, str] = {}
    percent = whole_number(values["percent"])
    if percent is None or percent > 100:
        errors["percent"] = _("Enter a whole number from 0 to 100.")
    if len(values["note"]) > 20000:
        errors["note"] = _("The text is too long.")
    if values["evidence_url"]:
        url = urlparse(values["evidence_url"])
        too_long = len(values["evidence_url"]) > 2000
        if url.scheme not in ("http", "https") or not url.netloc or too_long:
            errors["evidence_url"] = _("Enter a web address starting with https://")
    if errors:
        return await _page(request, item, titles, "progress", values, errors, 400)
    data = {"percent": percent, "note": values["note"],
            "evidence_url": values["evidence_url"]}
    return await _publish(request, user, item, titles,
                          ACTION_ITEM_PROGRESS_REPORTED, data, "progress", values)


@form_post
async def change_item_status(request: Request, form: FormData) -> Response:
    item, titles = await _item(request)
    values = {k: text(form, k) for k in ("status", "reason")}
    user = await _allowed(request, item, "cancel" if values["status"] == "cancelled" else "status")
    errors: dict[str, str] = {}
    if values["status"] == item.status:
        errors["status"] = _("The commitment has this status already.")
    elif values["status"] not in statuses(rights(user, item), item.status):
        errors["status"] = _("Choose a status.")
    if len(values["reason"]) > 2000:
        errors["reason"] = _("The reason is too long (at most 2000 characters).")
    elif values["status"] == "blocked" and not values["reason"]:
        errors["reason"] = _("Say what blocks it.")
    elif values["status"] == "cancelled" and not values["reason"]:
        errors["reason"] = _("Say why it is cancelled.")
    if errors:
        return await _page(request, item, titles, "status", values, errors, 400)
    data = {"status": values["status"], "reason": values["reason"]}
    return await _publish(request, user, item, titles, ACTION_ITEM_STATUS_CHANGED,
                          data, "status", values)


@form_post
async def reassign_item(request: Request, form: FormData) -> Response:
    item, titles = await _item(request)
    user = await _allowed(request, item, "reassign")
    values = {k: text(form, k) for k in ("owner_node_id", "reason")}
    names = await asyncio.to_thread(node_names, request.app.state.engine)
    errors: dict[str, str] = {}
    if values["owner_node_id"] not in names:
        errors["owner_node_id"] = _("Choose the node that takes it over.")
    elif values["owner_node_id"] == item.owner_node_id:
        errors["owner_node_id"] = _("This node owns it already.")
    if len(values["reason"]) > 2000:
        errors["reason"] = _("The reason is too long (at most 2000 characters).")
    if errors:
        return await _page(request, item, titles, "reassign", values, errors, 400)
    data = {"owner_node_id": values["owner_node_id"], "reason": values["reason"]}
    return await _publish(request, user, item, titles, ACTION_ITEM_REASSIGNED,
                          data, "reassign", values)


routes = [
    Route("/commitments/{id}", commitment, name="commitment"),
    Route("/commitments/{id}/progress", report_progress, methods=["POST"],
          name="report_progress"),
    Route("/commitments/{id}/status", change_item_status, methods=["POST"],
          name="change_item_status"),
    Route("/commitments/{id}/owner", reassign_item, methods=["POST"], name="reassign_item"),
]
