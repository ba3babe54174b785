"""A program's indicators as charts: the geometry is computed here, the SVG is drawn by a
template (``_charts.html``), so pages and the PDF report draw the same thing.

An indicator's chart has a bar per period (the city's figure) and two lines: the
baseline the program started from (dashed) and the target it aims for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

WIDTH = 360
HEIGHT = 180
TOP = 18  # room for the value labels above the bars
BOTTOM = 24  # room for the period labels under the bars
RIGHT = 76  # room for the baseline's and the target's labels, right of the bars
GAP = 8


@dataclass(frozen=True)
class Bar:
    period: str
    value: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Level:
    """A horizontal line across the chart: the baseline or the target."""

    value: float
    y: float


@dataclass(frozen=True)
class Chart:
    indicator: str
    name: str
    unit: str | None
    bars: list[Bar]
    baseline: Level | None
    target: Level | None
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def axis(self) -> int:
        return self.height - BOTTOM

    @property
    def labels_x(self) -> int:
        """Where the baseline's and the target's labels start, right of the bars."""
        return self.width - RIGHT + 4


def indicator_chart(indicator: Mapping[str, Any], points: Sequence[Mapping[str, Any]]
                    ) -> Chart:
    """Bars for the city's figure of each period (``points``, oldest first, as
    ``services.domain.programs.series`` gives them) with the baseline and target lines,
    all on one scale from zero to the largest of them."""
    plot = HEIGHT - TOP - BOTTOM
    series = [(p["period"], p["value"]) for p in points if _drawable(p["value"])]
    levels = [v for v in (indicator.get("baseline"), indicator.get("target")) if _drawable(v)]
    peak = max([*(v for _, v in series), *levels, 0]) or 1

    def y(value: float) -> float:
        return round(TOP + plot - plot * max(value, 0) / peak, 1)

    slot = (WIDTH - RIGHT) / max(len(series), 1)
    bars = [Bar(period=period, value=value, x=round(i * slot + GAP / 2, 1), y=y(value),
                width=round(slot - GAP, 1), height=round(TOP + plot - y(value), 1))
            for i, (period, value) in enumerate(series)]
    baseline, target = (v if _drawable(v) else None
                        for v in (indicator.get("baseline"), indicator.get("target")))
    return Chart(indicator=indicator["id"], name=indicator["name"], unit=indicator.get("unit"),
                 bars=bars,
                 baseline=Level(baseline, y(baseline)) if baseline is not None else None,
                 target=Level(target, y(target)) if target is not None else None)


def _drawable(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


@dataclass(frozen=True)
class AreaBar:
    area: str
    value: float
    #: the bar's length, a share of the longest (0 to 100)
    percent: float


def area_bars(areas: Mapping[str, float]) -> list[AreaBar]:
    """One bar per area, longest first, for a period reported by area."""
    shown = {area: value for area, value in areas.items() if _drawable(value)}
    peak = max((abs(v) for v in shown.values()), default=0) or 1
    return [AreaBar(area=area, value=value, percent=round(100 * max(value, 0) / peak, 1))
            for area, value in sorted(shown.items(), key=lambda kv: (-kv[1], kv[0]))]


def bar_share(progress: float | None) -> float:
    """How much of a progress bar to fill (0 to 100) for a progress (which may be below 0
    or above 1)."""
    if progress is None or math.isnan(progress):
        return 0.0
    return round(100 * min(max(progress, 0.0), 1.0), 1)
