"""The event feed read from Kafka: the cursor API and Server-Sent Events, end to end."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import orjson
import pytest

from services.feeds.tail import Tail
from tests.support.kafka_io import read_all
from tests.support.sse import SSEReader
from tests.support.stack import Stack, event, uid, wait_for

pytestmark = pytest.mark.kafka


def _comments(node: str, subjects: list[str], n: int) -> list[dict[str, Any]]:
    return [event("gotong.proposal.commented.v1", subjects[i % len(subjects)],
                  {"comment_id": uid("c"), "body": f"Komentar {i}", "author": "Ibu Ani"}, node)
            for i in range(n)]


def _follow(stack: Stack, after: str = "", **filters: Any) -> tuple[list[dict[str, Any]], str]:
    """Every page from ``after`` to the end of the log; (events, last cursor)."""
    items: list[dict[str, Any]] = []
    for _ in range(200):
        body = stack.get("/api/v1/events", after=after, **filters).json()
        items.extend(body["items"])
        after = body["next"]
        if body["at_end"] and not body["items"]:
            return items, after
    raise AssertionError("the feed did not reach its end in 200 pages")


def _in_log(stack: Stack, ids: set[str], topic: str = "gotong.proposals") -> Counter[str]:
    """How often each of ``ids`` sits in the log: a producer retry upstream may write a
    record twice (same event id), and the feed shows the log as it is."""
    values = (orjson.loads(r.value) for r in read_all(stack.settings.bootstrap, topic))
    return Counter(v["id"] for v in values if v["id"] in ids)


def _wait_in_feed(stack: Stack, ids: set[str], **filters: Any) -> None:
    wait_for(lambda: ids <= {e["id"] for e in _follow(stack, **filters)[0]}, 30,
             "the events to reach the typed topics")


def test_following_next_gives_every_event_once_in_subject_order(stack: Stack) -> None:
    node = stack.node()
    subjects = [uid("usulan") for _ in range(5)]
    published = _comments(node, subjects, 40)
    stack.publish(node, published)
    _wait_in_feed(stack, {e["id"] for e in published}, node=node)

    seen, _ = _follow(stack, node=node, type="gotong.proposal.*", limit=7)
    assert Counter(e["id"] for e in seen) == _in_log(stack, {e["id"] for e in published})
    for subject in subjects:
        assert list(dict.fromkeys(e["id"] for e in seen if e["subject"] == subject)) == [
            e["id"] for e in published if e["subject"] == subject]


def test_a_cursor_taken_before_a_rebuild_continues_after_it(stack: Stack) -> None:
    node = stack.node()
    first = _comments(node, [uid("usulan")], 5)
    stack.publish(node, first)
    _wait_in_feed(stack, {e["id"] for e in first}, node=node)
    before, cursor = _follow(stack, node=node, type="gotong.proposal.*")
    stack.stop_worker()
    try:
        assert stack.cli("rebuild").returncode == 0
    finally:
        stack.restart_worker()
    second = _comments(node, [uid("usulan")], 5)
    stack.publish(node, second)
    _wait_in_feed(stack, {e["id"] for e in second}, node=node)
    after, _ = _follow(stack, after=cursor, node=node, type="gotong.proposal.*")
    assert [e["id"] for e in before] == [e["id"] for e in first]
    assert [e["id"] for e in after] == [e["id"] for e in second]


def test_feed_filters_by_type_subject_forum_and_owner(stack: Stack) -> None:
    node, agency = stack.node(), stack.node("government")
    forum, proposal, other, item = uid("forum"), uid("usulan"), uid("usulan"), uid("rtl")
    submitted = event("gotong.proposal.submitted.v1", proposal, {
        "forum_id": forum, "title": "Usulan", "body": "Isi", "author": "Ibu Ani"}, node)
    elsewhere = event("gotong.proposal.submitted.v1", other, {
        "forum_id": uid("forum"), "title": "Lain", "body": "Isi", "author": "Ibu Ani"}, node)
    comment = _comments(node, [proposal], 1)[0]
    created = event("gotong.action_item.created.v1", item, {
        "title": "Pelatihan", "owner_node_id": agency, "due_date": "2030-01-01",
        "proposal_id": proposal}, node)
    stack.publish(node, [submitted, elsewhere, comment, created])
    _wait_in_feed(stack, {submitted["id"], elsewhere["id"], comment["id"], created["id"]},
                  node=node)

    def ids(**filters: Any) -> list[str]:
        return [e["id"] for e in _follow(stack, node=node, **filters)[0]]

    assert sorted(ids(type="gotong.proposal.submitted.v1")) == sorted([submitted["id"],
                                                                        elsewhere["id"]])
    assert ids(subject=other) == [elsewhere["id"]]
    assert sorted(ids(forum=forum)) == sorted([submitted["id"], comment["id"], created["id"]])
    assert ids(owner=agency) == [created["id"]]
    assert ids(type="gotong.action_item.*", owner=agency) == [created["id"]]


def test_a_bad_cursor_or_filter_is_a_400_naming_the_parameter(stack: Stack) -> None:
    response = stack.get("/api/v1/events", after="nonsense")
    assert response.status_code == 400
    assert response.json()["invalid-params"][0]["name"] == "after"
    response = stack.get("/api/v1/events", type="proposal")
    assert response.json()["invalid-params"][0]["name"] == "type"
    response = stack.get("/api/v1/events", limit="0")
    assert response.json()["invalid-params"][0]["name"] == "limit"


def test_private_fields_need_the_read_private_scope(stack: Stack) -> None:
    node = uid("dinas")
    done = stack.cli("node", "add", node, "--kind", "government", "--name", "Dinas",
                     "--contact", "0812-0000-0000", "--scope", "publish",
                     "--scope", "read_private")
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    wait_for(lambda: _follow(stack, subject=node)[0], 30, "the registration in the feed")
    public = _follow(stack, subject=node)[0][0]
    assert "contact" not in public["data"]
    private = httpx.get(f"{stack.base_url}/api/v1/events",
                                      params={"subject": node},
                                      headers={"Authorization": f"Bearer {key}"}).json()
    assert private["items"][0]["data"]["contact"] == "0812-0000-0000"


def test_sse_resumes_with_last_event_id_across_a_web_restart(stack: Stack) -> None:
    node = stack.node()
    subjects = [uid("usulan") for _ in range(3)]
    url = f"{stack.base_url}/api/v1/stream?node={node}&type=gotong.proposal.commented.v1"
    first, second = _comments(node, subjects, 6), _comments(node, subjects, 6)
    reader = SSEReader(url, count=6).start()
    stack.publish(node, first)
    got = reader.wait(30)
    assert sorted(e["id"] for _, e in got) == sorted(e["id"] for e in first)
    last_id = got[-1][0]

    stack.web.terminate()  # type: ignore[union-attr]
    stack.web.wait(30)  # type: ignore[union-attr]
    stack.start_web()
    stack.publish(node, second)
    _wait_in_feed(stack, {e["id"] for e in second}, node=node)

    resumed = SSEReader(url, headers={"Last-Event-ID": last_id}, count=6).start()
    again = resumed.wait(30)
    assert sorted(e["id"] for _, e in again) == sorted(e["id"] for e in second)
    for subject in subjects:
        assert [e["id"] for _, e in again if e["subject"] == subject] == [
            e["id"] for e in second if e["subject"] == subject]


def test_sse_without_last_event_id_starts_at_the_end_of_the_log(stack: Stack) -> None:
    node = stack.node()
    old = _comments(node, [uid("usulan")], 3)
    stack.publish(node, old)
    _wait_in_feed(stack, {e["id"] for e in old}, node=node)
    reader = SSEReader(f"{stack.base_url}/api/v1/stream?node={node}", count=2).start()
    new = _comments(node, [uid("usulan")], 2)
    stack.publish(node, new)
    assert [e["id"] for _, e in reader.wait(30)] == [e["id"] for e in new]


def test_the_tail_fetches_nothing_while_no_stream_is_open_and_wakes_at_the_end(
        stack: Stack) -> None:
    """A web process nobody follows does not read the log; the next stream starts at the
    end of it (not at what the tail saw before it idled) and gets what comes next."""
    node = stack.node()
    subject = uid("usulan")

    async def scenario() -> list[str]:
        tail = Tail(stack.settings.bootstrap)
        tail.start()
        try:
            async with asyncio.timeout(30):
                await tail.ready.wait()
                while tail.ready.is_set():  # no listener: it pauses at once
                    await asyncio.sleep(0.05)
            while_idle = _comments(node, [subject], 2)
            await asyncio.to_thread(stack.publish, node, while_idle)
            await asyncio.to_thread(_wait_in_feed, stack, {e["id"] for e in while_idle},
                                    node=node)
            assert not tail.ready.is_set()
            listener = await tail.join(10)
            assert tail.ready.is_set() and not tail.idle
            after = _comments(node, [subject], 2)
            await asyncio.to_thread(stack.publish, node, after)
            got: list[str] = []
            async with asyncio.timeout(30):
                while len(got) < 2:
                    item = await listener.queue.get()
                    assert item is not None
                    if item.event.get("subject") == subject:
                        got.append(item.event["id"])
            assert got == [e["id"] for e in after]
            tail.unsubscribe(listener)
            async with asyncio.timeout(10):
                while tail.ready.is_set():  # the last one gone: idle again
                    await asyncio.sleep(0.05)
            return got
        finally:
            await tail.stop()

    assert len(asyncio.run(scenario())) == 2
