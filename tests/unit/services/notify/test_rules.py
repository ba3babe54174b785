"""Who is told of which event, and how notifications become mails: pure logic."""

from __future__ import annotations

from typing import Any

from services.notify import rules
from services.notify.rules import (
    Facts,
    Pending,
    batches,
    missing,
    recipients,
    touched,
    wanted,
)


def _event(type_: str, subject: str, data: dict[str, Any], node: str = "pkk",
           id_: str = "e1") -> dict[str, Any]:
    return {"id": id_, "type": f"gotong.{type_}.v1", "source": f"/nodes/{node}",
            "subject": subject, "time": "2026-12-05T01:00:00Z", "data": data}


FACTS = Facts(proposals={"p1": ("f1", "Pelatihan menjahit")},
              meetings={"m1": ("f1", "Musyawarah Desember")},
              items={"a1": ("dinsos", "Modal usaha")},
              forums={"f1": "Forum Maesa"}, nodes={"pkk": "PKK Bitung", "dinsos": "Dinsos"})


def test_a_comment_tells_the_proposals_and_the_forums_followers() -> None:
    t = touched(_event("proposal.commented", "p1", {"comment_id": "c9", "body": "Setuju",
                                                     "author": "Ibu Ani"}), FACTS)
    assert t is not None
    assert t.what == "commented"
    assert set(t.followed) == {("proposal", "p1"), ("forum", "f1"), ("node", "pkk")}
    assert (t.kind, t.target_id, t.anchor) == ("proposal", "p1", "#comment-c9")
    assert t.params["title"] == "Pelatihan menjahit"
    assert t.params["excerpt"] == "Setuju"
    assert t.params["by"] == "PKK Bitung"


def test_a_new_proposal_tells_the_forums_followers_not_the_proposals() -> None:
    t = touched(_event("proposal.submitted", "p2", {"forum_id": "f1", "title": "Baru",
                                                     "body": "x", "author": "Ani"}), FACTS)
    assert t is not None and t.what == "proposal_submitted"
    assert set(t.followed) == {("forum", "f1"), ("node", "pkk")}


def test_progress_tells_the_commitments_followers_and_its_owner_nodes_people() -> None:
    t = touched(_event("action_item.progress_reported", "a1", {"percent": 40}), FACTS)
    assert t is not None and t.what == "progress"
    assert ("commitment", "a1") in t.followed
    assert t.owner_nodes == ("dinsos",)
    assert t.params["percent"] == 40


def test_minutes_tell_the_meetings_forum_followers() -> None:
    t = touched(_event("meeting.minutes_published", "m1", {"attendees": [], "decisions": []}),
                FACTS)
    assert t is not None and ("forum", "f1") in t.followed


def test_the_services_own_overdue_event_names_nobody_as_its_author() -> None:
    t = touched(_event("action_item.overdue", "a1", {"due_date": "2026-12-01"}, node="gotong"),
                FACTS)
    assert t is not None and t.what == "overdue"
    assert t.params["by"] == ""
    assert ("node", "gotong") not in t.followed
    assert t.owner_nodes == ("dinsos",)


def test_a_node_registration_tells_nobody() -> None:
    assert touched(_event("node.registered", "pkk", {"name": "x", "kind": "ngo"}), FACTS) is None


def test_an_endorser_is_named_without_the_tag() -> None:
    t = touched(_event("proposal.endorsed", "p1", {"endorser": "Ibu Ani #abcdefgh"}), FACTS)
    assert t is not None and t.params["author"] == "Ibu Ani"


def test_nobody_is_told_of_their_own_action() -> None:
    t = touched(_event("proposal.commented", "p1", {"comment_id": "c", "body": "b",
                                                     "author": "Ani"}), FACTS)
    assert t is not None
    followers = {("proposal", "p1"): {"ani", "budi"}, ("forum", "f1"): {"sari"}}
    assert recipients(t, followers, {}, actor="ani") == {"budi", "sari"}
    assert recipients(t, followers, {}, actor=None) == {"ani", "budi", "sari"}


def test_the_owner_nodes_people_are_told_without_following() -> None:
    t = touched(_event("action_item.status_changed", "a1", {"status": "done"}), FACTS)
    assert t is not None
    assert recipients(t, {}, {"dinsos": {"hendra", "sari"}}, actor="hendra") == {"sari"}


def test_wanted_names_the_rows_and_missing_waits_for_them() -> None:
    events = [_event("proposal.commented", "p3", {"comment_id": "c", "body": "b",
                                                   "author": "A"})]
    want = wanted(events)
    assert want.proposals == {"p3"} and want.nodes == {"pkk"}
    assert missing(events, FACTS)
    assert not missing(events, Facts(proposals={"p3": ("f1", "T")}))


def test_immediate_mail_waits_for_the_oldest_to_settle_then_groups() -> None:
    pending = [Pending(1, "ani", 100.0), Pending(2, "ani", 130.0), Pending(3, "budi", 150.0)]
    modes = {"ani": "immediate", "budi": "immediate"}
    made, never = batches(pending, modes, 140.0, wait_s=60, digest_day=None)
    assert made == [] and never == []
    made, never = batches(pending, modes, 165.0, wait_s=60, digest_day=None)
    assert [(b.key, b.ids) for b in made] == [("ani:1", (1, 2))]
    again, _ = batches(pending, modes, 165.0, wait_s=60, digest_day=None)
    assert again == made  # the same key for the same notifications: made once


def test_a_digest_comes_once_a_day_and_none_never() -> None:
    pending = [Pending(1, "ani", 0.0), Pending(2, "budi", 0.0), Pending(3, "cici", 0.0)]
    modes = {"ani": "daily", "budi": "none"}  # cici: no address
    made, never = batches(pending, modes, 10_000.0, wait_s=60, digest_day=None)
    assert made == [] and sorted(never) == [2, 3]
    made, _ = batches(pending, modes, 10_000.0, wait_s=60, digest_day="2026-12-05")
    assert [(b.key, b.ids) for b in made] == [("ani:daily:2026-12-05", (1,))]


def test_a_hidden_comments_notifications_say_why_and_a_restored_one_quotes_it_again() -> None:
    hide = {"type": "gotong.proposal.comment_hidden.v1", "subject": "p1",
            "data": {"comment_id": "c9", "reason": "Bahasa kasar"}}
    restore = {"type": "gotong.proposal.comment_restored.v1", "subject": "p1",
               "data": {"comment_id": "c9", "reason": "Sudah diperbaiki"}}
    assert rules.moderation(hide) == ("p1", "c9", "Bahasa kasar")
    assert rules.moderation(restore) == ("p1", "c9", None)
    assert rules.moderation({"type": "gotong.proposal.commented.v1", "subject": "p1",
                             "data": {"comment_id": "c9"}}) is None
    params = {"title": "Usulan", "excerpt": "Isi yang kasar"}
    hidden = rules.moderated(params, "Bahasa kasar", None)
    assert hidden == {"title": "Usulan", "hidden": "Bahasa kasar"}
    assert rules.moderated(hidden, None, "Isi yang   diperbaiki") == {
        "title": "Usulan", "excerpt": "Isi yang diperbaiki"}


def test_an_event_the_fold_refused_is_no_news() -> None:
    from events.catalog import refused

    assert refused([("gotong-convener", b"dinsos-bitung"), ("gotong-refused", b"1")])
    assert not refused([("gotong-convener", b"dinsos-bitung")])
    assert not refused(None) and not refused([])
