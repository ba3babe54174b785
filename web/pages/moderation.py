"""Moderation of a forum's threads: flag a comment, hide and restore it, the flags list.

Who moderates a thread is who convened (opened) its forum: that node's coordinators,
and the service's admins (who act as the service). Hiding and restoring are events
(``comment_hidden`` / ``comment_restored``), judged by the proposal aggregate's rule
like any other; a flag is site data (who flagged is personal, never an event).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.catalog import PROPOSAL_COMMENT_HIDDEN, PROPOSAL_COMMENT_RESTORED
from services.identity.accounts import CurrentUser
from services.moderation import flags
from services.moderation.rules import may_moderate
from services.readmodel.tables import CommentModeration, Forum, Proposal, ProposalComment
from web.forms import Forbidden, current_user, publish_and_show, require_user, see_other
from web.i18n import gettext as _
from web.pages import browse as pages
from web.posting import acting_node, version_of
from web.security import form_post, text
from web.templating import templates

MAX_REASON = 2000
EXCERPT = 280


def _thread(engine: Engine, proposal_id: str, comment_id: str
            ) -> tuple[Proposal, str | None, ProposalComment] | None:
    """The proposal, its forum's convener and the comment (None: no such comment)."""
    with Session(engine) as session:
        proposal = session.get(Proposal, proposal_id)
        comment = session.get(ProposalComment, (proposal_id, comment_id))
        if proposal is None or comment is None:
            return None
        forum = session.get(Forum, proposal.forum_id)
    return proposal, (forum.node_id if forum is not None else None), comment


async def _found(request: Request) -> tuple[Proposal, str | None, ProposalComment]:
    found = await asyncio.to_thread(_thread, request.app.state.engine,
                                    request.path_params["id"], request.path_params["comment"])
    if found is None:
        raise HTTPException(404)
    return found


def _reason(form: FormData) -> tuple[str, str | None]:
    reason = text(form, "reason")
    if not reason:
        return reason, _("Give the reason.")
    if len(reason) > MAX_REASON:
        return reason, _("The reason is too long (at most 2000 characters).")
    return reason, None


def _require_moderator(user: CurrentUser, convener: str | None) -> None:
    if not may_moderate(user, convener):
        raise Forbidden(_("Only the coordinators of the node that convened this forum "
                          "(%(node)s) and the service's admins moderate its threads.")
                        % {"node": convener or "?"})


async def _invalid(request: Request, form_name: str, comment_id: str, reason: str,
                   errors: dict[str, str]) -> Response:
    """The thread again (400), the comment's form with what was typed and why not."""
    request.state.form_context = {"form": form_name, "errors": errors,
                                  "values": {"comment_id": comment_id, "reason": reason}}
    response = await pages.proposal(request)
    response.status_code = 400
    return response


async def _moderate(request: Request, form: FormData, kind: str) -> Response:
    proposal, convener, comment = await _found(request)
    user = require_user(request)
    _require_moderator(user, convener)
    reason, error = _reason(form)
    form_name = "hide" if kind == PROPOSAL_COMMENT_HIDDEN else "restore"
    if error is not None:
        return await _invalid(request, form_name, comment.comment_id, reason, {"reason": error})
    engine = request.app.state.engine
    before = await asyncio.to_thread(version_of, engine, Proposal, proposal.id)
    url = str(request.url_for("proposal", id=proposal.id))
    response = await publish_and_show(
        request, user, [(kind, proposal.id, {"comment_id": comment.comment_id,
                                             "reason": reason})],
        rerender=lambda fields: _invalid(request, form_name, comment.comment_id, reason, fields),
        shown=(Proposal, proposal.id, before), url=url, anchor=f"#comment-{comment.comment_id}",
        as_node=acting_node(user, convener))
    if kind == PROPOSAL_COMMENT_HIDDEN and response.status_code == 303 \
            and await asyncio.to_thread(_hidden, engine, proposal.id, comment.comment_id):
        # (the worker may still have refused it: the flags wait until it is hidden)
        await asyncio.to_thread(flags.settle, engine, proposal.id, comment.comment_id,
                                flags.HIDDEN, user.username)
    return response


