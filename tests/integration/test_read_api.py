"""The read API, the site's twin: forums, meetings, one commitment, one node, and every
list's ``next`` link, on events published through the real stack."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.openapi_check import check
from tests.support.stack import Stack, event, uid

pytestmark = pytest.mark.kafka

# 2030-01-15 in Bitung (WITA, UTC+8): from 09:00 (01:00Z) to the next midnight (16:00Z)
ON_THE_15TH = "2030-01-15T01:00:00Z"
EARLY_ON_THE_16TH = "2030-01-15T17:00:00Z"  # still the 15th in UTC, the 16th in the city
FEBRUARY = "2030-02-01T09:00:00+08:00"
LONG_AGO = "2020-01-01T02:00:00Z"
# programs the demo defines: a program of these tests' own would be one more program on the
# site's /programs for every later test of the session
PROGRAM, OTHER_PROGRAM = "anak-tetap-sekolah", "modal-usaha-tani-nelayan"


@dataclass
class Seeded:
    node: str
    key: str  # publish and read_private
    program: str
    area: str
    forum: str
    sibling: str  # the same program, another area
    other: str  # another program
    proposals: list[str]
    meetings: dict[str, str]  # when -> id
    item: str


@pytest.fixture(scope="module")
def seeded(stack: Stack) -> Iterator[Seeded]:
    node = uid("dinas")
    done = stack.cli("node", "add", node, "--kind", "government", "--name", "Dinas Uji",
                     "--contact", "0812-1111-2222", "--scope", "publish",
                     "--scope", "read_private")
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    stack.keys[node] = key
    program, area = PROGRAM, uid("kelurahan")
    forum, sibling, other = uid("forum"), uid("forum"), uid("forum")
    proposals = [uid("usulan") for _ in range(3)]
    meetings = {when: uid("rapat") for when in (LONG_AGO, ON_THE_15TH, EARLY_ON_THE_16TH,
                                                 FEBRUARY)}
    item = uid("rtl")
    stack.publish(node, [
        event("gotong.forum.opened.v1", forum, {"title": "Forum A", "program": program,
                                                "area": area}, node),
        event("gotong.forum.opened.v1", sibling, {"title": "Forum B", "program": program,
                                                  "area": uid("kelurahan")}, node),
        event("gotong.forum.opened.v1", other, {"title": "Forum C", "program": OTHER_PROGRAM,
                                                "area": area}, node),
        *(event("gotong.proposal.submitted.v1", p, {
            "forum_id": forum, "title": f"Usulan {i}", "body": "Isi", "author": "Ibu Ani"}, node)
          for i, p in enumerate(proposals)),
        event("gotong.proposal.status_changed.v1", proposals[0], {"status": "accepted"}, node),
        *(event("gotong.meeting.scheduled.v1", m, {
            "forum_id": forum, "title": f"Rapat {when}", "starts_at": when}, node)
          for when, m in meetings.items()),
        event("gotong.action_item.created.v1", item, {
            "title": "Sediakan mesin jahit", "owner_node_id": node, "due_date": "2030-01-31",
            "meeting_id": meetings[ON_THE_15TH], "proposal_id": proposals[0]}, node),
        event("gotong.action_item.progress_reported.v1", item, {"percent": 40}, node),
        event("gotong.action_item.status_changed.v1", item, {"status": "blocked",
                                                             "reason": "Dana belum cair"}, node),
    ])
    stack.wait_json(f"/api/v1/commitments/{item}", lambda c: c["status"] == "blocked")
    stack.wait_json(f"/api/v1/meetings?forum={forum}", lambda b: b["total"] == 4)
    stack.wait_json(f"/api/v1/forums/{forum}",
                    lambda f: f["proposals_by_status"]["accepted"] == 1
                    and f["proposal_count"] == 3)
    stack.wait_json(f"/api/v1/forums?area={area}", lambda b: b["total"] == 2)
    stack.wait_json(f"/api/v1/forums/{sibling}", lambda f: True)
    yield Seeded(node, key, program, area, forum, sibling, other, proposals, meetings, item)


def _get(stack: Stack, path: str, **params: Any) -> httpx.Response:
    response = stack.get(path, **params)
    check(response)  # every answer here is what /openapi.json promises
    return response


def _ids(body: dict[str, Any]) -> list[str]:
    return [i["id"] for i in body["items"]]


def _walk(stack: Stack, path: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every item, following ``next`` from the first page; and how many pages there were."""
    body = _get(stack, path, **params).json()
    items, pages = body["items"], 1
    while (following := body["next"]) is not None:
        assert following.startswith(path + "?")
        body = _get(stack, following).json()
        items += body["items"]
        pages += 1
    return items, pages


