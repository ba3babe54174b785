"""Moderation through the real broker, worker and web (SQLite and PostgreSQL): only the
node that convened a proposal's forum hides and restores its comments and changes its
status (its own node may withdraw it); a hidden comment's body is on no page, feed,
dataset, search result or read API, only in the log; the rules' refusals are a 403 at
the API and a dead letter at the gate; what comes before the proposal is held."""

from __future__ import annotations

import functools
from typing import Any

import httpx
import orjson
import pytest

from tests.support.kafka_io import read_all
from tests.support.stack import Stack, event, uid, wait_for

pytestmark = pytest.mark.kafka

HIDDEN = "gotong.proposal.comment_hidden.v1"
RESTORED = "gotong.proposal.comment_restored.v1"
STATUS = "gotong.proposal.status_changed.v1"


def _thread(stack: Stack) -> tuple[str, str, str, str, str, str]:
    """A forum opened by a convener, a proposal of an author node there, and a comment of a
    third node whose body carries a word found nowhere else."""
    convener, author, other = stack.node("government"), stack.node(), stack.node("ngo")
    forum, proposal, comment = uid("forum"), uid("usulan"), uid("c")
    word = uid("kasar").replace("-", "")
    stack.publish(convener, [event("gotong.forum.opened.v1", forum,
                                   {"title": "Forum Ekonomi"}, convener)])
    stack.wait_json(f"/api/v1/forums/{forum}", lambda f: True)
    stack.publish(author, [event("gotong.proposal.submitted.v1", proposal, {
        "forum_id": forum, "title": "Pelatihan menjahit", "body": "Isi usulan",
        "author": "Ibu Ani"}, author)])
    stack.publish(other, [event("gotong.proposal.commented.v1", proposal, {
        "comment_id": comment, "body": f"Kata {word} di sini", "author": "Pak Budi"}, other)])
    stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: p["comment_count"] == 1)
    return convener, author, other, proposal, comment, word


def _everywhere(stack: Stack, proposal: str, forum: str) -> str:
    """Every surface that shows a thread or its comments, as text."""
    paths = [f"/proposals/{proposal}", f"/api/v1/proposals/{proposal}", "/feeds/proposals.atom",
             f"/feeds/forums/{forum}.atom", "/data/proposals.csv", "/data/proposals.json",
             "/api/v1/proposals"]
    return "\n".join(stack.get(path).text for path in paths)


def _found(stack: Stack, word: str) -> list[dict[str, Any]]:
    return list(stack.get("/api/v1/search", q=word).json()["items"])


def test_the_convener_hides_a_comment_everywhere_but_the_log_and_restores_it(
        stack: Stack) -> None:
    convener, _author, _other, proposal, comment, word = _thread(stack)
    forum = stack.get(f"/api/v1/proposals/{proposal}").json()["forum_id"]
    wait_for(lambda: _found(stack, word), 30, "the comment in the search")
    assert word in _everywhere(stack, proposal, forum)

    stack.publish(convener, [event(HIDDEN, proposal, {"comment_id": comment,
                                                      "reason": "Hinaan pribadi"}, convener)])
    thread = stack.wait_json(f"/api/v1/proposals/{proposal}",
                             lambda p: p["comments"][0]["hidden"] is not None)
    shown = thread["comments"][0]
    assert shown["body"] == "" and shown["hidden"]["reason"] == "Hinaan pribadi"
    assert shown["hidden"]["node_id"] == convener
    assert word not in _everywhere(stack, proposal, forum)
    assert _found(stack, word) == []
    page = stack.get(f"/proposals/{proposal}").text
    assert "disembunyikan oleh moderator forum: Hinaan pribadi" in page
    english = httpx.get(f"{stack.base_url}/proposals/{proposal}",
                        headers={"Accept-Language": "en"}).text
    assert "hidden by the forum's moderators: Hinaan pribadi" in english.replace("&#39;", "'")
    # the log keeps the comment as it was published
    logged = [orjson.loads(r.value) for r in read_all(stack.settings.bootstrap,
                                                       "gotong.proposals")
              if r.key == proposal.encode()]
    assert any(word in (e["data"].get("body") or "") for e in logged)

    stack.publish(convener, [event(RESTORED, proposal, {"comment_id": comment,
                                                        "reason": "Ditinjau ulang"}, convener)])
    thread = stack.wait_json(f"/api/v1/proposals/{proposal}",
                             lambda p: p["comments"][0]["hidden"] is None)
    assert word in thread["comments"][0]["body"]
    assert wait_for(lambda: _found(stack, word), 30, "the restored comment in the search")
    assert word in stack.get(f"/proposals/{proposal}").text


