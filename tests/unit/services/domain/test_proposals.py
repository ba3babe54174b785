"""services/domain/proposals.py: the proposal thread folded from its events."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from services.domain import proposals
from services.domain.base import judged as base_judged
from services.domain.base import replay

PROPOSAL = "usulan-menjahit"
_ids = itertools.count(1)


def event(
    what: str,
    data: dict[str, Any],
    *,
    node: str = "pkk-bitung-tengah",
    time: str = "2026-03-01T09:00:00+08:00",
    event_id: str | None = None,
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id or f"ev-{next(_ids)}",
        "source": f"/nodes/{node}",
        "type": f"gotong.proposal.{what}.v1",
        "subject": PROPOSAL,
        "time": time,
        "datacontenttype": "application/json",
        "data": data,
    }


CONVENER = "dinsos-bitung"  # opened forum-maesa


def submitted(*, convener: str | None = CONVENER, **kwargs: Any) -> dict[str, Any]:
    """A submission as the worker hands it to the fold: with its forum's convener, when
    the worker knows it."""
    data = {"forum_id": "forum-maesa", "title": "Pelatihan menjahit", "body": "25 peserta.",
            "author": "Meiske Rumondor"}
    stamped = {proposals.CONVENER: convener} if convener else {}
    return event("submitted", data, **kwargs) | stamped


def commented(comment_id: str, body: str = "Setuju.", **kwargs: Any) -> dict[str, Any]:
    return event("commented", {"comment_id": comment_id, "body": body, "author": "Hendra"},
                 **kwargs)


def endorsed(endorser: str, **kwargs: Any) -> dict[str, Any]:
    return event("endorsed", {"endorser": endorser}, **kwargs)


def status(value: str, reason: str | None = None, node: str = "dinsos-bitung",
           **kwargs: Any) -> dict[str, Any]:
    data = {"status": value} | ({"reason": reason} if reason else {})
    return event("status_changed", data, node=node, **kwargs)


def fold(*events: dict[str, Any]) -> dict[str, Any]:
    state = replay(proposals.fold, list(events))
    assert state is not None
    return state


def test_submission_opens_the_proposal() -> None:
    state = fold(submitted())

    assert state["exists"] is True
    assert state["status"] == "open"
    assert state["title"] == "Pelatihan menjahit"
    assert state["node_id"] == "pkk-bitung-tengah"


def test_submission_time_is_kept_in_utc() -> None:
    state = fold(submitted(time="2026-03-01T09:00:00+08:00"))

    assert state["submitted_at"] == "2026-03-01T01:00:00.000000Z"


def test_applying_the_same_event_twice_returns_the_same_object() -> None:
    first = submitted()
    state = proposals.evolve(None, first)

    assert proposals.evolve(state, first) is state


def test_comment_before_its_proposal_is_on_it_once_submitted() -> None:
    state = fold(commented("kmt-1"), submitted())

    assert [c["comment_id"] for c in state["comments"]] == ["kmt-1"]
    assert proposals.rows(state)["proposals"][0]["comment_count"] == 1


def test_proposal_known_only_from_a_comment_has_no_rows() -> None:
    assert proposals.rows(fold(commented("kmt-1"))) == {}


def test_comment_republished_under_a_new_event_id_counts_once() -> None:
    state = fold(submitted(), commented("kmt-1"), commented("kmt-1"))

    assert len(state["comments"]) == 1


def test_comments_keep_their_order_and_reply_link() -> None:
    reply = event("commented", {"comment_id": "kmt-2", "body": "Ya.", "author": "Meiske",
                                "in_reply_to": "kmt-1"})

    state = fold(submitted(), commented("kmt-1"), reply)

    assert [(c["comment_id"], c["in_reply_to"]) for c in state["comments"]] == [
        ("kmt-1", None),
        ("kmt-2", "kmt-1"),
    ]


@pytest.mark.parametrize("again", ["dinsos-bitung", "DINSOS-BITUNG", "  dinsos-bitung\t"])
def test_duplicate_endorsement_counts_once(again: str) -> None:
    state = fold(submitted(), endorsed("dinsos-bitung"), endorsed(again))

    assert proposals.rows(state)["proposals"][0]["endorsement_count"] == 1


def test_endorser_name_with_other_spacing_and_case_counts_once() -> None:
    state = fold(submitted(), endorsed("Meiske Rumondor"), endorsed(" meiske   RUMONDOR "))

    assert [e["endorser"] for e in state["endorsers"]] == ["Meiske Rumondor"]


def test_different_endorsers_each_count() -> None:
    state = fold(submitted(), endorsed("dinsos-bitung"), endorsed("lsm-swara-parangpuan"))

    assert len(state["endorsers"]) == 2


def test_endorsement_before_its_proposal_counts_once_submitted() -> None:
    state = fold(endorsed("dinsos-bitung"), submitted())

    assert proposals.rows(state)["proposals"][0]["endorsement_count"] == 1


def test_status_history_keeps_reasons_in_order() -> None:
    state = fold(
        submitted(),
        status("under_review", "Dibahas di musyawarah"),
        status("accepted", "Disetujui forum"),
    )

    assert [(h["status"], h["reason"]) for h in state["status_history"]] == [
        ("open", None),
        ("under_review", "Dibahas di musyawarah"),
        ("accepted", "Disetujui forum"),
    ]


def test_current_status_is_the_last_status_change() -> None:
    state = fold(submitted(), status("accepted"), status("implemented"))

    assert state["status"] == "implemented"


def test_status_change_before_submission_stays_after_open() -> None:
    state = fold(status("withdrawn", "Ditarik pengusul"), submitted())

    assert [h["status"] for h in state["status_history"]] == ["open", "withdrawn"]
    assert state["status"] == "withdrawn"


def test_resubmission_updates_the_text_but_not_the_submission_time() -> None:
    first = submitted(time="2026-03-01T09:00:00+08:00")
    edited = event("submitted", {**first["data"], "title": "Pelatihan menjahit (revisi)"},
                   time="2026-03-02T09:00:00+08:00")

    state = fold(first, edited)

    assert state["title"] == "Pelatihan menjahit (revisi)"
    assert state["submitted_at"] == "2026-03-01T01:00:00.000000Z"
    assert [h["status"] for h in state["status_history"]] == ["open"]


def test_updated_at_is_the_latest_event_time_whatever_the_arrival_order() -> None:
    state = fold(
        submitted(time="2026-03-05T09:00:00+08:00"),
        commented("kmt-1", time="2026-03-02T09:00:00+08:00"),
    )

    assert state["updated_at"] == "2026-03-05T01:00:00.000000Z"


def test_each_comment_row_is_written_by_the_batch_that_added_it() -> None:
    state = fold(submitted(), commented("kmt-1"), commented("kmt-2"))
    assert [r["comment_id"] for r in proposals.rows(state)["proposal_comments"]] == [
        "kmt-1", "kmt-2"]
    before = proposals.written(state)
    state = proposals.evolve(state, commented("kmt-3", "Kapan mulai?"))
    later = proposals.rows_since(state, before)
    [row] = later["proposal_comments"]
    assert (row["comment_id"], row["seq"], row["body"]) == ("kmt-3", 3, "Kapan mulai?")
    assert later["proposals"][0]["comment_count"] == 3  # the thread's row, whole, each time
    assert proposals.rows_since(state, proposals.written(state))["proposal_comments"] == []


def test_a_settled_thread_keeps_its_comments_ids_not_their_text() -> None:
    state = fold(submitted(), commented("kmt-1"), commented("kmt-2"), commented("kmt-3"))
    proposals.settle(state)  # the read model holds the three comments
    assert state["comments"] == [] and state["comment_ids"] == ["kmt-1", "kmt-2", "kmt-3"]
    mark = proposals.written(state)
    assert mark == 3
    again = commented("kmt-2", event_id="ev-again")  # sent again under a new event id
    state = proposals.evolve(state, again)
    assert proposals.rows_since(state, mark)["proposal_comments"] == []
    state = proposals.evolve(state, commented("kmt-4", "Saya ikut."))
    rows = proposals.rows_since(state, mark)
    [row] = rows["proposal_comments"]
    assert (row["comment_id"], row["seq"], row["body"]) == ("kmt-4", 4, "Saya ikut.")
    assert rows["proposals"][0]["comment_count"] == 4
    with pytest.raises(ValueError, match="settled"):
        proposals.rows(state)  # the texts of the first three are in the read model only


def test_a_thread_before_its_submission_is_not_settled() -> None:
    early = fold(commented("kmt-1"))
    proposals.settle(early)  # nothing of it is in the read model yet
    state = proposals.evolve(early, submitted())
    assert [r["comment_id"] for r in proposals.rows_since(state, 0)["proposal_comments"]] == [
        "kmt-1"]


def test_comments_held_before_the_submission_are_written_with_it() -> None:
    early = fold(commented("kmt-1"))
    assert proposals.rows(early) == {}
    assert proposals.written(early) == 0  # the read model has no rows of it yet
    state = proposals.evolve(early, submitted())
    assert [r["comment_id"] for r in proposals.rows_since(state, 0)["proposal_comments"]] == [
        "kmt-1"]


# -- who changes the status, who moderates (the forum's convener) -----------------------

AUTHOR = "pkk-bitung-tengah"


def hidden(comment_id: str, reason: str = "Hinaan", node: str = CONVENER,
           **kwargs: Any) -> dict[str, Any]:
    return event("comment_hidden", {"comment_id": comment_id, "reason": reason}, node=node,
                 **kwargs)


def restored(comment_id: str, reason: str = "Ditinjau", node: str = CONVENER,
             **kwargs: Any) -> dict[str, Any]:
    return event("comment_restored", {"comment_id": comment_id, "reason": reason}, node=node,
                 **kwargs)


def judged(*events: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    state, refused = base_judged(proposals.fold, list(events))
    assert state is not None
    return state, [r.reason for r in refused]


@pytest.mark.parametrize("value", ["under_review", "accepted", "rejected", "implemented",
                                   "withdrawn", "open"])
def test_the_convener_changes_the_status(value: str) -> None:
    state, refused = judged(submitted(), status(value, node=CONVENER))
    assert refused == [] and state["status"] == value


def test_the_service_changes_the_status_of_a_proposal_whose_convener_is_not_known() -> None:
    state, refused = judged(submitted(convener=None), status("accepted", node="gotong"))
    assert refused == [] and state["status"] == "accepted"


def test_the_authors_node_withdraws_but_decides_nothing_else() -> None:
    state, refused = judged(submitted(), status("accepted", node=AUTHOR),
                            status("withdrawn", "Ditarik", node=AUTHOR))
    assert state["status"] == "withdrawn"
    assert [h["node_id"] for h in state["status_history"]] == [AUTHOR, AUTHOR]
    assert len(refused) == 1
    assert refused[0].startswith("only the node that convened its forum 'forum-maesa' "
                                 "(dinsos-bitung) or the service changes the status")
    assert f"its own node ({AUTHOR}) may withdraw it" in refused[0]


def test_a_proposal_stays_in_the_forum_whose_convener_moderates_it() -> None:
    moved = submitted() | {"data": submitted()["data"] | {"forum_id": "forum-girian"}}
    edited = submitted() | {"data": submitted()["data"] | {"title": "Pelatihan menjahit 2"}}
    state, refused = judged(submitted(), moved, edited, status("accepted", node=CONVENER))
    assert state["forum_id"] == "forum-maesa" and state["title"] == "Pelatihan menjahit 2"
    assert state["status"] == "accepted"  # still the forum's convener's to decide
    assert refused == [f"proposal {PROPOSAL!r} stays in forum 'forum-maesa', whose convener "
                       "moderates it: submit it anew to another forum"]


def test_another_node_changes_no_status_and_hides_nothing() -> None:
    state, refused = judged(submitted(), commented("k1"),
                            status("rejected", node="dinkes-bitung"),
                            hidden("k1", node="dinkes-bitung"),
                            hidden("k1", node=AUTHOR))
    assert state["status"] == "open" and not state.get("moderation")
    assert len(refused) == 3
    assert "(dinsos-bitung) or the service changes the status" in refused[0]
    assert all("(dinsos-bitung) or the service hides or restores comments" in r
               for r in refused[1:])


def test_without_a_known_convener_only_the_service_decides_and_the_reason_says_why() -> None:
    state, refused = judged(submitted(convener=None), status("accepted", node=CONVENER))
    assert state["status"] == "open"
    assert refused and "not known here yet" in refused[0]


def test_the_convener_handed_with_a_later_event_is_used_and_kept() -> None:
    # a proposal folded before the worker knew its forum: the next event brings it
    later = status("accepted", node=CONVENER) | {proposals.CONVENER: CONVENER}
    state, refused = judged(submitted(convener=None), later,
                            status("implemented", node=CONVENER))
    assert refused == [] and state["status"] == "implemented"
    assert state["convener"] == CONVENER


def test_a_status_change_before_the_submission_is_held_then_judged() -> None:
    state, refused = judged(status("under_review", node=CONVENER),
                            status("rejected", node="dinkes-bitung"), submitted())
    assert [h["status"] for h in state["status_history"]] == ["open", "under_review"]
    assert len(refused) == 1 and "(dinsos-bitung)" in refused[0]
    assert "held" not in state


def test_the_convener_hides_and_restores_a_comment() -> None:
    state = fold(submitted(), commented("k1"), hidden("k1", "Hinaan pribadi"))
    assert state["moderation"]["k1"]["hidden"] is True
    assert state["moderation"]["k1"]["reason"] == "Hinaan pribadi"
    assert state["moderation"]["k1"]["node_id"] == CONVENER
    assert proposals.rows(state)["comment_moderation"] == [
        {"proposal_id": PROPOSAL, "comment_id": "k1", "hidden": True,
         "reason": "Hinaan pribadi", "node_id": CONVENER, "at": state["moderation"]["k1"]["at"],
         "version": 3}]
    again = fold(submitted(), commented("k1"), hidden("k1"), restored("k1", "Keliru"))
    assert again["moderation"]["k1"]["hidden"] is False
    assert proposals.rows(again)["comment_moderation"][0]["reason"] == "Keliru"


def test_a_hide_sent_twice_changes_nothing_the_second_time() -> None:
    hide = hidden("k1")
    once = fold(submitted(), commented("k1"), hide)
    twice = fold(submitted(), commented("k1"), hide, hide)
    assert once["moderation"] == twice["moderation"] and twice["version"] == 3


def test_a_hide_of_a_comment_the_thread_does_not_have_is_refused() -> None:
    state, refused = judged(submitted(), commented("k1"), hidden("k9"))
    assert refused == [f"proposal {PROPOSAL!r} has no comment 'k9'"]
    assert not state.get("moderation")


def test_the_services_hide_of_an_unknown_comment_changes_nothing() -> None:
    state, refused = judged(submitted(), hidden("k9", node="gotong"))
    assert refused == [] and not state.get("moderation")


def test_a_hide_of_a_settled_comment_is_written_again_by_rows_since() -> None:
    state = fold(submitted(), commented("k1"), commented("k2"))
    mark = proposals.written(state)
    proposals.settle(state)  # the comments' texts are in the read model now
    proposals.fold(state, hidden("k1"))
    rows = proposals.rows_since(state, mark)
    assert rows["proposal_comments"] == []  # the comment's row is written once
    assert [(r["comment_id"], r["hidden"]) for r in rows["comment_moderation"]] == [("k1", True)]


def test_a_hide_held_before_the_submission_is_judged_with_it() -> None:
    state, refused = judged(commented("k1"), hidden("k1"), submitted())
    assert refused == [] and state["moderation"]["k1"]["hidden"] is True
