"""What every aggregate shares: idempotent application of events to plain-dict state.

State is plain JSON-able data (it is stored in Faust tables and compared in tests).
Every state records the ids of the events folded into it, so applying an event a
second time (a duplicate, a replay, a redelivery after a crash) changes nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

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
    # what isoformat(timespec="microseconds") writes, in half its time: every event's
    # time passes here
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031 (faster than an f-string)
        parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute, parsed.second,
        parsed.microsecond)


def node_of(event: Event) -> str:
    source: str = event["source"]
    return source.removeprefix("/nodes/")


class Refusal(NamedTuple):
    """An event the aggregate's ``decide`` refused, and why. It changed nothing but the
    list of applied ids (a redelivery is a duplicate); the worker dead-letters it."""

    event: Event
    reason: str

    @property
    def node_id(self) -> str:
        return node_of(self.event)


Refusals = tuple[Refusal, ...]
NO_REFUSALS: Refusals = ()
#: why ``event`` may not change ``state`` (an aggregate that exists), or None
Decide = Callable[[State, Event], "str | None"]
#: fold an event into a state in place; the refusals are the events it did not apply
Fold = Callable[[State, Event], Refusals]


def refusal(decide: Decide, state: State, event: Event) -> str | None:
    """Why ``event`` may not change ``state`` (which exists); the service passes every rule."""
    return None if node_of(event) == SERVICE_NODE else decide(state, event)


def allows(decide: Decide, state: State, kind: str, node: str) -> bool:
    """Whether ``node`` may publish an event of type ``kind`` about ``state``: what a page
    asks before it offers a form."""
    probe = {"id": "", "type": kind, "source": f"/nodes/{node}", "subject": state["id"]}
    return refusal(decide, state, probe) is None


def guarded(evolve: Evolve, creation: str, checked: frozenset[str], decide: Decide) -> Fold:
    """``evolve`` behind the aggregate's ``decide``: who may change what.

    A node's key proves who publishes, not what it may touch: the owner of an action
    item reports its progress, a meeting's convener publishes its minutes, only the
    creator updates what it created. ``decide`` is asked for the creation event once the
    aggregate exists, and for the types in ``checked``. The service itself
    (``SERVICE_NODE``: its timer, a site admin acting for another node) passes every
    rule; no key is ever issued for it, and the gate accepts it only attested by the
    web or the CLI.

    Such an event that arrives before its aggregate's creation cannot be judged yet:
    it is held in the state and folded, in arrival order, right after the creation,
    which gives the result of the canonical order (creation first). What ``decide``
    refuses is returned, never written into the state.
    """

    def guarded_fold(state: State, event: Event) -> Refusals:
        kind = event["type"]
        if not state["exists"]:
            if kind == creation:
                evolve(state, event)
                held = state.pop("held", None)
                if not held:
                    return NO_REFUSALS
                refused: list[Refusal] = []
                for early in held:
                    refused.extend(guarded_fold(state, early))
                return tuple(refused)
            if kind in checked:
                state.setdefault("held", []).append(dict(event))
            else:
                evolve(state, event)
            return NO_REFUSALS
        if kind == creation or kind in checked:
            reason = refusal(decide, state, event)
            if reason is not None:
                return (Refusal(event, reason),)
        evolve(state, event)
        return NO_REFUSALS

    guarded_fold.__name__ = getattr(evolve, "__name__", "fold")
    guarded_fold.__doc__ = evolve.__doc__
    return guarded_fold


def open_to_all(evolve: Evolve) -> Fold:
    """The fold of an aggregate whose events any node may publish (no ``decide``)."""

    def fold(state: State, event: Event) -> Refusals:
        evolve(state, event)
        return NO_REFUSALS

    fold.__doc__ = evolve.__doc__
    return fold


def settle(state: State) -> None:
    """Let ``state`` forget, in place, what it holds only for the batch that folds it.
    States written before refusals were returned carried them (and their count)."""
    state.pop("refused", None)
    state.pop("refused_count", None)


def new_state(subject: str) -> State:
    return {"id": subject, "exists": False, "version": 0, "applied": []}


def absorb(fold: Fold, state: State, event: Event, seen: set[str] | None = None
           ) -> Refusals | None:
    """Fold ``event`` into ``state`` in place, once: what ``decide`` refused on the way
    (usually nothing), or None when the event was folded in already.

    ``seen``, when given, is the set of ``state["applied"]``, kept by the caller beside a
    state it folds into again and again: the test is then constant-time, not a scan of
    every id the aggregate ever applied.
    """
    event_id = event["id"]
    if event_id in (state["applied"] if seen is None else seen):
        return None
    refused = fold(state, event)
    state["applied"].append(event_id)
    state["version"] += 1
    if seen is not None:
        seen.add(event_id)
    return refused


def apply(fold: Fold, state: State | None, event: Event) -> State:
    """Fold ``event`` into a copy of ``state`` unless it was folded in already.

    Returns the same object when the event is a duplicate, so callers can tell
    "nothing changed" with ``is``.
    """
    if state is not None and event["id"] in state["applied"]:
        return state
    new = new_state(event["subject"]) if state is None else copy.deepcopy(state)
    absorb(fold, new, event)
    return new


def apply_many(fold: Fold, state: State | None, events: list[Event]) -> State | None:
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


def replay(fold: Fold, events: list[Event]) -> State | None:
    """The state of one aggregate after ``events`` in log order: the rebuild, in miniature."""
    return apply_many(fold, None, events)


def judged(fold: Fold, events: list[Event]) -> tuple[State | None, list[Refusal]]:
    """``replay``, with what was refused on the way (in the order it was refused)."""
    state: State | None = None
    refused: list[Refusal] = []
    for event in events:
        state = new_state(event["subject"]) if state is None else state
        refused.extend(absorb(fold, state, event) or ())
    return state, refused