def test_another_node_may_not_hide_or_change_the_status_403_and_dead_letter(
        stack: Stack) -> None:
    convener, author, other, proposal, comment, _word = _thread(stack)
    hide = event(HIDDEN, proposal, {"comment_id": comment, "reason": "Tidak suka"}, other)
    accept = event(STATUS, proposal, {"status": "accepted"}, author)
    for node, attempt in ((other, hide), (author, accept)):
        answer = stack.post(node, [attempt])
        assert answer.status_code == 403, answer.text
        assert answer.json()["errors"][0]["pointer"] == "#/0/source"
        assert convener in answer.json()["detail"]
        assert "convened its forum" in answer.json()["detail"]

    # the same events on the log are refused by the fold and dead-lettered with the reason
    stack.on_the_log(other, hide)
    stack.on_the_log(author, accept)
    withdraw = event(STATUS, proposal, {"status": "withdrawn", "reason": "Ditarik"}, author)
    stack.publish(author, [withdraw])  # the author's node may withdraw it
    body = stack.wait_json(f"/api/v1/proposals/{proposal}",
                           lambda p: p["status"] == "withdrawn")
    assert body["comments"][0]["hidden"] is None
    assert [h["status"] for h in body["status_history"]] == ["open", "withdrawn"]
    for attempt in (hide, accept):
        dead = wait_for(functools.partial(stack.dead_letter, attempt["id"]), 30, "the refusal")
        assert dead["reason"].startswith("not allowed: only the node that convened its forum")
        assert convener in dead["reason"]
    # in the log (a replay judges them the same), but no news: the cursor feed leaves them out
    assert {hide["id"], accept["id"]} <= {r.value and orjson.loads(r.value)["id"] for r in
                                          read_all(stack.settings.bootstrap, "gotong.proposals")}
    fed, after = set(), ""
    for _ in range(100):
        page = stack.get("/api/v1/events", after=after, subject=proposal).json()
        fed |= {item["id"] for item in page["items"]}
        after = page["next"]
        if page["at_end"] and not page["items"]:
            break
    assert withdraw["id"] in fed and not fed & {hide["id"], accept["id"]}
    # the convener may change it again
    stack.publish(convener, [event(STATUS, proposal, {"status": "open"}, convener)])
    stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: p["status"] == "open")


def test_a_status_change_before_its_proposal_is_held_then_judged(stack: Stack) -> None:
    convener, author, stranger = stack.node("government"), stack.node(), stack.node()
    forum, proposal = uid("forum"), uid("usulan")
    stack.publish(convener, [event("gotong.forum.opened.v1", forum, {"title": "Forum"},
                                   convener)])
    stack.wait_json(f"/api/v1/forums/{forum}", lambda f: True)
    early = event(STATUS, proposal, {"status": "under_review"}, convener)
    early_foreign = event(STATUS, proposal, {"status": "rejected"}, stranger)
    stack.on_the_log(convener, early)
    stack.on_the_log(stranger, early_foreign)
    stack.publish(author, [event("gotong.proposal.submitted.v1", proposal, {
        "forum_id": forum, "title": "Usulan", "body": "Isi", "author": "Ibu Ani"}, author)])

    body = stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: True)
    assert [h["status"] for h in body["status_history"]] == ["open", "under_review"]
    dead = wait_for(lambda: stack.dead_letter(early_foreign["id"]), 30, "the held foreign status")
    assert "only the node that convened its forum" in dead["reason"]
    assert orjson.loads(dead["original"])["id"] == early_foreign["id"]
    assert "_convener" not in dead["original"]


def test_a_rebuild_gives_the_same_read_model_with_moderation(stack: Stack) -> None:
    convener, _author, other, proposal, comment, _word = _thread(stack)
    second = uid("c")
    stack.publish(other, [event("gotong.proposal.commented.v1", proposal, {
        "comment_id": second, "body": "Komentar kedua", "author": "Pak Budi"}, other)])
    stack.publish(convener, [
        event(HIDDEN, proposal, {"comment_id": comment, "reason": "Hinaan"}, convener),
        event(HIDDEN, proposal, {"comment_id": second, "reason": "Iklan"}, convener),
        event(RESTORED, proposal, {"comment_id": second, "reason": "Keliru"}, convener),
        event(STATUS, proposal, {"status": "accepted"}, convener),
    ])
    stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: p["status"] == "accepted")
    before, after = stack.rebuilt()
    marks = {(r["comment_id"], r["hidden"]) for r in before["comment_moderation"]
             if r["proposal_id"] == proposal}
    assert marks == {(comment, True), (second, False)}
    assert after == before
