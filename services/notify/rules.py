"""Who is told of an event, and with what words: pure, no Kafka, SQL or web.

The notifier (``services.notify.agent``) asks ``wanted`` which rows it needs for a
batch of events, reads them into ``Facts``, and ``touched`` says for each event what
happened, what it links to and whose followers hear of it; ``recipients`` then picks
the people, leaving out the one who acted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from events.catalog import (
    PROPOSAL_COMMENT_HIDDEN,
    PROPOSAL_COMMENT_RESTORED,
    SERVICE_NODE,
    node_of,
)

EXCERPT = 280

#: every ``what`` a notification may say (the page and the mail word each of them)
WHAT = ("proposal_submitted", "commented", "endorsed", "proposal_status", "meeting_scheduled",
        "minutes_published", "commitment_created", "progress", "commitment_status",
        "reassigned", "overdue", "due_soon", "forum_opened", "indicator_reported",
        "program_defined")

#: an event type's short name -> what it says happened
_WHAT_OF = {
    "proposal.submitted": "proposal_submitted",
    "proposal.commented": "commented",
    "proposal.endorsed": "endorsed",
    "proposal.status_changed": "proposal_status",
    "meeting.scheduled": "meeting_scheduled",
    "meeting.minutes_published": "minutes_published",
    "action_item.created": "commitment_created",
    "action_item.progress_reported": "progress",
    "action_item.status_changed": "commitment_status",
    "action_item.reassigned": "reassigned",
    "action_item.overdue": "overdue",
    "action_item.due_soon": "due_soon",  # not an event of the log: the due-soon timer's
    "forum.opened": "forum_opened",
    "indicator.reported": "indicator_reported",
    "program.defined": "program_defined",
}

DUE_SOON = "gotong.action_item.due_soon.v1"


def short_type(event_type: str) -> str:
    """``gotong.proposal.commented.v1`` -> ``proposal.commented``."""
    parts = event_type.split(".")
    return ".".join(parts[1:3]) if len(parts) >= 4 else event_type


@dataclass(frozen=True)
class Wanted:
    """The read-model rows a batch's events need: by kind, the ids."""

    proposals: set[str] = field(default_factory=set)
    meetings: set[str] = field(default_factory=set)
    items: set[str] = field(default_factory=set)
    forums: set[str] = field(default_factory=set)
    nodes: set[str] = field(default_factory=set)
    programs: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Facts:
    """What the read model says of the things the events touch."""

    proposals: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # id -> forum, title
    meetings: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # id -> forum, title
    items: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # id -> owner, title
    forums: Mapping[str, str] = field(default_factory=dict)  # id -> title
    nodes: Mapping[str, str] = field(default_factory=dict)  # id -> name
    programs: Mapping[str, str] = field(default_factory=dict)  # id -> name


@dataclass(frozen=True)
class Touched:
    """What an event means for followers."""

    event_id: str
    what: str
    kind: str  # what the notification links to
    target_id: str
    anchor: str
    followed: tuple[tuple[str, str], ...]  # (kind, id) whose followers are told
    owner_nodes: tuple[str, ...]  # nodes whose people are told (they own the commitment)
    params: dict[str, Any]
    at: str


def wanted(events: Iterable[Mapping[str, Any]]) -> Wanted:
    want = Wanted()
    for event in events:
        what = _WHAT_OF.get(short_type(str(event.get("type", ""))))
        if what is None:
            continue
        subject, data = str(event.get("subject", "")), event.get("data") or {}
        node = node_of(str(event.get("source", "")))
        if node:
            want.nodes.add(node)
        aggregate = short_type(str(event["type"])).split(".")[0]
        if aggregate == "proposal":
            want.proposals.add(subject)
            if data.get("forum_id"):
                want.forums.add(str(data["forum_id"]))
        elif aggregate == "meeting":
            want.meetings.add(subject)
            if data.get("forum_id"):
                want.forums.add(str(data["forum_id"]))
        elif aggregate == "action_item":
            want.items.add(subject)
            if data.get("owner_node_id"):
                want.nodes.add(str(data["owner_node_id"]))
        elif aggregate in ("indicator", "program"):
            want.programs.add(subject)
    return want


