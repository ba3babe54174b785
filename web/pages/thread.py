"""Forms of a forum thread: submit a proposal, comment and reply, endorse, change status."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.catalog import (
    PROPOSAL_COMMENTED,
    PROPOSAL_ENDORSED,
    PROPOSAL_STATUS_CHANGED,
    PROPOSAL_SUBMITTED,
)
from services.domain import proposals
from services.identity.accounts import endorsed_by
from services.moderation.rules import may_moderate, may_withdraw
from services.readmodel.tables import Forum, Proposal
from web.forms import (
    Forbidden,
    current_user,
    login_redirect,
    publish_and_show,
    require_user,
    service_secret,
    slug_id,
)
from web.i18n import gettext as _
from web.pages import browse as pages
from web.posting import acting_node, new_id, version_of
from web.queries import records as queries
from web.queries.filters import whole_number
from web.security import form_post, text
from web.templating import templates

MAX_TITLE = 200
MAX_BODY = 20000
MAX_SHORT = 2000


def _get(engine: Any, model: Any, key: str) -> Any:
    with Session(engine) as session:
        return session.get(model, key)


async def _forum(request: Request) -> Forum:
    forum = await asyncio.to_thread(_get, request.app.state.engine, Forum,
                                    request.path_params["id"])
    if forum is None:
        raise HTTPException(404)
    return forum


async def _proposal(request: Request) -> Proposal:
    proposal = await asyncio.to_thread(_get, request.app.state.engine, Proposal,
                                       request.path_params["id"])
    if proposal is None:
        raise HTTPException(404)
    return proposal


def _proposal_form(request: Request, forum: Forum, values: dict[str, str],
                   errors: dict[str, str], status_code: int = 200) -> Response:
    return templates.TemplateResponse(request, "proposal_form.html",
                                      {"forum": forum, "values": values, "errors": errors},
                                      status_code=status_code)


async def new_proposal(request: Request) -> Response:
    forum = await _forum(request)
    if current_user(request) is None:
        return login_redirect(request)
    return _proposal_form(request, forum, {}, {})


def validate_proposal(form: FormData) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    values = {k: text(form, k) for k in ("title", "body", "location", "budget_estimate", "tags")}
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = _("Give the proposal a title.")
    elif len(values["title"]) > MAX_TITLE:
        errors["title"] = _("The title is too long (at most 200 characters).")
    if not values["body"]:
        errors["body"] = _("Describe the proposal.")
    elif len(values["body"]) > MAX_BODY:
        errors["body"] = _("The text is too long.")
    if len(values["location"]) > MAX_TITLE:
        errors["location"] = _("The location is too long (at most 200 characters).")
    budget: float | None = None
    if values["budget_estimate"]:
        cleaned = values["budget_estimate"].replace(".", "").replace(",", "").replace(" ", "")
        if (whole := whole_number(cleaned)) is not None:
            budget = float(whole)
        else:
            errors["budget_estimate"] = _("Enter the budget in whole rupiah, e.g. 15000000.")
    tags = list(dict.fromkeys(t.strip() for t in values["tags"].split(",") if t.strip()))
    if len(tags) > 20 or any(len(t) > 50 for t in tags):
        errors["tags"] = _("At most 20 tags of at most 50 characters.")
    data = {"title": values["title"], "body": values["body"], "location": values["location"],
            "budget_estimate": budget, "tags": tags}
    return values, data, errors


@form_post
async def submit_proposal(request: Request, form: FormData) -> Response:
    forum = await _forum(request)
    user = require_user(request)
    values, data, errors = validate_proposal(form)
    if errors:
        return _proposal_form(request, forum, values, errors, 400)
    proposal_id = slug_id("usulan", values["title"])
    data |= {"forum_id": forum.id, "author": user.name, "program": forum.program}

    async def rerender(fields: dict[str, str]) -> Response:
        return _proposal_form(request, forum, values, fields, 400)

    return await publish_and_show(
        request, user, [(PROPOSAL_SUBMITTED, proposal_id, data)], rerender=rerender,
        shown=(Proposal, proposal_id, 0), url=str(request.url_for("proposal", id=proposal_id)))


async def _rerender(request: Request, form_name: str, values: dict[str, str],
                    errors: dict[str, str]) -> Response:
    request.state.form_context = {"form": form_name, "values": values, "errors": errors}
    response = await pages.proposal(request)
    response.status_code = 400
    return response


async def _publish_on_thread(request: Request, proposal: Proposal, type_: str,
                             data: dict[str, Any], form_name: str, values: dict[str, str],
                             anchor: str = "", as_node: str | None = None) -> Response:
    user = require_user(request)
    engine = request.app.state.engine
    before = await asyncio.to_thread(version_of, engine, Proposal, proposal.id)

    async def rerender(fields: dict[str, str]) -> Response:
        return await _rerender(request, form_name, values, fields)

    return await publish_and_show(
        request, user, [(type_, proposal.id, data)], rerender=rerender,
        shown=(Proposal, proposal.id, before),
        url=str(request.url_for("proposal", id=proposal.id)), anchor=anchor, as_node=as_node)


@form_post
async def comment(request: Request, form: FormData) -> Response:
    proposal = await _proposal(request)
    user = require_user(request)
    values = {"body": text(form, "body"), "in_reply_to": text(form, "in_reply_to")}
    errors: dict[str, str] = {}
    if not values["body"]:
        errors["body"] = _("Write something first.")
    elif len(values["body"]) > MAX_BODY:
        errors["body"] = _("The text is too long.")
    if values["in_reply_to"] and not await asyncio.to_thread(
            queries.has_comment, request.app.state.engine, proposal.id, values["in_reply_to"]):
        errors["in_reply_to"] = _("The comment you reply to does not exist.")
    if errors:
        return await _rerender(request, "comment", values, errors)
    comment_id = new_id("c")
    data = {"comment_id": comment_id, "body": values["body"], "author": user.name,
            "in_reply_to": values["in_reply_to"] or None}
    return await _publish_on_thread(request, proposal, PROPOSAL_COMMENTED, data,
                                    "comment", values, f"#comment-{comment_id}")


@form_post
async def endorse(request: Request, form: FormData) -> Response:
    proposal = await _proposal(request)
    user = require_user(request)
    values = {"note": text(form, "note")}
    errors: dict[str, str] = {}
    secret = service_secret(request)
    if endorsed_by(user, secret, (e["endorser"] for e in proposal.endorsers or [])):
        errors["note"] = _("You endorsed this proposal already.")
    elif len(values["note"]) > MAX_SHORT:
        errors["note"] = _("The note is too long.")
    if errors:
        return await _rerender(request, "endorse", values, errors)
    data = {"endorser": user.endorser_name(secret), "note": values["note"] or None}
    return await _publish_on_thread(request, proposal, PROPOSAL_ENDORSED, data,
                                    "endorse", values, "#endorse-h")


@form_post
async def change_status(request: Request, form: FormData) -> Response:
    proposal = await _proposal(request)
    user = require_user(request)
    convener = await asyncio.to_thread(_convener, request.app.state.engine, proposal.forum_id)
    values = {"status": text(form, "status"), "reason": text(form, "reason")}
    moderator = may_moderate(user, convener)
    if not moderator and not (values["status"] == "withdrawn"
                              and may_withdraw(user, proposal.node_id)):
        raise Forbidden(_("Only the coordinators of the node that convened this forum "
                          "(%(node)s) and the service's admins change a proposal's status; "
                          "the people of its own node may withdraw it.")
                        % {"node": convener or "?"})
    errors: dict[str, str] = {}
    if values["status"] not in proposals.STATUSES:
        errors["status"] = _("Choose a status.")
    elif values["status"] == proposal.status:
        errors["status"] = _("The proposal has this status already.")
    if not values["reason"]:
        errors["reason"] = _("Give the reason for the change.")
    elif len(values["reason"]) > MAX_SHORT:
        errors["reason"] = _("The reason is too long (at most 2000 characters).")
    if errors:
        return await _rerender(request, "status", values, errors)
    data = {"status": values["status"], "reason": values["reason"]}
    return await _publish_on_thread(request, proposal, PROPOSAL_STATUS_CHANGED, data,
                                    "status", values, "#history-h",
                                    as_node=acting_node(user, convener) if moderator else None)


def _convener(engine: Any, forum_id: str) -> str | None:
    forum = _get(engine, Forum, forum_id)
    return forum.node_id if forum is not None else None


routes = [
    Route("/forums/{id}/proposals/new", new_proposal, name="new_proposal"),
    Route("/forums/{id}/proposals", submit_proposal, methods=["POST"], name="submit_proposal"),
    Route("/proposals/{id}/comments", comment, methods=["POST"], name="comment"),
    Route("/proposals/{id}/endorsements", endorse, methods=["POST"], name="endorse"),
    Route("/proposals/{id}/status", change_status, methods=["POST"], name="change_status"),
]
