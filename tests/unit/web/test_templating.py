"""Templates: links, form attributes, the city's days and moments."""

from __future__ import annotations

import pytest

from web.templating import is_http


@pytest.mark.parametrize("url,allowed", [("https://x.id/a", True), ("http://x.id", True),
                                         ("javascript:alert(1)", False), (None, False)])
def test_only_web_addresses_become_links(url: str | None, allowed: bool) -> None:
    assert is_http(url) is allowed


def test_form_field_attributes_reach_the_browser_as_attributes() -> None:
    # they were written escaped (maxlength=&#34;200&#34;): no limit, no numeric keypad on
    # phones, no login autofill
    from web.templating import make_environment

    page = make_environment().from_string(
        '{% import "_fields.html" as f %}'
        '{{ f.input("percent", "Persen", {"percent": "5\\"><script>"}, {}, type="number",'
        ' attrs={"min": 0, "max": 100, "inputmode": "numeric"}) }}'
        '{{ f.input("username", "Nama", {}, {}, attrs={"autocomplete": "username"}) }}'
    ).render()

    assert 'min="0" max="100" inputmode="numeric"' in page
    assert 'autocomplete="username"' in page
    assert "&#34;" not in page.replace('value="5&#34;&gt;&lt;script&gt;"', "")
    assert "<script>" not in page  # what a person typed is still escaped


def test_days_and_moments_are_the_citys_without_seconds_and_name_the_zone() -> None:
    from web import i18n

    late = "2026-12-01T21:36:00.000000Z"  # 05.36 WITA on 2 December
    said = {}
    for locale in ("id", "en"):
        token = i18n.current.set(locale)
        try:
            said[locale] = (i18n.format_day(late), i18n.format_moment(late),
                            i18n.format_day("2026-12-20"))
        finally:
            i18n.current.reset(token)

    assert said["id"] == ("2 Des 2026", "2 Des 2026 05.36 WITA", "20 Des 2026")
    assert said["en"] == ("Dec 2, 2026", "Dec 2, 2026, 5:36\u202fAM WITA", "Dec 20, 2026")
