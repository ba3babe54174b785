"""The pure core, a Decider per aggregate: ``decide(state, event)`` says why a node may
not make a change (or None), ``evolve(state, event) -> state`` applies one, ``rows``
projects a state to the read model; ``fold`` is both, in place, for the worker.

Nothing here imports Kafka, Faust, SQL or the web. Replaying the log through
``evolve`` *is* the rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from services.domain import (
    action_items,
    base,
    forums,
    meetings,
    nodes,
    programs,
    proposals,
)
from services.domain.base import Decide, Event, Fold, State

Rows = dict[str, list[dict[str, object]]]


@dataclass(frozen=True)
class Aggregate:
    name: str
    #: in place, in the worker: ``decide``, then the event's effect on the state
    fold: Fold
    #: why an event may not change an existing state (None: any node may publish them),
    #: asked by the fold, by the API before it publishes and by the site's forms
    decide: Decide | None
    #: every read-model row of a state
    rows: Callable[[State], Rows]
    #: how much of a state's rows the read model holds once it holds them: a mark passed
    #: back to ``rows_since`` after more events were folded
    written: Callable[[State], int]
    #: the rows that may differ from those written at that mark (all, for most
    #: aggregates; of a thread, its row and its new comments)
    rows_since: Callable[[State, int], Rows]
    #: forget, in place, what the state no longer needs once its batch's rows and dead
    #: letters are written (a thread's comment texts)
    settle: Callable[[State], None]
    #: why an event may not create the aggregate (None: it may), for the aggregates whose
    #: creation has a rule of its own (a program is defined by the node it names as lead)
    founding: Callable[[Event], str | None] | None = None


def _from(module: ModuleType) -> Aggregate:
    rows = module.rows
    return Aggregate(name=module.AGGREGATE, fold=module.fold,
                     decide=getattr(module, "decide", None), rows=rows,
                     written=getattr(module, "written", lambda _state: 0),
                     rows_since=getattr(module, "rows_since", lambda state, _mark: rows(state)),
                     settle=_settle(getattr(module, "settle", None)),
                     founding=getattr(module, "founding", None))


def _settle(own: Callable[[State], None] | None) -> Callable[[State], None]:
    if own is None:
        return base.settle

    def settle(state: State) -> None:
        base.settle(state)
        own(state)

    return settle


AGGREGATES: dict[str, Aggregate] = {
    m.AGGREGATE: _from(m) for m in (nodes, forums, proposals, meetings, action_items, programs)
}
