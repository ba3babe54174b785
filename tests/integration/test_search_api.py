"""Search through the real stack: events published, projected by the worker, found by
``/api/v1/search`` and the ``/search`` page, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from tests.support.openapi_check import check
from tests.support.stack import Stack, event, uid

pytestmark = pytest.mark.kafka


def _word() -> str:
    return "kata" + uuid.uuid4().hex[:8]


def test_published_text_is_found_ranked_and_followed(stack: Stack) -> None:
    node = stack.node("community")
    forum, proposal, other = uid("forum"), uid("usulan"), uid("usulan")
    word = _word()
    stack.publish(node, [
        event("gotong.forum.opened.v1", forum, {"title": "Forum Cari"}, node),
        event("gotong.proposal.submitted.v1", proposal, {
            "forum_id": forum, "title": f"Usulan {word}", "body": f"Tentang {word} dan padi",
            "author": "Ibu Ani"}, node),
        event("gotong.proposal.submitted.v1", other, {
            "forum_id": forum, "title": "Usulan lain", "body": f"Menyebut {word} sekali",
            "author": "Ibu Ani"}, node),
    ])
    found = stack.wait_json("/api/v1/search?q=" + word, lambda b: b["total"] == 2)
    assert [i["id"] for i in found["items"]] == [proposal, other]  # the title counts more
    assert found["items"][0]["url"] == f"/proposals/{proposal}"
    assert f"<mark>{word}</mark>" in found["items"][0]["snippet"]
    assert found["next"] is None

    page = stack.get("/api/v1/search", q=word, limit=1)
    assert page.json()["next"] == f"/api/v1/search?q={word}&limit=1&offset=1"
    for response in (page, stack.get("/api/v1/search"), stack.get("/api/v1/search", q=" "),
                     stack.get("/api/v1/search", q=word, kind="forum"),
                     stack.get("/api/v1/search", q='"(*NEAR -', status="open")):
        check(response)

    comment = uid("komentar")
    later = _word()
    stack.publish(node, [event("gotong.proposal.commented.v1", proposal, {
        "comment_id": comment, "body": f"Setuju, {later}!", "author": "Pak Budi"}, node)])
    hit = stack.wait_json(f"/api/v1/search?q={later}", lambda b: b["total"] == 1)["items"][0]
    assert (hit["kind"], hit["id"], hit["title"], hit["url"]) == (
        "comment", comment, f"Usulan {word}", f"/proposals/{proposal}/comments/{comment}")
    assert stack.get("/api/v1/search", q=later, forum=forum).json()["total"] == 1
    assert stack.get("/api/v1/search", q=later, forum="elsewhere").json()["total"] == 0


def test_a_missing_or_empty_query_is_a_400_naming_q(stack: Stack) -> None:
    for params in ({}, {"q": ""}, {"q": "   "}):
        response = stack.get("/api/v1/search", **params)
        assert response.status_code == 400
        assert response.json()["invalid-params"][0]["name"] == "q"
    response = stack.get("/api/v1/search", q="padi", kind="forum")
    assert (response.status_code, response.json()["invalid-params"][0]["name"]) == (400, "kind")


@pytest.mark.parametrize("typed", ['"', "*", "-", "NEAR(", "a OR", "((", ")", "'", "\\", ":*",
                                   "😀", "x" * 5000])
def test_odd_queries_never_fail(stack: Stack, typed: str) -> None:
    assert stack.get("/api/v1/search", q=typed).status_code == 200
    assert stack.get("/search", q=typed).status_code == 200


def test_the_page_keeps_the_query_and_escapes_what_it_shows(stack: Stack) -> None:
    node = stack.node("community")
    proposal = uid("usulan")
    word = _word()
    stack.publish(node, [event("gotong.proposal.submitted.v1", proposal, {
        "forum_id": uid("forum"), "title": f'<script>alert("{word}")</script>',
        "body": f"<img src=x onerror=alert(1)> {word} <b>tebal</b>", "author": "Ani"}, node)])
    stack.wait_json(f"/api/v1/search?q={word}", lambda b: b["total"] == 1)
    response = stack.get("/search", q=f'"{word}" <>')
    html = response.text
    assert response.status_code == 200
    assert f'value="&#34;{word}&#34; &lt;&gt;"' in html  # the query kept in the box, escaped
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>tebal" not in html
    assert f"<mark>{word}</mark>" in html
    assert f'href="/proposals/{proposal}"' in html
    assert stack.get("/search").status_code == 200
