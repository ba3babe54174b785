"""Feed filters: fields AND, values OR, forums and owners learnt from the events."""

from __future__ import annotations

from typing import Any

import pytest

from services.feeds.filters import FeedFilter, Matcher
from services.feeds.privacy import redacted


def ev(type_: str, subject: str, node: str = "pkk", **data: Any) -> dict[str, Any]:
    return {"type": type_, "subject": subject, "source": f"/nodes/{node}", "data": data}


def matcher(**lists: list[str]) -> Matcher:
    return Matcher(FeedFilter.from_lists(lists))


def test_values_of_one_field_are_alternatives_and_fields_all_hold() -> None:
    m = matcher(type=["gotong.proposal.submitted.v1,gotong.proposal.endorsed.v1"], node=["pkk"])
    assert m.matches(ev("gotong.proposal.endorsed.v1", "u1"))
    assert not m.matches(ev("gotong.proposal.endorsed.v1", "u1", node="dinsos"))
    assert not m.matches(ev("gotong.proposal.commented.v1", "u1"))


def test_type_wildcard_takes_every_event_of_an_aggregate() -> None:
    m = matcher(type=["gotong.action_item.*"])
    assert m.matches(ev("gotong.action_item.overdue.v1", "rtl"))
    assert not m.matches(ev("gotong.proposal.submitted.v1", "u1"))
    assert m.filter.topics() == ("gotong.action-items",)


def test_a_comment_belongs_to_the_forum_of_its_proposal() -> None:
    m = matcher(forum=["maesa"])
    assert m.matches(ev("gotong.forum.opened.v1", "maesa"))
    assert m.matches(ev("gotong.proposal.submitted.v1", "u1", forum_id="maesa"))
    assert m.matches(ev("gotong.proposal.commented.v1", "u1"))
    assert not m.matches(ev("gotong.proposal.commented.v1", "u2"))
    assert m.matches(ev("gotong.meeting.scheduled.v1", "r1", forum_id="maesa"))
    assert m.matches(ev("gotong.action_item.created.v1", "rtl", meeting_id="r1"))
    assert m.matches(ev("gotong.action_item.progress_reported.v1", "rtl", percent=5))


def test_owner_filter_follows_reassignment_and_sees_the_handover() -> None:
    m = matcher(owner=["dinsos"])
    assert m.matches(ev("gotong.action_item.created.v1", "rtl", owner_node_id="dinsos"))
    assert m.matches(ev("gotong.action_item.reassigned.v1", "rtl", owner_node_id="pkk"))
    assert not m.matches(ev("gotong.action_item.progress_reported.v1", "rtl", percent=5))
    assert not m.matches(ev("gotong.proposal.submitted.v1", "u1"))


@pytest.mark.parametrize("field,value", [("type", "proposal"), ("subject", "x" * 201)])
def test_bad_filter_values_name_the_field(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}:"):
        FeedFilter.from_lists({field: [value]})


def test_redaction_drops_only_private_optional_fields() -> None:
    node = ev("gotong.node.registered.v1", "pkk", name="PKK", kind="community", contact="0812")
    assert redacted(node)["data"] == {"name": "PKK", "kind": "community"}
    other = ev("gotong.proposal.submitted.v1", "u1", title="T")
    assert redacted(other) is other
