"""Coordinators' forms: schedule a meeting, publish minutes, turn a decision into a commitment."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.catalog import ACTION_ITEM_CREATED, MEETING_MINUTES_PUBLISHED, MEETING_SCHEDULED
from events.validation import is_date
from services import clock
from services.domain import meetings
from services.domain.base import allows
from services.identity.accounts import CurrentUser
from services.readmodel.tables import ActionItem, Forum, Meeting, Node, Proposal
from web.forms import (
    Forbidden,
    current_user,
    login_redirect,
    publish_and_show,
    require_coordinator,
    see_other,
    slug_id,
)
from web.i18n import gettext as _
from web.posting import acting_node, version_of
from web.queries.board import node_choices, node_name, people_choices
from web.queries.filters import whole_number
from web.security import form_post, text
from web.templating import templates

MAX_LINES = 200


def _load(engine: Any, model: Any, key: str) -> Any:
    with Session(engine) as session:
        return session.get(model, key)


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
    """A meeting's minutes and commitments belong to coordinators of the node that convened it
    (the node by the meeting's own rule, its coordinators by the site's)."""
    state = {"id": meeting.id, "exists": True, "node_id": meeting.node_id}
    return user.is_admin or (user.can_coordinate and allows(
        meetings.decide, state, MEETING_MINUTES_PUBLISHED, user.node_id))


async def _may_run_or_403(request: Request, user: CurrentUser, meeting: Meeting) -> None:
    if may_run(user, meeting):
        return
    convener = await asyncio.to_thread(node_name, request.app.state.engine, meeting.node_id)
    raise Forbidden(_("Only coordinators of %(convener)s, which convened this meeting, publish "
                      "its minutes and turn its decisions into commitments.")
                    % {"convener": convener})


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
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=clock.zone(tz))


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

    async def rerender(fields: dict[str, str]) -> Response:
        return _render(request, "meeting_form.html",
                       {"forum": forum, "values": values, "errors": fields}, 400)

    return await publish_and_show(
        request, user, [(MEETING_SCHEDULED, meeting_id, data)], rerender=rerender,
        shown=(Meeting, meeting_id, 0), url=str(request.url_for("meeting", id=meeting_id)))


# -- minutes --------------------------------------------------------------------------


ATTENDEE_ROWS = 8  # rows offered at first; "more rows" adds as many again
DECISION_ROWS = 4
# at most this many rows, so that a form stays under form_post's 200 fields (2 per attendee,
# 4 per decision)
MOST_ATTENDEE_ROWS = 60
MOST_DECISION_ROWS = 18
PROPOSALS_OFFERED = 200


def _proposals(engine: Any, forum_id: str) -> list[tuple[str, str]]:
    """The forum's proposals a decision may concern (the latest ones), by title."""
    with Session(engine) as session:
        found = session.exec(select(Proposal.id, Proposal.title)
                             .where(Proposal.forum_id == forum_id)
                             .order_by(col(Proposal.updated_at).desc())
                             .limit(PROPOSALS_OFFERED)).all()
    return sorted([(i, t) for i, t in found], key=lambda p: p[1].lower())


def _rows(form: FormData, *names: str) -> list[dict[str, str]]:
    """The form's repeated fields as rows (every row posts each of ``names``); blank rows
    are left out."""
    columns = [[str(v).replace("\x00", "").replace("\r\n", "\n").strip()
                for v in form.getlist(name)] for name in names]
    count = max((len(c) for c in columns), default=0)
    rows = [{name: (column[n] if n < len(column) else "") for name, column in zip(
        names, columns, strict=True)} for n in range(min(count, MAX_LINES + 1))]
    return [row for row in rows if any(row.values())]


