"""The gate's judgement, pure: is a raw ingest record a valid event from the node it claims?"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from events.catalog import node_of, topic_for
from events.signing import ATTEST_HEADER, attested_node, verify_signature
from events.validation import FieldError, Validator
from services.domain.authority import authority_errors


class Accepted(NamedTuple):
    """A valid event from the node it claims (a tuple: one is made for every event)."""

    event: Mapping[str, Any]
    topic: str
    node: str

    @property
    def key(self) -> bytes:
        return str(self.event["subject"]).encode()


@dataclass(frozen=True)
class Rejected:
    reason: str
    errors: list[FieldError] = field(default_factory=list)
    event_id: str | None = None


def judge(
    raw: bytes | None,
    headers: Mapping[str, bytes],
    *,
    validator: Validator,
    secret: bytes,
    public_key_for: Callable[[str], str | None],
) -> Accepted | Rejected:
    if not raw:
        return Rejected("empty record: no event in it")
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return Rejected(f"not JSON: {exc}")
    errors = validator.errors(event)
    event_id = event.get("id") if isinstance(event, dict) else None
    event_id = event_id if isinstance(event_id, str) else None
    if errors:
        unknown = any(e.pointer == "/type" and "unknown event type" in e.detail for e in errors)
        reason = "unknown event type" if unknown else "not a valid event"
        return Rejected(f"{reason}: {'; '.join(str(e) for e in errors)}", errors, event_id)
    claimed = node_of(event["source"])
    node = attested_node(secret, headers.get(ATTEST_HEADER), raw)
    if node is None and headers.get(ATTEST_HEADER):
        return Rejected("bad attestation header: not made with this service's secret",
                        event_id=event_id)
    if node is None:
        if "signature" not in event:
            return Rejected(
                "unauthenticated: an event written straight to Kafka must carry an Ed25519 "
                "signature of its node", event_id=event_id)
        public_key = public_key_for(claimed) if claimed else None
        if public_key is None:
            return Rejected(f"signed by node {claimed!r}, which has no registered public key",
                            event_id=event_id)
        if not verify_signature(event, public_key):
            return Rejected(f"bad signature for node {claimed!r}", event_id=event_id)
        node = claimed
    if node is None or node != claimed:
        return Rejected(
            f"source {event['source']} does not match the authenticated node {node!r}",
            [FieldError("/source", f"must be /nodes/{node}")], event_id)
    refused = authority_errors(event)
    if refused:
        return Rejected(f"not allowed: {'; '.join(str(e) for e in refused)}", refused, event_id)
    return Accepted(event, topic_for(event["type"]), node)


def dead_letter(
    rejected: Rejected,
    raw: bytes | None,
    *,
    origin: Mapping[str, Any],
    received_at: str,
    max_original: int = 512 * 1024,
) -> bytes:
    """The dead-letter record: the original bytes, the reason and where it came from."""
    original = raw or b""
    truncated = len(original) > max_original
    kept = original[:max_original]
    try:
        text: str | None = kept.decode("utf-8")
        b64 = None
    except UnicodeDecodeError:
        text, b64 = None, base64.b64encode(kept).decode()
    record = {
        "reason": rejected.reason,
        "errors": [e.as_dict() for e in rejected.errors],
        "event_id": rejected.event_id,
        "origin": dict(origin),
        "received_at": received_at,
        "original": text,
        "original_base64": b64,
        "original_size": len(original),
        "truncated": truncated,
    }
    return orjson.dumps(record)
