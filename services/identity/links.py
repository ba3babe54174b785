"""One-time links: an invite to join a node, and a password reset.

A link carries 256 random bits; only their SHA-256 is stored (like session tokens and
API keys, there is nothing to brute-force), so the database never holds a usable link
and the lookup by hash compares no secret in Python. A link works once, until it
expires; using it is one transaction that claims it (``used_at IS NULL``) and makes
the account or sets the password, so two tabs cannot both use it.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Engine, update
from sqlmodel import Field, Session, SQLModel, col, select

from services.identity import audit
from services.identity.accounts import (
    AccountError,
    CurrentUser,
    SiteUser,
    new_user,
    set_password,
)
from services.identity.rules import INVITE_DAYS, RESET_HOURS, expired, may_invite

MAX_TOKEN = 100


class SiteInvite(SQLModel, table=True):
    __tablename__ = "site_invites"
    token_hash: str = Field(primary_key=True)
    node_id: str = Field(index=True)
    role: str
    created_by: str
    created_at: float
    expires_at: float
    used_at: float | None = None
    used_by: str | None = None


class PasswordReset(SQLModel, table=True):
    __tablename__ = "site_password_resets"
    token_hash: str = Field(primary_key=True)
    username: str = Field(index=True)
    created_by: str
    created_at: float
    expires_at: float
    used_at: float | None = None


class LinkError(ValueError):
    """The link is unknown, used or expired (one answer for all three: nothing to probe)."""


@dataclass(frozen=True)
class Invite:
    node_id: str
    role: str
    created_by: str
    expires_at: float


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _usable(token: str) -> bool:
    return bool(token) and len(token) <= MAX_TOKEN


def create_invite(engine: Engine, inviter: CurrentUser, node_id: str, role: str,
                  now: float | None = None) -> str:
    """A link's token for joining ``node_id`` as ``role``; ``PermissionError`` if the
    inviter may not give that (``rules.may_invite``)."""
    if not may_invite(inviter, node_id, role):
        raise PermissionError(f"{inviter.role} of {inviter.node_id} may not invite a {role} "
                              f"to {node_id}")
    token = secrets.token_urlsafe(32)
    now = time.time() if now is None else now
    with Session(engine) as session:
        session.add(SiteInvite(token_hash=_hash(token), node_id=node_id, role=role,
                               created_by=inviter.username, created_at=now,
                               expires_at=now + INVITE_DAYS * 86400))
        audit.note(session, inviter.username, "invite_created", node_id, node_id=node_id,
                   detail=f"role {role}")
        session.commit()
    return token


_Link = TypeVar("_Link", SiteInvite, PasswordReset)


def _live(engine: Engine, table: type[_Link], token: str, now: float | None) -> _Link:
    """The unused, unexpired link of ``table`` that ``token`` opens; ``LinkError``
    otherwise."""
    if not _usable(token):
        raise LinkError("unknown link")
    with Session(engine) as session:
        found = session.get(table, _hash(token))
    if found is None or found.used_at is not None or expired(
            found.expires_at, time.time() if now is None else now):
        raise LinkError("unknown, used or expired link")
    return found


def open_invite(engine: Engine, token: str, now: float | None = None) -> Invite:
    """What a live invite offers; ``LinkError`` otherwise."""
    found = _live(engine, SiteInvite, token, now)
    return Invite(found.node_id, found.role, found.created_by, found.expires_at)


def accept_invite(engine: Engine, token: str, username: str, *, name: str, password: str,
                  email: str = "", now: float | None = None) -> SiteUser:
    """Make the account the invite offers; ``AccountError`` for a refused field (the
    link stays usable), ``LinkError`` if the link is gone."""
    invite = open_invite(engine, token, now)
    user = new_user(username, name=name, node_id=invite.node_id, role=invite.role,
                    password=password, email=email)
    moment = time.time() if now is None else now
    with Session(engine) as session:
        if session.get(SiteUser, user.username) is not None:
            raise AccountError(f"user {user.username!r} exists already")
        claimed = session.exec(
            update(SiteInvite)
            .where(col(SiteInvite.token_hash) == _hash(token), col(SiteInvite.used_at).is_(None),
                   col(SiteInvite.expires_at) > moment)
            .values(used_at=moment, used_by=user.username))
        if claimed.rowcount != 1:
            raise LinkError("used or expired link")
        session.add(user)
        audit.note(session, user.username, "invite_used", user.username, node_id=user.node_id,
                   detail=f"role {user.role}, invited by {invite.created_by}")
        session.commit()
        session.refresh(user)
    return user


def create_reset(engine: Engine, admin: CurrentUser, username: str,
                 now: float | None = None) -> str:
    """A reset link's token for ``username`` (admins only: the caller checks the role)."""
    token = secrets.token_urlsafe(32)
    now = time.time() if now is None else now
    with Session(engine) as session:
        user = session.get(SiteUser, username)
        if user is None:
            raise LookupError(f"user {username!r} does not exist")
        session.add(PasswordReset(token_hash=_hash(token), username=username,
                                  created_by=admin.username, created_at=now,
                                  expires_at=now + RESET_HOURS * 3600))
        audit.note(session, admin.username, "reset_created", username, node_id=user.node_id)
        session.commit()
    return token


def open_reset(engine: Engine, token: str, now: float | None = None) -> str:
    """The username a live reset link is for; ``LinkError`` otherwise."""
    found = _live(engine, PasswordReset, token, now)
    return found.username


def use_reset(engine: Engine, token: str, password: str, now: float | None = None) -> str:
    """Set the person's new password through the link; returns their username."""
    username = open_reset(engine, token, now)
    moment = time.time() if now is None else now
    with Session(engine) as session:
        user = set_password(session, username, password)
        claimed = session.exec(
            update(PasswordReset)
            .where(col(PasswordReset.token_hash) == _hash(token),
                   col(PasswordReset.used_at).is_(None), col(PasswordReset.expires_at) > moment)
            .values(used_at=moment))
        if claimed.rowcount != 1:
            raise LinkError("used or expired link")
        audit.note(session, username, "reset_used", username, node_id=user.node_id)
        session.commit()
    return username


def open_invites(engine: Engine, node_id: str | None, now: float | None = None
                 ) -> list[SiteInvite]:
    """The invites not used and not expired (of one node, if given), newest first."""
    moment = time.time() if now is None else now
    with Session(engine) as session:
        query = (select(SiteInvite).where(col(SiteInvite.used_at).is_(None),
                                          col(SiteInvite.expires_at) > moment)
                 .order_by(col(SiteInvite.created_at).desc()))
        if node_id is not None:
            query = query.where(SiteInvite.node_id == node_id)
        return list(session.exec(query).all())
