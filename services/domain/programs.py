"""Programs and their impact: a definition (lead, partners, indicators with baselines and
targets) and the indicator reports measured against it.

One aggregate per program (the subject of both event types): a report is judged by the
definition it is measured against, so both live in one state and one topic
(``gotong.indicators``), in one order. A report that comes before its program is held
and judged when the program is defined.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from events.catalog import (
    INDICATOR_REPORTED,
    INDICATOR_REPORTED_V2,
    PROGRAM_DEFINED,
    SERVICE_NODE,
)
from services.domain.base import Event, Refusal, Refusals, State, apply, guarded, node_of, utc

AGGREGATE = "program"
REPORTED = frozenset({INDICATOR_REPORTED, INDICATOR_REPORTED_V2})
DIRECTIONS = ("increase", "decrease")
CITY = ""  # the area of a city-wide report (the read model keys reports by area)


def reporters(state: State) -> list[str]:
    """The nodes that report a program's indicators: its lead, then its partners."""
    lead = state.get("lead_node_id")
    return [lead, *(n for n in state.get("partner_node_ids") or () if n != lead)]


def decide(state: State, event: Event) -> str | None:
    """A program is redefined by its lead node only; its indicators are reported by its
    lead and partner nodes, and only those it defines, for a period that exists."""
    kind, node, program = event["type"], node_of(event), state["id"]
    data = event.get("data") or {}
    lead = state.get("lead_node_id")
    if kind == PROGRAM_DEFINED:
        if node != lead:
            return f"only the lead node of program {program!r} ({lead}) redefines it"
        return definition_problem(data)
    if kind in REPORTED:
        if node not in reporters(state):
            return (f"only the lead and partner nodes of program {program!r} "
                    f"({', '.join(reporters(state))}) report its indicators")
        indicator = data.get("indicator")
        defined = [i["id"] for i in state.get("indicators") or ()]
        if indicator is not None and indicator not in defined:
            return (f"program {program!r} has no indicator {indicator!r} "
                    f"(it measures: {', '.join(defined)})")
        period = data.get("period")
        if period is not None and not is_period(period):
            return f"there is no period {period!r} (a week 53 in a year of 52 weeks?)"
    return None


def founding(event: Event) -> str | None:
    """Why the first definition of a program may not stand, or None: a node defines a
    program it leads (not one it says another node leads), and a consistent one."""
    if event["type"] != PROGRAM_DEFINED:
        return None
    data = event.get("data") or {}
    node = node_of(event)
    if node not in (data.get("lead_node_id"), SERVICE_NODE):
        return (f"a node defines the programs it leads: {node} names "
                f"{data.get('lead_node_id')} as the lead of program {event['subject']!r}")
    return definition_problem(data)


def definition_problem(data: Mapping[str, Any]) -> str | None:
    """What contradicts itself in a definition: an indicator whose direction disagrees
    with its baseline and target, or two indicators with one id."""
    seen: set[str] = set()
    for indicator in data.get("indicators") or ():
        ident, baseline, target = indicator.get("id"), indicator.get("baseline"), \
            indicator.get("target")
        if ident in seen:
            return f"two indicators are named {ident!r}"
        seen.add(ident)
        direction = indicator.get("direction") or DIRECTIONS[0]
        if baseline is None or target is None or baseline == target:
            continue
        if (target > baseline) != (direction == "increase"):
            return (f"indicator {ident!r} is to {direction} but its target ({target}) is "
                    f"{'above' if target > baseline else 'below'} its baseline ({baseline})")
    return None


def _define(state: State, data: Mapping[str, Any], node: str, at: str) -> None:
    state["exists"] = True
    state.setdefault("defined_at", at)
    state["name"] = data["name"]
    state["summary"] = data.get("summary")
    state["lead_node_id"] = data["lead_node_id"]
    state["partner_node_ids"] = list(data.get("partner_node_ids") or [])
    state["starts_on"] = data.get("starts_on")
    state["ends_on"] = data.get("ends_on")
    state["indicators"] = [
        {"id": i["id"], "name": i["name"], "unit": i.get("unit"), "baseline": i.get("baseline"),
         "target": i["target"], "direction": i.get("direction") or "increase",
         "areas": i.get("areas") or "sum"}
        for i in data["indicators"]]
    state.setdefault("definitions", []).append({
        "at": at, "node_id": node, "name": data["name"],
        "indicators": [{"id": i["id"], "baseline": i.get("baseline"), "target": i["target"]}
                       for i in data["indicators"]]})


def _report(state: State, data: Mapping[str, Any], node: str, at: str) -> None:
    area = data.get("area") or CITY
    state.setdefault("values", {})[f"{data['indicator']}|{data['period']}|{area}"] = {
        "indicator": data["indicator"], "period": data["period"], "area": area,
        "value": data["value"], "unit": data.get("unit"), "note": data.get("note"),
        "node_id": node, "reported_at": at,
    }


def _fold(state: State, event: Event) -> None:
    at = utc(event["time"])
    state["updated_at"] = max(at, state.get("updated_at") or at)
    if event["type"] == PROGRAM_DEFINED:
        _define(state, event["data"], node_of(event), at)
    elif event["type"] in REPORTED:
        _report(state, event["data"], node_of(event), at)


_guarded = guarded(_fold, PROGRAM_DEFINED, REPORTED, decide)


def fold(state: State, event: Event) -> Refusals:
    """``decide`` (and ``founding`` for the first definition), then the event's effect.

    A state from before programs were defined held reports that no rule judged: they are
    held again, as if replayed, and judged when the program is defined (the rebuild
    replays the same reports before the same definition)."""
    if state["exists"] and "lead_node_id" not in state:
        _hold_legacy(state)
    if not state["exists"] and (reason := founding(event)) is not None:
        return (Refusal(event, reason),)
    return _guarded(state, event)


