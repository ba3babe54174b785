"""A thread's comments as a tree of replies."""

from __future__ import annotations

from web.queries import threads
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


def test_a_comment_is_found_on_the_page_of_its_top_level_comment() -> None:
    per_page = threads.COMMENT_THREADS_PER_PAGE
    roots = [{"comment_id": f"r{n}", "at": f"{n:05d}", "in_reply_to": None}
             for n in range(per_page * 2 + 1)]
    replies = [{"comment_id": "reply", "at": "99998", "in_reply_to": f"r{per_page}"},
               {"comment_id": "deeper", "at": "99999", "in_reply_to": "reply"},
               {"comment_id": "orphan", "at": "99997", "in_reply_to": "gone"}]
    comments = roots + replies
    assert threads.comment_page(comments, "r0") == 1
    assert threads.comment_page(comments, f"r{per_page - 1}") == 1
    assert threads.comment_page(comments, f"r{per_page}") == 2
    assert threads.comment_page(comments, "deeper") == 2  # shown under r{per_page}
    assert threads.comment_page(comments, "orphan") == 3  # top level, after the others
    assert threads.comment_page(comments, "unknown") is None


def test_a_loop_of_replies_does_not_hang() -> None:
    comments = [{"comment_id": "a", "at": "1", "in_reply_to": "b"},
                {"comment_id": "b", "at": "2", "in_reply_to": "a"}]
    assert threads.comment_page(comments, "a") is None  # neither is shown on a page
