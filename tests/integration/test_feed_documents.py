"""Atom feeds, calendars and open-data exports over a real read model."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import xml.etree.ElementTree as ET

import httpx
import pytest
from icalendar import Calendar

from tests.support.stack import Stack, event, uid

pytestmark = pytest.mark.kafka

A = "{http://www.w3.org/2005/Atom}"


def _but_dates(headers: httpx.Headers) -> dict[str, str]:
    # (Last-Modified is given only a second after a tag was first seen: either may have it)
    return {name: value for name, value in headers.items()
            if name not in ("date", "last-modified")}


def _lane_answers(stack: Stack) -> float:
    metrics = httpx.get(stack.base_url + "/metrics", timeout=10).text
    found = [line for line in metrics.splitlines()
             if line.startswith("gotong_feed_lane_answers_total ")]
    return float(found[0].split()[1]) if found else 0.0


def test_atom_calendar_and_open_data_show_a_forum(stack: Stack) -> None:
    dinas, pkk = stack.node("government"), stack.node()
    forum, proposal, meeting, item, program = (uid("forum"), uid("usulan"), uid("rapat"),
                                               uid("rtl"), uid("program"))
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(days=5)).replace(microsecond=0)
    stack.publish(dinas, [
        event("gotong.forum.opened.v1", forum, {"title": "Forum Ekonomi Maesa"}, dinas),
        event("gotong.meeting.scheduled.v1", meeting, {
            "forum_id": forum, "title": "Musyawarah Desember", "starts_at": starts.isoformat(),
            "location": "Kantor Kelurahan"}, dinas),
        event("gotong.action_item.created.v1", item, {
            "title": "Sediakan mesin jahit", "owner_node_id": dinas, "due_date": "2030-01-01",
            "meeting_id": meeting}, dinas),
        event("gotong.program.defined.v1", program, {
            "name": "Pelatihan keterampilan", "lead_node_id": dinas,
            "indicators": [{"id": "perempuan_dilatih", "name": "Perempuan dilatih",
                            "target": 100}]}, dinas),
        event("gotong.indicator.reported.v1", program, {
            "indicator": "perempuan_dilatih", "value": 12, "period": "2026-Q4",
            "note": "=cmd|' /C calc'!A0"}, dinas),
    ])
    stack.publish(pkk, [event("gotong.proposal.submitted.v1", proposal, {
        "forum_id": forum, "title": "Pelatihan menjahit", "body": "Untuk ibu-ibu PKK",
        "author": "Ibu Ani"}, pkk)])
    stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: True)
    stack.wait_json(f"/api/v1/meetings/{meeting}", lambda m: m["action_items"])

    feed = stack.get(f"/feeds/forums/{forum}.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    ids = {e.findtext(A + "id") for e in root.iter(A + "entry")}
    assert {f"tag:gotong.id,2026:proposal/{proposal}", f"tag:gotong.id,2026:meeting/{meeting}",
            f"tag:gotong.id,2026:action-item/{item}"} <= ids
    # the meeting's organiser and the commitment's owner by their names, not their ids
    authors = {e.findtext(A + "id"): e.findtext(f"{A}author/{A}name")
               for e in root.iter(A + "entry")}
    assert authors[f"tag:gotong.id,2026:meeting/{meeting}"] == f"Node {dinas}"
    assert authors[f"tag:gotong.id,2026:action-item/{item}"] == f"Node {dinas}"
    mine = ET.fromstring(stack.get("/feeds/proposals.atom", node=pkk).content)
    assert [e.findtext(A + "title") for e in mine.iter(A + "entry")] == ["Pelatihan menjahit"]
    owned = ET.fromstring(stack.get("/feeds/commitments.atom", owner=dinas).content)
    assert [e.findtext(A + "title") for e in owned.iter(A + "entry")] == ["Sediakan mesin jahit"]
    assert [e.findtext(f"{A}author/{A}name") for e in owned.iter(A + "entry")] == [f"Node {dinas}"]
    node_feed = ET.fromstring(stack.get(f"/feeds/nodes/{dinas}.atom").content)
    assert len(list(node_feed.iter(A + "entry"))) == 2
    assert stack.get("/feeds/forums/nope.atom").status_code == 404

    cal = Calendar.from_ical(stack.get(f"/feeds/forums/{forum}/meetings.ics").content)
    (meeting_event,) = cal.walk("VEVENT")
    assert meeting_event.decoded("dtstart") == starts
    assert str(meeting_event["location"]) == "Kantor Kelurahan"
    everything = Calendar.from_ical(stack.get("/feeds/meetings.ics").content)
    assert f"meeting-{meeting}@gotong.id" in {str(e["uid"]) for e in everything.walk("VEVENT")}

    exported = stack.get("/data/indicators.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    ours = [r for r in rows if r["program"] == program]
    assert ours[0]["note"] == "'=cmd|' /C calc'!A0" and ours[0]["value"] == "12.0"
    proposals = stack.get("/data/proposals.json").json()["items"]
    assert any(p["id"] == proposal and p["forum_id"] == forum for p in proposals)
    commitments = list(csv.DictReader(io.StringIO(stack.get("/data/commitments.csv").text)))
    assert any(c["id"] == item and c["overdue"] == "False" for c in commitments)
    assert stack.get("/data/secrets.csv").status_code == 404


def test_feeds_answer_304_until_what_they_show_changes(stack: Stack) -> None:
    """Agencies poll feeds every few minutes: an unchanged feed costs a 304, a changed one
    is never withheld, and nothing a feed or file sends sets a cookie."""
    dinas, pkk = stack.node("government"), stack.node()
    forum, first, second = uid("forum"), uid("usulan"), uid("usulan")
    stack.publish(dinas, [event("gotong.forum.opened.v1", forum, {"title": "Forum Girian"},
                                dinas)])
    stack.publish(pkk, [event("gotong.proposal.submitted.v1", first, {
        "forum_id": forum, "title": "Sumur bor", "body": "Air bersih", "author": "Ibu Ani"},
        pkk)])
    stack.wait_json(f"/api/v1/proposals/{first}", lambda p: True)

    paths = [f"/feeds/forums/{forum}.atom", f"/feeds/proposals.atom?forum={forum}",
             "/data/proposals.csv", "/data/proposals.json",
             f"/feeds/forums/{forum}/meetings.ics"]
    before = {}
    for path in paths:
        full = stack.get(path)
        assert full.status_code == 200, path
        assert "set-cookie" not in full.headers, path
        assert full.headers["cache-control"] == "public, no-cache", path
        tag = full.headers["etag"]
        again = httpx.get(stack.base_url + path, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"", path
        assert again.headers["etag"] == tag, path
        # the same poll again is answered by the feed lane (``FeedLane``): the same 304
        lane = _lane_answers(stack)
        polled = httpx.get(stack.base_url + path, headers={"If-None-Match": tag})
        assert polled.status_code == 304, path
        assert _lane_answers(stack) == lane + 1, path
        assert _but_dates(polled.headers) == _but_dates(again.headers), path
        # the same tag whether the client took the compressed form or not
        plain = httpx.get(stack.base_url + path, headers={
            "If-None-Match": tag, "Accept-Encoding": "identity"})
        assert plain.status_code == 304, path
        before[path] = full
    # a date only a second after the server first gave the tag (a tag replaced sooner
    # never had one): then If-Modified-Since alone is answered 304 too
    time.sleep(1.1)
    for path, full in before.items():
        dated = httpx.get(stack.base_url + path, headers={"If-None-Match": full.headers["etag"]})
        assert dated.status_code == 304 and "last-modified" in dated.headers, path
        since = httpx.get(stack.base_url + path, headers={
            "If-Modified-Since": dated.headers["last-modified"]})
        assert since.status_code == 304, path
        full.headers["last-modified"] = dated.headers["last-modified"]

    # a language of its own: the tag differs, and without ?lang the answer varies by it
    indonesian = stack.get(f"/feeds/forums/{forum}.atom")
    english = httpx.get(stack.base_url + f"/feeds/forums/{forum}.atom",
                        headers={"Accept-Language": "en"})
    assert english.headers["etag"] != indonesian.headers["etag"]
    assert "Accept-Language" in indonesian.headers["vary"]

    stack.publish(pkk, [event("gotong.proposal.submitted.v1", second, {
        "forum_id": forum, "title": "Lampu jalan", "body": "Gang gelap", "author": "Ibu Ani"},
        pkk)])
    stack.wait_json(f"/api/v1/proposals/{second}", lambda p: True)
    for path in paths[:4]:
        old = before[path]
        fresh = httpx.get(stack.base_url + path, headers={
            "If-None-Match": old.headers["etag"]})
        assert fresh.status_code == 200, path
        assert "Lampu jalan" in fresh.text and fresh.headers["etag"] != old.headers["etag"]
        since = httpx.get(stack.base_url + path, headers={
            "If-Modified-Since": old.headers["last-modified"]})
        assert since.status_code == 200, path
    # no meeting changed: the calendar is still the one the client has
    calendar = before[paths[4]]
    assert httpx.get(stack.base_url + paths[4], headers={
        "If-None-Match": calendar.headers["etag"]}).status_code == 304

    # a page with a form sets the CSRF cookie; the pages visitors share, the API, feeds
    # and static files set none
    assert "gotong_csrf" in stack.get("/login").headers.get("set-cookie", "")
    assert "set-cookie" not in stack.get("/").headers
    for path in ("/api/v1/proposals", "/openapi.json", "/static/site.css"):
        assert "set-cookie" not in stack.get(path).headers, path
