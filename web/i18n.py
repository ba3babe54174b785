"""Interface language: Bahasa Indonesia by default, English on request.

The locale is chosen per request (remembered ``lang`` cookie, then
``Accept-Language``) and kept in a context variable, so the Jinja2 ``_()``
callables and the date/number filters all follow it without being handed it.
"""

from __future__ import annotations

import datetime as dt
import math
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, get_datetime_format
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from services import clock

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

current: ContextVar[str] = ContextVar("gotong_locale", default=DEFAULT_LOCALE)
timezone: ContextVar[str] = ContextVar("gotong_timezone", default="Asia/Makassar")


@cache
def translations(locale: str) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def gettext(message: str) -> str:
    return translations(current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current.get()).ngettext(singular, plural, n)


def _accept_language(header: str) -> list[str]:
    """The languages of an ``Accept-Language`` header, most wanted first."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, index, tag.strip().lower()))
    return [tag for _, _, tag in sorted(weighted)]


@lru_cache(maxsize=1024)  # (browsers send a few dozen different headers, over and over)
def choose(cookie: str | None, accept_language: str | None) -> str:
    """The remembered choice wins; then the browser's languages; then Indonesian."""
    if cookie in LOCALES:
        return cookie
    for tag in _accept_language(accept_language or ""):
        primary = tag.split("-")[0]
        if primary == "in":  # the old ISO code for Indonesian, still sent by some phones
            primary = "id"
        if primary in LOCALES:
            return primary
    return DEFAULT_LOCALE


def cookie_value(header: str | None) -> str | None:
    """The remembered language in a ``Cookie`` header, if any."""
    found = None
    for part in (header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            found = value
    return found


class LocaleMiddleware:
    """Pick the request's locale and expose it as ``request.state.locale``."""

    def __init__(self, app: ASGIApp, tz: str = "Asia/Makassar") -> None:
        self.app = app
        self.tz = tz

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        locale = choose(cookie_value(headers.get("cookie")), headers.get("accept-language"))
        scope.setdefault("state", {})["locale"] = locale
        token = current.set(locale)
        tz_token = timezone.set(self.tz)
        try:
            await self.app(scope, receive, send)
        finally:
            current.reset(token)
            timezone.reset(tz_token)


def today(request: Request) -> dt.date:
    """Today in the city (``GOTONG_TIMEZONE``)."""
    return clock.today(request.app.state.settings.timezone)


def format_day(value: str | dt.date | None) -> str:
    """The day of a date, or of a moment in the city's time zone: something posted at
    05:36 WITA on 2 December was posted on 2 December, not on the 1st (UTC)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        day = (dt.date.fromisoformat(value) if len(value) <= 10
               else clock.local_date(value, timezone.get()))
    else:
        day = value
    return _day(day, current.get())


def format_moment(value: str | dt.datetime | None) -> str:
    if value is None or value == "":
        return ""
    return _moment(clock.moment(value), timezone.get(), current.get())


def format_number(value: float | int | None) -> str:
    if value is None:
        return ""
    if not _formattable(value):
        return f"{value:.6g}"
    return _number(value, current.get())


def format_ratio(value: float | None) -> str:
    if value is None:
        return "–"
    if not _formattable(value * 100):
        return f"{value * 100:.6g}%"
    return _ratio(value, current.get())


def _formattable(value: float | int) -> bool:
    """Whether Babel can write the number: it gives up on NaN, infinities and magnitudes
    of about 10**27 and above (a report of any finite number passes the schema)."""
    return math.isfinite(value) and abs(value) < 1e21


# Babel parses its patterns and looks up locale data on every call; a board page formats
# hundreds of dates and ratios, most of them the same few hundred values.
@lru_cache(maxsize=4096)
def _day(day: dt.date, locale: str) -> str:
    return format_date(day, format="medium", locale=Locale.parse(locale))


@lru_cache(maxsize=16384)
def _moment(moment: dt.datetime, tz: str, locale: str) -> str:
    """A day and a time of day in the city's time zone, without seconds, with the zone
    as people there name it: "2 Des 2026 05.36 WITA", "Dec 2, 2026, 5:36 AM WITA"."""
    zone, where = clock.zone(tz), Locale.parse(locale)
    local = moment.astimezone(zone)
    day = format_date(local.date(), format="medium", locale=where)
    time = format_time(local, format="short", locale=where)
    joined = str(get_datetime_format("medium", locale=where)).replace(
        "{1}", day).replace("{0}", time)
    return f"{joined} {_zone_label(local, zone)}"


def _zone_label(local: dt.datetime, zone: ZoneInfo) -> str:
    # the zone's Indonesian short name (WIB, WITA, WIT) in both languages: what people in
    # the city call their time; elsewhere CLDR's own (GMT+8 and the like)
    return str(format_datetime(local, "z", tzinfo=zone, locale="id"))


def zone_name() -> str:
    """The city's time zone as people there name it (WITA in Bitung), for form labels."""
    zone = clock.zone(timezone.get())
    return _zone_label(dt.datetime.now(zone), zone)


@lru_cache(maxsize=4096)
def _number(value: float | int, locale: str) -> str:
    return format_decimal(value, locale=Locale.parse(locale))


@lru_cache(maxsize=4096)
def _ratio(value: float, locale: str) -> str:
    return format_percent(value, locale=Locale.parse(locale))
