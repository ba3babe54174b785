"""Program indicators: one value per (indicator, period) of a program; the latest report wins."""

from __future__ import annotations

from events.catalog import INDICATOR_REPORTED
from services.domain.base import Event, State, apply, node_of, open_to_all, utc

AGGREGATE = "indicator"


def _fold(state: State, event: Event) -> None:
    if event["type"] != INDICATOR_REPORTED:
        return
    data = event["data"]
    state["exists"] = True
    values = state.setdefault("values", {})
    values[f"{data['indicator']}|{data['period']}"] = {
        "indicator": data["indicator"],
        "period": data["period"],
        "value": data["value"],
        "unit": data.get("unit"),
        "note": data.get("note"),
        "node_id": node_of(event),
        "reported_at": utc(event["time"]),
    }


fold = open_to_all(_fold)


def evolve(state: State | None, event: Event) -> State:
    return apply(fold, state, event)


def rows(state: State) -> dict[str, list[dict[str, object]]]:
    if not state["exists"]:
        return {}
    return {
        "indicators": [
            {"program": state["id"], **value, "version": state["version"]}
            for value in state["values"].values()
        ]
    }