def missing(events: Iterable[Mapping[str, Any]], facts: Facts) -> bool:
    """Whether a row an event needs is not in the read model yet (the notifier may read a
    typed record before the projector's transaction of the same batch is committed)."""
    for event in events:
        kind = short_type(str(event.get("type", "")))
        subject = str(event.get("subject", ""))
        if kind.startswith("proposal.") and kind != "proposal.submitted" \
                and subject not in facts.proposals:
            return True
        if kind == "meeting.minutes_published" and subject not in facts.meetings:
            return True
        if kind.startswith("action_item.") and kind != "action_item.created" \
                and subject not in facts.items:
            return True
    return False


def _excerpt(text: Any) -> str:
    words = " ".join(str(text or "").split())
    return words if len(words) <= EXCERPT else words[: EXCERPT - 1].rstrip() + "…"


def moderation(event: Mapping[str, Any]) -> tuple[str, str, str | None] | None:
    """(proposal, comment, reason) of a comment hidden, (proposal, comment, None) of one
    restored; None for any other event. The notifications of a hidden comment lose its
    excerpt (pages and mail not sent yet show why instead), a restored one gets it back."""
    kind = str(event.get("type", ""))
    if kind not in (PROPOSAL_COMMENT_HIDDEN, PROPOSAL_COMMENT_RESTORED):
        return None
    data: Mapping[str, Any] = event.get("data") or {}
    reason = str(data.get("reason") or "") if kind == PROPOSAL_COMMENT_HIDDEN else None
    return str(event.get("subject", "")), str(data.get("comment_id", "")), reason


def moderated(params: Mapping[str, Any], reason: str | None, body: str | None
              ) -> dict[str, Any]:
    """A comment's notification ``params`` once the comment is hidden (``reason``) or
    restored (``reason`` None, with its ``body``)."""
    changed = {k: v for k, v in params.items() if k not in ("excerpt", "hidden")}
    if reason is not None:
        changed["hidden"] = reason
    elif body is not None:
        changed["excerpt"] = _excerpt(body)
    return changed


def touched(event: Mapping[str, Any], facts: Facts) -> Touched | None:
    """What ``event`` means for followers; None for what nobody is told of."""
    kind = short_type(str(event.get("type", "")))
    what = _WHAT_OF.get(kind)
    if what is None:
        return None
    subject = str(event.get("subject", ""))
    data: Mapping[str, Any] = event.get("data") or {}
    node = node_of(str(event.get("source", ""))) or ""
    by = facts.nodes.get(node, node) if node != SERVICE_NODE else ""
    params: dict[str, Any] = {"by": by}
    followed: list[tuple[str, str]] = []
    owners: list[str] = []
    anchor = ""
    aggregate = kind.split(".")[0]
    if node and node != SERVICE_NODE:
        followed.append(("node", node))
    if aggregate == "proposal":
        link = ("proposal", subject)
        forum, title = facts.proposals.get(subject, ("", ""))
        forum = str(data.get("forum_id") or forum)
        params["title"] = str(data.get("title") or title or subject)
        params["forum"] = facts.forums.get(forum, "")
        if what != "proposal_submitted":
            followed.append(("proposal", subject))
        if forum:
            followed.append(("forum", forum))
        if what in ("proposal_submitted", "commented"):
            params["author"] = str(data.get("author") or "")
            params["excerpt"] = _excerpt(data.get("body"))
        if what == "commented" and data.get("comment_id"):
            anchor = f"#comment-{data['comment_id']}"
        if what == "endorsed":
            params["author"] = _endorser(str(data.get("endorser") or ""))
        if what == "proposal_status":
            params["status"] = str(data.get("status") or "")
            params["excerpt"] = _excerpt(data.get("reason"))
    elif aggregate == "meeting":
        link = ("meeting", subject)
        forum, title = facts.meetings.get(subject, ("", ""))
        forum = str(data.get("forum_id") or forum)
        params["title"] = str(data.get("title") or title or subject)
        params["forum"] = facts.forums.get(forum, "")
        if forum:
            followed.append(("forum", forum))
        if what == "meeting_scheduled":
            params["starts_at"] = str(data.get("starts_at") or "")
        else:
            params["excerpt"] = _excerpt(data.get("summary"))
    elif aggregate == "action_item":
        link = ("commitment", subject)
        owner, title = facts.items.get(subject, ("", ""))
        owner = owner or str(data.get("owner_node_id") or "")
        params["title"] = str(data.get("title") or title or subject)
        followed.append(("commitment", subject))
        if owner:
            owners.append(owner)
            followed.append(("node", owner))
        if what == "commitment_created" and data.get("proposal_id"):
            followed.append(("proposal", str(data["proposal_id"])))
        if what == "reassigned" and data.get("owner_node_id"):
            new_owner = str(data["owner_node_id"])
            owners.append(new_owner)
            params["owner"] = facts.nodes.get(new_owner, new_owner)
        if what == "progress":
            params["percent"] = int(data.get("percent") or 0)
            params["excerpt"] = _excerpt(data.get("note"))
        if what == "commitment_status":
            params["status"] = str(data.get("status") or "")
            params["excerpt"] = _excerpt(data.get("reason"))
        if what in ("overdue", "due_soon", "commitment_created"):
            params["due_date"] = str(data.get("due_date") or "")
    elif aggregate == "forum":
        link = ("forum", subject)
        params["title"] = str(data.get("title") or facts.forums.get(subject) or subject)
    else:  # a program and its indicator reports
        link = ("program", subject)
        params["title"] = str(data.get("name") or facts.programs.get(subject) or subject)
        if what == "indicator_reported":
            params["indicator"] = str(data.get("indicator") or "")
            params["period"] = str(data.get("period") or "")
    return Touched(event_id=str(event.get("id")), what=what, kind=link[0], target_id=link[1],
                   anchor=anchor, followed=tuple(dict.fromkeys(followed)),
                   owner_nodes=tuple(dict.fromkeys(owners)), params=params,
                   at=str(event.get("time") or ""))


