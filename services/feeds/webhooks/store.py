"""Webhook subscriptions and their delivery log in SQL: one short transaction per call."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine, delete, insert, update
from sqlmodel import Session, col, select

from events.envelope import timestamp
from services.readmodel.feed_tables import (
    ACTIVE,
    PAUSED,
    WebhookDelivery,
    WebhookSubscription,
)


def create(engine: Engine, node_id: str, url: str, filter_lists: dict[str, list[str]],
           sealed: str, private: bool) -> WebhookSubscription:
    stamp = timestamp()
    row = WebhookSubscription(id="sub_" + uuid.uuid4().hex, node_id=node_id, url=url,
                              filter=filter_lists, secret_sealed=sealed, private=private,
                              status=ACTIVE, created_at=stamp, updated_at=stamp)
    with Session(engine, expire_on_commit=False) as session:
        session.add(row)
        session.commit()
    return row


def owned(engine: Engine, node_id: str) -> list[WebhookSubscription]:
    with Session(engine) as session:
        return list(session.exec(select(WebhookSubscription)
                                 .where(WebhookSubscription.node_id == node_id)
                                 .order_by(col(WebhookSubscription.created_at))).all())


def get(engine: Engine, subscription_id: str) -> WebhookSubscription | None:
    with Session(engine) as session:
        return session.get(WebhookSubscription, subscription_id)


def by_ids(engine: Engine, ids: Iterable[str]) -> dict[str, WebhookSubscription]:
    wanted = list(set(ids))
    with Session(engine) as session:
        rows = session.exec(select(WebhookSubscription)
                            .where(col(WebhookSubscription.id).in_(wanted))).all()
    return {row.id: row for row in rows}


_ACTIVE_VERSIONS = select(col(WebhookSubscription.id), col(WebhookSubscription.updated_at)).where(
    col(WebhookSubscription.status) == ACTIVE)


def active_versions(engine: Engine) -> dict[str, str]:
    """Each active subscription's id and last change: one small query, for the worker to
    tell whether it must read the subscriptions again."""
    with engine.connect() as connection:
        return {row[0]: row[1] for row in connection.execute(_ACTIVE_VERSIONS)}


def active(engine: Engine) -> list[WebhookSubscription]:
    with Session(engine) as session:
        return list(session.exec(select(WebhookSubscription)
                                 .where(WebhookSubscription.status == ACTIVE)).all())


def set_status(engine: Engine, subscription_id: str, status: str, reason: str | None,
               *, only_if: Sequence[str] = ()) -> bool:
    values: dict[str, Any] = {"status": status, "status_reason": reason, "updated_at": timestamp()}
    if status == ACTIVE:
        values["failing_since"] = None
    stmt = update(WebhookSubscription).where(col(WebhookSubscription.id) == subscription_id)
    if only_if:
        stmt = stmt.where(col(WebhookSubscription.status).in_(list(only_if)))
    with Session(engine) as session:
        changed = session.exec(stmt.values(**values)).rowcount
        session.commit()
    return bool(changed)


def remove(engine: Engine, subscription_id: str) -> None:
    with Session(engine) as session:
        session.exec(delete(WebhookSubscription)
                     .where(col(WebhookSubscription.id) == subscription_id))
        session.exec(delete(WebhookDelivery)
                     .where(col(WebhookDelivery.subscription_id) == subscription_id))
        session.commit()


def failing(engine: Engine, subscription_id: str, at: str) -> str | None:
    """Note a failure; returns since when the subscription has been failing."""
    with Session(engine) as session:
        session.exec(update(WebhookSubscription)
                     .where(col(WebhookSubscription.id) == subscription_id,
                            col(WebhookSubscription.failing_since).is_(None))
                     .values(failing_since=at))
        session.commit()
        row = session.get(WebhookSubscription, subscription_id)
        return row.failing_since if row is not None else None


def succeeded(engine: Engine, subscription_id: str) -> None:
    with Session(engine) as session:
        session.exec(update(WebhookSubscription)
                     .where(col(WebhookSubscription.id) == subscription_id,
                            col(WebhookSubscription.failing_since).is_not(None))
                     .values(failing_since=None))
        session.commit()


def record(engine: Engine, attempts: Iterable[WebhookDelivery]) -> None:
    rows = [a.model_dump(exclude={"id"}) for a in attempts]
    if rows:
        with engine.begin() as connection:  # one executemany, not one ORM insert per row
            connection.execute(insert(WebhookDelivery), rows)


def log_of(engine: Engine, subscription_id: str, limit: int, before: int | None
           ) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if before is not None:
        query = query.where(col(WebhookDelivery.id) < before)
    with Session(engine) as session:
        return list(session.exec(query.order_by(col(WebhookDelivery.id).desc()).limit(limit)))


__all__ = ["ACTIVE", "PAUSED", "create", "owned", "get", "by_ids", "active", "set_status",
           "remove", "failing", "succeeded", "record", "log_of"]
