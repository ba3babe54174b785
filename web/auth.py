"""Node API keys: generated once, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import Engine
from sqlmodel import Session, select

from services.readmodel.tables import NodeCredential

KEY_PREFIX = "gtk_"


def hash_key(key: str) -> str:
    # Keys are 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def issue_key(engine: Engine, node_id: str) -> str:
    """Create and store (hashed) a new API key for ``node_id``; return the key itself."""
    key = new_key()
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with Session(engine) as session:
        session.add(NodeCredential(key_id=secrets.token_hex(8), node_id=node_id,
                                   key_hash=hash_key(key), created_at=now))
        session.commit()
    return key


def has_key(engine: Engine, node_id: str) -> bool:
    with Session(engine) as session:
        found = session.exec(
            select(NodeCredential.key_id).where(NodeCredential.node_id == node_id)
        ).first()
    return found is not None


def node_for_key(engine: Engine, key: str) -> str | None:
    """The node a valid, unrevoked key belongs to, or None."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    with Session(engine) as session:
        cred = session.exec(
            select(NodeCredential).where(NodeCredential.key_hash == hash_key(key))
        ).first()
    if cred is None or cred.revoked_at is not None:
        return None
    return cred.node_id
