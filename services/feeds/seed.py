"""Seeding a feed matcher with what the read model knows about forums and owners."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, col, or_, select

from services.feeds.filters import FeedFilter, Matcher
from services.readmodel.tables import ActionItem, Meeting, Proposal


def seeded_matcher(engine: Engine, feed_filter: FeedFilter) -> Matcher:
    """A matcher that already knows the subjects in the wanted forums and of the wanted owners."""
    matcher = Matcher(feed_filter)
    with Session(engine) as session:
        if feed_filter.forums:
            forums = list(feed_filter.forums)
            proposals = set(session.exec(
                select(Proposal.id).where(col(Proposal.forum_id).in_(forums))).all())
            meetings = set(session.exec(
                select(Meeting.id).where(col(Meeting.forum_id).in_(forums))).all())
            items = set()
            if proposals or meetings:
                items = set(session.exec(select(ActionItem.id).where(or_(
                    col(ActionItem.proposal_id).in_(list(proposals)),
                    col(ActionItem.meeting_id).in_(list(meetings)))
                )).all())
            matcher.forum_subjects |= proposals | meetings | items
        if feed_filter.owners:
            matcher.owned_subjects |= set(session.exec(
                select(ActionItem.id).where(
                    col(ActionItem.owner_node_id).in_(list(feed_filter.owners)))).all())
    return matcher
