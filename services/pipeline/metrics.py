"""What a worker tells Prometheus, at ``GET /metrics`` on ``GOTONG_METRICS_PORT``.

Counted once per batch, not per event (a label lookup and a lock per event would
cost more than folding it): records read, events folded and dead-lettered by type,
duplicates, the stages of a batch, the consumer lag per partition of
``gotong.ingest``, and the time from publishing an event to its row in the read
model. The process collector of ``prometheus_client`` adds CPU seconds and memory.
"""

from __future__ import annotations

import logging
import threading
import time
from bisect import bisect_left
from collections import Counter as Tally
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import accumulate
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    start_http_server,
)
from prometheus_client.metrics_core import HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from events.catalog import known_types

log = logging.getLogger(__name__)

RECORDS = Counter("gotong_ingest_records", "Records read from gotong.ingest.")
FOLDED = Counter("gotong_events_folded",
                 "Events folded into their aggregate and written to the typed topics.", ["type"])
DUPLICATES = Counter("gotong_events_duplicate",
                     "Events already folded (a retry, a replay): they changed nothing.")
DEAD = Counter("gotong_dead_letters", "Records written to gotong.dead-letter, by event type "
               "('unknown' when there is none) and reason.", ["type", "reason"])
MISROUTED = Counter("gotong_records_misrouted",
                    "Valid records in a partition that does not own their subject, handed back "
                    "to gotong.ingest under their subject.")
BATCH = Histogram("gotong_ingest_batch_records", "Records per batch of the ingest agent.",
                  buckets=(1, 10, 50, 100, 500, 1000, 2000, 5000, 10000, 20000, 50000))
STAGE_BUCKETS = (.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)
FOLD = Histogram("gotong_fold_seconds", "Judging and folding one batch.", buckets=STAGE_BUCKETS)
KAFKA = Histogram("gotong_kafka_wait_seconds", "Waiting for Kafka to acknowledge a batch's "
                  "records (and for its read-model transaction).", buckets=STAGE_BUCKETS)
SQL = Histogram("gotong_sql_flush_seconds", "One read-model transaction (one per batch).",
                buckets=STAGE_BUCKETS)
STATE = Histogram("gotong_state_flush_seconds",
                  "Writing a batch's changed states to the tables (RocksDB and changelog).",
                  buckets=STAGE_BUCKETS)


class BatchHistogram(Collector):
    """A histogram observed a batch of values at a time (a custom collector of
    ``prometheus_client``): ``Histogram.observe`` takes a lock and walks the buckets for
    every value, which for the latency of every event cost more than folding it."""

    def __init__(self, name: str, documentation: str, buckets: Sequence[float],
                 registry: CollectorRegistry = REGISTRY) -> None:
        self.name, self.documentation = name, documentation
        self.bounds = tuple(sorted(float(b) for b in buckets))
        self._counts = [0] * (len(self.bounds) + 1)  # the last one: above every bound
        self._sum = 0.0
        self._lock = threading.Lock()
        registry.register(self)

    def observe_many(self, values: Iterable[float]) -> None:
        bounds = self.bounds
        counts = [0] * len(self._counts)
        total = 0.0
        for value in values:
            counts[bisect_left(bounds, value)] += 1  # the first bound >= value ("le")
            total += value
        with self._lock:
            self._counts = [a + b for a, b in zip(self._counts, counts, strict=True)]
            self._sum += total

    def collect(self) -> Iterator[HistogramMetricFamily]:
        with self._lock:
            counts, total = list(self._counts), self._sum
        cumulative = list(accumulate(counts))
        buckets = [(floatToGoString(b), c) for b, c in zip(self.bounds, cumulative, strict=False)]
        buckets.append(("+Inf", cumulative[-1]))
        yield HistogramMetricFamily(self.name, self.documentation, buckets=buckets,
                                    sum_value=total)


LATENCY = BatchHistogram("gotong_publish_to_projection_seconds",
                         "From an event's record on gotong.ingest to its row in the read model.",
                         # fine around a quarter of a second, where a p99 target lies
                         buckets=(.005, .01, .025, .05, .075, .1, .15, .2, .25, .3, .5, .75, 1,
                                  2.5, 5, 10, 30, 60, 120, 300))
LAG = Gauge("gotong_consumer_lag", "Records of gotong.ingest not processed yet, per partition "
            "this worker owns.", ["topic", "partition"])
CACHE = Counter("gotong_state_cache_lookups", "State lookups of the ingest agent, by result.",
                ["result"])
WEBHOOKS = Counter("gotong_webhook_deliveries", "Webhook delivery attempts by outcome.",
                   ["outcome"])

_KNOWN = frozenset(known_types())

#: the first words of a dead letter's reason, as a label with few values
REASONS = (("empty record", "empty"), ("not JSON", "not_json"),
           ("unknown event type", "unknown_type"), ("not a valid event", "invalid"),
           ("unauthenticated", "unsigned"), ("bad attestation", "bad_attestation"),
           ("signed by node", "unknown_key"), ("bad signature", "bad_signature"),
           ("source", "wrong_source"), ("not allowed", "not_allowed"),
           ("internal error", "internal"))


def reason_label(reason: str) -> str:
    for prefix, label in REASONS:
        if reason.startswith(prefix):
            return label
    return "other"


def type_label(kind: Any) -> str:
    return kind if isinstance(kind, str) and kind in _KNOWN else "unknown"


def batch_done(records: int, folded: Mapping[str, int], duplicates: int,
               dead: Iterable[tuple[Any, str]], misrouted: int,
               stages: Mapping[str, float]) -> None:
    """Count one batch: ``folded`` the events folded by type, ``dead`` (type, reason)
    of its dead letters, ``stages`` seconds by stage (fold, kafka, state)."""
    RECORDS.inc(records)
    BATCH.observe(records)
    for kind, count in folded.items():
        FOLDED.labels(kind).inc(count)
    if duplicates:
        DUPLICATES.inc(duplicates)
    for (kind, reason), count in Tally((type_label(k), reason_label(r)) for k, r in dead).items():
        DEAD.labels(kind, reason).inc(count)
    if misrouted:
        MISROUTED.inc(misrouted)
    FOLD.observe(stages["fold"])
    KAFKA.observe(stages["kafka"])
    STATE.observe(stages["state"])


def projected(timestamps: Sequence[float | None], at: float | None = None) -> None:
    """The events whose ingest records have these timestamps are in the read model now."""
    now = time.time() if at is None else at
    LATENCY.observe_many([max(0.0, now - stamp) for stamp in timestamps if stamp])


def set_lag(lags: Mapping[tuple[str, int], int]) -> int:
    """The lag of each partition this worker owns (others are dropped); the total."""
    LAG.clear()
    for (topic, partition), lag in lags.items():
        LAG.labels(topic, str(partition)).set(lag)
    return sum(lags.values())


def serve(port: int, host: str) -> bool:
    """Serve ``/metrics`` on ``host:port`` from a thread; False (logged) when it cannot."""
    if not port:
        return False
    try:
        start_http_server(port, addr=host)
    except OSError as exc:
        log.warning("metrics: cannot listen on %s:%s (%s); this worker serves no /metrics",
                    host, port, exc)
        return False
    log.info("metrics on http://%s:%s/metrics", host, port)
    return True
