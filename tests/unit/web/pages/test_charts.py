"""A program's indicators as charts: bars per period, the baseline and the target."""

from __future__ import annotations

import pytest

from web.pages.charts import HEIGHT, area_bars, bar_share, indicator_chart

TRAINED = {"id": "perempuan_dilatih", "name": "Perempuan dilatih", "unit": "orang",
           "baseline": 0, "target": 40}


def _points(*values: tuple[str, float | None]) -> list[dict[str, object]]:
    return [{"period": p, "value": v, "by_area": {}} for p, v in values]


def test_bars_scale_to_the_largest_value_and_keep_order() -> None:
    chart = indicator_chart(TRAINED | {"target": 10}, _points(("2025-Q3", 10), ("2025-Q4", 20)))
    small, large = chart.bars
    assert large.height == pytest.approx(2 * small.height)
    assert large.y + large.height == small.y + small.height == chart.axis
    assert small.x < large.x and large.y >= 0 and chart.axis < HEIGHT


def test_the_target_line_is_on_the_scale_of_the_bars() -> None:
    chart = indicator_chart(TRAINED, _points(("2026-Q2", 20)))
    [bar] = chart.bars
    assert chart.target is not None and chart.baseline is not None
    assert chart.target.y == pytest.approx(bar.y - bar.height)  # 40 is twice 20
    assert chart.baseline.y == chart.axis  # 0 is on the axis


def test_a_decrease_draws_the_target_below_the_baseline() -> None:
    stunting = {"id": "s", "name": "Stunting", "baseline": 17.8, "target": 14}
    chart = indicator_chart(stunting, _points(("2026-Q1", 16.5)))
    assert chart.target is not None and chart.baseline is not None
    assert chart.baseline.y < chart.target.y < chart.axis


def test_without_baseline_or_values_the_chart_still_draws() -> None:
    chart = indicator_chart({"id": "i", "name": "I", "target": 5}, _points(("2026", None)))
    assert chart.bars == [] and chart.baseline is None and chart.target is not None


def test_a_chart_of_zeroes_draws_no_bars_above_the_axis() -> None:
    chart = indicator_chart({"id": "i", "name": "I", "target": 0}, _points(("2025-Q3", 0)))
    assert chart.bars[0].height == 0


def test_areas_longest_first_scaled_to_the_longest() -> None:
    bars = area_bars({"Girian Bawah": 10, "Bitung Tengah": 20, "Aertembaga": 5})
    assert [(b.area, b.percent) for b in bars] == [
        ("Bitung Tengah", 100), ("Girian Bawah", 50), ("Aertembaga", 25)]


@pytest.mark.parametrize(("progress", "share"),
                         [(None, 0), (-0.2, 0), (0.5, 50), (1.3, 100), (0.123, 12.3)])
def test_a_progress_bar_fills_between_empty_and_full(progress: float | None,
                                                     share: float) -> None:
    assert bar_share(progress) == share
