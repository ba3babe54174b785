"""Logging in: where the person goes next."""

from __future__ import annotations

import pytest

from web.pages.account import safe_next


@pytest.mark.parametrize("raw,expected", [
    ("/commitments?overdue=1", "/commitments?overdue=1"),
    ("//evil.example/", "/"),
    ("https://evil.example/", "/"),
    ("/\\evil.example", "/"),
    (None, "/"),
])
def test_next_is_always_a_path_on_this_site(raw: str | None, expected: str) -> None:
    assert safe_next(raw) == expected
