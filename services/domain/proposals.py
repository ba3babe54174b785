"""Proposal threads (usulan): the proposal, its status history, comments and endorsers.

Events about a proposal that arrive before its submission (a comment, an
endorsement) are kept in the state and shown once the proposal itself arrives; a
status change or a moderation (judged by ``decide``) is held until then.

Who convened the proposal's forum is another aggregate's fact (the forum's, in
another partition). The worker's fold looks it up (a forum's opener never changes)
and hands it in the event under ``CONVENER`` -- a name no valid event can carry --
and records it in a header of the typed record, so that the rebuild replays the same
judgement (``services.pipeline.fold``). The state keeps the first one it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from events.catalog import (
    PROPOSAL_COMMENT_HIDDEN,
    PROPOSAL_COMMENT_RESTORED,
    PROPOSAL_COMMENTED,
    PROPOSAL_ENDORSED,
    PROPOSAL_STATUS_CHANGED,
    PROPOSAL_SUBMITTED,
)
from services.domain.base import Event, State, apply, guarded, node_of, utc
from services.domain.search import comment_documents, proposal_document

AGGREGATE = "proposal"

#: a proposal's statuses, in the order of its life (the schema of status_changed)
STATUSES = ("open", "under_review", "accepted", "rejected", "withdrawn", "implemented")


def endorser_key(endorser: str) -> str:
    """Two endorsements by one endorser count once, whatever the spacing or case."""
    return " ".join(endorser.split()).casefold()


#: the key under which the worker hands the convener of the proposal's forum to the fold
#: (not a CloudEvents attribute name: the envelope schema refuses it in any event)
CONVENER = "_convener"
#: the header of a typed record that holds it, for the rebuild
CONVENER_HEADER = "gotong-convener"
#: the key under which the rebuild marks a status change written before the convener's
#: rule (its record has no convener header): judged as it was then, open to every node
BEFORE_CONVENERS = "_before_conveners"
#: what the worker adds to an event for its fold, never part of the event itself
WORKER_KEYS = frozenset({CONVENER, BEFORE_CONVENERS})

#: what only the forum's convener (and the service) may publish about a proposal
MODERATION = frozenset({PROPOSAL_COMMENT_HIDDEN, PROPOSAL_COMMENT_RESTORED})
#: what ``decide`` judges once the proposal exists (and holds until then)
CHECKED = frozenset({PROPOSAL_STATUS_CHANGED, *MODERATION})


def convener(state: State, event: Event | None = None) -> str | None:
    """The node that convened (opened) the proposal's forum, as far as the state or the
    event at hand knows it."""
    known = state.get("convener")
    if known is None and event is not None:
        known = event.get(CONVENER)
    return known if isinstance(known, str) and known else None


def decide(state: State, event: Event) -> str | None:
    """Comments and endorsements are open to every node; a proposal's text is changed only
    by the node that submitted it, in the forum it was submitted to (whose convener
    moderates it); its status only by the node that convened its forum (which may also
    hide and restore comments), except that its own node may withdraw it. The service
    passes every rule (``base.refusal``)."""
    kind = event["type"]
    node = node_of(event)
    if kind == PROPOSAL_SUBMITTED and node != state.get("node_id"):
        return (f"only the node that submitted proposal {state['id']!r} "
                f"({state.get('node_id')}) changes it")
    if kind == PROPOSAL_SUBMITTED and state.get("forum_id") is not None \
            and event["data"]["forum_id"] != state["forum_id"]:
        return (f"proposal {state['id']!r} stays in forum {state['forum_id']!r}, whose "
                "convener moderates it: submit it anew to another forum")
    if kind not in CHECKED:
        return None
    if kind == PROPOSAL_STATUS_CHANGED and event.get(BEFORE_CONVENERS):
        return None  # judged before the rule, when status was every node's to change
    by = convener(state, event)
    if node == by:
        return _unknown_comment(state, event) if kind in MODERATION else None
    if kind == PROPOSAL_STATUS_CHANGED and event["data"].get("status") == "withdrawn" \
            and node == state.get("node_id"):
        return None
    who = (f"the node that convened its forum {state.get('forum_id')!r} ({by})" if by else
           f"the node that convened its forum {state.get('forum_id')!r} (not known here yet: "
           "the forum's opening has not reached the worker)")
    if kind == PROPOSAL_STATUS_CHANGED:
        return (f"only {who} or the service changes the status of proposal {state['id']!r}; "
                f"its own node ({state.get('node_id')}) may withdraw it")
    return f"only {who} or the service hides or restores comments of proposal {state['id']!r}"


def _unknown_comment(state: State, event: Event) -> str | None:
    """A moderation of a comment the thread does not have (asked of a folded state only:
    a state read from the read model carries no comments)."""
    if "comments" not in state:
        return None
    comment_id = event["data"]["comment_id"]
    ids = state.get("comment_ids")
    known = comment_id in ids if ids is not None else any(
        c["comment_id"] == comment_id for c in state["comments"])
    return None if known else f"proposal {state['id']!r} has no comment {comment_id!r}"


def _fold(state: State, event: Event) -> None:
    kind = event["type"]
    data = event["data"]
    at = utc(event["time"])
    node = node_of(event)
    state.setdefault("status_history", [])
    state.setdefault("comments", [])
    state.setdefault("endorsers", [])
    state["updated_at"] = max(at, state.get("updated_at") or at)
    if state.get("convener") is None and event.get(CONVENER):
        state["convener"] = event[CONVENER]
    if kind == PROPOSAL_SUBMITTED:
        first = not state["exists"]
        state["exists"] = True
        state["forum_id"] = data["forum_id"]
        state["title"] = data["title"]
        state["body"] = data["body"]
        state["author"] = data["author"]
        state["node_id"] = node
        state["tags"] = list(data.get("tags") or [])
        state["program"] = data.get("program")
        state["location"] = data.get("location")
        state["budget_estimate"] = data.get("budget_estimate")
        if first:
            state["submitted_at"] = at
            opened = {"status": "open", "reason": None, "node_id": node, "at": at}
            state["status_history"].insert(0, opened)
    elif kind == PROPOSAL_COMMENTED:
        # a plain list of the ids beside the comments: `in` on it runs in C, so a
        # thread of thousands of comments stays cheap to extend
        seen = _index(state, "comment_ids", "comments", lambda c: c["comment_id"])
        if data["comment_id"] in seen:
            return
        seen.append(data["comment_id"])
        state["comments"].append(
            {
                "comment_id": data["comment_id"],
                "body": data["body"],
                "author": data["author"],
                "node_id": node,
                "in_reply_to": data.get("in_reply_to"),
                "at": at,
            }
        )
    elif kind == PROPOSAL_ENDORSED:
        key = endorser_key(data["endorser"])
        keys = _index(state, "endorser_keys", "endorsers", lambda e: endorser_key(e["endorser"]))
        if key in keys:
            return
        keys.append(key)
        state["endorsers"].append(
            {"endorser": data["endorser"], "node_id": node, "note": data.get("note"), "at": at}
        )
    elif kind == PROPOSAL_STATUS_CHANGED:
        state["status_history"].append(
            {"status": data["status"], "reason": data.get("reason"), "node_id": node, "at": at}
        )
    elif kind in MODERATION:
        _moderate(state, event, node, at)
    history = state["status_history"]
    state["status"] = history[-1]["status"] if history else None


def _moderate(state: State, event: Event, node: str, at: str) -> None:
    """A comment hidden or shown again: its row keeps the comment, the read model marks it
    (``comment_moderation``). A comment the thread does not have (only the service gets
    this far with one) changes nothing."""
    data = event["data"]
    comment_id = data["comment_id"]
    ids = _index(state, "comment_ids", "comments", lambda c: c["comment_id"])
    if comment_id not in ids:
        return
    moderation = state.setdefault("moderation", {})
    moderation[comment_id] = {"hidden": event["type"] == PROPOSAL_COMMENT_HIDDEN,
                              "reason": data["reason"], "node_id": node, "at": at}


def _index(state: State, name: str, of: str, key: Callable[[Any], str]) -> list[str]:
    """The list ``state[name]`` of keys of ``state[of]``, made from it for older states."""
    index = state.get(name)
    if index is None:
        index = state[name] = [key(item) for item in state[of]]
    return index


fold = guarded(_fold, PROPOSAL_SUBMITTED, CHECKED, decide)


def evolve(state: State | None, event: Event) -> State:
    return apply(fold, state, event)


def rows(state: State) -> dict[str, list[dict[str, object]]]:
    return rows_since(state, 0)


def written(state: State) -> int:
    """How many of the thread's comments the read model holds once it holds this state's
    rows (none before the proposal itself arrived: its rows are written from then on)."""
    if not state["exists"]:
        return 0
    ids = state.get("comment_ids")
    return len(ids) if ids is not None else len(state.get("comments") or ())


def settle(state: State) -> None:
    """Let the state forget the text of the comments the read model now holds: it keeps
    their ids (a comment sent twice is still found, and counted once) and only the
    comments folded since, which ``rows_since`` writes next.

    Called by the worker once a batch's rows are committed, before the state is stored:
    a thread's state then stays the size of its proposal, not of its conversation
    (serialising comments was four fifths of the time spent writing states, on the
    bench's threads of about ten comments). A state folded from the whole log, as the
    rebuild does, keeps every comment: ``rows`` needs them all.
    """
    if state["exists"] and state.get("comments"):
        _index(state, "comment_ids", "comments", lambda c: c["comment_id"])
        state["comments"] = []


def rows_since(state: State, since: int) -> dict[str, list[dict[str, object]]]:
    """The thread's row, and the rows of its comments after the first ``since`` (the
    read model holds those: each comment is written once, not again with every later
    one)."""
    if not state["exists"]:
        return {}
    proposal_id = state["id"]
    comments = state["comments"]
    ids = state.get("comment_ids")
    # the comments before ``first`` were settled: their rows are in the read model
    first = len(ids) - len(comments) if ids is not None else 0
    if since < first:
        raise ValueError(f"the state of {proposal_id!r} no longer holds comments {since + 1} "
                         f"to {first}: it was settled after their rows were written")
    new_comments = comments[since - first:]
    proposal: dict[str, object] = {
        "id": state["id"],
        "forum_id": state["forum_id"],
        "title": state["title"],
        "body": state["body"],
        "author": state["author"],
        "node_id": state["node_id"],
        "tags": state["tags"],
        "program": state.get("program"),
        "location": state.get("location"),
        "budget_estimate": state.get("budget_estimate"),
        "status": state["status"],
        "status_history": state["status_history"],
        "comment_count": first + len(comments),
        "endorsers": state["endorsers"],
        "endorsement_count": len(state["endorsers"]),
        "submitted_at": state["submitted_at"],
        "updated_at": state["updated_at"],
        "version": state["version"],
    }
    moderation = state.get("moderation") or {}
    return {
        # every moderated comment, each time: few, and the version guard skips the same
        "comment_moderation": [
            {"proposal_id": proposal_id, "comment_id": comment_id, **mark,
             "version": state["version"]}
            for comment_id, mark in sorted(moderation.items())
        ],
        "proposal_comments": [
            {"proposal_id": proposal_id, "comment_id": c["comment_id"], "seq": seq,
             "body": c["body"], "author": c["author"], "node_id": c["node_id"],
             "in_reply_to": c.get("in_reply_to"), "at": c["at"]}
            for seq, c in enumerate(new_comments, start=since + 1)
        ],
        "proposals": [proposal],
        "search_documents": [proposal_document(proposal),
                             *comment_documents(proposal_id, new_comments)],
    }