async def _minutes_page(request: Request, meeting: Meeting, values: dict[str, Any],
                        errors: dict[str, str], status_code: int = 200, *,
                        more: bool = False) -> Response:
    engine = request.app.state.engine
    nodes, proposals, people = await asyncio.gather(
        asyncio.to_thread(node_choices, engine),
        asyncio.to_thread(_proposals, engine, meeting.forum_id),
        asyncio.to_thread(people_choices, engine))
    attendees = values.get("attendees", [])
    decisions = values.get("decisions", [])
    blank_attendee = {"attendee_name": "", "attendee_node": ""}
    blank_decision = {"decision_text": "", "decision_proposal": "", "decision_owner": "",
                      "decision_due": ""}
    attendee_rows = len(attendees) + max(3, ATTENDEE_ROWS - len(attendees))
    decision_rows = len(decisions) + max(2, DECISION_ROWS - len(decisions))
    if more:
        attendee_rows, decision_rows = attendee_rows + ATTENDEE_ROWS, decision_rows + DECISION_ROWS
    attendee_rows = max(len(attendees), min(attendee_rows, MOST_ATTENDEE_ROWS))
    decision_rows = max(len(decisions), min(decision_rows, MOST_DECISION_ROWS))
    context = {
        "meeting": meeting, "values": values, "errors": errors, "nodes": nodes,
        "proposals": proposals, "people": people, "node_names": dict(nodes),
        "attendee_rows": attendees + [blank_attendee] * (attendee_rows - len(attendees)),
        "decision_rows": decisions + [blank_decision] * (decision_rows - len(decisions)),
        "may_add_rows": attendee_rows < MOST_ATTENDEE_ROWS or decision_rows < MOST_DECISION_ROWS,
    }
    return _render(request, "minutes_form.html", context, status_code)


async def minutes_form(request: Request) -> Response:
    meeting = await _get(request, Meeting)
    user = current_user(request)
    if user is None:
        return login_redirect(request)
    await _may_run_or_403(request, user, meeting)
    return await _minutes_page(request, meeting, _published_values(meeting), {})


def _published_values(meeting: Meeting) -> dict[str, Any]:
    """The minutes already published, as the form's rows (to correct or complete them)."""
    minutes = meeting.minutes or {}
    return {
        "attendees": [{"attendee_name": a.get("name", ""), "attendee_node": a.get("node_id") or ""}
                      for a in minutes.get("attendees", [])],
        "decisions": [{"decision_text": d.get("text", ""),
                       "decision_proposal": d.get("proposal_id") or "", "decision_owner": "",
                       "decision_due": ""} for d in minutes.get("decisions", [])],
        "summary": minutes.get("summary") or "",
    }


def _check_minutes(attendees: list[dict[str, str]], decisions: list[dict[str, str]],
                   summary: str, known_nodes: set[str], known_proposals: set[str]
                   ) -> dict[str, str]:
    """What is wrong with the minutes, by group of fields."""
    errors: dict[str, str] = {}
    if not attendees:
        errors["attendees"] = _("List at least one attendee.")
    elif len(attendees) > MAX_LINES or any(not a["attendee_name"] or len(a["attendee_name"]) > 200
                                           for a in attendees):
        errors["attendees"] = _("Give each attendee a name of at most 200 characters.")
    elif unknown := sorted({a["attendee_node"] for a in attendees
                            if a["attendee_node"] and a["attendee_node"] not in known_nodes}):
        errors["attendees"] = _("Unknown node: %(ids)s") % {"ids": ", ".join(unknown)}
    if len(decisions) > MAX_LINES or any(not d["decision_text"] or len(d["decision_text"]) > 5000
                                         for d in decisions):
        errors["decisions"] = _("Write each decision (at most 5,000 characters).")
    elif unknown := sorted({d["decision_proposal"] for d in decisions if d["decision_proposal"]
                            and d["decision_proposal"] not in known_proposals}):
        errors["decisions"] = _("Unknown proposal: %(ids)s") % {"ids": ", ".join(unknown)}
    elif any(bool(d["decision_owner"]) != bool(d["decision_due"]) for d in decisions):
        errors["decisions"] = _("To make a decision a commitment, choose both its owner and "
                                "its due date.")
    elif any(d["decision_owner"] and d["decision_owner"] not in known_nodes for d in decisions):
        errors["decisions"] = _("Choose the owner of each commitment from the list.")
    elif any(d["decision_due"] and not is_date(d["decision_due"]) for d in decisions):
        errors["decisions"] = _("Enter the due date, e.g. 2026-12-31.")
    if len(summary) > 20000:
        errors["summary"] = _("The text is too long.")
    return errors


def commitment_title(decision: str) -> str:
    """A commitment's title from its decision: the first line, at most 200 characters."""
    line = decision.strip().splitlines()[0].strip() if decision.strip() else ""
    return line if len(line) <= 200 else line[:199].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