def _hidden(engine: Any, proposal_id: str, comment_id: str) -> bool:
    """Whether the read model shows the comment hidden."""
    with Session(engine) as session:
        mark = session.get(CommentModeration, (proposal_id, comment_id))
    return mark is not None and bool(mark.hidden)


@form_post
async def hide(request: Request, form: FormData) -> Response:
    return await _moderate(request, form, PROPOSAL_COMMENT_HIDDEN)


@form_post
async def restore(request: Request, form: FormData) -> Response:
    return await _moderate(request, form, PROPOSAL_COMMENT_RESTORED)


@form_post
async def flag(request: Request, form: FormData) -> Response:
    proposal, _convener, comment = await _found(request)
    user = require_user(request)
    reason, error = _reason(form)
    if error is not None:
        return await _invalid(request, "flag", comment.comment_id, reason, {"reason": error})
    await asyncio.to_thread(flags.flag, request.app.state.engine, proposal.id,
                            comment.comment_id, user.username, reason)
    url = str(request.url_for("proposal", id=proposal.id))
    return see_other(f"{url}?flagged={comment.comment_id}#comment-{comment.comment_id}")


def moderated_threads(engine: Engine, user: CurrentUser) -> list[str] | None:
    """The proposals whose comments ``user`` moderates (None: all, for an admin)."""
    if user.is_admin:
        return None
    with Session(engine) as session:
        return list(session.exec(
            select(Proposal.id).join(Forum, col(Forum.id) == col(Proposal.forum_id))
            .where(Forum.node_id == user.node_id)).all())


def flagged_comments(engine: Engine, user: CurrentUser) -> list[dict[str, Any]]:
    """The moderators' list: each flagged comment with its thread, author and excerpt."""
    found = flags.open_flags(engine, moderated_threads(engine, user))
    items = []
    with Session(engine) as session:
        for f in found:
            proposal = session.get(Proposal, f.proposal_id)
            comment = session.get(ProposalComment, (f.proposal_id, f.comment_id))
            mark = session.get(CommentModeration, (f.proposal_id, f.comment_id))
            if proposal is None or comment is None:
                continue
            hidden = mark is not None and mark.hidden
            body = "" if hidden else comment.body
            items.append({"flag": f, "proposal": proposal, "comment": comment,
                          "hidden": hidden,
                          "excerpt": body[:EXCERPT] + ("…" if len(body) > EXCERPT else "")})
    return items


async def moderation(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        raise Forbidden(_("Sign in first: only people with an account may do this."))
    if not user.can_coordinate:
        raise Forbidden(_("Only the coordinators of the node that convened a forum and the "
                          "service's admins moderate its threads."))
    items = await asyncio.to_thread(flagged_comments, request.app.state.engine, user)
    return templates.TemplateResponse(request, "moderation.html", {"items": items})


@form_post
async def dismiss(request: Request, form: FormData) -> Response:
    proposal_id, comment_id = text(form, "proposal_id"), text(form, "comment_id")
    user = require_user(request)
    engine = request.app.state.engine
    found = await asyncio.to_thread(_thread, engine, proposal_id, comment_id)
    if found is None:
        raise HTTPException(404)
    _require_moderator(user, found[1])
    await asyncio.to_thread(flags.settle, engine, proposal_id, comment_id, flags.DISMISSED,
                            user.username)
    return see_other(str(request.url_for("moderation")))


routes = [
    Route("/proposals/{id}/comments/{comment}/hide", hide, methods=["POST"],
          name="hide_comment"),
    Route("/proposals/{id}/comments/{comment}/restore", restore, methods=["POST"],
          name="restore_comment"),
    Route("/proposals/{id}/comments/{comment}/flag", flag, methods=["POST"],
          name="flag_comment"),
    Route("/moderation", moderation, name="moderation"),
    Route("/moderation/dismiss", dismiss, methods=["POST"], name="dismiss_flags"),
]
