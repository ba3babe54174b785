"""Tables of the feeds: webhook subscriptions and their delivery log.

Like ``node_credentials`` they are not part of the read model: they are not
projected from the log and a rebuild leaves them alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

ACTIVE, PAUSED, DISABLED = "active", "paused", "disabled"


class WebhookSubscription(SQLModel, table=True):
    __tablename__ = "webhook_subscriptions"
    id: str = Field(primary_key=True)
    node_id: str = Field(index=True)  # the owner: the node whose key created it
    url: str
    filter: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    secret_sealed: str  # the whsec_ secret, sealed with GOTONG_SECRET_KEY; shown once
    private: bool = False  # created with a read_private key: deliveries keep private fields
    status: str = Field(default=ACTIVE, index=True)
    status_reason: str | None = None
    failing_since: str | None = None
    created_at: str
    updated_at: str


class WebhookDelivery(SQLModel, table=True):
    """One delivery attempt (or a decision not to attempt), for the owner to read."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_subscription_id_id", "subscription_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    subscription_id: str
    message_id: str = Field(index=True)  # the webhook-id header, the same on every retry
    event_id: str
    event_type: str
    attempt: int
    outcome: str  # delivered, retrying, failed, disabled, refused, skipped
    status_code: int | None = None
    error: str | None = None
    duration_ms: float | None = None
    next_attempt_at: str | None = None
    at: str
