"""One batch of ingest records through the gate and into the aggregates' states, pure.

``fold_batch`` decides everything a batch does and performs none of it: which
records are dead letters (and why), which belong to another partition, which
events go to the typed topics, which aggregate states changed. Kafka, SQL and the
Faust tables are the caller's (``services.pipeline.ingest``); here there is only
the gate's judgement (``services.pipeline.gate``), the pure folds of
``services.domain`` and a ``load`` function for a state not seen yet.

One hop: ``gotong.ingest``, the typed topics and the state tables share the subject
as key and the partition count, so the record of an event and the state of its
aggregate live in the same partition, and the worker that reads one owns the other.
A record written to another partition (no key, another key, another partitioner)
is handed back to ingest under its subject, and folded where it belongs.

Duplicates are found in the state itself: each state keeps the ids of the events
folded into it, those the aggregate's rule refused included.

A proposal's rules ask who convened its forum, a fact of another aggregate (and
partition). While the proposal's state does not know it, the convener of its forum
(``convener_of``: the worker's table of forum openers, a forum's opener never
changes) is handed to the fold inside the event (``proposals.CONVENER``, a key no
valid event can carry; the event's bytes are unchanged) and written in a header of
the typed record (``proposals.CONVENER_HEADER``), where the rebuild finds it: the
log replays the judgement the worker made, whatever the worker knew then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import orjson

from events.catalog import FORUM_OPENED, PROPOSAL_SUBMITTED, REFUSED_HEADER, aggregate_of
from events.validation import FieldError
from services.domain import AGGREGATES, proposals
from services.domain.base import Refusals, State, absorb
from services.kafka_clients import partition_for
from services.pipeline.gate import Accepted, Rejected

Event = Mapping[str, Any]


class Record(Protocol):
    """What the fold reads of a Kafka record (Faust's ``Message`` is one)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Any: ...
    @property
    def timestamp(self) -> float | None: ...


Judge = Callable[[Record], "Accepted | Rejected"]
REFUSED = (REFUSED_HEADER, b"1")
#: the node that opened a forum, when the worker knows it
ConvenerOf = Callable[[str], "str | None"]
#: the state of (aggregate, subject) in a partition, and the set of its applied ids
Load = Callable[[str, str, int], tuple[State, set[str]]]


class Typed(NamedTuple):
    """A record for a typed topic: the event's bytes as they came, keyed by subject (a
    tuple, like the other results of a fold: one is made for every event, and a frozen
    dataclass costs several times more to make)."""

    topic: str
    partition: int
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


class DeadLetter(NamedTuple):
    record: Record  # where it came from
    rejected: Rejected
    raw: bytes | None  # the original bytes (for an event held in a state: re-encoded)


class Misrouted(NamedTuple):
    """A valid record in a partition that does not own its subject: back to ingest."""

    record: Record
    key: bytes
    partition: int


@dataclass
class Changed:
    """An aggregate state the batch touched; ``folded`` False means duplicates only
    (written again all the same: the local store can be ahead of the changelog after
    a crash, and writing the state closes that gap)."""

    aggregate: str
    subject: str
    partition: int
    state: State
    seen: set[str]
    folded: bool = False
    #: how much of its rows the read model held before the batch (``Aggregate.written``)
    since: int = 0


@dataclass
class Folded:
    typed: list[Typed] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    misrouted: list[Misrouted] = field(default_factory=list)
    changed: dict[tuple[str, str], Changed] = field(default_factory=dict)
    # the events folded now, in log order, with their ingest record's timestamp
    accepted: list[tuple[Event, float | None]] = field(default_factory=list)
    # the ids of the events refused in this batch (their own or held ones): no news
    refused_ids: set[str] = field(default_factory=set)
    duplicates: int = 0
    refused: int = 0

    def rows(self) -> Iterable[Mapping[str, list[dict[str, object]]]]:
        """The read-model rows of every state that changed (those the batch changed)."""
        return (AGGREGATES[c.aggregate].rows_since(c.state, c.since)
                for c in self.changed.values() if c.folded)


_AGGREGATE_OF: dict[Any, str] = {}


def _aggregate_of(kind: Any) -> str:
    """The aggregate that folds an event type (``events.catalog.aggregate_of``), kept by type."""
    name = _AGGREGATE_OF[kind] = aggregate_of(str(kind))
    return name


def fold_batch(records: Sequence[Record], *, judge: Judge, load: Load,
               partitions: int, convener_of: ConvenerOf | None = None) -> Folded:
    """What ``records`` (ingest records, in log order) do; states are folded in place."""
    out = Folded()
    changed = out.changed
    by_id: dict[str, Record] = {}
    verdicts = [judge(record) for record in records]
    if convener_of is not None:
        convener_of = _and_opened_in(verdicts, convener_of)
    for record, verdict in zip(records, verdicts, strict=True):
        if isinstance(verdict, Rejected):
            out.dead.append(DeadLetter(record, verdict, record.value))
            continue
        event = verdict.event
        subject = str(event["subject"])
        key = subject.encode()
        home = partition_for(key, partitions)
        if home != record.partition:
            out.misrouted.append(Misrouted(record, key, home))
            continue
        kind = event["type"]
        name = _AGGREGATE_OF.get(kind) or _aggregate_of(kind)
        slot = changed.get((name, subject))
        if slot is None:
            state, seen = load(name, subject, home)
            slot = changed[(name, subject)] = Changed(
                name, subject, home, state, seen, since=AGGREGATES[name].written(state))
        folded_event: Event = event
        headers: tuple[tuple[str, bytes], ...] = ()
        if name == "proposal" and convener_of is not None:
            folded_event, headers = with_convener(event, slot.state, convener_of)
        refused = absorb(AGGREGATES[name].fold, slot.state, folded_event, slot.seen)
        if refused is None:
            out.duplicates += 1
            continue
        slot.folded = True
        event_id = str(event["id"])
        by_id[event_id] = record
        if any(str(r.event["id"]) == event_id for r in refused):
            headers = (*headers, REFUSED)  # in the log (a replay judges it again), no news
        out.typed.append(Typed(verdict.topic, home, key, record.value or b"", headers))
        out.accepted.append((event, record.timestamp))
        if refused:
            out.refused += len(refused)
            out.refused_ids.update(str(r.event["id"]) for r in refused)
            out.dead.extend(_dead_letters(refused, record, by_id))
    return out


def _and_opened_in(verdicts: Sequence[Accepted | Rejected], convener_of: ConvenerOf
                   ) -> ConvenerOf:
    """``convener_of``, which also knows the forums the batch opens: a forum's opening and
    its first proposals often come in one batch, in partitions folded in any order (the
    table learns a forum only once its batch is done). The first opening of a forum is its
    opener, unless the forum was opened before (``convener_of`` says so first)."""
    opened: dict[str, str] = {}
    for verdict in verdicts:
        if isinstance(verdict, Accepted) and verdict.event["type"] == FORUM_OPENED:
            opened.setdefault(str(verdict.event["subject"]), verdict.node)
    if not opened:
        return convener_of

    def known(forum: str) -> str | None:
        return convener_of(forum) or opened.get(forum)

    return known


def with_convener(event: Event, state: State, convener_of: ConvenerOf
                   ) -> tuple[Event, tuple[tuple[str, bytes], ...]]:
    """The event as the proposal's fold gets it, and the headers of its typed record: with
    the convener of the proposal's forum while the state does not know it (asked once per
    proposal, then the state keeps it), and always on what the convener's rule judges
    (``proposals.CHECKED``), empty when not known: a judged record without the header is
    one from before the rule, which the rebuild judges as it was judged then."""
    checked = event["type"] in proposals.CHECKED
    known = state.get("convener")
    if known is not None:
        if not checked:
            return event, ()
        convener: str | None = known
    else:
        forum = state.get("forum_id")
        if forum is None and event["type"] == PROPOSAL_SUBMITTED:
            forum = event["data"]["forum_id"]
        convener = convener_of(str(forum)) if forum is not None else None
        if not convener and not checked:
            return event, ()
    stamp = convener or ""
    return ({**event, proposals.CONVENER: stamp}, ((proposals.CONVENER_HEADER, stamp.encode()),))


def with_convener_header(event: dict[str, Any], headers: Any) -> dict[str, Any]:
    """A typed record's event as the worker folded it: with the convener its header holds
    (the rebuild's side of ``with_convener``). A judged event without the header was
    written before the convener's rule, and is judged by the rule of then."""
    for name, value in headers or ():
        if name == proposals.CONVENER_HEADER:
            event[proposals.CONVENER] = bytes(value or b"").decode()
            return event
    if event.get("type") in proposals.CHECKED:
        event[proposals.BEFORE_CONVENERS] = True
    return event


def _dead_letters(refused: Refusals, record: Record, by_id: Mapping[str, Record]
                  ) -> list[DeadLetter]:
    """Dead letters for the events the aggregate's ``decide`` refused (a node acting on
    what it does not own). An event held until its aggregate's creation is judged with
    the creation: its dead letter carries it re-encoded, from the creation's record."""
    letters = []
    for refusal in refused:
        refused_id = str(refusal.event["id"])
        own = by_id.get(refused_id)  # its own record, when it came in this batch
        raw = own.value if own is not None else orjson.dumps(
            {k: v for k, v in refusal.event.items() if k not in proposals.WORKER_KEYS})
        rejected = Rejected(f"not allowed: {refusal.reason}",
                            [FieldError("/source", refusal.reason)], refused_id)
        letters.append(DeadLetter(own or record, rejected, raw))
    return letters
