"""The throttle on Kafka clients' repeated log lines (services/process/log_throttle.py)."""

from __future__ import annotations

import logging

from services.process.log_throttle import Throttle


def _record(name: str, msg: str, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, None, None)


def test_a_repeated_kafka_error_is_logged_once_per_interval_with_a_count() -> None:
    now = [0]
    throttle = Throttle(interval_s=30, clock=lambda: now[0] / 1000)
    kept = []
    for _ in range(35_000 // 12):  # one line every 12 ms for 35 s, as during an outage
        record = _record("aiokafka.conn", "Unable connect to node with id %s: %s")
        if throttle.filter(record):
            kept.append(str(record.msg))
        now[0] += 12
    assert len(kept) == 2
    assert kept[1].endswith("(2499 more like it in the last 30 s left out of the log)")


def test_other_loggers_and_lower_levels_pass_untouched() -> None:
    throttle = Throttle(interval_s=30, clock=lambda: 0.0)
    assert all(throttle.filter(_record("services.worker", "dead-lettered")) for _ in range(5))
    assert all(throttle.filter(_record("aiokafka.conn", "retry", logging.INFO))
               for _ in range(5))
    assert throttle.filter(_record("aiokafka.client", "Unable to update metadata"))
    assert throttle.filter(_record("aiokafka.conn", "Unable connect"))  # another kind
    assert not throttle.filter(_record("aiokafka.client", "Unable to update metadata"))


def test_every_handler_gets_a_record_the_throttle_lets_through() -> None:
    logger = logging.getLogger("aiokafka.test-two-handlers")
    logger.propagate = False
    seen: list[list[str]] = [[], []]

    class Keep(logging.Handler):
        def __init__(self, into: list[str]) -> None:
            super().__init__()
            self.into = into

        def emit(self, record: logging.LogRecord) -> None:
            self.into.append(record.getMessage())

    throttle = Throttle(interval_s=30, clock=lambda: 0.0)
    for into in seen:
        handler = Keep(into)
        handler.addFilter(throttle)
        logger.addHandler(handler)
    for _ in range(3):
        logger.error("Unable connect to node")
    assert seen == [["Unable connect to node"], ["Unable connect to node"]]
