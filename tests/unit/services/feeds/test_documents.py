"""Atom, iCalendar and open-data documents: valid, complete and spreadsheet-safe."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

from icalendar import Calendar

from services.feeds.documents import atom, calendar, opendata

A = "{http://www.w3.org/2005/Atom}"


def test_atom_feed_has_the_elements_rfc_4287_requires() -> None:
    entry = atom.Entry(key="proposal/u1", title="Pelatihan <menjahit>",
                       updated="2026-11-20T01:00:00+00:00", link="http://x/proposals/u1",
                       author="Ibu Ani", summary="Isi & rincian", published="2026-11-19T01:00:00Z",
                       categories=("open",))
    feed = ET.fromstring(atom.document("feeds/proposals", "Usulan", "http://x/feeds/p.atom",
                                       "http://x/", [entry], "2026-11-28T00:00:00Z"))
    assert feed.tag == A + "feed"
    assert feed.findtext(A + "id") == "tag:gotong.id,2026:feeds/proposals"
    assert feed.findtext(A + "updated") == "2026-11-20T01:00:00Z"
    assert feed.find(A + "author/" + A + "name") is not None
    item = feed.find(A + "entry")
    assert item is not None
    assert item.findtext(A + "id") == "tag:gotong.id,2026:proposal/u1"
    assert item.findtext(A + "title") == "Pelatihan <menjahit>"
    assert item.findtext(A + "summary") == "Isi & rincian"
    assert item.find(A + "link").get("href") == "http://x/proposals/u1"  # type: ignore[union-attr]


def test_empty_atom_feed_still_says_when_it_was_updated() -> None:
    feed = ET.fromstring(atom.document("k", "T", "http://x/s", "http://x/", [],
                                       "2026-11-28T00:00:00+00:00"))
    assert feed.findtext(A + "updated") == "2026-11-28T00:00:00Z"


def test_meetings_calendar_parses_back_with_uid_start_and_summary() -> None:
    meeting = {"id": "rapat-1", "title": "Musyawarah, Maesa; 2026", "starts_at":
               "2026-12-01T01:00:00+00:00", "updated_at": "2026-11-20T00:00:00+00:00",
               "location": "Kantor Lurah", "agenda": ["Pelatihan", "Dana"]}
    cal = Calendar.from_ical(calendar.calendar("Rapat", [meeting], lambda m: "http://x/m"))
    (event,) = cal.walk("VEVENT")
    assert str(event["uid"]) == "meeting-rapat-1@gotong.id"
    assert str(event["summary"]) == "Musyawarah, Maesa; 2026"
    assert event.decoded("dtstart").isoformat() == "2026-12-01T01:00:00+00:00"
    assert "- Dana" in str(event["description"])


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised() -> None:
    rows = [{"title": "=HYPERLINK(\"http://evil\")", "value": -3, "note": "@SUM(A1)",
             "tags": ["a", "+b"], "plain": "Pelatihan"}]
    text = opendata.to_csv(rows, ["title", "value", "note", "tags", "plain"]).decode()
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[1] == ["'=HYPERLINK(\"http://evil\")", "-3", "'@SUM(A1)", "a; +b",
                         "Pelatihan"]
