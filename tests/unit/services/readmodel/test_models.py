"""The API's data models follow their tables: a column added to a table is in the answer."""

from __future__ import annotations

from services.readmodel import models
from services.readmodel.tables import ActionItem, Forum, Meeting, Node, Proposal, ProposalComment


def test_an_answer_has_its_tables_columns_but_those_it_leaves_out() -> None:
    assert set(models.Commitment.model_fields) == (
        set(ActionItem.model_fields) - {"overdue_published"} | {"overdue"})
    assert set(models.ProposalSummary.model_fields) == (
        set(Proposal.model_fields) - {"status_history", "endorsers"})
    assert set(models.Comment.model_fields) == (
        set(ProposalComment.model_fields) - {"proposal_id", "seq"} | {"hidden"})
    assert set(models.MeetingSummary.model_fields) == set(Meeting.model_fields) - {"minutes"}
    assert set(models.ForumSummary.model_fields) == set(Forum.model_fields) | {"proposal_count"}
    assert set(models.NodeProfile.model_fields) == (
        set(Node.model_fields) | {"commitments_by_status", "record"})


def test_a_thread_holds_its_comments_and_commitments_as_their_own_models() -> None:
    thread = models.ProposalThread.model_json_schema(ref_template="{model}")
    assert thread["properties"]["comments"]["items"] == {"$ref": "Comment"}
    assert thread["properties"]["action_items"]["items"] == {"$ref": "Commitment"}
    assert {"comments", "action_items"} <= set(thread["required"])


def test_an_answer_is_checked_by_its_model() -> None:
    row = {"comment_id": "c-1", "body": "Setuju.", "author": "Ibu Ani", "node_id": "pkk",
           "at": "2026-12-04T00:00:00.000000Z"}
    assert models.Comment.model_validate(row).body == "Setuju."
