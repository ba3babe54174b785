"""What no node may publish, whatever its key: asked by the gate and, earlier, by the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events.catalog import SERVICE_NODE, node_of
from events.validation import FieldError


def authority_errors(event: Mapping[str, Any]) -> list[FieldError]:
    """What no node may publish, whatever its key: beyond the source, the subject counts.

    A registration carries the node's name and its Ed25519 public key, so a node
    that registered *another* node could sign as it; and the overdue event is the
    service's own (its timer writes it to the typed topic; an attested service event
    passes).
    """
    kind = str(event["type"])
    node = node_of(str(event["source"]))
    if kind.startswith("gotong.node.registered.") and event["subject"] != node:
        return [FieldError("/subject", f"a node registers only itself: must be {node!r}")]
    if kind.startswith("gotong.action_item.overdue.") and node != SERVICE_NODE:
        return [FieldError("/type", "only the service itself publishes overdue events")]
    return []
