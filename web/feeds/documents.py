"""Documents for feed readers, calendar apps and spreadsheets: Atom, iCalendar, open data.

They read the read model (what a proposal or commitment *is* now), unlike the
event feed, which reads the log (what happened).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import orjson
from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.feeds.documents import atom, calendar, opendata
from services.readmodel.db import generation as db_generation
from services.readmodel.db import lookup, snapshot
from services.readmodel.tables import ActionItem, Indicator, Node, Program, Proposal
from web import conditional, i18n
from web.conditional import Validators, digest, stamped
from web.feeds import polls
from web.i18n import gettext as _
from web.problems import problem
from web.queries import feeds as fq
from web.queries import records as queries
from web.queries.board import names_of, status_words

_V = TypeVar("_V")

ATOM_ENTRIES = 50
ATOM_TYPE = "application/atom+xml; charset=utf-8"


EPOCH = "1970-01-01T00:00:00Z"
ICS_MEETINGS = 2000


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
    # an empty feed says the epoch, not "now": the same rows give the same bytes (ETag)
    body = atom.document(key, title, str(request.url), _page(request, alternate), entries,
                         EPOCH)
    return Response(body, media_type=ATOM_TYPE)


def _shown(rows: list[dict[str, Any]]) -> fq.Versions:
    """What names the rows a response shows, as ``feed_queries.versions`` gives it."""
    return [(r["id"], r["version"], r["updated_at"]) for r in rows]


#: the code and translations that render the documents: the site's, and the Atom writer's
RENDERING = conditional.SITE_RENDERING + conditional.rendering(Path(atom.__file__).resolve().parent)


def _validators(request: Request, *parts: Any, shown: list[fq.Versions],
                today: dt.date | None = None, language: bool = False) -> Validators:
    """The response's validators: the URL, the rows it shows (``shown``) and whatever else
    it depends on (``parts``, the city's date, the language, the rendering code)."""
    vary: tuple[str, ...] = ()
    if language and request.query_params.get("lang") not in i18n.LOCALES:
        vary = ("Accept-Language", "Cookie")  # the language came from these
    locale = i18n.current.get() if language else None
    url = str(request.url)
    etag = digest(RENDERING, url, locale, today, shown, *parts)
    seen_as = f"{url} {locale}"
    return Validators(etag, conditional.SIGHTINGS.last_modified(seen_as, etag), vary, seen_as)


async def _conditional(request: Request, stamp: Callable[[Session], Validators | None],
                       render: Callable[[], Awaitable[Response]]) -> Response:
    """304 when the client holds what ``stamp`` names; else the response ``render`` makes
    (``None`` from ``stamp``: not found). The stamp's index reads run in one snapshot in a
    thread, unless nothing was committed to the read model since they last ran for the
    same document (URL, language, the city's date): then their validators are reused."""
    engine = request.app.state.engine
    if request.method in ("GET", "HEAD") and (
            "if-none-match" in request.headers or "if-modified-since" in request.headers):
        # read before the stamp: a commit in between makes the next poll recompute
        generation = await lookup(engine, db_generation, engine)
        key = (str(request.url), i18n.current.get(), i18n.today(request))
        found, validators = polls.KEPT.get(key, generation)
        if found:
            validators = validators.refreshed() if validators is not None else None
        else:
            validators = await asyncio.to_thread(_stamp, engine, stamp)
            polls.KEPT.put(key, generation, validators)
        if validators is not None:
            polls.remember(request.scope, key)
            if tag := conditional.fresh_tag(request, validators):
                return conditional.not_modified(validators, tag)
    return await render()


def _nodes(session: Session) -> tuple[int, int, str | None]:
    """What names the nodes' names, which feeds show for owners and organisers."""
    return queries.table_version(session, Node)


def _stamp(engine: Any, make: Callable[[Session], _V]) -> _V:
    """The validators, from one read snapshot (a session for all the stamp's queries)."""
    with snapshot(engine) as session:
        return make(session)


async def proposals_atom(request: Request) -> Response:
    q = _params(request, "forum", "node", "status", "subject")
    engine = request.app.state.engine

    def stamp(session: Session) -> Validators:
        return _validators(request, shown=[fq.versions(session, "proposals",
                                                       limit=ATOM_ENTRIES, **q)])

    async def render() -> Response:
        rows = await asyncio.to_thread(fq.proposals, engine, limit=ATOM_ENTRIES, **q)
        response = _atom(request, "feeds/proposals", "Gotong: usulan (proposals)", "/",
                         [_proposal_entry(request, p) for p in rows])
        return stamped(response, _validators(request, shown=[_shown(rows)]))

    return await _conditional(request, stamp, render)


async def commitments_atom(request: Request) -> Response:
    _feed_language(request)
    q = _params(request, "owner", "node", "status", "forum", "subject")
    engine = request.app.state.engine
    today = i18n.today(request)

    def stamp(session: Session) -> Validators:
        return _validators(request, _nodes(session), today=today, language=True,
                           shown=[fq.versions(session, "commitments", limit=ATOM_ENTRIES, **q)])

    async def render() -> Response:
        def load() -> tuple[list[dict[str, Any]], dict[str, str], tuple[int, int, str | None]]:
            with snapshot(engine) as session:
                nodes = _nodes(session)
            rows = fq.commitments(engine, today, limit=ATOM_ENTRIES, **q)
            return rows, names_of(engine, (c["owner_node_id"] for c in rows)), nodes

        rows, names, nodes = await asyncio.to_thread(load)
        response = _atom(request, "feeds/commitments", "Gotong: komitmen (commitments)",
                         "/commitments", [_commitment_entry(request, c, names) for c in rows])
        return stamped(response, _validators(request, nodes, today=today, language=True,
                                             shown=[_shown(rows)]))

    return await _conditional(request, stamp, render)


async def _owner_atom(request: Request, kind: str) -> Response:
    """The Atom feed of a forum or a node: its proposals, meetings and commitments."""
    owner_id = request.path_params["id"]
    engine = request.app.state.engine
    _feed_language(request)
    today = i18n.today(request)
    by = {"forum": owner_id} if kind == "forum" else {"node": owner_id}
    find = fq.forum if kind == "forum" else fq.node

    def stamp(session: Session) -> Validators | None:
        found = queries.owner_version(session, kind, owner_id)
        if found is None:
            return None
        version, updated_at = found
        shown = [fq.versions(session, listed, limit=ATOM_ENTRIES, **by)
                 for listed in ("proposals", "meetings", "commitments")]
        return _validators(request, version, updated_at, _nodes(session), today=today,
                           language=True, shown=shown)

    async def render() -> Response:
        def load() -> tuple[Any, ...]:
            with snapshot(engine) as session:
                nodes = _nodes(session)
            meetings = fq.meetings(engine, limit=ATOM_ENTRIES, **by)
            items = fq.commitments(engine, today, limit=ATOM_ENTRIES, **by)
            names = names_of(engine, [*(m["node_id"] for m in meetings),
                                      *(c["owner_node_id"] for c in items)])
            return (find(engine, owner_id), fq.proposals(engine, limit=ATOM_ENTRIES, **by),
                    meetings, items, names, nodes)

        found, proposals, meetings, items, names, nodes = await asyncio.to_thread(load)
        if found is None:
            return problem(404, "not-found", f"No such {kind}", f"no {kind} {owner_id!r}")
        title = found.title if kind == "forum" else found.name
        response = _atom(request, f"feeds/{kind}s/{owner_id}", f"Gotong: {title}",
                         f"/{kind}s/{owner_id}",
                         [_proposal_entry(request, p) for p in proposals]
                         + [_meeting_entry(request, m, names) for m in meetings]
                         + [_commitment_entry(request, c, names) for c in items])
        return stamped(response, _validators(
            request, found.version, found.updated_at, nodes, today=today, language=True,
            shown=[_shown(proposals), _shown(meetings), _shown(items)]))

    return await _conditional(request, stamp, render)


def _report_entry(request: Request, program: Any, report: dict[str, Any],
                  names: dict[str, str]) -> atom.Entry:
    indicators = {i["id"]: i["name"] for i in program.indicators}
    value = i18n.format_number(report["value"]) + (f" {report['unit']}" if report["unit"] else "")
    area = f" ({report['area']})" if report["area"] else ""
    title = f"{indicators.get(report['indicator'], report['indicator'])}, {report['period']}" \
            f"{area}: {value}"
    where = quote(f"{report['indicator']}/{report['period']}/{report['area']}", safe="/")
    anchor = f"/programs/{program.id}#indicator-{report['indicator']}"
    return atom.Entry(key=f"indicator/{program.id}/{where}", title=title,
                      updated=report["reported_at"], link=_page(request, anchor),
                      author=names.get(report["node_id"], report["node_id"]),
                      summary=report.get("note") or title, categories=("indicator",))


async def program_atom(request: Request) -> Response:
    """A program's feed: its indicator reports, and the proposals and commitments serving it."""
    program_id = request.path_params["id"]
    engine = request.app.state.engine
    _feed_language(request)
    today = i18n.today(request)
    by = {"program": program_id}

    def stamp(session: Session) -> Validators | None:
        found = session.execute(select(Program.version, Program.updated_at)
                                .where(Program.id == program_id)).first()
        if found is None:
            return None
        shown = [fq.versions(session, listed, limit=ATOM_ENTRIES, **by)
                 for listed in ("proposals", "commitments")]
        return _validators(request, *found, _nodes(session), today=today, language=True,
                           shown=shown)

    async def render() -> Response:
        def load() -> tuple[Any, ...]:
            with snapshot(engine) as session:
                nodes = _nodes(session)
                program = session.get(Program, program_id)
            reports = fq.indicators(engine, program_id)
            items = fq.commitments(engine, today, limit=ATOM_ENTRIES, **by)
            names = names_of(engine, [*(r["node_id"] for r in reports),
                                      *(c["owner_node_id"] for c in items)])
            return (program, reports, fq.proposals(engine, limit=ATOM_ENTRIES, **by), items,
                    names, nodes)

        program, reports, proposals, items, names, nodes = await asyncio.to_thread(load)
        if program is None:
            return problem(404, "not-found", "No such program", f"no program {program_id!r}")
        response = _atom(request, f"feeds/programs/{program_id}", f"Gotong: {program.name}",
                         f"/programs/{program_id}",
                         [_report_entry(request, program, r, names) for r in reports]
                         + [_proposal_entry(request, p) for p in proposals]
                         + [_commitment_entry(request, c, names) for c in items])
        return stamped(response, _validators(
            request, program.version, program.updated_at, nodes, today=today, language=True,
            shown=[_shown(proposals), _shown(items)]))

    return await _conditional(request, stamp, render)


async def forum_atom(request: Request) -> Response:
    return await _owner_atom(request, "forum")


async def node_atom(request: Request) -> Response:
    return await _owner_atom(request, "node")


def _ics(request: Request, name: str, meetings: list[dict[str, Any]], *parts: Any) -> Response:
    body = calendar.calendar(name, meetings,
                             lambda m: _page(request, f"/meetings/{m['id']}"))
    response = Response(body, media_type="text/calendar; charset=utf-8")
    return stamped(response, _validators(request, *parts, shown=[_shown(meetings)]))


async def meetings_ics(request: Request) -> Response:
    engine = request.app.state.engine

    def stamp(session: Session) -> Validators:
        return _validators(request, shown=[fq.versions(session, "meetings", limit=ICS_MEETINGS)])

    async def render() -> Response:
        rows = await asyncio.to_thread(fq.meetings, engine, limit=ICS_MEETINGS)
        return _ics(request, "Gotong: rapat (meetings)", rows)

    return await _conditional(request, stamp, render)


async def forum_ics(request: Request) -> Response:
    forum_id = request.path_params["id"]
    engine = request.app.state.engine

    def stamp(session: Session) -> Validators | None:
        found = queries.owner_version(session, "forum", forum_id)
        if found is None:
            return None
        version, updated_at = found
        return _validators(request, version, updated_at, shown=[
            fq.versions(session, "meetings", forum=forum_id, limit=ICS_MEETINGS)])

    async def render() -> Response:
        def load() -> tuple[Any, list[dict[str, Any]]]:
            return (fq.forum(engine, forum_id),
                    fq.meetings(engine, forum=forum_id, limit=ICS_MEETINGS))

        found, rows = await asyncio.to_thread(load)
        if found is None:
            return problem(404, "not-found", "No such forum", f"no forum {forum_id!r}")
        return _ics(request, f"Gotong: {found.title}", rows, found.version, found.updated_at)

    return await _conditional(request, stamp, render)


async def meeting_ics(request: Request) -> Response:
    """One meeting, for "add to calendar"."""
    meeting_id = request.path_params["id"]
    engine = request.app.state.engine

    def stamp(session: Session) -> Validators | None:
        shown = fq.versions(session, "meetings", subject=meeting_id, limit=1)
        return _validators(request, shown=[shown]) if shown else None  # else: 404

    async def render() -> Response:
        rows = await asyncio.to_thread(fq.meetings, engine, subject=meeting_id, limit=1)
        if not rows:
            return problem(404, "not-found", "No such meeting", f"no meeting {meeting_id!r}")
        response = _ics(request, f"Gotong: {rows[0]['title']}", rows)
        response.headers["Content-Disposition"] = 'attachment; filename="rapat.ics"'
        return response

    return await _conditional(request, stamp, render)


def _dataset(request: Request, today: dt.date
             ) -> tuple[Any, Callable[[], list[dict[str, Any]]]] | None:
    """The table of a dataset (its whole content: what names it) and how to read it."""
    engine = request.app.state.engine
    program = request.query_params.get("program") or None  # the program's figures only
    return {"proposals": (Proposal, lambda: fq.proposals(engine)),
            "commitments": (ActionItem, lambda: fq.commitments(engine, today)),
            "indicators": (Indicator, lambda: fq.indicators(engine, program)),
            "programs": (Program, lambda: fq.program_indicators(engine, program)),
            }.get(request.path_params["dataset"])


async def open_data(request: Request) -> Response:
    name, fmt = request.path_params["dataset"], request.path_params["format"]
    day = i18n.today(request)  # once: the tag and the rows must agree on it
    dataset = _dataset(request, day)
    if dataset is None or fmt not in ("csv", "json"):
        return problem(404, "not-found", "No such dataset",
                       f"datasets: {', '.join(opendata.COLUMNS)}; formats: csv, json")
    engine = request.app.state.engine
    table, load = dataset
    # the whole table is the dataset; the commitments' "overdue" column follows the date
    today = day if name == "commitments" else None

    def stamp(session: Session) -> Validators:
        return _validators(request, queries.table_version(session, table), today=today, shown=[])

    async def render() -> Response:
        validators, rows = await asyncio.to_thread(lambda: (_stamp(engine, stamp), load()))
        columns = opendata.COLUMNS[name]
        disposition = {"Content-Disposition": f'attachment; filename="gotong-{name}.{fmt}"'}
        if fmt == "csv":
            response = Response(opendata.to_csv(rows, columns),
                                media_type="text/csv; charset=utf-8", headers=disposition)
        else:
            response = Response(orjson.dumps({"items": opendata.flat(rows, columns)}),
                                media_type="application/json", headers=disposition)
        return stamped(response, validators)

    return await _conditional(request, stamp, render)


routes = [
    Route("/feeds/proposals.atom", proposals_atom, name="atom_proposals"),
    Route("/feeds/commitments.atom", commitments_atom, name="atom_commitments"),
    Route("/feeds/forums/{id}.atom", forum_atom, name="atom_forum"),
    Route("/feeds/nodes/{id}.atom", node_atom, name="atom_node"),
    Route("/feeds/programs/{id}.atom", program_atom, name="atom_program"),
    Route("/feeds/meetings.ics", meetings_ics, name="ics_meetings"),
    Route("/feeds/forums/{id}/meetings.ics", forum_ics, name="ics_forum"),
    Route("/feeds/meetings/{id}.ics", meeting_ics, name="ics_meeting"),
    Route("/data/{dataset}.{format}", open_data, name="open_data"),
]
