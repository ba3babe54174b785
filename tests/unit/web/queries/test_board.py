"""The commitments board: CSV safety, the scorecard, done on time, filters."""

from __future__ import annotations

import datetime as dt

import pytest

from web.queries.board import Commitment, completed_on_time, parse_filters, safe_cell, scorecard

WITA = "Asia/Makassar"


def _item(id_: str, status: str, due: str, completed: str | None = None,
          owner: str = "dinsos", overdue: bool = False) -> Commitment:
    return Commitment(id=id_, title=id_, owner_node_id=owner, due_date=due, status=status,
                      percent=0, overdue=overdue, proposal_id=None, proposal_title=None,
                      meeting_id=None, forum_id=None, program=None, completed_at=completed,
                      updated_at="2026-01-01T00:00:00Z")


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_cells_that_look_like_formulas_are_quoted(value: str) -> None:
    assert safe_cell(value) == "'" + value


def test_plain_csv_cells_are_left_alone() -> None:
    assert safe_cell("Pelatihan menjahit") == "Pelatihan menjahit"
    assert safe_cell(None) == ""


def test_scorecard_counts_on_time_completions_and_skips_cancelled_items() -> None:
    items = [
        _item("a", "done", "2026-03-10", completed="2026-03-09T02:00:00Z"),
        _item("b", "done", "2026-03-10", completed="2026-03-20T02:00:00Z"),
        _item("c", "open", "2026-01-01", overdue=True),
        _item("d", "cancelled", "2026-01-01"),
    ]
    (score,) = scorecard(items, WITA)
    assert (score.committed, score.done, score.overdue, score.on_time) == (3, 2, 1, 1)
    assert score.on_time_rate == 0.5


@pytest.mark.parametrize(("completed", "on_time"), [
    ("2026-03-09T16:30:00Z", True),   # 00:30 WITA on the 10th, the due date
    ("2026-03-10T15:59:59Z", True),   # 23:59:59 WITA on the 10th
    ("2026-03-10T16:00:00Z", False),  # midnight WITA: the 11th, a day late
    ("2026-03-10T23:00:00Z", False),  # 07:00 WITA on the 11th: still the 10th in UTC
    ("2026-03-10T16:00:00.123456Z", False),
])
def test_done_on_time_counts_the_day_in_the_citys_time_zone(completed: str,
                                                            on_time: bool) -> None:
    item = _item("a", "done", "2026-03-10", completed=completed)
    assert completed_on_time(item, WITA) is on_time
    (score,) = scorecard([item], WITA)
    assert score.on_time == int(on_time)


def test_board_filters_report_a_bad_day_count_instead_of_raising() -> None:
    filters, errors = parse_filters({"due_within": "-3", "status": "lost", "overdue": "on"})
    assert set(errors) == {"due_within", "status"}
    assert filters.overdue is True and filters.due_within is None and filters.status is None


def test_due_dates_compare_as_text() -> None:
    assert dt.date(2026, 3, 9).isoformat() < dt.date(2026, 10, 1).isoformat()