@form_post
async def publish_minutes(request: Request, form: FormData) -> Response:
    meeting = await _get(request, Meeting)
    user = require_coordinator(request)
    await _may_run_or_403(request, user, meeting)
    engine = request.app.state.engine
    attendees = _rows(form, "attendee_name", "attendee_node")
    decisions = _rows(form, "decision_text", "decision_proposal", "decision_owner",
                      "decision_due")
    values: dict[str, Any] = {"attendees": attendees, "decisions": decisions,
                              "summary": text(form, "summary")}
    if text(form, "more"):  # "more rows": the same form again, nothing published
        return await _minutes_page(request, meeting, values, {}, more=True)
    known_nodes, known_proposals = await asyncio.gather(
        asyncio.to_thread(_existing, engine, Node,
                          {a["attendee_node"] for a in attendees if a["attendee_node"]}
                          | {d["decision_owner"] for d in decisions if d["decision_owner"]}),
        asyncio.to_thread(_existing, engine, Proposal,
                          {d["decision_proposal"] for d in decisions if d["decision_proposal"]}))
    errors = _check_minutes(attendees, decisions, values["summary"], known_nodes,
                            known_proposals)
    if errors:
        return await _minutes_page(request, meeting, values, errors, 400)
    data = {
        "attendees": [{"name": a["attendee_name"]}
                      | ({"node_id": a["attendee_node"]} if a["attendee_node"] else {})
                      for a in attendees],
        "decisions": [{"text": d["decision_text"]}
                      | ({"proposal_id": d["decision_proposal"]} if d["decision_proposal"] else {})
                      for d in decisions],
        "summary": values["summary"],
    }
    events: list[tuple[str, str, dict[str, Any]]] = [
        (MEETING_MINUTES_PUBLISHED, meeting.id, data)]
    for d in decisions:  # the commitments made from decisions, in the same submission
        if d["decision_owner"] and d["decision_due"]:
            title = commitment_title(d["decision_text"])
            events.append((ACTION_ITEM_CREATED, slug_id("rtl", title),
                           {"title": title, "owner_node_id": d["decision_owner"],
                            "due_date": d["decision_due"], "meeting_id": meeting.id,
                            "proposal_id": d["decision_proposal"] or None}))
    before = await asyncio.to_thread(version_of, engine, Meeting, meeting.id)

    async def rerender(fields: dict[str, str]) -> Response:
        shown = {k: v for k, v in fields.items() if k in ("attendees", "summary")}
        rest = [f"{k}: {v}" for k, v in fields.items() if k not in shown]
        if rest:
            shown["decisions"] = "; ".join(rest)
        return await _minutes_page(request, meeting, values, shown, 400)

    # the minutes and their commitments are checked together, then sent together
    return await publish_and_show(
        request, user, events, rerender=rerender, shown=(Meeting, meeting.id, before),
        url=str(request.url_for("meeting", id=meeting.id)), anchor="#minutes-h",
        as_node=acting_node(user, meeting.node_id))


# -- commitments from decisions ---------------------------------------------------------


def _decision(meeting: Meeting, raw: str) -> dict[str, Any] | None:
    decisions = (meeting.minutes or {}).get("decisions", [])
    index = whole_number(raw)
    if index is None or index >= len(decisions):
        return None
    return {"index": index, **decisions[index]}


async def new_action_item(request: Request) -> Response:
    meeting = await _get(request, Meeting)
    user = current_user(request)
    if user is None:
        return login_redirect(request)
    await _may_run_or_403(request, user, meeting)
    decision = _decision(meeting, request.query_params.get("decision", ""))
    if decision is None:  # a commitment comes from one of the decisions listed there
        return see_other(str(request.url_for("meeting", id=meeting.id)) + "#minutes-h")
    nodes = await asyncio.to_thread(node_choices, request.app.state.engine)
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
    nodes = await asyncio.to_thread(node_choices, engine)
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

    async def rerender(fields: dict[str, str]) -> Response:
        return _render(request, "action_item_form.html", context | {"errors": fields}, 400)

    return await publish_and_show(
        request, user, [(ACTION_ITEM_CREATED, item_id, data)], rerender=rerender,
        shown=(ActionItem, item_id, 0), url=str(request.url_for("commitment", id=item_id)),
        as_node=acting_node(user, meeting.node_id))


routes = [
    Route("/forums/{id}/meetings/new", new_meeting, name="new_meeting"),
    Route("/forums/{id}/meetings", schedule_meeting, methods=["POST"], name="schedule_meeting"),
    Route("/meetings/{id}/minutes", minutes_form, name="minutes_form"),
    Route("/meetings/{id}/minutes", publish_minutes, methods=["POST"], name="publish_minutes"),
    Route("/meetings/{id}/action-items/new", new_action_item, name="new_action_item"),
    Route("/meetings/{id}/action-items", create_action_item, methods=["POST"],
          name="create_action_item"),
]
