"""A commitment's own page, and its owner node's forms: report progress, change status."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlparse

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.readmodel.tables import ActionItem, Proposal
from web.board_data import is_late, node_names
from web.formkit import require_user, see_other, unavailable
from web.i18n import gettext as _
from web.pages import today
from web.posting import NotPublished, projected, publish, version_of
from web.security import form_post, text
from web.templating import templates

OWNER_STATUSES = ("in_progress", "blocked", "done")


def _load(engine: Any, item_id: str) -> tuple[ActionItem | None, str | None]:
    with Session(engine) as session:
        item = session.get(ActionItem, item_id)
        proposal = session.get(Proposal, item.proposal_id) if item and item.proposal_id else None
        return item, proposal.title if proposal else None


async def _item(request: Request) -> tuple[ActionItem, str | None]:
    item, proposal_title = await asyncio.to_thread(_load, request.app.state.engine,
                                                   request.path_params["id"])
    if item is None:
        raise HTTPException(404)
    return item, proposal_title


async def _page(request: Request, item: ActionItem, proposal_title: str | None,
                form: str | None = None, values: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    context = {
        "item": item,
        "overdue": is_late(item.status, item.due_date, today(request)),
        "proposal_title": proposal_title,
        "node_names": await asyncio.to_thread(node_names, request.app.state.engine),
        "owner_statuses": OWNER_STATUSES,
        "pending": request.query_params.get("pending"),
        "form": form, "values": values or {}, "errors": errors or {},
    }
    return templates.TemplateResponse(request, "commitment.html", context,
                                      status_code=status_code)


async def commitment(request: Request) -> Response:
    item, proposal_title = await _item(request)
    return await _page(request, item, proposal_title)


def _owner(request: Request, item: ActionItem) -> Any:
    user = require_user(request)
    if not user.owns(item.owner_node_id):
        raise HTTPException(403, "only the owner node's members report on this commitment")
    return user


async def _publish(request: Request, item: ActionItem, proposal_title: str | None, type_: str,
                   data: dict[str, Any], form_name: str, values: dict[str, str]) -> Response:
    user = _owner(request, item)
    engine = request.app.state.engine
    before = await asyncio.to_thread(version_of, engine, ActionItem, item.id)
    try:
        await publish(request, user, type_, item.id, data)
    except NotPublished as exc:
        if exc.fields:
            return await _page(request, item, proposal_title, form_name, values, exc.fields, 400)
        return unavailable(request, exc)
    url = str(request.url_for("commitment", id=item.id))
    ok = await projected(request, ActionItem, item.id, before)
    return see_other(url if ok else url + "?pending=1")


@form_post
async def report_progress(request: Request, form: FormData) -> Response:
    item, proposal_title = await _item(request)
    _owner(request, item)
    values = {k: text(form, k) for k in ("percent", "note", "evidence_url")}
    errors: dict[str, str] = {}
    if not values["percent"].isdigit() or int(values["percent"]) > 100:
        errors["percent"] = _("Enter a whole number from 0 to 100.")
    if len(values["note"]) > 20000:
        errors["note"] = _("The text is too long.")
    if values["evidence_url"]:
        url = urlparse(values["evidence_url"])
        too_long = len(values["evidence_url"]) > 2000
        if url.scheme not in ("http", "https") or not url.netloc or too_long:
            errors["evidence_url"] = _("Enter a web address starting with https://")
    if errors:
        return await _page(request, item, proposal_title, "progress", values, errors, 400)
    data = {"percent": int(values["percent"]), "note": values["note"],
            "evidence_url": values["evidence_url"]}
    return await _publish(request, item, proposal_title,
                          "gotong.action_item.progress_reported.v1", data, "progress", values)


@form_post
async def change_item_status(request: Request, form: FormData) -> Response:
    item, proposal_title = await _item(request)
    _owner(request, item)
    values = {k: text(form, k) for k in ("status", "reason")}
    errors: dict[str, str] = {}
    if values["status"] not in OWNER_STATUSES:
        errors["status"] = _("Choose a status.")
    elif values["status"] == item.status:
        errors["status"] = _("The commitment has this status already.")
    if len(values["reason"]) > 2000:
        errors["reason"] = _("The reason is too long (at most 2000 characters).")
    elif values["status"] == "blocked" and not values["reason"]:
        errors["reason"] = _("Say what blocks it.")
    if errors:
        return await _page(request, item, proposal_title, "status", values, errors, 400)
    data = {"status": values["status"], "reason": values["reason"]}
    return await _publish(request, item, proposal_title, "gotong.action_item.status_changed.v1",
                          data, "status", values)


routes = [
    Route("/commitments/{id}", commitment, name="commitment"),
    Route("/commitments/{id}/progress", report_progress, methods=["POST"],
          name="report_progress"),
    Route("/commitments/{id}/status", change_item_status, methods=["POST"],
          name="change_item_status"),
]
