"""Program indicators as bar charts: geometry computed here, drawn as SVG by a template."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import col, select

from services.readmodel.db import snapshot
from services.readmodel.tables import Indicator

WIDTH = 320
HEIGHT = 160
TOP = 16  # room for the value labels above the bars
BOTTOM = 24  # room for the period labels under the bars
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
class Chart:
    program: str
    indicator: str
    unit: str | None
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def baseline(self) -> int:
        return self.height - BOTTOM


def bar_chart(program: str, indicator: str, unit: str | None,
              series: list[tuple[str, float]]) -> Chart:
    """Bars for ``series`` (period, value), in period order, scaled to the largest value."""
    plot = HEIGHT - TOP - BOTTOM
    peak = max((v for _, v in series), default=0) or 1
    slot = WIDTH / max(len(series), 1)
    bars = []
    for index, (period, value) in enumerate(series):
        height = round(plot * max(value, 0) / peak, 1)
        bars.append(Bar(period=period, value=value, x=round(index * slot + GAP / 2, 1),
                        y=round(TOP + plot - height, 1), width=round(slot - GAP, 1),
                        height=height))
    return Chart(program=program, indicator=indicator, unit=unit, bars=bars)


def charts_from(rows: Iterable[Indicator]) -> dict[str, list[Chart]]:
    """One chart per (program, indicator), grouped by program."""
    series: dict[tuple[str, str], list[Indicator]] = defaultdict(list)
    for row in rows:
        series[(row.program, row.indicator)].append(row)
    grouped: dict[str, list[Chart]] = defaultdict(list)
    for (program, indicator), points in sorted(series.items()):
        points.sort(key=lambda p: p.period)
        unit = next((p.unit for p in points if p.unit), None)
        grouped[program].append(
            bar_chart(program, indicator, unit, [(p.period, p.value) for p in points]))
    return dict(grouped)


def program_charts(engine: Engine) -> dict[str, list[Chart]]:
    with snapshot(engine) as session:
        rows = session.exec(select(Indicator).order_by(col(Indicator.program))).all()
    return charts_from(rows)
