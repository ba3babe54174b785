"""The interface language: the choice, and catalogs complete and compiled."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from web.i18n import LOCALE_DIR, choose


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


@pytest.mark.parametrize("cookie,header,expected", [
    (None, None, "id"),
    (None, "en-US,en;q=0.9", "en"),
    (None, "fr-FR, en;q=0.5", "en"),
    (None, "en;q=0.3, id;q=0.8", "id"),
    (None, "in-ID", "id"),
    ("en", "id-ID", "en"),
    ("xx", "en", "en"),
])
def test_locale_choice(cookie: str | None, header: str | None, expected: str) -> None:
    assert choose(cookie, header) == expected


def test_every_interface_string_has_an_indonesian_translation() -> None:
    with open(LOCALE_DIR / "messages.pot", "rb") as fh:
        template = read_po(fh)
    with open(LOCALE_DIR / "id" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        indonesian = read_po(fh)
    missing = [m.id for m in template if m.id and not (indonesian.get(m.id)
                                                       and all(indonesian.get(m.id).string))]
    assert missing == []


@pytest.mark.parametrize("locale", ["id", "en"])
def test_compiled_catalogs_match_their_sources(locale: str) -> None:
    folder = Path(LOCALE_DIR) / locale / "LC_MESSAGES"
    def plain(messages: object) -> dict[object, object]:
        return {_key(m.id): _key(m.string) for m in messages if m.id}  # type: ignore[attr-defined]

    with open(folder / "messages.po", "rb") as fh:
        source = plain(read_po(fh))
    with open(folder / "messages.mo", "rb") as fh:
        compiled = plain(read_mo(fh))
    assert compiled == source
