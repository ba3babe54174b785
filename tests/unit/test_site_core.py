"""The site's pure parts: board arithmetic, CSV safety, charts, locales, throttling, ids."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from services.identity.accounts import CurrentUser, endorsed_by, person
from web.forms import slug_id
from web.i18n import LOCALE_DIR, choose
from web.pages.account import safe_next
from web.pages.charts import HEIGHT, bar_chart
from web.queries.board import Commitment, completed_on_time, parse_filters, safe_cell, scorecard
from web.queries.threads import comment_tree
from web.ratelimit import ADDRESS_FACTOR, USERNAME_FACTOR, LoginLimiter, client_key, login_keys
from web.security import (
    SecurityHeadersMiddleware,
    cookie_header,
    csrf_token,
    security_headers,
)
from web.templating import is_http

WITA = "Asia/Makassar"


def _item(id_: str, status: str, due: str, completed: str | None = None,
          owner: str = "dinsos", overdue: bool = False) -> Commitment:
    return Commitment(id=id_, title=id_, owner_node_id=owner, due_date=due, status=status,
                      percent=0, overdue=overdue, proposal_id=None, proposal_title=None,
                      meeting_id=None, forum_id=None, program=None, completed_at=completed,
                      updated_at="2026-01-01T00:00:00Z")


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_cells_that_look_like_formulas_are_quoted(value: str) -> None:
    assert safe_cell(value) == "'" + value


def test_plain_csv_cells_are_left_alone() -> None:
    assert safe_cell("Pelatihan menjahit") == "Pelatihan menjahit"
    assert safe_cell(None) == ""


def test_scorecard_counts_on_time_completions_and_skips_cancelled_items() -> None:
    items = [
        _item("a", "done", "2026-03-10", completed="2026-03-09T02:00:00Z"),
        _item("b", "done", "2026-03-10", completed="2026-03-20T02:00:00Z"),
        _item("c", "open", "2026-01-01", overdue=True),
        _item("d", "cancelled", "2026-01-01"),
    ]
    (score,) = scorecard(items, WITA)
    assert (score.committed, score.done, score.overdue, score.on_time) == (3, 2, 1, 1)
    assert score.on_time_rate == 0.5


@pytest.mark.parametrize(("completed", "on_time"), [
    ("2026-03-09T16:30:00Z", True),   # 00:30 WITA on the 10th, the due date
    ("2026-03-10T15:59:59Z", True),   # 23:59:59 WITA on the 10th
    ("2026-03-10T16:00:00Z", False),  # midnight WITA: the 11th, a day late
    ("2026-03-10T23:00:00Z", False),  # 07:00 WITA on the 11th: still the 10th in UTC
    ("2026-03-10T16:00:00.123456Z", False),
])
def test_done_on_time_counts_the_day_in_the_citys_time_zone(completed: str,
                                                            on_time: bool) -> None:
    item = _item("a", "done", "2026-03-10", completed=completed)
    assert completed_on_time(item, WITA) is on_time
    (score,) = scorecard([item], WITA)
    assert score.on_time == int(on_time)


def test_board_filters_report_a_bad_day_count_instead_of_raising() -> None:
    filters, errors = parse_filters({"due_within": "-3", "status": "lost", "overdue": "on"})
    assert set(errors) == {"due_within", "status"}
    assert filters.overdue is True and filters.due_within is None and filters.status is None


def test_bars_scale_to_the_largest_value_and_keep_order() -> None:
    chart = bar_chart("p", "i", None, [("2025-Q3", 10), ("2025-Q4", 20)])
    small, large = chart.bars
    assert large.height == pytest.approx(2 * small.height)
    assert large.y + large.height == small.y + small.height == chart.baseline
    assert small.x < large.x and large.y >= 0 and chart.baseline < HEIGHT


def test_a_chart_of_zeroes_draws_no_bars_above_the_axis() -> None:
    chart = bar_chart("p", "i", None, [("2025-Q3", 0)])
    assert chart.bars[0].height == 0


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


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def test_login_limiter_blocks_after_the_limit_and_forgets_after_the_window() -> None:
    now = [0.0]
    limiter = LoginLimiter(max_failures=2, window_s=60, clock=lambda: now[0])
    limiter.failed(["ip:1"])
    assert not limiter.blocked(["ip:1"])
    limiter.failed(["ip:1"])
    assert limiter.blocked(["ip:1", "user:ani"])
    now[0] = 61
    assert not limiter.blocked(["ip:1"])


def test_replies_nest_under_their_comment_and_orphans_stay_on_top() -> None:
    comments = [
        {"comment_id": "a", "at": "1", "in_reply_to": None},
        {"comment_id": "b", "at": "2", "in_reply_to": "a"},
        {"comment_id": "c", "at": "3", "in_reply_to": "gone"},
    ]
    tree = comment_tree(comments)
    assert [c["comment_id"] for c in tree] == ["a", "c"]
    assert [r["comment_id"] for r in tree[0]["replies"]] == ["b"]
    assert tree[0]["replies"][0]["depth"] == 1


@pytest.mark.parametrize("raw,expected", [
    ("/commitments?overdue=1", "/commitments?overdue=1"),
    ("//evil.example/", "/"),
    ("https://evil.example/", "/"),
    ("/\\evil.example", "/"),
    (None, "/"),
])
def test_next_is_always_a_path_on_this_site(raw: str | None, expected: str) -> None:
    assert safe_next(raw) == expected


def test_ids_from_titles_are_readable_and_valid_aggregate_ids() -> None:
    made = slug_id("usulan", "Pelatihan Menjahit — Ibu-ibu PKK!")
    assert made.startswith("usulan-pelatihan-menjahit-ibu-ibu-pkk-")
    assert slug_id("usulan", "Pelatihan") != slug_id("usulan", "Pelatihan")


def test_csrf_token_depends_on_browser_and_session() -> None:
    secret = b"s" * 32
    assert csrf_token(secret, "b1", None) != csrf_token(secret, "b2", None)
    assert csrf_token(secret, "b1", None) != csrf_token(secret, "b1", "session")


def test_cookies_are_httponly_lax_and_secure_when_asked() -> None:
    header = cookie_header("n", "v", max_age=10, secure=True).decode()
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" in header
    assert "Secure" not in cookie_header("n", "v", max_age=None, secure=False).decode()


@pytest.mark.parametrize("url,allowed", [("https://x.id/a", True), ("http://x.id", True),
                                         ("javascript:alert(1)", False), (None, False)])
def test_only_web_addresses_become_links(url: str | None, allowed: bool) -> None:
    assert is_http(url) is allowed


def test_due_dates_compare_as_text() -> None:
    assert dt.date(2026, 3, 9).isoformat() < dt.date(2026, 10, 1).isoformat()


def test_login_limiter_counts_an_attempt_before_its_password_is_checked() -> None:
    now = [0.0]
    limiter = LoginLimiter(max_failures=3, window_s=60, clock=lambda: now[0])
    keys = ["ip:1", "user:ani"]
    # ten attempts under way at once: only three get to check a password
    marks = [limiter.attempt(keys) for _ in range(10)]
    assert sum(m is not None for m in marks) == 3
    # one of them was right: its attempt is taken back, the username forgotten
    limiter.succeeded(keys, marks[0], forget=["user:ani"])
    assert limiter.attempt(["ip:1", "user:ani"]) is not None
    assert limiter.attempt(["ip:1"]) is None


def test_login_limiter_memory_is_bounded_by_its_key_count() -> None:
    now = [0.0]
    limiter = LoginLimiter(max_failures=3, window_s=60, clock=lambda: now[0], max_keys=1_000)
    for n in range(50_000):
        limiter.failed([f"user:made-up-{n}"])
        now[0] += 0.0001
    assert len(limiter) <= 1_000
    # the newest are still counted
    limiter.failed(["user:made-up-49999"] * 2)
    assert limiter.blocked(["user:made-up-49999"])
    now[0] += 61
    assert not limiter.blocked(["user:made-up-49999"])


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


async def _respond(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    sent: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    async def send(message: Any) -> None:
        sent.append(message)

    middleware = SecurityHeadersMiddleware(app, https=True)
    await middleware({"type": "http", "path": "/"}, None, send)
    return list(sent[0]["headers"])


def test_security_headers_are_added_and_a_responses_own_are_kept() -> None:
    own = [(b"content-type", b"text/html"), (b"referrer-policy", b"no-referrer")]
    headers = dict(asyncio.run(_respond(own)))
    assert headers[b"referrer-policy"] == b"no-referrer"  # the response's own choice
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert b"frame-ancestors 'none'" in headers[b"content-security-policy"]
    assert headers[b"strict-transport-security"].startswith(b"max-age=")
    assert b"strict-transport-security" not in dict(security_headers(https=False))


def test_a_strangers_wrong_guesses_do_not_lock_out_a_user_behind_the_same_address() -> None:
    now = [0.0]
    limiter = LoginLimiter(max_failures=5, window_s=300, clock=lambda: now[0])
    office = "10.0.0.1"
    for _ in range(5):  # someone at the office tries a made-up name five times
        assert limiter.attempt(login_keys(office, "tamu", 5)) is not None
    assert limiter.blocked(login_keys(office, "tamu", 5))
    # warga, at the next desk, signs in with the right password
    mark = limiter.attempt(login_keys(office, "warga", 5))
    assert mark is not None
    limiter.succeeded(login_keys(office, "warga", 5), mark, forget=[f"pair:{office}|warga"])
    assert not limiter.blocked(login_keys(office, "warga", 5))


def test_guessing_is_still_refused_per_account_per_address_and_per_username() -> None:
    now = [0.0]
    limiter = LoginLimiter(max_failures=5, window_s=300, clock=lambda: now[0])

    def tries(address: str, username: str) -> int:
        passed = 0
        while limiter.attempt(login_keys(address, username, 5)) is not None:
            passed += 1
        return passed

    assert tries("10.0.0.2", "warga") == 5  # one account from one address
    # many made-up names from one address: the address's cap
    assert sum(tries("10.0.0.3", f"nama-{n}") for n in range(20)) == 5 * ADDRESS_FACTOR
    # one account from many addresses: the username's cap (warga has 5 of them used)
    assert sum(tries(f"10.1.0.{n}", "warga") for n in range(20)) == 5 * USERNAME_FACTOR - 5
    # one IPv6 subscriber is one address, whichever of its /64 it sends from
    assert sum(tries(f"2001:db8:1:2::{n:x}", f"orang-{n}") for n in range(80)) == (
        5 * ADDRESS_FACTOR)
    assert client_key("::ffff:10.0.0.9") == "10.0.0.9" and client_key("unknown") == "unknown"
    now[0] = 301  # the window passes: everyone may try again
    assert limiter.attempt(login_keys("10.0.0.2", "warga", 5)) is not None


def test_endorsers_are_named_without_their_login_and_namesakes_stay_apart() -> None:
    secret = b"s" * 32
    ani = CurrentUser(username="ani", name="Ibu Ani", node_id="pkk", role="member")
    other = CurrentUser(username="ani2", name="Ibu Ani", node_id="pkk", role="member")
    name = ani.endorser_name(secret)
    assert "ani)" not in name and name == ani.endorser_name(secret)  # stable per person
    assert name != other.endorser_name(secret) != ani.endorser_name(b"t" * 32)
    assert person(name) == person(other.endorser_name(secret)) == "Ibu Ani"
    assert person("Dinas Sosial #4") == "Dinas Sosial #4"  # an API endorser keeps its text
    assert ani.endorser_names(secret)[1] == "Ibu Ani (ani)"  # the form used before
    assert person("Ibu Ani (PKK Bitung Tengah) (ani)") == "Ibu Ani (PKK Bitung Tengah)"
    renamed = CurrentUser(username="ani", name="Ani Lumenta", node_id="pkk", role="member")
    assert endorsed_by(renamed, secret, [name])  # a new display name is still the person
    assert endorsed_by(ani, secret, ["Ibu  Ani (ani)"])  # the old form, spacing aside
    assert not endorsed_by(other, secret, [name, "Ibu Ani (ani)"])
