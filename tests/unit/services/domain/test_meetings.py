"""services/domain/meetings.py: a meeting's schedule and its minutes."""

from __future__ import annotations

import itertools
from typing import Any

from services.domain import meetings
from services.domain.base import Refusal, judged, replay

MEETING = "musyawarah-maesa-2026-09"
_ids = itertools.count(1)


def event(what: str, data: dict[str, Any], *, node: str = "kecamatan-maesa") -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"ev-{next(_ids)}",
        "source": f"/nodes/{node}",
        "type": f"gotong.meeting.{what}.v1",
        "subject": MEETING,
        "time": "2026-09-01T10:00:00+08:00",
        "datacontenttype": "application/json",
        "data": data,
    }


def scheduled(**data: Any) -> dict[str, Any]:
    base = {"forum_id": "forum-maesa", "title": "Musyawarah September",
            "starts_at": "2026-09-17T09:00:00+08:00"}
    return event("scheduled", base | data)


def minutes(summary: str = "Jadwal pelatihan disepakati.",
            node: str = "kecamatan-maesa") -> dict[str, Any]:
    data = {
        "attendees": [{"name": "Hendra Lumenta", "node_id": "dinsos-bitung"}],
        "decisions": [{"text": "Pelatihan bulan April.", "proposal_id": "usulan-menjahit"}],
        "summary": summary,
    }
    return event("minutes_published", data, node=node)


def fold(*events: dict[str, Any]) -> dict[str, Any]:
    state = replay(meetings.fold, list(events))
    assert state is not None
    return state


def refusals(*events: dict[str, Any]) -> list[Refusal]:
    return judged(meetings.fold, list(events))[1]


def test_scheduled_meeting_starts_at_its_time_in_utc() -> None:
    [row] = meetings.rows(fold(scheduled()))["meetings"]

    assert row["starts_at"] == "2026-09-17T01:00:00.000000Z"
    assert row["has_minutes"] is False


def test_scheduled_meeting_without_agenda_has_an_empty_agenda() -> None:
    assert fold(scheduled())["agenda"] == []


def test_applying_the_same_event_twice_returns_the_same_object() -> None:
    first = scheduled()
    state = meetings.evolve(None, first)

    assert meetings.evolve(state, first) is state


def test_published_minutes_are_on_the_meeting() -> None:
    [row] = meetings.rows(fold(scheduled(), minutes()))["meetings"]
    published: Any = row["minutes"]

    assert row["has_minutes"] is True
    assert published["decisions"][0]["proposal_id"] == "usulan-menjahit"
    assert published["node_id"] == "kecamatan-maesa"


def test_minutes_from_a_node_that_did_not_convene_the_meeting_are_refused() -> None:
    theirs = minutes(node="dinsos-bitung")
    state = fold(scheduled(), theirs)
    refused = refusals(scheduled(), theirs)

    assert state["minutes"] is None
    assert [(r.node_id, r.event["type"]) for r in refused] == [
        ("dinsos-bitung", "gotong.meeting.minutes_published.v1")]
    assert "kecamatan-maesa" in refused[0].reason


def test_minutes_before_the_schedule_wait_for_it_and_are_then_judged() -> None:
    mine, theirs = minutes(), minutes(node="dinsos-bitung")
    made = scheduled()
    state = fold(mine, theirs, made)

    assert state["minutes"]["node_id"] == "kecamatan-maesa"
    assert [r.event["id"] for r in refusals(mine, theirs, made)] == [theirs["id"]]
    assert "held" not in state


def test_minutes_before_the_schedule_are_on_the_meeting_once_scheduled() -> None:
    [row] = meetings.rows(fold(minutes(), scheduled()))["meetings"]
    published: Any = row["minutes"]

    assert published["summary"] == "Jadwal pelatihan disepakati."


def test_meeting_known_only_from_minutes_has_no_rows() -> None:
    assert meetings.rows(fold(minutes())) == {}


def test_later_minutes_replace_earlier_minutes() -> None:
    state = fold(scheduled(), minutes("Draf."), minutes("Final."))

    assert state["minutes"]["summary"] == "Final."


def test_rescheduling_moves_the_start_and_only_the_organiser_may() -> None:
    moved = {"forum_id": "forum-maesa", "title": "Musyawarah September",
             "starts_at": "2026-09-24T09:00:00+08:00"}

    state = fold(scheduled(), event("scheduled", moved))
    assert state["starts_at"] == "2026-09-24T01:00:00.000000Z"

    first, theirs = scheduled(), event("scheduled", moved, node="dinsos-bitung")
    hijack = fold(first, theirs)
    assert hijack["starts_at"] == "2026-09-17T01:00:00.000000Z"
    assert hijack["node_id"] == "kecamatan-maesa"
    assert [r.event["id"] for r in refusals(first, theirs)] == [theirs["id"]]
