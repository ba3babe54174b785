"""services/domain/indicators.py: program outcomes, one value per indicator and period."""

from __future__ import annotations

import itertools
from typing import Any

from services.domain import indicators
from services.domain.base import new_state, replay

PROGRAM = "pelatihan-keterampilan-perempuan"
_ids = itertools.count(1)


def reported(indicator: str, period: str, value: float, *, node: str = "dinsos-bitung",
             unit: str | None = "orang") -> dict[str, Any]:
    data: dict[str, Any] = {"indicator": indicator, "period": period, "value": value}
    if unit:
        data["unit"] = unit
    return {
        "specversion": "1.0",
        "id": f"ev-{next(_ids)}",
        "source": f"/nodes/{node}",
        "type": "gotong.indicator.reported.v1",
        "subject": PROGRAM,
        "time": "2026-07-01T08:00:00+08:00",
        "datacontenttype": "application/json",
        "data": data,
    }


def rows(*events: dict[str, Any]) -> list[dict[str, Any]]:
    state = replay(indicators.fold, list(events))
    assert state is not None
    return indicators.rows(state)["indicators"]


def test_report_gives_one_row_for_the_program() -> None:
    [row] = rows(reported("perempuan_dilatih", "2026-Q2", 48))

    assert (row["program"], row["indicator"], row["period"], row["value"]) == (
        PROGRAM, "perempuan_dilatih", "2026-Q2", 48)
    assert row["node_id"] == "dinsos-bitung"


def test_each_period_is_its_own_row() -> None:
    found = rows(reported("perempuan_dilatih", "2026-Q1", 20),
                 reported("perempuan_dilatih", "2026-Q2", 48))

    assert sorted((r["period"], r["value"]) for r in found) == [("2026-Q1", 20), ("2026-Q2", 48)]


def test_each_indicator_is_its_own_row() -> None:
    found = rows(reported("perempuan_dilatih", "2026-Q2", 48),
                 reported("usaha_dibuka", "2026-Q2", 12, unit="usaha"))

    assert sorted(r["indicator"] for r in found) == ["perempuan_dilatih", "usaha_dibuka"]


def test_latest_report_for_an_indicator_and_period_wins() -> None:
    [row] = rows(reported("perempuan_dilatih", "2026-Q2", 40),
                 reported("perempuan_dilatih", "2026-Q2", 48, node="pkk-bitung-tengah"))

    assert (row["value"], row["node_id"]) == (48, "pkk-bitung-tengah")


def test_applying_the_same_event_twice_returns_the_same_object() -> None:
    first = reported("perempuan_dilatih", "2026-Q2", 48)
    state = indicators.evolve(None, first)

    assert indicators.evolve(state, first) is state


def test_program_without_reports_has_no_rows() -> None:
    assert indicators.rows(new_state(PROGRAM)) == {}
