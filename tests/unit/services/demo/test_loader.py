"""services/demo: the Bitung demo data, moved to today, published node by node."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pytest

from events.files import read_events
from events.validation import Validator
from services.demo import ANCHOR_DATE
from services.demo.loader import DATA_DIR, demo_events, demo_nodes, publish_demo, shift
from services.domain import action_items
from services.domain.base import Event, replay

LATER = ANCHOR_DATE + dt.timedelta(days=100)
EARLIER = ANCHOR_DATE - dt.timedelta(days=400)


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


@pytest.fixture(scope="module")
def written() -> list[dict[str, Any]]:
    """The demo events exactly as written in the data files, in load order."""
    return [item.event for path in sorted(DATA_DIR.glob("*.ndjson"))
            for item in read_events(path)]


@pytest.fixture(scope="module")
def later() -> list[dict[str, Any]]:
    return demo_events(today=LATER)


def moment(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def event(n: int, node: str, **data: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"ev-{n}",
        "source": f"/nodes/{node}",
        "type": "gotong.action_item.created.v1",
        "subject": f"rtl-{n}",
        "time": "2026-11-10T09:00:00+08:00",
        "datacontenttype": "application/json",
        "data": {"title": "Rapat", "owner_node_id": node, "due_date": "2026-11-20"} | data,
    }


class Recorder:
    """A stand-in for the publish function: remembers every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[dict[str, Any]]]] = []

    async def __call__(self, node: str, events: list[dict[str, Any]]) -> None:
        self.calls.append((node, list(events)))


def test_demo_has_events(written: list[dict[str, Any]]) -> None:
    assert written


def test_every_demo_event_is_valid(validator: Validator) -> None:
    invalid = {e["id"]: validator.errors(e) for e in demo_events(today=ANCHOR_DATE)
               if validator.errors(e)}

    assert invalid == {}


@pytest.mark.parametrize("today", [LATER, EARLIER, dt.date(2028, 2, 29)], ids=str)
def test_demo_moved_to_another_day_is_still_valid(validator: Validator, today: dt.date) -> None:
    events = demo_events(today=today)

    assert events
    assert [e["id"] for e in events if validator.errors(e)] == []


def test_demo_event_ids_are_unique(written: list[dict[str, Any]]) -> None:
    ids = [e["id"] for e in written]

    assert ids and len(ids) == len(set(ids))


def test_every_demo_event_comes_from_a_demo_node(written: list[dict[str, Any]]) -> None:
    nodes = set(demo_nodes(written))

    assert nodes
    assert {e["source"].removeprefix("/nodes/") for e in written} <= nodes


def test_demo_loaded_on_its_anchor_date_is_as_written(written: list[dict[str, Any]]) -> None:
    assert written
    assert demo_events(today=ANCHOR_DATE) == written


def test_demo_times_move_by_whole_days_to_today(
    written: list[dict[str, Any]], later: list[dict[str, Any]]
) -> None:
    assert len(later) == len(written) > 0
    for before, after in zip(written, later, strict=True):
        assert moment(after["time"]) - moment(before["time"]) == dt.timedelta(days=100)
        assert moment(after["time"]).utcoffset() == moment(before["time"]).utcoffset()


def test_demo_due_dates_move_by_whole_days_to_today(
    written: list[dict[str, Any]], later: list[dict[str, Any]]
) -> None:
    pairs = [(b["data"]["due_date"], a["data"]["due_date"])
             for b, a in zip(written, later, strict=True) if "due_date" in b["data"]]

    assert pairs
    for before, after in pairs:
        assert dt.date.fromisoformat(after) - dt.date.fromisoformat(before) == dt.timedelta(100)


def test_demo_meeting_starts_move_by_whole_days_to_today(
    written: list[dict[str, Any]], later: list[dict[str, Any]]
) -> None:
    pairs = [(b["data"]["starts_at"], a["data"]["starts_at"])
             for b, a in zip(written, later, strict=True) if "starts_at" in b["data"]]

    assert pairs
    for before, after in pairs:
        assert moment(after) - moment(before) == dt.timedelta(days=100)


def test_demo_indicator_periods_do_not_move(
    written: list[dict[str, Any]], later: list[dict[str, Any]]
) -> None:
    periods = [(b["data"]["period"], a["data"]["period"])
               for b, a in zip(written, later, strict=True)
               if b["type"] == "gotong.indicator.reported.v1"]

    assert periods
    assert all(before == after for before, after in periods)


