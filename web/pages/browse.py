"""The read-only pages: forums, threads, meetings, the commitments board, nodes.

Each handler parses the query, reads the read model in a thread and renders a
template; all of them work without JavaScript.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from services.domain import action_items, proposals
from services.identity.accounts import endorsed_by
from services.moderation import flags
from services.moderation.rules import may_moderate, may_withdraw
from services.readmodel.db import generation as db_generation
from services.readmodel.db import lookup
from web import conditional, i18n, render_cache
from web.conditional import Validators
from web.forms import current_user, service_secret
from web.i18n import today
from web.pages.meeting import may_run
from web.pages.notifications import following
from web.queries import board as board_data
from web.queries import programs as program_data
from web.queries import threads as thread_data
from web.templating import templates


def now_utc() -> str:
    """Now, in the read model's timestamp format (so it compares as text)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _choice(value: str | None, allowed: tuple[str, ...] | dict[str, Any]) -> str | None:
    return value if value in allowed else None


async def _read(function: Any, *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(function, *args, **kwargs)


def _with_token(response: Response, token: str) -> Response:
    """A response rendered with the placeholder, given this visitor's token instead."""
    body = getattr(response, "body", b"")
    mark = render_cache.TOKEN_PLACEHOLDER.encode()
    if body and mark in body:
        response.body = body.replace(mark, token.encode())
        response.headers["content-length"] = str(len(response.body))
    return response


@contextmanager
def _placeholder_token(request: Request) -> Iterator[str]:
    """Render with the placeholder where the CSRF token goes; yields the visitor's own."""
    state = request.state
    token: str = state.csrf_token
    state.csrf_token = render_cache.TOKEN_PLACEHOLDER
    try:
        yield token
    finally:
        state.csrf_token = token


def _keep(request: Request, key: str, response: Response, token: str) -> Response:
    """Keep a page rendered with the placeholder; answer with the visitor's token in it."""
    rendered = render_cache.Rendered(bytes(response.body), response.template,  # type: ignore[attr-defined]
                                     response.context)  # type: ignore[attr-defined]
    request.app.state.render_cache.put(key, rendered)
    return render_cache.CachedPage(rendered, token)


def kept_for_visitors(handler: Callable[[Request], Awaitable[Response]]
                      ) -> Callable[[Request], Awaitable[Response]]:
    """Keep what ``handler`` renders for visitors who are not signed in while nothing is
    committed to the read model (its generation, ``services.readmodel.db.generation``),
    within the minute (pages that list what is upcoming read the clock). Each visitor
    gets the kept page with their own CSRF token put in; a signed-in person's page is
    rendered for them and never kept."""

    @functools.wraps(handler)
    async def page(request: Request) -> Response:
        cache: render_cache.RenderCache = request.app.state.render_cache
        if not cache.max_bytes or request.method not in ("GET", "HEAD") \
                or current_user(request) is not None:
            return await handler(request)
        engine = request.app.state.engine
        generation = await lookup(engine, db_generation, engine)
        if generation is None:
            return await handler(request)
        key = shared_key(request, generation, int(time.time() // 60))
        assert key is not None
        if (kept := cache.get(key)) is not None:
            return render_cache.CachedPage(kept, request.state.csrf_token)
        with _placeholder_token(request) as token:
            response = await handler(request)
        if response.status_code != 200 or getattr(response, "template", None) is None:
            return _with_token(response, token)
        return _keep(request, key, response, token)

    return page


@kept_for_visitors
async def home(request: Request) -> Response:
    engine = request.app.state.engine
    q = request.query_params
    filters = {
        "q": (q.get("q") or "").strip()[:200],
        "forum": q.get("forum") or "",
        "status": _choice(q.get("status"), proposals.STATUSES) or "",
        "node": q.get("node") or "",
        "program": q.get("program") or "",
    }
    searching = any(filters.values())
    results = None
    if searching:
        results = await _read(thread_data.search, engine, text=filters["q"] or None,
                              forum=filters["forum"] or None, status=filters["status"] or None,
                              node=filters["node"] or None, program=filters["program"] or None)
    context = {
        "forums": await _read(thread_data.forums, engine),
        "latest": await _read(thread_data.latest_proposals, engine),
        "upcoming": await _read(thread_data.upcoming_meetings, engine, now_utc(), limit=5),
        "node_names": await _read(board_data.node_names, engine),
        "programs": await _read(thread_data.programs, engine),
        "statuses": proposals.STATUSES,
        "filters": filters,
        "results": results,
    }
    return templates.TemplateResponse(request, "home.html", context)


@kept_for_visitors
async def forum(request: Request) -> Response:
    q = request.query_params
    sort = q.get("sort") if q.get("sort") in thread_data.SORTS else "newest"
    status = _choice(q.get("status"), proposals.STATUSES)
    data = await _read(thread_data.forum_page, request.app.state.engine, request.path_params["id"],
                       sort=sort, status=status, now=now_utc(),
                       page=board_data.parse_page(q))
    if data is None:
        raise HTTPException(404)
    data |= {"sort": sort, "status": status, "statuses": proposals.STATUSES,
             "sorts": tuple(thread_data.SORTS),
             "node_names": await _read(board_data.node_names, request.app.state.engine),
             "following": await following(request, "forum", request.path_params["id"])}
    return templates.TemplateResponse(request, "forum.html", data)


#: a page holds the viewer's CSRF token (and, signed in, their name and forms): only
#: their own browser may keep it, and it asks again each time (a 304 costs an index read)
PRIVATE_REVALIDATE = "private, no-cache"


def page_validators(request: Request, *parts: Any) -> Validators:
    """A page's validators: the rows it shows (``parts``, as versions) and everything else
    it depends on: the URL, the language, the city's date, whether Kafka is reachable
    (read-only pages), the code that renders it, and the viewer: their account and this
    browser's CSRF token, which the page carries. So a tag is never one another person's
    (or another browser's) request matches."""
    user = current_user(request)
    # (with their unread count, which the header shows)
    viewer = (user.username, user.node_id, user.role,
              getattr(request.state, "unread", 0)) if user else None
    etag = conditional.digest(
        conditional.SITE_RENDERING, str(request.url), i18n.current.get(), today(request),
        getattr(request.app.state, "kafka_available", True), viewer,
        getattr(request.state, "csrf_token", ""), *parts)
    return Validators(etag, vary=("Cookie", "Accept-Language"))


def shared_key(request: Request, *parts: Any) -> str | None:
    """The render cache's key for a page as anyone not signed in sees it: what its
    validators name but the viewer (none) and the CSRF token (put in per visitor); None
    when the page is someone's own (signed in) or not a plain GET."""
    if request.method not in ("GET", "HEAD") or current_user(request) is not None:
        return None
    return conditional.digest(
        conditional.SITE_RENDERING, str(request.url), i18n.current.get(), today(request),
        getattr(request.app.state, "kafka_available", True), *parts)


def render_shared(request: Request, key: str, template: str, context: dict[str, Any]
                  ) -> Response:
    """Render a page for visitors not signed in once, with a placeholder for the CSRF
    token, keep it under ``key`` and answer with this visitor's token put in."""
    with _placeholder_token(request) as token:
        response = templates.TemplateResponse(request, template, context)
    return _keep(request, key, response, token)


async def proposal(request: Request) -> Response:
    engine = request.app.state.engine
    proposal_id = request.path_params["id"]
    # read before the page's own queries: the page is never older than its tag (at worst a
    # change in between costs the client one more 200, never a stale 304)
    versions = await lookup(engine, thread_data.thread_versions, engine, proposal_id)
    follows = await following(request, "proposal", proposal_id)
    validators = (page_validators(request, versions, follows) if versions is not None
                  else None)
    if validators is not None and (tag := conditional.fresh_tag(request, validators)):
        return conditional.not_modified(validators, tag, PRIVATE_REVALIDATE)
    form_context = getattr(request.state, "form_context", None)
    key = (shared_key(request, versions) if versions is not None and form_context is None
           else None)
    if key is not None and (kept := request.app.state.render_cache.get(key)) is not None:
        assert validators is not None
        return conditional.stamped(render_cache.CachedPage(kept, request.state.csrf_token),
                                   validators, PRIVATE_REVALIDATE)
    data = await _read(thread_data.proposal_page, engine, proposal_id, today(request),
                       board_data.parse_page(request.query_params))
    if data is None:
        if request.query_params.get("pending"):
            return templates.TemplateResponse(request, "pending.html", {"what": "proposal"},
                                              status_code=202)
        raise HTTPException(404)
    user = current_user(request)
    endorsers = (e["endorser"] for e in data["proposal"].endorsers or [])
    forum = data.get("forum")
    data |= {"may_moderate": may_moderate(user, forum.node_id if forum else None),
             "may_withdraw": may_withdraw(user, data["proposal"].node_id),
             "flagged": (await asyncio.to_thread(flags.flagged_by, engine, proposal_id,
                                                 user.username) if user is not None else set())}
    data |= {"pending": request.query_params.get("pending"),
             "endorsed": user is not None and endorsed_by(user, service_secret(request),
                                                          endorsers),
             "form": None, "errors": {}, "values": {}, "following": follows}
    if key is not None and not data["pending"]:
        assert validators is not None
        return conditional.stamped(render_shared(request, key, "proposal.html", data),
                                   validators, PRIVATE_REVALIDATE)
    response = templates.TemplateResponse(request, "proposal.html", data | (form_context or {}))
    if validators is None or form_context is not None or request.method not in ("GET", "HEAD"):
        return response  # (a form shown again with what was typed is never revalidated)
    return conditional.stamped(response, validators, PRIVATE_REVALIDATE)


async def comment_link(request: Request) -> Response:
    """A comment's lasting address: the page of its thread that shows it, at its anchor
    (what search results and notifications link to; a long thread has many pages)."""
    proposal_id, comment_id = request.path_params["id"], request.path_params["comment_id"]
    page = await _read(thread_data.comment_location, request.app.state.engine, proposal_id,
                       comment_id)
    if page is None:
        raise HTTPException(404)
    url = request.url_for("proposal", id=proposal_id).path
    query = f"?page={page}" if page > 1 else ""
    return RedirectResponse(f"{url}{query}#comment-{quote(comment_id, safe='')}", 303)


@kept_for_visitors
async def meeting(request: Request) -> Response:
    engine = request.app.state.engine
    data = await _read(thread_data.meeting_page, engine, request.path_params["id"], today(request))
    if data is None:
        if request.query_params.get("pending"):
            return templates.TemplateResponse(request, "pending.html", {"what": "meeting"},
                                              status_code=202)
        raise HTTPException(404)
    user = current_user(request)
    data |= {"node_names": await _read(board_data.node_names, engine),
             "pending": request.query_params.get("pending"),
             # the minutes and commitments buttons only for those who may use them
             "may_run": user is not None and may_run(user, data["meeting"])}
    return templates.TemplateResponse(request, "meeting.html", data)


@kept_for_visitors
async def commitments(request: Request) -> Response:
    engine = request.app.state.engine
    filters, errors = board_data.parse_filters(request.query_params)
    data = await _read(board_data.board, engine, filters, today(request),
                       request.app.state.settings.timezone,
                       board_data.parse_page(request.query_params))
    context = {"board": data, "filters": filters, "query_args": filters.query(),
               "errors": errors, "statuses": action_items.STATUSES,
               "live_version": data.version}
    return templates.TemplateResponse(request, "commitments.html", context,
                                      status_code=400 if errors else 200)


async def commitments_csv(request: Request) -> Response:
    engine = request.app.state.engine
    filters, errors = board_data.parse_filters(request.query_params)
    if errors:
        return Response("; ".join(f"{k}: {v}" for k, v in errors.items()), status_code=400,
                        media_type="text/plain")
    items = await _read(board_data.board_rows, engine, filters, today(request))
    body = board_data.to_csv(items, await _read(board_data.node_names, engine))
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="komitmen.csv"'})


@kept_for_visitors
async def node(request: Request) -> Response:
    data = await _read(thread_data.node_page, request.app.state.engine, request.path_params["id"],
                       today(request), request.app.state.settings.timezone)
    if data is None:
        raise HTTPException(404)
    data["programs"], _ = await _read(program_data.list_programs, request.app.state.engine,
                                      node=request.path_params["id"])
    data["following"] = await following(request, "node", request.path_params["id"])
    return templates.TemplateResponse(request, "node.html", data)


routes = [
    Route("/", home, name="home"),
    Route("/forums/{id}", forum, name="forum"),
    Route("/proposals/{id}", proposal, name="proposal"),
    Route("/proposals/{id}/comments/{comment_id}", comment_link, name="comment_link"),
    Route("/meetings/{id}", meeting, name="meeting"),
    Route("/commitments", commitments, name="commitments"),
    Route("/commitments.csv", commitments_csv, name="commitments_csv"),
    Route("/nodes/{id}", node, name="node"),
]
