"""What every aggregate shares: idempotent application of events to plain-dict state.

State is plain JSON-able data (it is stored in Faust tables and compared in tests).
Every state records the ids of the events folded into it, so applying an event a
second time (a duplicate, a replay, a redelivery after a crash) changes nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from events.catalog import SERVICE_NODE

State = dict[str, Any]
Event = Mapping[str, Any]
Evolve = Callable[[State, Event], None]


def utc(timestamp: str) -> str:
    """An RFC 3339 timestamp normalised to UTC with a ``Z``, so strings sort by time."""
    parsed = dt.datetime.fromisoformat(timestamp.replace("z", "Z"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    elif parsed.utcoffset():
        parsed = parsed.astimezone(dt.UTC)
    # what isoformat(timespec="microseconds") writes, in half its time (every event's
    # time passes here: it was 2% of the worker's CPU)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031 (faster than an f-string)
        parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute, parsed.second,
        parsed.microsecond)


def node_of(event: Event) -> str:
    source: str = event["source"]
    return source.removeprefix("/nodes/")


Rule = Callable[[State, Event], "str | None"]

def guarded(fold: Evolve, creation: str, checked: frozenset[str], rule: Rule) -> Evolve:
    """``fold`` behind the aggregate's object-level rule: who may change what.

    A node's key proves who publishes, not what it may touch: the owner of an action
    item reports its progress, a meeting's convener publishes its minutes, only the
    creator updates what it created. ``rule(state, event)`` says why ``event`` may not
    change ``state`` (or None); it is asked for the creation event once the aggregate
    exists, and for the types in ``checked``. The service itself (``SERVICE_NODE``: its
    timer, a site admin acting for another node) passes every rule; no key is ever
    issued for it, and the gate accepts it only attested by the web or the CLI.

    Such an event that arrives before its aggregate's creation cannot be judged yet:
    it is held in the state and folded, in arrival order, right after the creation,
    which gives the result of the canonical order (creation first). A refused event
    changes nothing but the state's ``refused`` list (its id, type, node and reason;
    the worker dead-letters it), and still counts as applied, so a redelivery is a
    duplicate.
    """

    def guarded_fold(state: State, event: Event) -> None:
        kind = event["type"]
        if not state["exists"]:
            if kind == creation:
                fold(state, event)
                for held in state.pop("held", []):
                    guarded_fold(state, held)
            elif kind in checked:
                state.setdefault("held", []).append(dict(event))
            else:
                fold(state, event)
            return
        if (kind == creation or kind in checked) and node_of(event) != SERVICE_NODE:
            reason = rule(state, event)
            if reason is not None:
                refuse(state, event, reason)
                return
        fold(state, event)

    guarded_fold.__name__ = getattr(fold, "__name__", "fold")
    guarded_fold.__doc__ = fold.__doc__
    return guarded_fold


def refuse(state: State, event: Event, reason: str) -> None:
    refused = state.setdefault("refused", [])
    refused.append({"id": event["id"], "type": event["type"], "node_id": node_of(event),
                    "reason": reason})
    state["refused_count"] = state.get("refused_count", 0) + 1
    # kept whole until the state settles: one creation can refuse any number of held
    # events, and each needs its dead letter (it was cut at 50, losing the rest)


def settle(state: State) -> None:
    """Let ``state`` forget, in place, what it holds only for the batch that folds it: its
    refusals, once their dead letters are written (the dead-letter topic keeps each
    with its reason; ``refused_count`` goes on). An action item refused a few dozen
    times carried some 12 kB of them into every later write of its state."""
    state.pop("refused", None)


def new_state(subject: str) -> State:
    return {"id": subject, "exists": False, "version": 0, "applied": []}


def absorb(fold: Evolve, state: State, event: Event, seen: set[str] | None = None) -> bool:
    """Fold ``event`` into ``state`` in place, once; False when it was folded in already.

    ``seen``, when given, is the set of ``state["applied"]``, kept by the caller beside a
    state it folds into again and again: the test is then constant-time, not a scan of
    every id the aggregate ever applied.
    """
    event_id = event["id"]
    if event_id in (state["applied"] if seen is None else seen):
        return False
    fold(state, event)
    state["applied"].append(event_id)
    state["version"] += 1
    if seen is not None:
        seen.add(event_id)
    return True


def apply(fold: Evolve, state: State | None, event: Event) -> State:
    """Fold ``event`` into a copy of ``state`` unless it was folded in already.

    Returns the same object when the event is a duplicate, so callers can tell
    "nothing changed" with ``is``.
    """
    if state is not None and event["id"] in state["applied"]:
        return state
    new = new_state(event["subject"]) if state is None else copy.deepcopy(state)
    absorb(fold, new, event)
    return new


def apply_many(fold: Evolve, state: State | None, events: list[Event]) -> State | None:
    """Fold several events of one aggregate, copying the state at most once.

    Returns the same object when every event was a duplicate.
    """
    result = state
    copied = False
    for event in events:
        if result is not None and event["id"] in result["applied"]:
            continue
        if not copied:
            result = new_state(event["subject"]) if result is None else copy.deepcopy(result)
            copied = True
        assert result is not None
        absorb(fold, result, event)
    return result


def replay(fold: Evolve, events: list[Event]) -> State | None:
    """The state of one aggregate after ``events`` in log order: the rebuild, in miniature."""
    return apply_many(fold, None, events)