def test_forums_filter_by_program_and_area(stack: Stack, seeded: Seeded) -> None:
    by_program = _get(stack, "/api/v1/forums", program=seeded.program, limit=1000).json()
    assert {seeded.forum, seeded.sibling} <= set(_ids(by_program))  # (and the demo's forum)
    assert {f["program"] for f in by_program["items"]} == {seeded.program}
    both = _get(stack, "/api/v1/forums", program=seeded.program, area=seeded.area).json()
    assert _ids(both) == [seeded.forum] and both["total"] == 1
    assert both["items"][0]["proposal_count"] == 3 and both["next"] is None
    by_area = _get(stack, "/api/v1/forums", area=seeded.area).json()
    assert set(_ids(by_area)) == {seeded.forum, seeded.other}


def test_a_forum_counts_its_proposals_by_status_and_splits_its_meetings(
        stack: Stack, seeded: Seeded) -> None:
    forum = _get(stack, f"/api/v1/forums/{seeded.forum}").json()
    assert (forum["program"], forum["area"]) == (seeded.program, seeded.area)
    assert forum["proposal_count"] == 3
    assert forum["proposals_by_status"] == {
        "open": 2, "under_review": 0, "accepted": 1, "rejected": 0, "withdrawn": 0,
        "implemented": 0}
    meetings = seeded.meetings
    assert forum["meeting_count"] == 4
    assert [m["id"] for m in forum["upcoming_meetings"]] == [
        meetings[ON_THE_15TH], meetings[EARLY_ON_THE_16TH], meetings[FEBRUARY]]
    assert [m["id"] for m in forum["past_meetings"]] == [meetings[LONG_AGO]]
    assert "minutes" not in forum["upcoming_meetings"][0]


def test_meetings_filter_by_forum_and_the_citys_days(stack: Stack, seeded: Seeded) -> None:
    meetings = seeded.meetings
    every = _get(stack, "/api/v1/meetings", forum=seeded.forum).json()
    assert _ids(every) == [meetings[w] for w in (LONG_AGO, ON_THE_15TH, EARLY_ON_THE_16TH,
                                                     FEBRUARY)]
    assert "minutes" not in every["items"][0]
    the_15th = _get(stack, "/api/v1/meetings", forum=seeded.forum, **{
        "from": "2030-01-15", "to": "2030-01-15"}).json()
    assert _ids(the_15th) == [meetings[ON_THE_15TH]]
    the_16th = _get(stack, "/api/v1/meetings", forum=seeded.forum, **{"from": "2030-01-16"}).json()
    assert _ids(the_16th) == [meetings[EARLY_ON_THE_16TH], meetings[FEBRUARY]]


def test_meeting_times_bound_to_the_instant_in_any_offset(stack: Stack, seeded: Seeded) -> None:
    meetings = seeded.meetings
    # the instant itself is in on both ends
    exactly = _get(stack, "/api/v1/meetings", forum=seeded.forum, **{
        "from": "2030-01-16T01:00:00+08:00", "to": EARLY_ON_THE_16TH}).json()
    assert _ids(exactly) == [meetings[EARLY_ON_THE_16TH]]
    before = _get(stack, "/api/v1/meetings", forum=seeded.forum,
                  to="2030-01-15T16:59:59.999999Z").json()
    assert _ids(before) == [meetings[LONG_AGO], meetings[ON_THE_15TH]]


@pytest.mark.parametrize(("name", "value"), [
    ("from", "2030-13-01"), ("to", "yesterday"), ("from", "2030-01-15T09:00:00"),
    ("to", "2030-02-30"), ("from", "15/01/2030")])
