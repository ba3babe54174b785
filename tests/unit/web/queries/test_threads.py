"""A thread's comments as a tree of replies."""

from __future__ import annotations

from web.queries.threads import comment_tree


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
