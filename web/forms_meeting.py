"""Coordinators' forms: schedule a meeting, publish minutes, turn a decision into a commitment."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.catalog import SERVICE_NODE
from services.readmodel.tables import ActionItem, Forum, Meeting, Node, Proposal
from web.accounts import CurrentUser
from web.board_data import node_names
from web.formkit import (
    Forbidden,
    current_user,
    login_redirect,
    require_coordinator,
    see_other,
    slug_id,
    unavailable,
)
from web.i18n import gettext as _
from web.posting import NotPublished, projected, publish, version_of
from web.security import form_post, text
from web.templating import templates

MAX_LINES = 200


def _load(engine: Any, model: Any, key: str) -> Any:
    with Session(engine) as session:
        return session.get(model, key)


def _nodes(engine: Any) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [(n.id, n.name) for n in session.exec(select(Node).order_by(col(Node.name)))]


def _existing(engine: Any, model: Any, ids: set[str]) -> set[str]:
    if not ids:
        return set()
    with Session(engine) as session:
        return set(session.exec(select(model.id).where(col(model.id).in_(ids))).all())


async def _get(request: Request, model: Any) -> Any:
    found = await asyncio.to_thread(_load, request.app.state.engine, model,
                                    request.path_params["id"])
    if found is None:
        raise HTTPException(404)
    return found


def may_run(user: CurrentUser, meeting: Meeting) -> bool:
    """A meeting's minutes and commitments belong to coordinators of the node that convened it."""
    return user.is_admin or (user.can_coordinate and user.node_id == meeting.node_id)


async def _may_run_or_403(request: Request, user: CurrentUser, meeting: Meeting) -> None:
    if may_run(user, meeting):
        return
    names = await asyncio.to_thread(node_names, request.app.state.engine)
    raise Forbidden(_("Only coordinators of %(convener)s, which convened this meeting, publish "
                      "its minutes and turn its decisions into commitments.")
                    % {"convener": names.get(meeting.node_id, meeting.node_id)})


def acting_node(user: CurrentUser, meeting: Meeting) -> str:
    """As whom the minutes and commitments are published: the convening node, or the
    service itself when an admin runs another node's meeting (the aggregates' rules let
    only the convener, or the service, publish a meeting's minutes)."""
    return user.node_id if user.node_id == meeting.node_id else SERVICE_NODE


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200
            ) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


# -- scheduling ---------------------------------------------------------------------


async def new_meeting(request: Request) -> Response:
    forum = await _get(request, Forum)
    if current_user(request) is None:
        return login_redirect(request)
    require_coordinator(request)
    return _render(request, "meeting_form.html", {"forum": forum, "values": {}, "errors": {}})


def parse_local(value: str, tz: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(tz))


@form_post
async def schedule_meeting(request: Request, form: FormData) -> Response:
    forum = await _get(request, Forum)
    user = require_coordinator(request)
    values = {k: text(form, k) for k in ("title", "starts_at", "location", "agenda")}
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = _("Give the meeting a title.")
    elif len(values["title"]) > 200:
        errors["title"] = _("The title is too long (at most 200 characters).")
    starts = parse_local(values["starts_at"], request.app.state.settings.timezone)
    if starts is None:
        errors["starts_at"] = _("Enter the date and time, e.g. 2026-12-03 09:00.")
    if len(values["location"]) > 200:
        errors["location"] = _("The location is too long (at most 200 characters).")
    agenda = [line.strip() for line in values["agenda"].splitlines() if line.strip()]
    if len(agenda) > 50 or any(len(a) > 500 for a in agenda):
        errors["agenda"] = _("At most 50 agenda points of at most 500 characters.")
    if errors or starts is None:
        return _render(request, "meeting_form.html",
                       {"forum": forum, "values": values, "errors": errors}, 400)
    meeting_id = slug_id("rapat", values["title"])
    data = {"forum_id": forum.id, "title": values["title"], "starts_at": starts.isoformat(),
            "location": values["location"], "agenda": agenda}
    try:
        await publish(request, user, "gotong.meeting.scheduled.v1", meeting_id, data)
    except NotPublished as exc:
        if exc.fields:
            return _render(request, "meeting_form.html",
                           {"forum": forum, "values": values, "errors": exc.fields}, 400)
        return unavailable(request, exc)
    url = str(request.url_for("meeting", id=meeting_id))
    ok = await projected(request, Meeting, meeting_id, 0)
    return see_other(url if ok else url + "?pending=1")


# -- minutes --------------------------------------------------------------------------


async def minutes_form(request: Request) -> Response:
    meeting = await _get(request, Meeting)
    user = current_user(request)
    if user is None:
        return login_redirect(request)
    await _may_run_or_403(request, user, meeting)
    return _render(request, "minutes_form.html", {"meeting": meeting, "values": {}, "errors": {}})


def _pairs(block: str) -> list[tuple[str, str | None]]:
    """Lines of ``text`` or ``text | id``."""
    pairs = []
    for line in block.splitlines():
        if not line.strip():
            continue
        left, bar, right = line.rpartition("|") if "|" in line else (line, "", "")
        pairs.append((left.strip(), right.strip() or None) if bar else (line.strip(), None))
    return pairs