def test_a_malformed_date_is_a_400_naming_the_parameter(stack: Stack, name: str,
                                                        value: str) -> None:
    response = _get(stack, "/api/v1/meetings", **{name: value})
    assert response.status_code == 400
    body = response.json()
    assert body["invalid-params"][0]["name"] == name and body["detail"].startswith(name)


@pytest.mark.parametrize(("path", "what"), [
    ("/api/v1/forums/no-such-forum", "forum"), ("/api/v1/commitments/no-such-rtl", "commitment"),
    ("/api/v1/nodes/no-such-node", "node"), ("/api/v1/meetings/no-such-rapat", "meeting")])
def test_a_missing_thing_is_a_404_naming_it(stack: Stack, path: str, what: str) -> None:
    response = _get(stack, path)
    assert response.status_code == 404
    assert response.json()["detail"] == f"no {what} {path.rsplit('/', 1)[1]!r}"


def test_a_commitment_is_the_lists_item_with_its_history(stack: Stack, seeded: Seeded) -> None:
    one = _get(stack, f"/api/v1/commitments/{seeded.item}").json()
    listed = _get(stack, "/api/v1/commitments", owner=seeded.node).json()["items"]
    assert listed == [one]
    assert [step["kind"] for step in one["history"]] == ["created", "progress", "status"]
    assert (one["status"], one["percent"], one["overdue"]) == ("blocked", 40, False)


def test_a_nodes_contact_needs_the_read_private_scope(stack: Stack, seeded: Seeded) -> None:
    path = f"/api/v1/nodes/{seeded.node}"
    anonymous = _get(stack, path).json()
    assert anonymous["name"] == "Dinas Uji" and anonymous["contact"] is None
    assert "key_hash" not in anonymous
    private = httpx.get(f"{stack.base_url}{path}",
                        headers={"Authorization": f"Bearer {seeded.key}"})
    check(private)
    assert private.json()["contact"] == "0812-1111-2222"
    listed = {n["id"]: n for n in _walk(stack, "/api/v1/nodes", kind="government")[0]}
    assert listed[seeded.node]["contact"] is None
    refused = httpx.get(f"{stack.base_url}{path}", headers={"Authorization": "Bearer gtk_nope"})
    check(refused)
    assert refused.status_code == 401


def test_a_node_carries_its_track_record(stack: Stack, seeded: Seeded) -> None:
    node = _get(stack, f"/api/v1/nodes/{seeded.node}").json()
    assert node["commitments_by_status"]["blocked"] == 1
    assert node["record"] == {"committed": 1, "done": 0, "overdue": 0, "on_time": 0,
                              "on_time_rate": None}


@pytest.mark.parametrize(("path", "filters", "limit"), [
    ("/api/v1/forums", "program", 1), ("/api/v1/meetings", "forum", 1),
    ("/api/v1/proposals", "forum", 2), ("/api/v1/commitments", "meeting", 1),
    ("/api/v1/nodes", "kind", 3)])
def test_next_links_walk_every_page_once(stack: Stack, seeded: Seeded, path: str, filters: str,
                                         limit: int) -> None:
    given = {"program": seeded.program, "forum": seeded.forum,
             "meeting": seeded.meetings[ON_THE_15TH], "kind": "government"}
    whole = _get(stack, path, **{filters: given[filters], "limit": 1000}).json()
    assert whole["next"] is None and whole["total"] == len(whole["items"]) > 0
    items, pages = _walk(stack, path, **{filters: given[filters], "limit": limit})
    assert items == whole["items"]
    assert pages == -(-whole["total"] // limit)


def test_next_keeps_the_filters_and_moves_the_offset(stack: Stack, seeded: Seeded) -> None:
    body = _get(stack, "/api/v1/meetings", forum=seeded.forum, limit=3, **{
        "from": "2020-01-01"}).json()
    assert body["next"] == (f"/api/v1/meetings?forum={seeded.forum}&from=2020-01-01"
                            "&limit=3&offset=3")
    last = _get(stack, body["next"]).json()
    assert last["next"] is None and len(last["items"]) == 1
