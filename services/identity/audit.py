"""The audit log of accounts and nodes: who changed what, when; never a secret.

Like the accounts themselves it lives beside the read model and is never rebuilt from
the log (none of it is an event: an e-mail address or a key never goes in a public
event). An entry is written in the same transaction as the change it records, where
the change is made here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Field, Session, SQLModel, col, select

#: what an entry says happened
ACTIONS = ("node_registered", "key_rotated", "keys_revoked", "invite_created", "invite_used",
           "password_changed", "email_changed", "reset_created", "reset_used", "user_added")
#: the actor of a change made on the server's command line
COMMAND_LINE = "(command line)"


class AuditEntry(SQLModel, table=True):
    __tablename__ = "site_audit"
    id: int | None = Field(default=None, primary_key=True)
    at: str = Field(index=True)
    actor: str
    action: str
    target: str
    node_id: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Page:
    entries: list[AuditEntry]
    next_before: int | None


def now_stamp() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def note(session: Session, actor: str, action: str, target: str, *,
         node_id: str | None = None, detail: str | None = None) -> None:
    """Add an entry to ``session``'s transaction (committed with the change)."""
    assert action in ACTIONS, action
    session.add(AuditEntry(at=now_stamp(), actor=actor, action=action, target=target,
                           node_id=node_id, detail=detail))


def record(engine: Engine, actor: str, action: str, target: str, *,
           node_id: str | None = None, detail: str | None = None) -> None:
    """An entry of its own, for a change made elsewhere (a node's keys, an event)."""
    with Session(engine) as session:
        note(session, actor, action, target, node_id=node_id, detail=detail)
        session.commit()


def entries(engine: Engine, limit: int = 50, before: int | None = None) -> Page:
    """The newest entries first, ``limit`` at a time; ``before``: an entry id (the next page)."""
    with Session(engine) as session:
        query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit + 1)
        if before is not None:
            query = query.where(col(AuditEntry.id) < before)
        found = list(session.exec(query).all())
    more = len(found) > limit
    shown = found[:limit]
    return Page(shown, shown[-1].id if more and shown else None)