@form_post
async def publish_minutes(request: Request, form: FormData) -> Response:
    meeting = await _get(request, Meeting)
    user = require_coordinator(request)
    await _may_run_or_403(request, user, meeting)
    engine = request.app.state.engine
    values = {k: text(form, k) for k in ("attendees", "decisions", "summary")}
    errors: dict[str, str] = {}
    attendees = _pairs(values["attendees"])
    decisions = _pairs(values["decisions"])
    known_nodes = await asyncio.to_thread(_existing, engine, Node,
                                          {n for _a, n in attendees if n})
    known_proposals = await asyncio.to_thread(_existing, engine, Proposal,
                                              {p for _d, p in decisions if p})
    if not attendees:
        errors["attendees"] = _("List at least one attendee.")
    elif len(attendees) > MAX_LINES or any(not a or len(a) > 200 for a, _n in attendees):
        errors["attendees"] = _("One attendee per line, names of at most 200 characters.")
    elif unknown := sorted({n for _a, n in attendees if n and n not in known_nodes}):
        errors["attendees"] = _("Unknown node: %(ids)s") % {"ids": ", ".join(unknown)}
    if len(decisions) > MAX_LINES or any(not d or len(d) > 5000 for d, _p in decisions):
        errors["decisions"] = _("One decision per line.")
    elif unknown := sorted({p for _d, p in decisions if p and p not in known_proposals}):
        errors["decisions"] = _("Unknown proposal: %(ids)s") % {"ids": ", ".join(unknown)}
    if len(values["summary"]) > 20000:
        errors["summary"] = _("The text is too long.")
    if errors:
        return _render(request, "minutes_form.html",
                       {"meeting": meeting, "values": values, "errors": errors}, 400)
    data = {
        "attendees": [{"name": a} | ({"node_id": n} if n else {}) for a, n in attendees],
        "decisions": [{"text": d} | ({"proposal_id": p} if p else {}) for d, p in decisions],
        "summary": values["summary"],
    }
    before = await asyncio.to_thread(version_of, engine, Meeting, meeting.id)
    try:
        await publish(request, user, "gotong.meeting.minutes_published.v1", meeting.id, data,
                      as_node=acting_node(user, meeting))
    except NotPublished as exc:
        if exc.fields:
            return _render(request, "minutes_form.html",
                           {"meeting": meeting, "values": values, "errors": exc.fields}, 400)
        return unavailable(request, exc)
    url = str(request.url_for("meeting", id=meeting.id))
    ok = await projected(request, Meeting, meeting.id, before)
    return see_other((url if ok else url + "?pending=1") + "#minutes-h")


# -- commitments from decisions ---------------------------------------------------------


def _decision(meeting: Meeting, raw: str) -> dict[str, Any] | None:
    decisions = (meeting.minutes or {}).get("decisions", [])
    if not raw.isdigit() or int(raw) >= len(decisions):
        return None
    return {"index": int(raw), **decisions[int(raw)]}


async def new_action_item(request: Request) -> Response:
    meeting = await _get(request, Meeting)
    user = current_user(request)
    if user is None:
        return login_redirect(request)
    await _may_run_or_403(request, user, meeting)
    decision = _decision(meeting, request.query_params.get("decision", ""))
    if decision is None:
        raise HTTPException(404)
    nodes = await asyncio.to_thread(_nodes, request.app.state.engine)
    values = {"title": decision["text"][:200], "decision": str(decision["index"])}
    return _render(request, "action_item_form.html", {"meeting": meeting, "decision": decision,
                                                      "nodes": nodes, "values": values,
                                                      "errors": {}})


@form_post
async def create_action_item(request: Request, form: FormData) -> Response:
    meeting = await _get(request, Meeting)
    user = require_coordinator(request)
    await _may_run_or_403(request, user, meeting)
    engine = request.app.state.engine
    decision = _decision(meeting, text(form, "decision"))
    if decision is None:
        raise HTTPException(400, "no such decision")
    values = {k: text(form, k) for k in ("title", "owner_node_id", "due_date", "description",
                                         "decision")}
    nodes = await asyncio.to_thread(_nodes, engine)
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = _("Give the commitment a title.")
    elif len(values["title"]) > 200:
        errors["title"] = _("The title is too long (at most 200 characters).")
    if values["owner_node_id"] not in {n for n, _name in nodes}:
        errors["owner_node_id"] = _("Choose the node that owns the commitment.")
    try:
        dt.date.fromisoformat(values["due_date"])
    except ValueError:
        errors["due_date"] = _("Enter the due date, e.g. 2026-12-31.")
    if len(values["description"]) > 5000:
        errors["description"] = _("The text is too long.")
    context = {"meeting": meeting, "decision": decision, "nodes": nodes, "values": values}
    if errors:
        return _render(request, "action_item_form.html", context | {"errors": errors}, 400)
    item_id = slug_id("rtl", values["title"])
    data = {"title": values["title"], "owner_node_id": values["owner_node_id"],
            "due_date": values["due_date"], "description": values["description"],
            "meeting_id": meeting.id, "proposal_id": decision.get("proposal_id")}
    try:
        await publish(request, user, "gotong.action_item.created.v1", item_id, data,
                      as_node=acting_node(user, meeting))
    except NotPublished as exc:
        if exc.fields:
            return _render(request, "action_item_form.html", context | {"errors": exc.fields}, 400)
        return unavailable(request, exc)
    url = str(request.url_for("commitment", id=item_id))
    ok = await projected(request, ActionItem, item_id, 0)
    return see_other(url if ok else url + "?pending=1")


routes = [
    Route("/forums/{id}/meetings/new", new_meeting, name="new_meeting"),
    Route("/forums/{id}/meetings", schedule_meeting, methods=["POST"], name="schedule_meeting"),
    Route("/meetings/{id}/minutes", minutes_form, name="minutes_form"),
    Route("/meetings/{id}/minutes", publish_minutes, methods=["POST"], name="publish_minutes"),
    Route("/meetings/{id}/action-items/new", new_action_item, name="new_action_item"),
    Route("/meetings/{id}/action-items", create_action_item, methods=["POST"],
          name="create_action_item"),
]
