"""Local accounts of the site: people who belong to a node, with a role there.

Accounts and sessions are not part of the read model (they are never rebuilt
from the log): like node API keys, they live beside it. Passwords are hashed
with Argon2id; session tokens are stored only as SHA-256 hashes.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete
from sqlmodel import Field, Session, SQLModel, col, select

from services.identity import audit
from services.identity.addresses import normal_email

ROLES = ("member", "coordinator", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MIN_PASSWORD = 10

hasher = PasswordHasher()  # Argon2id with the library's defaults (64 MiB, 3 passes)
# Verified against when the username is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


class SiteUser(SQLModel, table=True):
    __tablename__ = "site_users"
    username: str = Field(primary_key=True)
    name: str
    node_id: str = Field(index=True)
    role: str
    password_hash: str
    created_at: str
    # optional, for mail and reset links; personal data: never in an event
    email: str | None = None


class SiteSession(SQLModel, table=True):
    __tablename__ = "site_sessions"
    token_hash: str = Field(primary_key=True)
    username: str = Field(index=True)
    created_at: float
    expires_at: float = Field(index=True)


@dataclass(frozen=True)
class CurrentUser:
    username: str
    name: str
    node_id: str
    role: str

    @property
    def can_coordinate(self) -> bool:
        return self.role in ("coordinator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def endorser_name(self, secret: bytes) -> str:
        """How this person appears among a proposal's endorsers: their name and a short
        tag made from their username with the service's secret. Two people of one name
        stay two endorsers, one person stays one, and the login name is in neither the
        page nor the public event (``person`` shows only the name)."""
        digest = hmac.digest(secret, f"endorser|{self.username}".encode(), "sha256")
        return f"{self.name} #{base64.b32encode(digest[:5]).decode().lower()}"

    def endorser_names(self, secret: bytes) -> tuple[str, str]:
        """The endorser names this person has used: today's, and the form that carried
        the login name (before 2026-12), so nobody endorses one proposal twice."""
        return self.endorser_name(secret), f"{self.name} ({self.username})"

    def owns(self, owner_node_id: str) -> bool:
        """Members of the owner node (whatever their role) report on its commitments."""
        return self.node_id == owner_node_id


class AccountError(ValueError):
    pass


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_user(username: str, *, name: str, node_id: str, role: str, password: str,
             email: str = "") -> SiteUser:
    """A checked, unsaved account; ``AccountError`` names the field that is wrong."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError("username: 2-63 lowercase letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    check_password(password)
    if not name.strip():
        raise AccountError("name must not be empty")
    try:
        address = normal_email(email)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    return SiteUser(username=username, name=name.strip(), node_id=node_id, role=role,
                    password_hash=hasher.hash(password), email=address or None,
                    created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password must have at least {MIN_PASSWORD} characters")


def add_user(engine: Engine, username: str, *, name: str, node_id: str, role: str,
             password: str, email: str = "", actor: str | None = None) -> SiteUser:
    """Create an account; with ``actor``, the creation is audited."""
    user = new_user(username, name=name, node_id=node_id, role=role, password=password,
                    email=email)
    with Session(engine) as session:
        if session.get(SiteUser, user.username) is not None:
            raise AccountError(f"user {user.username!r} exists already")
        session.add(user)
        if actor is not None:
            audit.note(session, actor, "user_added", user.username, node_id=node_id,
                       detail=f"role {role}")
        session.commit()
        session.refresh(user)
    return user


def profile(engine: Engine, username: str) -> SiteUser | None:
    with Session(engine) as session:
        return session.get(SiteUser, username)


def people(engine: Engine, node_id: str | None = None) -> list[SiteUser]:
    """Accounts by node then username (of one node, if given)."""
    with Session(engine) as session:
        query = select(SiteUser).order_by(col(SiteUser.node_id), col(SiteUser.username))
        if node_id is not None:
            query = query.where(SiteUser.node_id == node_id)
        return list(session.exec(query).all())


def _verified(user: SiteUser | None, password: str) -> bool:
    try:
        hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return user is not None


def change_password(engine: Engine, username: str, current: str, new: str,
                    keep_session: str | None = None) -> None:
    """Set a new password if ``current`` is right; every other session of the person ends
    (a stolen session does not outlive the change). ``AccountError`` says which is wrong."""
    check_password(new)
    with Session(engine) as session:
        user = session.get(SiteUser, username)
        if not _verified(user, current):
            raise AccountError("current password is wrong")
        assert user is not None
        user.password_hash = hasher.hash(new)
        session.add(user)
        _end_sessions(session, username, keep_session)
        audit.note(session, username, "password_changed", username, node_id=user.node_id)
        session.commit()


def change_email(engine: Engine, username: str, current: str, email: str) -> str:
    """Set (or with ``""`` remove) the e-mail address if ``current`` is the password;
    returns the address as stored."""
    try:
        address = normal_email(email)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    with Session(engine) as session:
        user = session.get(SiteUser, username)
        if not _verified(user, current):
            raise AccountError("current password is wrong")
        assert user is not None
        user.email = address or None
        session.add(user)
        # the address is personal data: the log says that it changed, not to what
        audit.note(session, username, "email_changed", username, node_id=user.node_id,
                   detail="removed" if not address else None)
        session.commit()
    return address


def set_password(session: Session, username: str, password: str) -> SiteUser:
    """A new password without the old one (a reset link, checked by the caller), in the
    caller's transaction; every session of the person ends."""
    check_password(password)
    user = session.get(SiteUser, username)
    if user is None:
        raise AccountError(f"user {username!r} does not exist")
    user.password_hash = hasher.hash(password)
    session.add(user)
    _end_sessions(session, username, None)
    return user


def _end_sessions(session: Session, username: str, keep: str | None) -> None:
    query = delete(SiteSession).where(col(SiteSession.username) == username)
    if keep:
        query = query.where(col(SiteSession.token_hash) != _token_hash(keep))
    session.exec(query)


def authenticate(engine: Engine, username: str, password: str) -> CurrentUser | None:
    with Session(engine) as session:
        user = session.get(SiteUser, username.strip().lower())
        stored = user.password_hash if user else _DUMMY_HASH
        try:
            hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None:
            return None
        if hasher.check_needs_rehash(stored):
            user.password_hash = hasher.hash(password)
            session.add(user)
            session.commit()
        return CurrentUser(user.username, user.name, user.node_id, user.role)


def start_session(engine: Engine, username: str, days: int) -> str:
    """A new session for ``username``; returns the token for the cookie (stored hashed)."""
    token = secrets.token_urlsafe(32)
    now = time.time()
    with Session(engine) as session:
        session.add(SiteSession(token_hash=_token_hash(token), username=username,
                                created_at=now, expires_at=now + days * 86400))
        session.exec(delete(SiteSession).where(col(SiteSession.expires_at) < now))
        session.commit()
    return token


def end_session(engine: Engine, token: str) -> None:
    with Session(engine) as session:
        session.exec(delete(SiteSession).where(
            col(SiteSession.token_hash) == _token_hash(token)))
        session.commit()


def user_for_session(engine: Engine, token: str) -> CurrentUser | None:
    if not token or len(token) > 100:
        return None
    with Session(engine) as session:
        found = session.exec(
            select(SiteUser).join(SiteSession, SiteSession.username == SiteUser.username)  # type: ignore[arg-type]
            .where(SiteSession.token_hash == _token_hash(token))
            .where(SiteSession.expires_at > time.time())
        ).first()
    if found is None:
        return None
    return CurrentUser(found.username, found.name, found.node_id, found.role)


ENDORSER_TAG = re.compile(r" #([a-z2-7]{8})$")
#: how the site wrote an endorser before 2026-12: "Name (login)"
LEGACY_LOGIN = re.compile(r"\s*\([a-z0-9][a-z0-9._-]{1,62}\)$")


def person(endorser: str) -> str:
    """An endorser as people read it: without the tag that tells two namesakes apart, and
    without the login name the site once put in parentheses."""
    shown = ENDORSER_TAG.sub("", endorser)
    return LEGACY_LOGIN.sub("", shown) if shown == endorser else shown


def endorsed_by(user: CurrentUser, secret: bytes, endorsers: Iterable[str]) -> bool:
    """Whether ``user`` is among ``endorsers``: by their tag (so a new display name does
    not make a second endorsement), or by the old "Name (login)" form."""
    current, legacy_name = user.endorser_names(secret)
    tag = ENDORSER_TAG.search(current)
    legacy = " ".join(legacy_name.split()).casefold()
    for endorser in endorsers:
        found = ENDORSER_TAG.search(endorser)
        if (found and tag and found.group(1) == tag.group(1)) or (
                " ".join(endorser.split()).casefold() == legacy):
            return True
    return False
