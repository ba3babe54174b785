"""Due soon: a commitment due within three days is told of once to its owner node's
people and its followers (overdue comes from the log: ``gotong.action_item.overdue.v1``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services import clock
from services.notify.agent import DUE_SOON_DAYS, due_soon_event, notify
from services.readmodel.tables import ActionItem

log = logging.getLogger(__name__)

OPEN = ("open", "in_progress", "blocked")


def due_soon(engine: Engine, today: dt.date) -> list[tuple[str, str]]:
    """(item, due date) of the open commitments due from today to three days on."""
    last = (today + dt.timedelta(days=DUE_SOON_DAYS)).isoformat()
    with Session(engine) as session:
        return [(r[0], r[1]) for r in session.exec(
            select(ActionItem.id, ActionItem.due_date)
            .where(col(ActionItem.due_date) >= today.isoformat(),
                   col(ActionItem.due_date) <= last, col(ActionItem.status).in_(OPEN)))]


def check(engine: Engine, timezone: str) -> int:
    now = dt.datetime.now(dt.UTC)
    found = due_soon(engine, clock.today(timezone, now))
    stamp = now.isoformat(timespec="milliseconds")
    events = [due_soon_event(item, due, stamp) for item, due in found]
    return notify(engine, events, wait_s=0) if events else 0


class DueSoonWatch:
    def __init__(self, engine: Engine, timezone: str) -> None:
        self.engine = engine
        self.timezone = timezone

    async def tick(self) -> None:
        try:
            await asyncio.to_thread(check, self.engine, self.timezone)
        except Exception:  # the next round tries again; the worker goes on
            log.exception("the due-soon round failed")
