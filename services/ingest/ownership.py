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

from events.catalog import aggregate_of
from events.validation import FieldError
from services.domain import AGGREGATES
from services.domain.base import State, refusal
from services.readmodel.db import read_rows
from services.readmodel.tables import ActionItem, Forum, Meeting, Proposal

# the aggregates with a ``decide``, and the read-model table that shows who owns each
OWNED: dict[str, Any] = {"action_item": ActionItem, "proposal": Proposal, "meeting": Meeting,
                         "forum": Forum}


def _owners(table: Any) -> Select[Any]:
    """The columns a rule asks about: id, the creating node and the owner, where kept."""
    owner = getattr(table, "owner_node_id", None)
    return select(table.id, table.node_id, *([owner] if owner is not None else []))


_ONE = {aggregate: _owners(table).where(table.id == bindparam("id"))
        for aggregate, table in OWNED.items()}


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
        table, decide = OWNED[aggregate], AGGREGATES[aggregate].decide
        assert decide is not None, aggregate
        ids = [str(event["subject"]) for _, event in items]
        if len(ids) == 1:  # a single event, the common case: asked on every API request
            found = read_rows(engine, _ONE[aggregate], {"id": ids[0]})
        else:
            with engine.connect() as connection:
                found = list(connection.execute(_owners(table).where(table.id.in_(ids))))
        rows = {row[0]: row for row in found}
        for index, event in items:
            row = rows.get(str(event["subject"]))
            if row is None:
                continue
            state: State = {"id": row[0], "exists": True, "node_id": row[1],
                            "owner_node_id": row[2] if len(row) > 2 else None}
            reason = refusal(decide, state, event)
            if reason is not None:
                errors.append(FieldError(prefix(index) + "/source", reason))
    return errors