def _endorser(endorser: str) -> str:
    """An endorser as people read it: without the tag that tells namesakes apart."""
    name, _, tag = endorser.rpartition(" #")
    return name if name and len(tag) == 8 and tag.isalnum() else endorser


def recipients(touched: Touched, followers: Mapping[tuple[str, str], Iterable[str]],
               node_people: Mapping[str, Iterable[str]], actor: str | None) -> set[str]:
    """The people told of ``touched``: followers of what it touches and the people of the
    nodes that own it, never the person who did it."""
    people: set[str] = set()
    for followed in touched.followed:
        people.update(followers.get(followed, ()))
    for node in touched.owner_nodes:
        people.update(node_people.get(node, ()))
    people.discard(actor or "")
    return people


@dataclass(frozen=True)
class Pending:
    """A notification not yet handled for mail."""

    id: int
    username: str
    created_at: float


@dataclass(frozen=True)
class Batch:
    key: str
    username: str
    ids: tuple[int, ...]


def batches(pending: Sequence[Pending], modes: Mapping[str, str], now: float, *,
            wait_s: float, digest_day: str | None) -> tuple[list[Batch], list[int]]:
    """The mails to make now, and the notifications never to mail.

    ``modes``: each person's choice (``immediate``, ``daily``, ``none``; someone without
    an address is ``none``). Immediate: a person's notifications wait until the oldest is
    ``wait_s`` old, so several events that come together make one mail. Daily: all of a
    person's in one mail once ``digest_day`` (the city's date) is given, keyed by it, so
    one digest a day. Each batch's key is the same for the same notifications however
    often it is asked for: two workers making it at once make it once.
    """
    by_person: dict[str, list[Pending]] = {}
    for note in pending:
        by_person.setdefault(note.username, []).append(note)
    made: list[Batch] = []
    never: list[int] = []
    for username, notes in sorted(by_person.items()):
        notes.sort(key=lambda n: n.id)
        ids = tuple(n.id for n in notes)
        mode = modes.get(username, "none")
        if mode == "immediate":
            if min(n.created_at for n in notes) <= now - wait_s:
                made.append(Batch(f"{username}:{ids[0]}", username, ids))
        elif mode == "daily":
            if digest_day is not None:
                made.append(Batch(f"{username}:daily:{digest_day}", username, ids))
        else:
            never.extend(ids)
    return made, never
