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

Rows = dict[str, list[dict[str, object]]]


@dataclass(frozen=True)
class Aggregate:
    name: str
    fold: Evolve
    #: every read-model row of a state
    rows: Callable[[State], Rows]
    #: the rows that may differ from those of the state at version ``since`` (all, for
    #: most aggregates; a thread's new comments only)
    rows_since: Callable[[State, int], Rows]


def _from(module: ModuleType) -> Aggregate:
    rows = module.rows
    since = getattr(module, "rows_since", None) or (lambda state, _since: rows(state))
    return Aggregate(name=module.AGGREGATE, fold=module.fold, rows=rows, rows_since=since)


AGGREGATES: dict[str, Aggregate] = {
    m.AGGREGATE: _from(m) for m in (nodes, forums, proposals, meetings, action_items, indicators)
}
