"""The board's scorecard counted in SQL keeps the same rule as in Python, on SQLite and on
PostgreSQL: done on time means on or before the due date as the day is counted in the
city, not in UTC."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from services.readmodel.db import upsert
from web.queries import board as board_data

WITA = "Asia/Makassar"
#: completed_at -> done on time for an item due on 2026-03-10
FINISHED = {
    "2026-03-09T16:30:00Z": True,   # 00:30 WITA on the due date
    "2026-03-10T15:59:59Z": True,   # 23:59:59 WITA on the due date
    "2026-03-10T16:00:00Z": False,  # midnight WITA: the day after
    "2026-03-10T23:00:00.250000Z": False,  # 07:00 WITA the day after, the due date in UTC
}


def test_done_on_time_is_the_citys_day_in_sql_as_in_the_rule(engine: Engine) -> None:
    rows = [{"id": f"rtl-{n}", "title": f"Komitmen {n}", "description": None,
             "owner_node_id": "dinsos-bitung", "due_date": "2026-03-10", "status": "done",
             "percent": 100, "meeting_id": None, "proposal_id": None, "node_id": "dinsos-bitung",
             "history": [], "overdue_published": False, "created_at": "2026-03-01T00:00:00Z",
             "completed_at": completed, "updated_at": completed, "version": 2}
            for n, completed in enumerate(FINISHED)]
    with engine.begin() as connection:
        upsert(connection, {"action_items": rows})
    filters = board_data.BoardFilters(owner="dinsos-bitung")
    today = dt.date(2026, 4, 1)
    _, (score,) = board_data.summary(engine, filters, today, WITA)
    assert (score.done, score.on_time) == (4, 2)
    assert [score] == board_data.scorecard(board_data.rows(engine, filters, today), WITA)
