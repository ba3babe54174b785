"""services/domain/action_items.py: commitments, their progress, owner and overdue state."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from services.domain import action_items
from services.domain.base import Refusal, judged, new_state, replay

ITEM = "rtl-mesin-jahit"
DUE = "2026-04-06"
DUE_DATE = dt.date(2026, 4, 6)
_ids = itertools.count(1)


def event(
    what: str,
    data: dict[str, Any],
    *,
    node: str = "dinsos-bitung",
    time: str = "2026-03-10T09:00:00+08:00",
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"ev-{next(_ids)}",
        "source": f"/nodes/{node}",
        "type": f"gotong.action_item.{what}.v1",
        "subject": ITEM,
        "time": time,
        "datacontenttype": "application/json",
        "data": data,
    }


def created(**kwargs: Any) -> dict[str, Any]:
    data = {"title": "Menyediakan 10 mesin jahit", "owner_node_id": "dinsos-bitung",
            "due_date": DUE, "meeting_id": "musyawarah-maesa-2026-03"}
    return event("created", data, node="forum-maesa", **kwargs)


def progress(percent: int, note: str | None = None) -> dict[str, Any]:
    return event("progress_reported", {"percent": percent} | ({"note": note} if note else {}))


def status(value: str, reason: str | None = None) -> dict[str, Any]:
    return event("status_changed", {"status": value} | ({"reason": reason} if reason else {}))


def fold(*events: dict[str, Any]) -> dict[str, Any]:
    state = replay(action_items.fold, list(events))
    assert state is not None
    return state


def refusals(*events: dict[str, Any]) -> list[Refusal]:
    return judged(action_items.fold, list(events))[1]


def test_created_item_is_open_with_no_progress() -> None:
    state = fold(created())

    assert (state["status"], state["percent"]) == ("open", 0)
    assert state["owner_node_id"] == "dinsos-bitung"
    assert state["node_id"] == "forum-maesa"


def test_applying_the_same_event_twice_returns_the_same_object() -> None:
    first = created()
    state = action_items.evolve(None, first)

    assert action_items.evolve(state, first) is state


def test_progress_report_sets_the_percent() -> None:
    state = fold(created(), progress(60, "6 dari 10 mesin diterima"))

    assert state["percent"] == 60
    assert state["history"][-1]["note"] == "6 dari 10 mesin diterima"


def test_first_progress_moves_an_open_item_in_progress() -> None:
    assert fold(created(), progress(10))["status"] == "in_progress"


def test_zero_progress_leaves_an_item_open() -> None:
    assert fold(created(), progress(0))["status"] == "open"


def test_progress_does_not_unblock_a_blocked_item() -> None:
    assert fold(created(), status("blocked"), progress(40))["status"] == "blocked"


def test_unblocking_an_item_with_progress_puts_it_back_in_progress() -> None:
    state = fold(created(), progress(50), status("blocked"), status("open", "Dana cair"))

    assert (state["status"], state["percent"]) == ("in_progress", 50)
    assert state["history"][-1]["status"] == "open"  # what the node said, as it said it


def test_each_status_step_of_the_history_reads_as_the_status_it_left() -> None:
    state = fold(created(), progress(50), status("blocked"), status("open", "Dana cair"))
    # beside each step the history says the status the fold made of it
    assert action_items.step_statuses(state["history"]) == [
        None, None, "blocked", "in_progress"]
    assert action_items.step_statuses(state["history"])[-1] == state["status"]


def test_a_reopened_done_item_reads_under_way_and_a_reopen_without_progress_not_started(
        ) -> None:
    done_then_reopened = fold(created(), status("done"), status("open"))
    assert action_items.step_statuses(done_then_reopened["history"])[-1] == "in_progress"
    assert done_then_reopened["status"] == "in_progress"
    untouched = fold(created(), status("blocked"), status("open"))
    assert action_items.step_statuses(untouched["history"]) == [None, "blocked", "open"]


def test_reopening_an_item_without_progress_leaves_it_not_started() -> None:
    assert fold(created(), status("blocked"), status("open"))["status"] == "open"


def test_done_completes_the_item_at_full_progress() -> None:
    state = fold(created(), progress(60), status("done"))

    assert (state["status"], state["percent"]) == ("done", 100)
    assert state["completed_at"] == "2026-03-10T01:00:00.000000Z"


def test_status_changes_are_kept_in_history_with_reasons_in_order() -> None:
    state = fold(created(), status("blocked", "Menunggu APBD-P"), status("in_progress", "Cair"))

    assert [(h["kind"], h.get("status"), h.get("reason")) for h in state["history"]] == [
        ("created", None, None),
        ("status", "blocked", "Menunggu APBD-P"),
        ("status", "in_progress", "Cair"),
    ]
    assert state["status"] == "in_progress"


def test_reassignment_changes_the_owner_and_records_why() -> None:
    reassigned = event("reassigned", {"owner_node_id": "dinkop-ukm-bitung", "reason": "Tugas UKM"})

    state = fold(created(), reassigned)

    assert state["owner_node_id"] == "dinkop-ukm-bitung"
    assert state["history"][-1] == {
        "at": "2026-03-10T01:00:00.000000Z",
        "node_id": "dinsos-bitung",
        "kind": "reassigned",
        "owner_node_id": "dinkop-ukm-bitung",
        "reason": "Tugas UKM",
    }


def test_progress_before_creation_is_kept_once_created() -> None:
    state = fold(progress(30), created())

    assert (state["status"], state["percent"]) == ("in_progress", 30)
    assert state["history"][0]["kind"] == "created"


def test_item_known_only_from_progress_has_no_rows() -> None:
    assert action_items.rows(fold(progress(30))) == {}


def test_created_item_has_one_row() -> None:
    [row] = action_items.rows(fold(created()))["action_items"]

    assert (row["id"], row["due_date"], row["status"]) == (ITEM, DUE, "open")


@pytest.mark.parametrize("current", ["open", "in_progress", "blocked"])
def test_unfinished_item_past_its_due_date_is_overdue(current: str) -> None:
    state = fold(created(), status(current))

    assert action_items.is_overdue(state, DUE_DATE + dt.timedelta(days=1))


@pytest.mark.parametrize("closed", ["done", "cancelled"])
def test_closed_item_past_its_due_date_is_not_overdue(closed: str) -> None:
    state = fold(created(), status(closed))

    assert not action_items.is_overdue(state, DUE_DATE + dt.timedelta(days=30))


def test_item_due_today_is_not_overdue() -> None:
    assert not action_items.is_overdue(fold(created()), DUE_DATE)


def test_item_not_yet_created_is_not_overdue() -> None:
    assert not action_items.is_overdue(new_state(ITEM), DUE_DATE + dt.timedelta(days=1))


def test_overdue_item_needs_an_overdue_event() -> None:
    assert action_items.needs_overdue_event(fold(created()), DUE_DATE + dt.timedelta(days=1))


def test_overdue_event_is_needed_only_once() -> None:
    state = fold(created(), event("overdue", {"due_date": DUE}, node="gotong"))

    assert state["overdue_published"] is True
    assert not action_items.needs_overdue_event(state, DUE_DATE + dt.timedelta(days=1))
    assert action_items.is_overdue(state, DUE_DATE + dt.timedelta(days=1))


def test_reassignment_keeps_the_due_date() -> None:
    reassigned = event("reassigned", {"owner_node_id": "dinkop-ukm-bitung"})

    state = fold(created(), reassigned)

    assert action_items.is_overdue(state, DUE_DATE + dt.timedelta(days=1))


# -- who may change an item (object-level rules) ---------------------------------------


def test_progress_from_a_node_that_does_not_own_the_item_is_refused() -> None:
    foreign = event("progress_reported", {"percent": 90}, node="bappeda-bitung")

    state = fold(created(), progress(30), foreign)
    refused = refusals(created(), progress(30), foreign)

    assert (state["percent"], state["status"]) == (30, "in_progress")
    assert [(r.event["id"], r.node_id) for r in refused] == [(foreign["id"], "bappeda-bitung")]
    assert "dinsos-bitung" in refused[0].reason
    assert len(refusals(created(), progress(30), foreign, foreign)) == 1  # then a duplicate


def test_the_creator_and_the_owner_steer_the_item_and_nobody_else() -> None:
    by_creator = event("status_changed", {"status": "cancelled"}, node="forum-maesa")
    by_stranger = event("status_changed", {"status": "done"}, node="bappeda-bitung")
    handed_on = event("reassigned", {"owner_node_id": "dinkop-ukm-bitung"})  # by the owner

    assert fold(created(), by_stranger)["status"] == "open"
    assert fold(created(), by_creator)["status"] == "cancelled"
    late_report = progress(50)  # dinsos is no longer the owner
    state = fold(created(), handed_on, late_report)

    assert (state["owner_node_id"], state["percent"]) == ("dinkop-ukm-bitung", 0)
    assert [r.event["id"] for r in refusals(created(), handed_on, late_report)] == [
        late_report["id"]]


def test_only_the_creator_may_create_the_item_again() -> None:
    hijack = event("created", {"title": "Milik kami", "owner_node_id": "bappeda-bitung",
                               "due_date": DUE}, node="bappeda-bitung")

    state = fold(created(), hijack)

    assert (state["title"], state["owner_node_id"]) == ("Menyediakan 10 mesin jahit",
                                                        "dinsos-bitung")
    assert [r.event["type"] for r in refusals(created(), hijack)] == [
        "gotong.action_item.created.v1"]


def test_reports_before_the_creation_are_judged_once_it_arrives() -> None:
    mine, made = progress(30), created()
    foreign = event("progress_reported", {"percent": 90}, node="bappeda-bitung")

    early = fold(mine, foreign, made)
    canonical = fold(made, mine, foreign)

    assert early["percent"] == 30
    assert [r.event["id"] for r in refusals(mine, foreign, made)] == [foreign["id"]]
    assert "held" not in early
    assert {k: v for k, v in early.items() if k != "applied"} == {
        k: v for k, v in canonical.items() if k != "applied"}
