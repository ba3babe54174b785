"""Programs and their impact: the list of programs with their progress, one program's
page (indicators drawn against baseline and target, figures by area, the proposals and
commitments serving it, one timeline) and its printable PDF report.

The page and the report are one view (``program_view``) rendered by two templates.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.domain import programs as rules
from web.i18n import today
from web.pages import charts
from web.pages.browse import kept_for_visitors
from web.queries import board as board_data
from web.queries import programs as queries
from web.templating import templates

TIMELINE = 40  # entries on a program's timeline


@dataclass
class IndicatorView:
    definition: dict[str, Any]
    chart: charts.Chart
    points: list[dict[str, Any]]
    #: the latest period reported by area and its bars (None: no report names an area)
    area_period: str | None = None
    areas: list[charts.AreaBar] = field(default_factory=list)

    @property
    def latest(self) -> dict[str, Any] | None:
        latest: dict[str, Any] | None = self.definition.get("latest")
        return latest

    @property
    def progress(self) -> float | None:
        progress: float | None = self.definition.get("progress")
        return progress

    @property
    def share(self) -> float:
        return charts.bar_share(self.progress)

    @property
    def baseline(self) -> float | None:
        baseline: float | None = self.definition.get("baseline")
        return baseline


@dataclass
class ProgramView:
    program: Any  # services.readmodel.tables.Program
    indicators: list[IndicatorView]
    proposals: list[dict[str, Any]]
    proposal_counts: dict[str, int]
    commitments: list[board_data.Commitment]
    scorecard: list[board_data.Score]
    timeline: list[dict[str, Any]]
    names: dict[str, str]
    period: tuple[str | None, str | None]

    @property
    def open_commitments(self) -> int:
        return sum(c.status not in ("done", "cancelled") for c in self.commitments)


def _indicator(definition: dict[str, Any], reports: list[dict[str, Any]]) -> IndicatorView:
    points = rules.progress_series(definition, reports)
    view = IndicatorView(definition, charts.indicator_chart(definition, points), points)
    with_areas = [p for p in points if p["by_area"]]
    if with_areas:
        view.area_period = with_areas[-1]["period"]
        view.areas = charts.area_bars(with_areas[-1]["by_area"])
    return view


def _timeline(program: Any, reports: list[dict[str, Any]], proposals: list[dict[str, Any]],
              commitments: list[board_data.Commitment]) -> list[dict[str, Any]]:
    """What happened in the program, newest first: its definitions, indicator reports,
    proposals submitted and commitments completed."""
    names = {i["id"]: i["name"] for i in program.indicators}
    entries: list[dict[str, Any]] = [
        {"at": d["at"], "kind": "defined" if n == 0 else "redefined", "node_id": d["node_id"]}
        for n, d in enumerate(program.definitions or [])]
    entries += [{"at": r["reported_at"], "kind": "reported", "node_id": r["node_id"],
                 "indicator": names.get(r["indicator"], r["indicator"]), "period": r["period"],
                 "area": r["area"] or None, "value": r["value"], "unit": r["unit"]}
                for r in reports]
    entries += [{"at": p["submitted_at"], "kind": "proposal", "node_id": p["node_id"],
                 "id": p["id"], "title": p["title"]} for p in proposals]
    entries += [{"at": c.completed_at, "kind": "done", "node_id": c.owner_node_id, "id": c.id,
                 "title": c.title} for c in commitments if c.status == "done" and c.completed_at]
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries[:TIMELINE]


def program_view(engine: Engine, program_id: str, on: dt.date, tz: str) -> ProgramView | None:
    program = queries.program_row(engine, program_id)
    if program is None:
        return None
    reports = queries.reports(engine, program_id)
    proposals = queries.proposals(engine, program_id)
    commitments = queries.commitments(engine, program_id, on)
    nodes = {program.lead_node_id, *(program.partner_node_ids or ()),
             *(p["node_id"] for p in proposals), *(c.owner_node_id for c in commitments),
             *(r["node_id"] for r in reports)}
    return ProgramView(
        program=program,
        indicators=[_indicator(i, reports) for i in program.indicators],
        proposals=proposals,
        proposal_counts=dict(Counter(p["status"] for p in proposals)),
        commitments=commitments,
        scorecard=board_data.scorecard(commitments, tz),
        timeline=_timeline(program, reports, proposals, commitments),
        names=board_data.names_of(engine, nodes),
        period=(program.starts_on, program.ends_on))


def _cards(engine: Engine) -> tuple[list[dict[str, Any]], dict[str, str]]:
    items, _ = queries.list_programs(engine, limit=1000)
    for item in items:
        for indicator in item["indicators"]:
            indicator["share"] = charts.bar_share(indicator.get("progress"))
        periods = [i["latest"]["period"] for i in item["indicators"] if i.get("latest")]
        item["latest_period"] = max(periods, key=rules.period_order) if periods else None
    nodes = {i["lead_node_id"] for i in items} | {n for i in items for n in i["partner_node_ids"]}
    return items, board_data.names_of(engine, nodes)


@kept_for_visitors
async def program_list(request: Request) -> Response:
    items, names = await asyncio.to_thread(_cards, request.app.state.engine)
    return templates.TemplateResponse(request, "programs.html",
                                      {"programs": items, "names": names})


async def _view(request: Request) -> ProgramView:
    view = await asyncio.to_thread(program_view, request.app.state.engine,
                                   request.path_params["id"], today(request),
                                   request.app.state.settings.timezone)
    if view is None:
        raise HTTPException(404)
    return view


@kept_for_visitors
async def program_page(request: Request) -> Response:
    view = await _view(request)
    return templates.TemplateResponse(request, "program.html", {"view": view})




# ---- the impact report, as PDF -------------------------------------------------------

#: PDFs laid out at once: each takes a core for a fraction of a second
_LAYOUTS = asyncio.Semaphore(2)
REPORT_CSS = Path(__file__).resolve().parent.parent / "templates" / "report.css"


def pdf_of(html: str) -> bytes:
    """The report's PDF. It is one self-contained document: a URL in it (none is put there,
    but a person's text is in it) is never fetched by the server."""
    import weasyprint  # Pango is loaded on the first report, not at every start-up
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"the report fetches nothing: {url[:100]}")

    css = weasyprint.CSS(string=REPORT_CSS.read_text(encoding="utf-8"))
    document = weasyprint.HTML(string=html, url_fetcher=NoFetching())
    pdf: bytes = document.write_pdf(stylesheets=[css])
    return pdf


async def program_report(request: Request) -> Response:
    """A printable impact report of the program, in the language of the request: what an
    agency hands to Bappeda or a donor."""
    view = await _view(request)
    page = templates.TemplateResponse(request, "program_report.html",
                                      {"view": view, "on": today(request)})
    async with _LAYOUTS:
        pdf = await asyncio.to_thread(pdf_of, bytes(page.body).decode())
    name = f"laporan-{view.program.id}.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


routes = [
    Route("/programs", program_list, name="programs"),
    Route("/programs/{id}", program_page, name="program"),
    Route("/programs/{id}/report.pdf", program_report, name="program_report"),
]
