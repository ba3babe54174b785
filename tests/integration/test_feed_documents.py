"""Atom feeds, calendars and open-data exports over a real read model."""

from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET

import pytest
from icalendar import Calendar

from tests.stack import Stack, event, uid

pytestmark = pytest.mark.kafka

A = "{http://www.w3.org/2005/Atom}"


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
    mine = ET.fromstring(stack.get("/feeds/proposals.atom", node=pkk).content)
    assert [e.findtext(A + "title") for e in mine.iter(A + "entry")] == ["Pelatihan menjahit"]
    owned = ET.fromstring(stack.get("/feeds/commitments.atom", owner=dinas).content)
    assert [e.findtext(A + "title") for e in owned.iter(A + "entry")] == ["Sediakan mesin jahit"]
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
