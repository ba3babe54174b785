"""The overdue timer: one ``gotong.action_item.overdue.v1`` per item past its due date.

The service publishes it like any node, through ``gotong.ingest`` with its own
attestation, so it is folded (and deduplicated: its id derives from the item) by
the ingest agent and reaches the typed topic like every other event.

An item becomes overdue when it changes (a new due date, reopened) or when the
city's day changes. So the timer reads every item of its partitions only on its
first round, after a rebalance and when the date changes; in between it looks at
the items the ingest agent changed since the last round.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from events.catalog import ACTION_ITEM_OVERDUE, INGEST_TOPIC, SERVICE_NODE
from events.envelope import cloud_event
from events.signing import ATTEST_HEADER, attest
from services import clock
from services.domain.action_items import needs_overdue_event

log = logging.getLogger(__name__)

OVERDUE_NAMESPACE = uuid.UUID("6f1c1f5e-5b2a-4c59-9a57-0a9f1d3c2b10")


def overdue_event(item_id: str, due_date: str) -> dict[str, Any]:
    """The one overdue event for an item; its id is derived from the item, so a retry is a dup."""
    return cloud_event(ACTION_ITEM_OVERDUE, node=SERVICE_NODE, subject=item_id,
                       data={"due_date": due_date},
                       event_id=str(uuid.uuid5(OVERDUE_NAMESPACE, f"overdue:{item_id}")))


class OverdueWatch:
    def __init__(self, table: Any, store: Any, producer: Any, secret: bytes, timezone: str,
                 today: Callable[[], dt.date] | None = None) -> None:
        self.table = table
        self.store = store
        self.producer = producer
        self.secret = secret
        self._today = today or (lambda: clock.today(timezone))
        self._changed: set[str] = set()
        self._scanned_on: dt.date | None = None  # None: read every item at the next round
        self.sent: set[str] = set()

    def changed(self, item_id: str) -> None:
        self._changed.add(item_id)

    def rescan(self) -> None:
        """Partitions moved: read every item at the next round."""
        self._scanned_on = None

    async def tick(self) -> None:
        try:
            await self._round()
        except Exception:  # the next round reads every item again; the worker goes on
            self._scanned_on = None
            log.exception("the overdue round failed")

    async def _round(self) -> None:
        today = self._today()
        changed, self._changed = self._changed, set()
        found: dict[str, bytes | None] = {}
        if self._scanned_on != today:  # every item, as the table has it
            self._scanned_on = today
            found.update(self.table.items())
        for item_id in changed:  # changed since: as the ingest agent left it (staged)
            found[item_id] = self.store.read("action_item", item_id)
        candidates: Iterable[tuple[str, bytes | None]] = found.items()
        for item_id, stored in candidates:
            if item_id in self.sent or not stored:
                continue
            state = orjson.loads(stored)
            if needs_overdue_event(state, today):
                await self._publish(item_id, state["due_date"])

    async def _publish(self, item_id: str, due_date: str) -> None:
        value = orjson.dumps(overdue_event(item_id, due_date))
        headers = [(ATTEST_HEADER, attest(self.secret, SERVICE_NODE, value))]
        future = await self.producer.send(INGEST_TOPIC, item_id.encode(), value, None, None,
                                          headers)
        await future
        self.sent.add(item_id)
        log.info("published overdue for %s (due %s)", item_id, due_date)
