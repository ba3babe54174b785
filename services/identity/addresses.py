"""E-mail addresses of people: checked where they are typed, stored as typed (trimmed)."""

from __future__ import annotations

import re

MAX_EMAIL = 254
# one @, no spaces, a dot in the domain: what a person mistypes, not all of RFC 5322
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


def normal_email(text: str) -> str:
    """The address as stored (trimmed, the domain lower-cased), or ``""`` for none;
    ``ValueError`` naming what is wrong with a mistyped one."""
    address = text.strip()
    if not address:
        return ""
    if len(address) > MAX_EMAIL:
        raise ValueError(f"e-mail address: at most {MAX_EMAIL} characters")
    if not _EMAIL.match(address):
        raise ValueError(f"e-mail address {address!r}: expected name@example.org")
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"
