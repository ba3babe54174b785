"""Which events a reader wants: by type, node, subject, forum and (action items) owner.

Pure: no Kafka, SQL or web import. Within one field the values are alternatives
(OR); different fields must all hold (AND). ``type`` takes exact types or an
aggregate wildcard such as ``gotong.proposal.*``.

Comments, endorsements and most action-item events do not name their forum or
owner, so a ``Matcher`` remembers the subjects it has learnt belong to the
wanted forums or owners (from ``forum_id``, ``meeting_id``, ``proposal_id`` and
``owner_node_id`` in the events it sees), seeded with what the read model knows
when the reader starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from events.catalog import AGGREGATE_TOPICS, FOLDED_BY, TYPE_PATTERN, TYPED_TOPICS, node_of

FIELDS = ("type", "node", "subject", "forum", "owner")


@dataclass(frozen=True)
class FeedFilter:
    types: frozenset[str] = frozenset()
    nodes: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()
    forums: frozenset[str] = frozenset()
    owners: frozenset[str] = frozenset()

    @classmethod
    def from_lists(cls, values: Mapping[str, Iterable[str]]) -> FeedFilter:
        """From repeated or comma-separated values per field; raises ValueError naming the field."""
        parsed: dict[str, frozenset[str]] = {}
        for name in FIELDS:
            items = frozenset(v.strip() for raw in values.get(name, ()) for v in raw.split(",")
                              if v.strip())
            if any(len(v) > 200 for v in items):
                raise ValueError(f"{name}: a value is longer than 200 characters")
            if any("\x00" in v for v in items):
                raise ValueError(f"{name}: a value holds a NUL character")
            parsed[name] = items
        for t in parsed["type"]:
            wanted = t[:-2] + ".x.v1" if t.endswith(".*") else t
            if not TYPE_PATTERN.match(wanted):
                raise ValueError(f"type: {t!r} is not an event type such as "
                                 "gotong.proposal.submitted.v1 or gotong.proposal.*")
        return cls(types=parsed["type"], nodes=parsed["node"], subjects=parsed["subject"],
                   forums=parsed["forum"], owners=parsed["owner"])

    def as_lists(self) -> dict[str, list[str]]:
        return {"type": sorted(self.types), "node": sorted(self.nodes),
                "subject": sorted(self.subjects), "forum": sorted(self.forums),
                "owner": sorted(self.owners)}

    @property
    def is_empty(self) -> bool:
        return not (self.types or self.nodes or self.subjects or self.forums or self.owners)

    def topics(self) -> tuple[str, ...]:
        """The typed topics that can hold a wanted event (all of them unless filtered)."""
        aggregates: set[str] = set()
        if self.owners:
            aggregates.add("action_item")
        for t in self.types:
            named = t.split(".")[1]
            aggregates.add(FOLDED_BY.get(named, named))
        if not aggregates:
            return TYPED_TOPICS
        if self.owners and self.types:
            aggregates &= {"action_item"}
        return tuple(AGGREGATE_TOPICS[a] for a in sorted(aggregates) if a in AGGREGATE_TOPICS)

    def type_matches(self, event_type: str) -> bool:
        if not self.types:
            return True
        return event_type in self.types or any(
            t.endswith(".*") and event_type.startswith(t[:-1]) for t in self.types)


@dataclass
class Matcher:
    """A filter plus the subjects learnt to belong to its forums and owners."""

    filter: FeedFilter
    forum_subjects: set[str] = field(default_factory=set)
    owned_subjects: set[str] = field(default_factory=set)

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether the reader wants ``event``; learns forum and owner membership as it goes."""
        f = self.filter
        event_type = str(event.get("type", ""))
        subject = str(event.get("subject", ""))
        data = event.get("data")
        data = data if isinstance(data, Mapping) else {}
        in_forum = self._in_forum(event_type, subject, data) if f.forums else True
        owned = self._owned(event_type, subject, data) if f.owners else True
        return (in_forum and owned and f.type_matches(event_type)
                and (not f.nodes or node_of(str(event.get("source", ""))) in f.nodes)
                and (not f.subjects or subject in f.subjects))

    def _in_forum(self, event_type: str, subject: str, data: Mapping[str, Any]) -> bool:
        forums = self.filter.forums
        if event_type.startswith("gotong.forum."):
            return subject in forums
        if data.get("forum_id") in forums or any(
            data.get(k) in self.forum_subjects for k in ("meeting_id", "proposal_id")
        ):
            self.forum_subjects.add(subject)
        return subject in self.forum_subjects

    def _owned(self, event_type: str, subject: str, data: Mapping[str, Any]) -> bool:
        if not event_type.startswith("gotong.action_item."):
            return False
        was_owned = subject in self.owned_subjects
        if "owner_node_id" in data:
            if data["owner_node_id"] in self.filter.owners:
                self.owned_subjects.add(subject)
            else:
                self.owned_subjects.discard(subject)
        # a reassignment away from an owner still concerns that owner
        return was_owned or subject in self.owned_subjects
