"""The tables of follows, notifications and mail: personal data beside the read model.

Like the accounts (``services.identity``) they are never rebuilt from the log and
never published: who follows what, who acted on the site, and a person's mail choice
say things about a person. ``gotong rebuild`` leaves them as they are.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

#: what can be followed (``POST /follows``'s ``kind``)
KINDS = ("forum", "proposal", "commitment", "node")
#: how often a person gets mail: grouped within about a minute, once a day, or never
MAIL_MODES = ("immediate", "daily", "none")
DEFAULT_MAIL_MODE = "immediate"


class Follow(SQLModel, table=True):
    __tablename__ = "site_follows"
    username: str = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    target_id: str = Field(primary_key=True)
    created_at: float
    __table_args__ = (Index("ix_site_follows_target", "kind", "target_id"),)


class SiteAction(SQLModel, table=True):
    """Which account published an event from the site's forms: the event says only the
    node (and a display name), so this is how the notifier knows whose action it was."""

    __tablename__ = "site_actions"
    event_id: str = Field(primary_key=True)
    username: str
    at: float


class Notification(SQLModel, table=True):
    __tablename__ = "site_notifications"
    id: int | None = Field(default=None, primary_key=True)
    username: str
    event_id: str
    #: what happened (``services.notify.rules.WHAT``), said in the reader's language
    what: str
    #: what it links to: a proposal, forum, meeting, commitment, node or program
    kind: str
    target_id: str
    anchor: str = ""
    #: names (not ids) and short texts to say it with: title, by, author, excerpt, status
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    at: str  # when it happened (the event's time)
    created_at: float  # when the notifier wrote it
    read_at: float | None = None
    #: None: not handled for mail yet; 0: no mail for it (no address, "none"); else its batch
    mail_batch: int | None = None
    __table_args__ = (
        UniqueConstraint("username", "event_id", name="uq_site_notifications_person_event"),
        Index("ix_site_notifications_unread", "username", "read_at"),
        Index("ix_site_notifications_mail", "mail_batch", "username"),
    )


class MailPreference(SQLModel, table=True):
    __tablename__ = "site_mail_preferences"
    username: str = Field(primary_key=True)
    mode: str = DEFAULT_MAIL_MODE
    locale: str = "id"
    updated_at: float


class MailBatch(SQLModel, table=True):
    """One mail to one person: recorded (with its notifications) before it is sent, marked
    sent once the SMTP server has accepted it; never sent again after that."""

    __tablename__ = "site_mail_outbox"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    username: str = Field(index=True)
    created_at: float
    attempts: int = 0
    next_attempt_at: float = 0.0
    lease_until: float | None = None
    sent_at: float | None = None
    failed_at: float | None = None
    last_error: str | None = None
    __table_args__ = (Index("ix_site_mail_outbox_due", "sent_at", "failed_at",
                            "next_attempt_at"),)


class NotifyMark(SQLModel, table=True):
    """Small facts of the notifier: since when it notifies, what it has checked."""

    __tablename__ = "site_notify_marks"
    key: str = Field(primary_key=True)
    value: str
