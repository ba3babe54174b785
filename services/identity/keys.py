"""Node API keys: generated once, shown once, stored only as a SHA-256 hash.

A key has scopes (``publish``, ``subscribe``, ``read_private``). Rotating a
node's key issues a new one with the same scopes and lets the old ones work for
a grace period; revoking ends every key of the node at once.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam
from sqlmodel import Session, col, select

from events.catalog import SERVICE_NODE
from services.readmodel.db import read_rows
from services.readmodel.tables import NodeCredential

KEY_PREFIX = "gtk_"
SCOPES = ("publish", "subscribe", "read_private")
DEFAULT_SCOPES = ("publish", "subscribe")


@dataclass(frozen=True)
class Credential:
    node_id: str
    scopes: frozenset[str]


def hash_key(key: str) -> str:
    # Keys are 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def check_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    return wanted


def issue_key(engine: Engine, node_id: str, scopes: Iterable[str] = DEFAULT_SCOPES) -> str:
    """Create and store (hashed) a new API key for ``node_id``; return the key itself."""
    if node_id == SERVICE_NODE:
        raise ValueError(f"{SERVICE_NODE!r} is the service's own node: it has no API key")
    key = new_key()
    with Session(engine) as session:
        session.add(NodeCredential(key_id=secrets.token_hex(8), node_id=node_id,
                                   key_hash=hash_key(key), created_at=_stamp(_now()),
                                   scopes=",".join(check_scopes(scopes))))
        session.commit()
    return key


def has_key(engine: Engine, node_id: str) -> bool:
    with Session(engine) as session:
        found = session.exec(
            select(NodeCredential.key_id).where(NodeCredential.node_id == node_id)
        ).first()
    return found is not None


def _live(revoked_at: str | None, expires_at: str | None, now: str | None = None) -> bool:
    """Not revoked, not past its grace period (at ``now``; by default the present)."""
    if revoked_at is not None:
        return False
    return expires_at is None or expires_at > (now or _stamp(_now()))


def credential_for_key(engine: Engine, key: str) -> Credential | None:
    """The node and scopes of a valid key (not revoked, not past its grace period), or None."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    # on every API request: reused until the database changes (a revocation by the command
    # line counts at once)
    found = read_rows(engine, _BY_HASH, {"key_hash": hash_key(key)}, reuse=True)
    if not found:
        return None
    node_id, scopes, revoked_at, expires_at = found[0]
    if not _live(revoked_at, expires_at):
        return None
    return Credential(node_id, _scope_set(scopes))


@functools.lru_cache(maxsize=64)
def _scope_set(scopes: str) -> frozenset[str]:
    """The scopes of a stored list (``publish,subscribe``): made once per list, not per
    API request."""
    return frozenset(s for s in scopes.split(",") if s)


_BY_HASH = (select(NodeCredential.node_id, NodeCredential.scopes,
                   NodeCredential.revoked_at, NodeCredential.expires_at)
            .where(NodeCredential.key_hash == bindparam("key_hash")))


def node_for_key(engine: Engine, key: str, scope: str = "publish") -> str | None:
    """The node a valid key belongs to, if the key has ``scope``; else None."""
    cred = credential_for_key(engine, key)
    if cred is None or scope not in cred.scopes:
        return None
    return cred.node_id


def _live_credentials(session: Session, node_id: str) -> list[NodeCredential]:
    now = _stamp(_now())
    rows = session.exec(select(NodeCredential).where(NodeCredential.node_id == node_id)
                        .order_by(col(NodeCredential.created_at))).all()
    return [c for c in rows if _live(c.revoked_at, c.expires_at, now)]


def rotate_key(engine: Engine, node_id: str, grace: dt.timedelta,
               scopes: Iterable[str] | None = None) -> tuple[str, str]:
    """Issue a new key; the node's current keys keep working for ``grace``.

    Returns (new key, end of the grace period). The new key keeps the newest old
    key's scopes unless ``scopes`` is given.
    """
    until = _stamp(_now() + grace)
    with Session(engine) as session:
        current = _live_credentials(session, node_id)
        if not current:
            raise LookupError(f"node {node_id!r} has no valid API key to rotate")
        kept = check_scopes(scopes) if scopes is not None else tuple(current[-1].scopes.split(","))
        for cred in current:
            if cred.expires_at is None or cred.expires_at > until:
                cred.expires_at = until
                session.add(cred)
        key = new_key()
        session.add(NodeCredential(key_id=secrets.token_hex(8), node_id=node_id,
                                   key_hash=hash_key(key), created_at=_stamp(_now()),
                                   scopes=",".join(kept)))
        session.commit()
    return key, until


def revoke_keys(engine: Engine, node_id: str) -> int:
    """Revoke every key of ``node_id`` now; returns how many were still valid."""
    now = _stamp(_now())
    with Session(engine) as session:
        current = _live_credentials(session, node_id)
        for cred in current:
            cred.revoked_at = now
            session.add(cred)
        session.commit()
    return len(current)


@dataclass(frozen=True)
class KeyInfo:
    """What an admin sees of a key: never the key, nor its hash."""

    key_id: str
    created_at: str
    scopes: tuple[str, ...]
    live: bool
    expires_at: str | None
    revoked_at: str | None


def keys_of(engine: Engine, node_id: str) -> list[KeyInfo]:
    """A node's keys, newest first."""
    now = _stamp(_now())
    with Session(engine) as session:
        rows = session.exec(select(NodeCredential).where(NodeCredential.node_id == node_id)
                            .order_by(col(NodeCredential.created_at).desc())).all()
    return [KeyInfo(c.key_id, c.created_at, tuple(s for s in c.scopes.split(",") if s),
                    _live(c.revoked_at, c.expires_at, now), c.expires_at, c.revoked_at)
            for c in rows]


def live_key_counts(engine: Engine) -> dict[str, int]:
    """How many valid keys each node has (nodes without any are absent)."""
    now = _stamp(_now())
    counts: dict[str, int] = {}
    with Session(engine) as session:
        for node_id, revoked_at, expires_at in session.exec(
                select(NodeCredential.node_id, NodeCredential.revoked_at,
                       NodeCredential.expires_at)).all():
            if _live(revoked_at, expires_at, now):
                counts[node_id] = counts.get(node_id, 0) + 1
    return counts
