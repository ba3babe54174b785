"""The read-only pages: forums, threads, meetings, the commitments board, nodes.

Each handler parses the query, reads the read model in a thread and renders a
template; all of them work without JavaScript.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import time
from collections.abc import Awaitable, Callable
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


def _visitor(request: Request) -> bool:
    """Whether this request gets the page every visitor shares (and may keep it)."""
    return (request.method in ("GET", "HEAD") and current_user(request) is None
            and bool(request.app.state.render_cache.max_bytes))


def _shared_cache_control(request: Request) -> str:
    return render_cache.shared(request.app.state.settings.shared_cache_s)


def _held(request: Request, generation: str | None, minute: int | None, key: str) -> None:
    """Remember that this address was answered with the entry ``key`` at ``generation``,
    for ``web.render_cache.VisitorLane`` (nothing, when the database cannot tell a generation)."""
    if generation is None:
        return
    request.app.state.render_cache.remember(
        render_cache.address(request.scope, i18n.current.get()),
        render_cache.Held(generation, minute, today(request),
                          getattr(request.app.state, "kafka_available", True), key,
                          request.scope.get("route")))


def _keep(request: Request, key: str, response: Response) -> render_cache.Rendered | None:
    """Keep the page for every visitor, unless rendering it made a form token (a form
    shown to visitors by mistake): that token is this browser's alone."""
    token = getattr(request.state, "csrf_token", None)
    if getattr(token, "issued", False):
        return None
    rendered = render_cache.Rendered.of(bytes(response.body), key,
                                        response.template,  # type: ignore[attr-defined]
                                        response.context)  # type: ignore[attr-defined]
    request.app.state.render_cache.put(key, rendered)
    return rendered


def _shared_answer(request: Request, rendered: render_cache.Rendered) -> Response:
    return render_cache.KeptPage(rendered, _shared_cache_control(request))


def _not_modified_for_visitors(request: Request, key: str) -> Response | None:
    """304 when a visitor holds the page ``key`` names, before it is found or rendered."""
    validators = Validators(key, vary=("Cookie", "Accept-Language"))
    if (tag := conditional.fresh_tag(request, validators)) is None:
        return None
    return conditional.not_modified(validators, tag, _shared_cache_control(request))


def kept_for_visitors(handler: Callable[[Request], Awaitable[Response]]
                      ) -> Callable[[Request], Awaitable[Response]]:
    """Keep what ``handler`` renders for visitors who are not signed in while nothing is
    committed to the read model (its generation, ``services.readmodel.db.generation``),
    within the minute (pages that list what is upcoming read the clock). Every visitor
    gets the same kept bytes, with the key as their ETag; a signed-in person's page is
    rendered for them and never kept."""

    @functools.wraps(handler)
    async def page(request: Request) -> Response:
        if not _visitor(request):
            return await handler(request)
        engine = request.app.state.engine
        generation = await lookup(engine, db_generation, engine)
        if generation is None:
            return await handler(request)
        minute = int(time.time() // 60)
        key = shared_key(request, generation, minute)
        assert key is not None
        if (answer := _not_modified_for_visitors(request, key)) is not None:
            return answer
        cache: render_cache.RenderCache = request.app.state.render_cache
        if (kept := cache.get(key)) is None:
            response = await handler(request)
            if response.status_code != 200 or getattr(response, "template", None) is None:
                return response
            kept = _keep(request, key, response)
            if kept is None:
                return response
        _held(request, generation, minute, key)
        return _shared_answer(request, kept)

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


#: a signed-in person's page holds their name, forms and CSRF token: only their own
#: browser may keep it, and it asks again each time (a 304 costs an index read)
PRIVATE_REVALIDATE = "private, no-cache"


def page_validators(request: Request, *parts: Any) -> Validators:
    """A signed-in person's page's validators: the rows it shows (``parts``, as versions)
    and everything else it depends on: the URL, the language, the city's date, whether
    Kafka is reachable (read-only pages), the code that renders it, and the viewer: their
    account and this browser's CSRF token, which the page carries. So a tag is never one
    another person's (or another browser's) request matches. (A visitor's page is the
    one all visitors share: its tag is its ``shared_key``.)"""
    user = current_user(request)
    # (with their unread count, which the header shows)
    viewer = (user.username, user.node_id, user.role,
              getattr(request.state, "unread", 0)) if user else None
    token = getattr(request.state, "csrf_token", "") if user else ""
    etag = conditional.digest(
        conditional.SITE_RENDERING, str(request.url), i18n.current.get(), today(request),
        getattr(request.app.state, "kafka_available", True), viewer, str(token), *parts)
    return Validators(etag, vary=("Cookie", "Accept-Language"))


def shared_key(request: Request, *parts: Any) -> str | None:
    """The render cache's key for a page as anyone not signed in sees it, and its strong
    ETag: what the page shows (``parts``, as versions) and all else it depends on but a
    viewer (there is none); None when the page is someone's own (signed in) or not a
    plain GET."""
    if request.method not in ("GET", "HEAD") or current_user(request) is not None:
        return None
    return conditional.digest(
        "visitor", conditional.SITE_RENDERING, str(request.url), i18n.current.get(),
        today(request), getattr(request.app.state, "kafka_available", True), *parts)


async def proposal(request: Request) -> Response:
    engine = request.app.state.engine
    proposal_id = request.path_params["id"]
    form_context = getattr(request.state, "form_context", None)
    visitor = _visitor(request) and form_context is None
    # read before what it guards (the versions, then the page): a write in between makes
    # the next request look again, never holds an older page as current
    generation = await lookup(engine, db_generation, engine) if visitor else None
    # read before the page's own queries: the page is never older than its tag (at worst a
    # change in between costs the client one more 200, never a stale 304)
    versions = await lookup(engine, thread_data.thread_versions, engine, proposal_id)
    key = shared_key(request, versions) if visitor and versions is not None else None
    validators: Validators | None = None
    follows = False
    if key is not None:
        if (answer := _not_modified_for_visitors(request, key)) is not None:
            return answer
        if (kept := request.app.state.render_cache.get(key)) is not None:
            _held(request, generation, None, key)
            return _shared_answer(request, kept)
    elif versions is not None:
        follows = await following(request, "proposal", proposal_id)
        validators = page_validators(request, versions, follows)
        if tag := conditional.fresh_tag(request, validators):
            return conditional.not_modified(validators, tag, PRIVATE_REVALIDATE)
    elif current_user(request) is not None:  # (a thread that appeared since its versions)
        follows = await following(request, "proposal", proposal_id)
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
             "form": None, "errors": {}, "values": {},
             "following": follows}
    response = templates.TemplateResponse(request, "proposal.html", data | (form_context or {}))
    if key is not None:
        if data["pending"]:  # ("sent, it will appear in a moment": not kept)
            return conditional.stamped(response, Validators(key), PRIVATE_REVALIDATE)
        kept = _keep(request, key, response)
        if kept is None:
            return response
        _held(request, generation, None, key)
        return _shared_answer(request, kept)
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