def test_every_demo_event_happened_before_today(later: list[dict[str, Any]]) -> None:
    today_starts = dt.datetime.combine(LATER, dt.time(), tzinfo=dt.timezone(dt.timedelta(hours=8)))

    assert later
    assert [e["id"] for e in later if moment(e["time"]) >= today_starts] == []


def test_demo_has_meetings_still_to_come(later: list[dict[str, Any]]) -> None:
    starts = [moment(e["data"]["starts_at"]).date() for e in later
              if e["type"] == "gotong.meeting.scheduled.v1"]

    assert any(day > LATER for day in starts)


def test_demo_has_action_items_in_every_status_some_overdue_some_not(
    later: list[dict[str, Any]]
) -> None:
    streams: dict[str, list[Event]] = defaultdict(list)
    for e in later:
        if e["type"].startswith("gotong.action_item."):
            streams[e["subject"]].append(e)
    items = [replay(action_items.fold, stream) for stream in streams.values()]

    assert {item["status"] for item in items if item} == {
        "open", "in_progress", "blocked", "done", "cancelled"}
    overdue = [action_items.is_overdue(item, LATER) for item in items if item]
    assert any(overdue) and not all(overdue)


def test_shift_moves_time_due_date_and_start_by_whole_days() -> None:
    original = event(1, "dinsos-bitung", starts_at="2026-11-30T23:30:00Z")

    moved = shift(original, 3)

    assert moved["time"] == "2026-11-13T09:00:00+08:00"
    assert moved["data"]["due_date"] == "2026-11-23"
    assert moment(moved["data"]["starts_at"]) == moment("2026-12-03T23:30:00Z")


def test_shift_leaves_other_fields_alone() -> None:
    original = event(1, "dinsos-bitung")

    moved = shift(original, -30)

    assert {k: v for k, v in moved.items() if k not in {"time", "data"}} == {
        k: v for k, v in original.items() if k not in {"time", "data"}}
    assert moved["data"]["title"] == original["data"]["title"]


def test_shift_does_not_change_the_event_it_is_given() -> None:
    original = event(1, "dinsos-bitung")

    shift(original, 10)

    assert original == event(1, "dinsos-bitung")


def test_shift_by_zero_days_gives_an_equal_copy() -> None:
    original = event(1, "dinsos-bitung")

    moved = shift(original, 0)

    assert moved == original
    assert moved["data"] is not original["data"]


async def test_publish_demo_publishes_every_event_once_in_order() -> None:
    events = demo_events(today=ANCHOR_DATE)
    publish = Recorder()

    done = await publish_demo(publish, events)

    assert events
    assert [e["id"] for _, batch in publish.calls for e in batch] == [e["id"] for e in events]
    assert done == len(events)


async def test_publish_demo_publishes_each_event_as_its_source_node() -> None:
    events = demo_events(today=ANCHOR_DATE)
    publish = Recorder()

    await publish_demo(publish, events)

    assert publish.calls
    assert all(e["source"] == f"/nodes/{node}" for node, batch in publish.calls for e in batch)


async def test_publish_demo_groups_consecutive_events_of_one_node() -> None:
    events = [event(1, "a-node"), event(2, "a-node"), event(3, "b-node"), event(4, "a-node")]
    publish = Recorder()

    await publish_demo(publish, events)

    assert [(node, [e["id"] for e in batch]) for node, batch in publish.calls] == [
        ("a-node", ["ev-1", "ev-2"]),
        ("b-node", ["ev-3"]),
        ("a-node", ["ev-4"]),
    ]


async def test_publish_demo_splits_long_runs_into_chunks() -> None:
    events = [event(n, "a-node") for n in range(5)]
    publish = Recorder()

    await publish_demo(publish, events, chunk=2)

    assert [len(batch) for _, batch in publish.calls] == [2, 2, 1]


async def test_publish_demo_reports_progress_per_batch() -> None:
    events = [event(n, "a-node") for n in range(3)] + [event(9, "b-node")]
    reported: list[int] = []

    await publish_demo(Recorder(), events, chunk=2, progress=reported.append)

    assert reported == [2, 1, 1]


async def test_publish_demo_of_nothing_publishes_nothing() -> None:
    publish = Recorder()

    assert await publish_demo(publish, []) == 0
    assert publish.calls == []
