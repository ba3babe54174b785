"""The bench's figures that come from arithmetic, not from a run: the machine's share."""

from __future__ import annotations

from services.bench.common import machine_share


def test_busy_and_stolen_time_are_shares_of_all_ticks_between_two_readings() -> None:
    # 1,000 ticks passed: 600 busy, 50 stolen by the hypervisor, the rest idle
    assert machine_share((10_000, 200, 40_000), (10_600, 250, 41_000)) == {
        "machine_busy_pct": 60.0, "steal_pct": 5.0}


def test_no_ticks_between_readings_gives_no_figure_rather_than_a_division_by_zero() -> None:
    # where /proc/stat cannot be read both readings are zeros
    assert machine_share((0, 0, 0), (0, 0, 0)) == {"machine_busy_pct": None, "steal_pct": None}
