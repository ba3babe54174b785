"""The aggregates' object-level rules, asked early: a 403 instead of a dead letter later.

The rule itself is each aggregate's ``decide`` (``services.domain``), and is
enforced where events are folded, which is authoritative: it sees every event in
log order. Here the API asks the same rule against the read model before it
publishes, so a node that tries to report progress on another node's action item
hears why at once. An aggregate the read model does not show yet, or one that an
earlier event of the same request touches, is left to the fold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, Select, bindparam, select
from sqlmodel import col

from events.catalog import SERVICE_NODE, aggregate_of
from events.validation import FieldError
from services.domain import AGGREGATES
from services.domain.base import State, node_of, refusal
from services.readmodel.db import read_rows
from services.readmodel.tables import ActionItem, Forum, Meeting, Program, Proposal

# the aggregates with a ``decide``, the read-model table that shows each, and the
# columns its rule asks about (they are the state's fields of the same names)
OWNED: dict[str, tuple[Any, tuple[str, ...]]] = {
    "action_item": (ActionItem, ("node_id", "owner_node_id")),
    "proposal": (Proposal, ("node_id", "forum_id", "convener")),
    "meeting": (Meeting, ("node_id",)),
    "forum": (Forum, ("node_id",)),
    "program": (Program, ("lead_node_id", "partner_node_ids", "indicators")),
}

# the state's fields that are another table's: a proposal's convener is the node that
# opened its forum (a forum's opener never changes)
JOINED: dict[tuple[str, str], Any] = {
    ("proposal", "convener"): select(col(Forum.node_id))
    .where(col(Forum.id) == col(Proposal.forum_id)).correlate(Proposal).scalar_subquery(),
}


def _owners(aggregate: str) -> Select[Any]:
    """The id and the columns the aggregate's rule asks about."""
    table, columns = OWNED[aggregate]
    return select(table.id, *(JOINED.get((aggregate, name), getattr(table, name, None))
                              for name in columns))


_ONE = {aggregate: _owners(aggregate).where(OWNED[aggregate][0].id == bindparam("id"))
        for aggregate in OWNED}


def refusals(engine: Engine, events: Sequence[Mapping[str, Any]],
             prefix: Callable[[int], str]) -> list[FieldError]:
    """Why each (valid) event may not change what the read model shows; empty if none."""
    wanted: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
    touched: set[tuple[str, str]] = set()
    for index, event in enumerate(events):
        aggregate = aggregate_of(str(event["type"]))
        key = (aggregate, str(event["subject"]))
        if key in touched:
            continue  # an earlier event of this request may change who may
        touched.add(key)
        if aggregate in OWNED:
            wanted.setdefault(aggregate, []).append((index, event))
    errors: list[FieldError] = []
    if not wanted:
        return errors
    for aggregate, items in wanted.items():
        (table, columns), decide = OWNED[aggregate], AGGREGATES[aggregate].decide
        assert decide is not None, aggregate
        ids = [str(event["subject"]) for _, event in items]
        if len(ids) == 1:  # a single event, the common case: asked on every API request
            found = read_rows(engine, _ONE[aggregate], {"id": ids[0]})
        else:
            with engine.connect() as connection:
                found = list(connection.execute(_owners(aggregate).where(table.id.in_(ids))))
        rows = {row[0]: row for row in found}
        founding = AGGREGATES[aggregate].founding
        for index, event in items:
            row = rows.get(str(event["subject"]))
            if row is None:  # not shown yet: only a rule of its creation can be asked
                reason = founding(event) if founding is not None else None
                if reason is not None and node_of(event) != SERVICE_NODE:
                    errors.append(FieldError(prefix(index) + "/source", reason))
                continue
            state: State = {"id": row[0], "exists": True,
                            **dict(zip(columns, row[1:], strict=True))}
            reason = refusal(decide, state, event)
            if reason is not None:
                errors.append(FieldError(prefix(index) + "/source", reason))
    return errors