def _hold_legacy(state: State) -> None:
    state["exists"] = False
    held = state.setdefault("held", [])
    for key, report in (state.pop("values", None) or {}).items():
        held.append({
            "specversion": "1.0", "id": f"legacy:{state['id']}:{key}",
            "source": f"/nodes/{report['node_id']}", "type": INDICATOR_REPORTED,
            "subject": state["id"], "time": report["reported_at"],
            "data": {k: report[k] for k in ("indicator", "period", "value", "unit", "note")
                     if report.get(k) is not None}})


def evolve(state: State | None, event: Event) -> State:
    return apply(fold, state, event)


# ---- progress: pure figures of a definition and its reports -------------------------

def period_span(period: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a report's period: ``YYYY``, ``YYYY-Qn``, ``YYYY-MM`` or
    the ISO week ``YYYY-Www``. ValueError for one the calendar does not have (the schema's
    pattern allows week 53 of every year, and the years 0000 and 9999's last days)."""
    try:
        year = int(period[:4])
        rest = period[5:]
        if not rest:
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        if rest.startswith("Q"):
            first = 3 * int(rest[1:]) - 2
            return dt.date(year, first, 1), _month_end(year, first + 2)
        if rest.startswith("W"):
            start = dt.date.fromisocalendar(year, int(rest[1:]), 1)
            return start, start + dt.timedelta(days=6)
        month = int(rest)
        return dt.date(year, month, 1), _month_end(year, month)
    except (ValueError, OverflowError):
        raise ValueError(f"no such period: {period!r}") from None


def is_period(period: str) -> bool:
    try:
        period_span(period)
    except ValueError:
        return False
    return True


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def period_order(period: str) -> tuple[int, int, str]:
    """A period's place in time: by its last day, then the longer first ending there is
    the later (a month before its quarter, a quarter before its year: a year's figure is
    the latest when its December's is reported too). A period the calendar does not
    have (accepted before it was refused) sorts last, by its spelling."""
    try:
        start, end = period_span(period)
    except ValueError:
        return dt.date.max.toordinal() + 1, 0, period
    return end.toordinal(), -start.toordinal(), period


def progress(indicator: Mapping[str, Any], value: float | None) -> float | None:
    """How far ``value`` has come from the baseline (0.0) to the target (1.0); below 0
    when it moved away, above 1 past the target. The target says which way is forward,
    so a ``decrease`` (stunting going down) is progress as its value falls. None without
    a value or a baseline, or when the target is the baseline."""
    baseline, target = indicator.get("baseline"), indicator.get("target")
    if value is None or baseline is None or target is None or target == baseline:
        return None
    way: float = (value - baseline) / (target - baseline)
    if not math.isfinite(way):  # figures near the float's limits
        return None
    return way + 0.0  # (no -0.0 at the baseline)


def city_figure(indicator: Mapping[str, Any], reports: Iterable[Mapping[str, Any]]
                ) -> float | None:
    """The city's figure of one period: its city-wide report, else its reports by area
    combined as the indicator says (summed, or their mean for rates)."""
    by_area = []
    for report in reports:
        if not report["area"]:
            return float(report["value"])
        by_area.append(float(report["value"]))
    if not by_area:
        return None
    total = sum(by_area)
    return total / len(by_area) if indicator.get("areas") == "mean" else total


def series(indicator: Mapping[str, Any], reports: Iterable[Mapping[str, Any]]
           ) -> list[dict[str, Any]]:
    """The indicator's city figure per period, oldest first: ``{"period", "value",
    "by_area": {area: value}}``."""
    periods: dict[str, list[Mapping[str, Any]]] = {}
    for report in reports:
        if report["indicator"] == indicator["id"]:
            periods.setdefault(report["period"], []).append(report)
    out = []
    for period in sorted(periods, key=period_order):
        kept = periods[period]
        out.append({"period": period, "value": city_figure(indicator, kept),
                    "by_area": {r["area"]: r["value"] for r in sorted(kept, key=_by_area)
                              if r["area"]}})
    return out


def _by_area(report: Mapping[str, Any]) -> str:
    return str(report["area"])


def progress_series(indicator: Mapping[str, Any], reports: Iterable[Mapping[str, Any]]
                    ) -> list[dict[str, Any]]:
    """``series``, each period with the progress its figure makes."""
    points = series(indicator, reports)
    for point in points:
        point["progress"] = progress(indicator, point["value"])
    return points


def measured(indicator: Mapping[str, Any], reports: Iterable[Mapping[str, Any]]
             ) -> dict[str, Any]:
    """An indicator's definition with its latest figure and the progress it makes."""
    points = series(indicator, reports)
    latest = {"period": points[-1]["period"], "value": points[-1]["value"]} if points else None
    return {**indicator, "latest": latest,
            "progress": progress(indicator, latest["value"] if latest else None)}


def rows(state: State) -> dict[str, list[dict[str, object]]]:
    if not state["exists"]:
        return {}
    reports = list((state.get("values") or {}).values())
    version = state["version"]
    return {
        "programs": [{
            "id": state["id"], "name": state["name"], "summary": state.get("summary"),
            "lead_node_id": state["lead_node_id"],
            "partner_node_ids": state["partner_node_ids"],
            "starts_on": state.get("starts_on"), "ends_on": state.get("ends_on"),
            "indicators": [measured(i, reports) for i in state["indicators"]],
            "definitions": state["definitions"], "defined_at": state["defined_at"],
            "updated_at": state["updated_at"], "version": version,
        }],
        "indicators": [{"program": state["id"], **report, "version": version}
                       for report in reports],
    }
