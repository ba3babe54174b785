"""``gotong rebuild``: empty the read model and rebuild it from the log.

Replays every typed topic from its beginning to the end offsets seen at the
start, folds the events through the same pure ``evolve`` functions the worker
uses, and replaces the read model in one transaction: readers see the old model
until the new one is complete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import orjson
from aiokafka import AIOKafkaConsumer

from events.catalog import AGGREGATE_TOPICS
from events.validation import default_validator
from services.domain import AGGREGATES
from services.domain.base import State, absorb, new_state
from services.kafka_clients import partitions_of, stop_consumer
from services.pipeline.fold import with_convener_header
from services.readmodel.db import (
    Rows,
    empty_read_model,
    make_engine,
    merge_rows,
    migrate,
    upsert,
)
from services.settings import Settings

Progress = Callable[[int, int], None]

SEEN_SET_FROM = 64  # applied ids beyond which an aggregate's duplicate check uses a set


@dataclass(frozen=True)
class RebuildResult:
    events: int
    skipped: int
    aggregates: int
    rows: int


async def fold_log(
    settings: Settings, progress: Progress | None = None
) -> tuple[dict[str, dict[str, State]], int, int]:
    """Every aggregate's state after replaying the typed topics; (states, events, skipped)."""
    validator = default_validator()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    topic_of = {topic: name for name, topic in AGGREGATE_TOPICS.items()}
    states: dict[str, dict[str, State]] = {name: {} for name in AGGREGATES}
    # the applied ids of a busy aggregate as a set: a list scan per event is quadratic
    seen_sets: dict[tuple[str, str], set[str]] = {}
    seen = skipped = 0
    try:
        partitions = await partitions_of(consumer, list(AGGREGATE_TOPICS.values()))
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        start = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
        total = sum(end[tp] - start[tp] for tp in partitions)
        remaining = {tp for tp in partitions if end[tp] > start[tp]}
        if progress:
            progress(0, total)
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=5000)
            for tp, records in batches.items():
                aggregate = AGGREGATES[topic_of[tp.topic]]
                table = states[aggregate.name]
                for record in records:
                    if record.offset >= end[tp]:
                        remaining.discard(tp)
                        break
                    seen += 1
                    try:
                        event = orjson.loads(record.value or b"")
                    except orjson.JSONDecodeError:
                        skipped += 1
                        continue
                    if validator.errors(event):
                        skipped += 1
                        continue
                    if aggregate.name == "proposal":
                        event = with_convener_header(event, record.headers)
                    subject = event["subject"]
                    state = table.get(subject)
                    if state is None:
                        state = table[subject] = new_state(subject)
                    known = seen_sets.get((aggregate.name, subject))
                    if known is None and len(state["applied"]) >= SEEN_SET_FROM:
                        known = seen_sets[(aggregate.name, subject)] = set(state["applied"])
                    absorb(aggregate.fold, state, event, known)
                if records and records[-1].offset >= end[tp] - 1:
                    remaining.discard(tp)
            if progress:
                progress(seen, total)
    finally:
        await stop_consumer(consumer)
    return states, seen, skipped


CHUNK = 2000  # aggregates per upsert: rows are built, written and let go a chunk at a time


def _chunks(states: dict[str, dict[str, State]]) -> Iterator[list[Rows]]:
    """The rows of every state, a chunk at a time, emptying ``states`` as it goes."""
    for name, by_id in states.items():
        rows_of = AGGREGATES[name].rows
        while by_id:
            chunk: list[Rows] = []
            for _ in range(min(CHUNK, len(by_id))):
                _, state = by_id.popitem()
                chunk.append(rows_of(state))
            yield chunk


async def rebuild(settings: Settings, progress: Progress | None = None) -> RebuildResult:
    states, events, skipped = await fold_log(settings, progress)
    count = sum(len(by_id) for by_id in states.values())
    engine = make_engine(settings.database_url)
    written = 0
    try:
        migrate(engine)
        with engine.begin() as connection:  # one transaction: readers see old or new, whole
            empty_read_model(connection)
            for chunk in _chunks(states):
                written += upsert(connection, merge_rows(chunk))
    finally:
        engine.dispose()
    return RebuildResult(events=events, skipped=skipped, aggregates=count, rows=written)
