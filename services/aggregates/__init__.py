"""The pure core: one module per aggregate, each with ``evolve(state, event) -> state``.

Nothing here imports Kafka, Faust, SQL or the web. Replaying the log through
``evolve`` *is* the rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from services.aggregates import action_items, forums, indicators, meetings, nodes, proposals
from services.aggregates.base import Evolve, State


@dataclass(frozen=True)
class Aggregate:
    name: str
    fold: Evolve
    rows: Callable[[State], dict[str, list[dict[str, object]]]]


def _from(module: ModuleType) -> Aggregate:
    return Aggregate(name=module.AGGREGATE, fold=module.fold, rows=module.rows)


AGGREGATES: dict[str, Aggregate] = {
    m.AGGREGATE: _from(m) for m in (nodes, forums, proposals, meetings, action_items, indicators)
}
