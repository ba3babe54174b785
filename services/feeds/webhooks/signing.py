"""Standard Webhooks signatures (the ``webhook-id``/``-timestamp``/``-signature`` headers).

The secret is ``whsec_`` + base64 of 32 random bytes; the HMAC key is those
bytes. The signature is ``v1,`` + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    if not secret.startswith(PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret[len(PREFIX):])


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, message_id, timestamp, body)}


def verify(secret: str, message_id: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does: any of the space-separated ``v1,`` signatures must match."""
    expected = sign(secret, message_id, int(timestamp), body)
    return any(hmac.compare_digest(expected, s) for s in signature.split())
