"""Documents for feed readers, calendar apps and spreadsheets: Atom, iCalendar, open data.

They read the read model (what a proposal or commitment *is* now), unlike the
event feed, which reads the log (what happened).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.feed import atom, calendar, opendata
from web import feed_queries as fq
from web import i18n
from web.board_data import node_names, status_words
from web.i18n import gettext as _
from web.problems import problem

ATOM_ENTRIES = 50
ATOM_TYPE = "application/atom+xml; charset=utf-8"


def _today(request: Request) -> dt.date:
    return dt.datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _page(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


def _params(request: Request, *names: str) -> dict[str, str | None]:
    return {n: request.query_params.get(n) or None for n in names}


def _proposal_entry(request: Request, p: dict[str, Any]) -> atom.Entry:
    return atom.Entry(key=f"proposal/{p['id']}", title=p["title"], updated=p["updated_at"],
                      published=p["submitted_at"], link=_page(request, f"/proposals/{p['id']}"),
                      author=p["author"], summary=p["body"][:2000],
                      categories=(p["status"], *(p.get("tags") or [])))


def _feed_language(request: Request) -> None:
    """A feed speaks the language its URL asks for (``?lang=en``), else the reader's
    (``Accept-Language``), else Indonesian: feed readers keep no cookie."""
    asked = request.query_params.get("lang")
    if asked in i18n.LOCALES:
        i18n.current.set(asked)


def _commitment_entry(request: Request, c: dict[str, Any], names: dict[str, str]
                      ) -> atom.Entry:
    owner = names.get(c["owner_node_id"], c["owner_node_id"])
    summary = _("%(owner)s, due %(due)s: %(status)s, %(percent)s") % {
        "owner": owner, "due": i18n.format_day(c["due_date"]),
        "status": status_words(c["status"]), "percent": i18n.format_ratio(c["percent"] / 100)}
    if c["overdue"]:
        summary += f" ({_('Overdue')})"
    if c.get("description"):
        summary += f". {c['description']}"
    return atom.Entry(key=f"action-item/{c['id']}", title=c["title"], updated=c["updated_at"],
                      published=c["created_at"], link=_page(request, f"/commitments/{c['id']}"),
                      author=owner, summary=summary,
                      categories=(c["status"],) + (("overdue",) if c["overdue"] else ()))


def _meeting_entry(request: Request, m: dict[str, Any], names: dict[str, str]) -> atom.Entry:
    summary = i18n.format_moment(m["starts_at"]) + (f", {m['location']}" if m.get("location")
                                                    else "")
    if m.get("minutes") and m["minutes"].get("summary"):
        summary += f". {m['minutes']['summary']}"
    return atom.Entry(key=f"meeting/{m['id']}", title=m["title"], updated=m["updated_at"],
                      link=_page(request, f"/meetings/{m['id']}"),
                      author=names.get(m["node_id"], m["node_id"]), summary=summary,
                      categories=("minutes",) if m.get("has_minutes") else ("scheduled",))


def _atom(request: Request, key: str, title: str, alternate: str,
          entries: list[atom.Entry]) -> Response:
    entries = sorted(entries, key=lambda e: e.updated, reverse=True)[:ATOM_ENTRIES]
    body = atom.document(key, title, str(request.url), _page(request, alternate), entries,
                         _now())
    return Response(body, media_type=ATOM_TYPE)


async def proposals_atom(request: Request) -> Response:
    q = _params(request, "forum", "node", "status", "subject")
    rows = await asyncio.to_thread(fq.proposals, request.app.state.engine, limit=ATOM_ENTRIES,
                                   **q)
    return _atom(request, "feeds/proposals", "Gotong: usulan (proposals)", "/",
                 [_proposal_entry(request, p) for p in rows])


async def commitments_atom(request: Request) -> Response:
    _feed_language(request)
    q = _params(request, "owner", "node", "status", "forum", "subject")
    engine = request.app.state.engine
    rows, names = await asyncio.gather(
        asyncio.to_thread(fq.commitments, engine, _today(request), limit=ATOM_ENTRIES, **q),
        asyncio.to_thread(node_names, engine))
    return _atom(request, "feeds/commitments", "Gotong: komitmen (commitments)", "/commitments",
                 [_commitment_entry(request, c, names) for c in rows])


async def forum_atom(request: Request) -> Response:
    forum_id = request.path_params["id"]
    engine = request.app.state.engine
    found = await asyncio.to_thread(fq.forum, engine, forum_id)
    if found is None:
        return problem(404, "not-found", "No such forum", f"no forum {forum_id!r}")
    _feed_language(request)
    proposals, meetings, items, names = await asyncio.gather(
        asyncio.to_thread(fq.proposals, engine, forum=forum_id, limit=ATOM_ENTRIES),
        asyncio.to_thread(fq.meetings, engine, forum=forum_id, limit=ATOM_ENTRIES),
        asyncio.to_thread(fq.commitments, engine, _today(request), forum=forum_id,
                          limit=ATOM_ENTRIES),
        asyncio.to_thread(node_names, engine))
    return _atom(request, f"feeds/forums/{forum_id}", f"Gotong: {found.title}",
                 f"/forums/{forum_id}",
                 [_proposal_entry(request, p) for p in proposals]
                 + [_meeting_entry(request, m, names) for m in meetings]
                 + [_commitment_entry(request, c, names) for c in items])


async def node_atom(request: Request) -> Response:
    node_id = request.path_params["id"]
    engine = request.app.state.engine
    found = await asyncio.to_thread(fq.node, engine, node_id)
    if found is None:
        return problem(404, "not-found", "No such node", f"no node {node_id!r}")
    _feed_language(request)
    proposals, meetings, items, names = await asyncio.gather(
        asyncio.to_thread(fq.proposals, engine, node=node_id, limit=ATOM_ENTRIES),
        asyncio.to_thread(fq.meetings, engine, node=node_id, limit=ATOM_ENTRIES),
        asyncio.to_thread(fq.commitments, engine, _today(request), node=node_id,
                          limit=ATOM_ENTRIES),
        asyncio.to_thread(node_names, engine))
    return _atom(request, f"feeds/nodes/{node_id}", f"Gotong: {found.name}",
                 f"/nodes/{node_id}",
                 [_proposal_entry(request, p) for p in proposals]
                 + [_meeting_entry(request, m, names) for m in meetings]
                 + [_commitment_entry(request, c, names) for c in items])


def _ics(request: Request, name: str, meetings: list[dict[str, Any]]) -> Response:
    body = calendar.calendar(name, meetings,
                             lambda m: _page(request, f"/meetings/{m['id']}"))
    return Response(body, media_type="text/calendar; charset=utf-8")


async def meetings_ics(request: Request) -> Response:
    rows = await asyncio.to_thread(fq.meetings, request.app.state.engine, limit=2000)
    return _ics(request, "Gotong: rapat (meetings)", rows)


async def forum_ics(request: Request) -> Response:
    forum_id = request.path_params["id"]
    engine = request.app.state.engine
    found = await asyncio.to_thread(fq.forum, engine, forum_id)
    if found is None:
        return problem(404, "not-found", "No such forum", f"no forum {forum_id!r}")
    rows = await asyncio.to_thread(fq.meetings, engine, forum=forum_id, limit=2000)
    return _ics(request, f"Gotong: {found.title}", rows)


async def meeting_ics(request: Request) -> Response:
    """One meeting, for "add to calendar"."""
    meeting_id = request.path_params["id"]
    rows = await asyncio.to_thread(fq.meetings, request.app.state.engine, subject=meeting_id,
                                   limit=1)
    if not rows:
        return problem(404, "not-found", "No such meeting", f"no meeting {meeting_id!r}")
    response = _ics(request, f"Gotong: {rows[0]['title']}", rows)
    response.headers["Content-Disposition"] = 'attachment; filename="rapat.ics"'
    return response


def _dataset(request: Request) -> Callable[[], list[dict[str, Any]]] | None:
    engine = request.app.state.engine
    today = _today(request)
    return {"proposals": lambda: fq.proposals(engine),
            "commitments": lambda: fq.commitments(engine, today),
            "indicators": lambda: fq.indicators(engine)}.get(request.path_params["dataset"])


async def open_data(request: Request) -> Response:
    name, fmt = request.path_params["dataset"], request.path_params["format"]
    load = _dataset(request)
    if load is None or fmt not in ("csv", "json"):
        return problem(404, "not-found", "No such dataset",
                       f"datasets: {', '.join(opendata.COLUMNS)}; formats: csv, json")
    rows = await asyncio.to_thread(load)
    columns = opendata.COLUMNS[name]
    disposition = {"Content-Disposition": f'attachment; filename="gotong-{name}.{fmt}"'}
    if fmt == "csv":
        return Response(opendata.to_csv(rows, columns), media_type="text/csv; charset=utf-8",
                        headers=disposition)
    return Response(orjson.dumps({"items": opendata.flat(rows, columns)}),
                    media_type="application/json", headers=disposition)


routes = [
    Route("/feeds/proposals.atom", proposals_atom, name="atom_proposals"),
    Route("/feeds/commitments.atom", commitments_atom, name="atom_commitments"),
    Route("/feeds/forums/{id}.atom", forum_atom, name="atom_forum"),
    Route("/feeds/nodes/{id}.atom", node_atom, name="atom_node"),
    Route("/feeds/meetings.ics", meetings_ics, name="ics_meetings"),
    Route("/feeds/forums/{id}/meetings.ics", forum_ics, name="ics_forum"),
    Route("/feeds/meetings/{id}.ics", meeting_ics, name="ics_meeting"),
    Route("/data/{dataset}.{format}", open_data, name="open_data"),
]
