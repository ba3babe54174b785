"""Search documents: what each aggregate's rows give search to find."""

from __future__ import annotations

from services.domain import proposals, search
from services.domain.base import replay
from tests.support.records import event


def test_a_documents_key_is_stable_and_a_comments_is_per_thread() -> None:
    assert search.document_id("comment", "k1", "a") == search.document_id("comment", "k1", "a")
    assert search.document_id("comment", "k1", "a") != search.document_id("comment", "k1", "b")
    assert search.document_id("proposal", "x") != search.document_id("meeting", "x")
    assert 0 <= search.document_id("proposal", "x") < 2**63


def test_a_thread_writes_the_documents_of_its_new_comments_only() -> None:
    submitted = event("gotong.proposal.submitted.v1", "p1", {
        "forum_id": "f", "title": "Bibit padi", "body": "Untuk kelompok tani", "author": "Sari"})
    commented = [event("gotong.proposal.commented.v1", "p1",
                       {"comment_id": f"k{i}", "body": f"komentar {i}", "author": "Budi"},
                       id_=f"c{i}") for i in (1, 2)]
    state = replay(proposals.fold, [submitted, *commented])
    assert state is not None
    documents = proposals.rows_since(state, 1)["search_documents"]
    assert [(d["kind"], d["id"], d["body"]) for d in documents] == [
        ("proposal", "p1", "Untuk kelompok tani"), ("comment", "k2", "komentar 2")]
    comment = documents[1]
    # what the thread decides (title, forum, status) is joined in when searching
    assert (comment["title"], comment["forum_id"], comment["status"]) == ("", None, None)
    assert comment["proposal_id"] == "p1" and comment["version"] == search.COMMENT_VERSION


def test_a_meetings_text_is_its_agenda_summary_and_decisions() -> None:
    meeting = {"agenda": ["Panen"], "minutes": {"summary": "Ringkasan",
                                                "decisions": [{"text": "Beli pupuk"}, {}]}}
    assert search.meeting_text(meeting) == "Panen\nRingkasan\nBeli pupuk"
    assert search.meeting_text({"agenda": [], "minutes": None}) == ""
