"""Program indicators as bar charts."""

from __future__ import annotations

import pytest

from web.pages.charts import HEIGHT, bar_chart


def test_bars_scale_to_the_largest_value_and_keep_order() -> None:
    chart = bar_chart("p", "i", None, [("2025-Q3", 10), ("2025-Q4", 20)])
    small, large = chart.bars
    assert large.height == pytest.approx(2 * small.height)
    assert large.y + large.height == small.y + small.height == chart.baseline
    assert small.x < large.x and large.y >= 0 and chart.baseline < HEIGHT


def test_a_chart_of_zeroes_draws_no_bars_above_the_axis() -> None:
    chart = bar_chart("p", "i", None, [("2025-Q3", 0)])
    assert chart.bars[0].height == 0
