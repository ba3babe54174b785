"""Load the Bitung demo through the ordinary publish path.

The event files are written around :data:`services.demo.ANCHOR_DATE`; every
``time``, ``data.starts_at`` and ``data.due_date`` is shifted by whole days so
the anchor falls on the day the demo is loaded, and the demo always looks
current (some commitments overdue, some meetings still to come). Event ids are
fixed, so loading the demo twice changes nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from events.catalog import NODE_REGISTERED, node_of
from events.files import read_events
from services.demo import ANCHOR_DATE

DATA_DIR = Path(__file__).resolve().parent / "data"


def _shift_timestamp(value: str, days: int) -> str:
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (parsed + dt.timedelta(days=days)).isoformat()


def shift(event: Mapping[str, Any], days: int) -> dict[str, Any]:
    """A copy of ``event`` with its dates moved by ``days``."""
    moved = copy.deepcopy(dict(event))
    if not days:
        return moved
    moved["time"] = _shift_timestamp(moved["time"], days)
    data = moved["data"]
    if "starts_at" in data:
        data["starts_at"] = _shift_timestamp(data["starts_at"], days)
    if "due_date" in data:
        due = dt.date.fromisoformat(data["due_date"])
        data["due_date"] = (due + dt.timedelta(days)).isoformat()
    return moved


def demo_events(today: dt.date | None = None) -> list[dict[str, Any]]:
    """Every demo event, in load order, with dates moved so the anchor is ``today``."""
    days = ((today or dt.date.today()) - ANCHOR_DATE).days
    events: list[dict[str, Any]] = []
    for path in sorted(DATA_DIR.glob("*.ndjson")):
        events.extend(shift(item.event, days) for item in read_events(path))
    return events


def demo_nodes(events: Iterable[Mapping[str, Any]]) -> list[str]:
    return sorted({e["subject"] for e in events if e["type"] == NODE_REGISTERED})


async def publish_demo(
    publish: Callable[[str, list[dict[str, Any]]], Any],
    events: list[dict[str, Any]],
    chunk: int = 200,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Publish ``events`` in order, each run of one node's events as that node."""
    done = 0
    run: list[dict[str, Any]] = []
    run_node: str | None = None
    for event in [*events, None]:
        node = node_of(event["source"]) if event is not None else None
        if run and (node != run_node or len(run) >= chunk or event is None):
            assert run_node is not None
            await publish(run_node, run)
            done += len(run)
            if progress:
                progress(len(run))
            run = []
        if event is not None:
            run_node = node
            run.append(event)
    return done
