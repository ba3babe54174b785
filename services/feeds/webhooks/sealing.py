"""Webhook secrets at rest: sealed with a key derived from GOTONG_SECRET_KEY.

The worker must sign with the secret, so it cannot be stored as a hash like an
API key; sealing (XSalsa20-Poly1305) keeps a database dump from revealing it.
"""

from __future__ import annotations

import base64
import hashlib

from nacl.secret import SecretBox


def _box(service_secret: bytes) -> SecretBox:
    return SecretBox(hashlib.sha256(b"gotong webhook secrets\0" + service_secret).digest())


def seal(service_secret: bytes, secret: str) -> str:
    return base64.b64encode(_box(service_secret).encrypt(secret.encode())).decode()


def unseal(service_secret: bytes, sealed: str) -> str:
    return _box(service_secret).decrypt(base64.b64decode(sealed)).decode()
