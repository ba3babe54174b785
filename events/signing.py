"""Who published an event: service attestation (HMAC) and node signatures (Ed25519).

Two ways an event on ``gotong.ingest`` proves its origin:

* **Attestation.** The web ingest and the operator CLI authenticate the node
  themselves (API key, local access), then add a Kafka header
  ``gotong-attest: <node_id>.<hex HMAC-SHA256(secret, node_id + "\\n" + value)>``
  with the service secret. Nobody without the secret can forge it.
* **Signature.** A node that writes straight to Kafka signs the canonical event
  with its Ed25519 key and puts the base64 signature in the ``signature``
  extension attribute; the gate checks it against the public key the node
  registered (``gotong.node.registered.v1`` ``public_key``).
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping
from typing import Any

import nacl.exceptions
import nacl.signing
import orjson

ATTEST_HEADER = "gotong-attest"


def canonical_bytes(event: Mapping[str, Any]) -> bytes:
    """The bytes a node signs: the event without ``signature``, keys sorted, no spaces."""
    unsigned = {k: v for k, v in event.items() if k != "signature"}
    return orjson.dumps(unsigned, option=orjson.OPT_SORT_KEYS)


def sign(event: Mapping[str, Any], key: nacl.signing.SigningKey) -> str:
    return base64.b64encode(key.sign(canonical_bytes(event)).signature).decode()


def verify_signature(event: Mapping[str, Any], public_key_b64: str) -> bool:
    signature = event.get("signature")
    if not isinstance(signature, str):
        return False
    try:
        key = nacl.signing.VerifyKey(base64.b64decode(public_key_b64, validate=True))
        key.verify(canonical_bytes(event), base64.b64decode(signature, validate=True))
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError, ValueError):
        return False
    return True


def attest(secret: bytes, node_id: str, value: bytes) -> bytes:
    # hmac.digest: the one-shot C implementation, several times faster than hmac.new
    mac = hmac.digest(secret, node_id.encode() + b"\n" + value, "sha256").hex()
    return f"{node_id}.{mac}".encode()


def attested_node(secret: bytes, header: bytes | None, value: bytes) -> str | None:
    """The node a valid attestation header vouches for, or None."""
    if not header:
        return None
    try:
        node_id, _, mac = header.decode("ascii").rpartition(".")
    except UnicodeDecodeError:
        return None
    if not node_id:
        return None
    expected = attest(secret, node_id, value)
    return node_id if hmac.compare_digest(expected, header) else None
