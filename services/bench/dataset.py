"""The large synthetic dataset of ``gotong bench pages``, written straight into the typed topics.

The events are valid against the catalog, in the order the gate would have
forwarded them (every aggregate's creating event first), with deterministic ids:
the same sizes give the same events, so a second load into the same cluster only
adds duplicates that the idempotent fold ignores. They skip the gate (which only
validates and forwards) and go to the typed topics with raw aiokafka, which is
what ``gotong rebuild`` then replays.

The shape, per the issue: P proposals over a few forums, C comments (most threads
have a handful; 1% of the threads draw a fifth of the comments; one thread has
thousands, about a third of all comments reply to an earlier one), I action items
(owners among the nodes, due dates a year around today, statuses and progress
reports), a meeting per 50 items with minutes whose decisions name proposals, an
endorsement per 5 proposals and a status change per 10.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from events.catalog import (
    ACTION_ITEM_CREATED,
    ACTION_ITEM_PROGRESS_REPORTED,
    ACTION_ITEM_STATUS_CHANGED,
    FORUM_OPENED,
    MEETING_MINUTES_PUBLISHED,
    MEETING_SCHEDULED,
    NODE_REGISTERED,
    PROPOSAL_COMMENTED,
    PROPOSAL_ENDORSED,
    PROPOSAL_STATUS_CHANGED,
    PROPOSAL_SUBMITTED,
    topic_for,
)
from events.envelope import cloud_event, timestamp
from services.bench.workload import NODES, VOCABULARY

FORUMS = 20
HOT_SHARE = 0.01
HOT_COMMENTS = 0.2
LONG_THREAD = 5000
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
ITEM_STATUSES = ("in_progress", "blocked", "done", "done", "cancelled")
PROPOSAL_STATUSES = ("under_review", "accepted", "rejected", "implemented")

Event = dict[str, Any]


@dataclass(frozen=True)
class Sizes:
    proposals: int
    comments: int
    items: int

    @property
    def meetings(self) -> int:
        return max(1, self.items // 50)

    def as_dict(self) -> dict[str, int]:
        return {"proposals": self.proposals, "comments": self.comments, "items": self.items}


def proposal_id(index: int) -> str:
    return f"usulan-{index:06d}"


def forum_id(index: int) -> str:
    return f"forum-{index:02d}"


def long_thread(sizes: Sizes) -> str:
    """The one thread with thousands of comments (the first proposal)."""
    return proposal_id(0)


class _Writer:
    """Events with ids ``<prefix>-<n>`` and times that move forward through two years."""

    def __init__(self, total: int) -> None:
        self.count = 0
        self.step = dt.timedelta(days=730) / max(total, 1)

    def event(self, kind: str, subject: str, data: dict[str, Any], node: str) -> Event:
        at = START + self.step * self.count
        self.count += 1
        return cloud_event(kind, node=node, subject=subject, data=data,
                           event_id=f"bench-pages-{self.count:08d}",
                           time=timestamp(at, timespec="seconds"))


def expected_events(sizes: Sizes) -> int:
    return (len(NODES) + FORUMS + sizes.proposals + sizes.comments + sizes.items
            + 2 * sizes.meetings + sizes.proposals // 5 + sizes.proposals // 10
            + sizes.items // 2 + sizes.items // 2)


def generate(sizes: Sizes, seed: int = 5) -> Iterator[Event]:
    """Every event of the dataset, creating events before the events about them."""
    rng = random.Random(seed)
    write = _Writer(expected_events(sizes))
    nodes = [n for n, _ in NODES]
    phrases = [" ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(8, 40))).capitalize()
               + "." for _ in range(997)]
    titles = [" ".join(rng.choice(VOCABULARY) for _ in range(6)).capitalize()
              for _ in range(101)]
    for node, kind in NODES:
        yield write.event(NODE_REGISTERED, node,
                          {"name": node.replace("-", " ").title(), "kind": kind}, node)
    for f in range(FORUMS):
        yield write.event(FORUM_OPENED, forum_id(f),
                          {"title": f"Forum musyawarah {f:02d}", "area": "Maesa",
                           "program": f"program-{f % 4}"}, "pemkot-bitung")
    for p in range(sizes.proposals):
        yield write.event(PROPOSAL_SUBMITTED, proposal_id(p), {
            "forum_id": forum_id(p % FORUMS), "title": f"{titles[p % 101]} {p}",
            "body": "\n\n".join(phrases[(p + k) % 997] for k in range(3)),
            "author": f"Warga {p % 500}", "tags": ["pelatihan"],
            "budget_estimate": 1_000_000 * (1 + p % 50)}, nodes[p % len(nodes)])
    counts = [0] * sizes.proposals
    long_count = min(LONG_THREAD, sizes.comments // 20)
    hot = max(1, int(sizes.proposals * HOT_SHARE))
    for c in range(sizes.comments):
        if c < long_count:
            p = 0
        elif rng.random() < HOT_COMMENTS:
            p = rng.randrange(hot)
        else:
            p = rng.randrange(sizes.proposals)
        subject = proposal_id(p)
        data: dict[str, Any] = {"comment_id": f"{subject}-c{counts[p]}",
                                "body": phrases[c % 997], "author": f"Warga {c % 700}"}
        if counts[p] and rng.random() < 0.33:
            data["in_reply_to"] = f"{subject}-c{rng.randrange(counts[p])}"
        counts[p] += 1
        yield write.event(PROPOSAL_COMMENTED, subject, data, rng.choice(nodes))
    for e in range(sizes.proposals // 5):
        subject = proposal_id(rng.randrange(sizes.proposals))
        yield write.event(PROPOSAL_ENDORSED, subject, {"endorser": f"Warga {e}"},
                          rng.choice(nodes))
    for _ in range(sizes.proposals // 10):
        subject = proposal_id(rng.randrange(sizes.proposals))
        data = {"status": rng.choice(PROPOSAL_STATUSES), "reason": phrases[0]}
        rng.choice(nodes)  # drawn as before, so the rest of the dataset stays the same
        # from the forums' convener: a status from any other node is refused
        yield write.event(PROPOSAL_STATUS_CHANGED, subject, data, "pemkot-bitung")
    yield from _meetings_and_items(sizes, rng, write, nodes, phrases)


def _meetings_and_items(sizes: Sizes, rng: random.Random, write: _Writer, nodes: list[str],
                        phrases: list[str]) -> Iterator[Event]:
    today = dt.date.today()
    for m in range(sizes.meetings):
        forum = m % FORUMS
        starts = START + dt.timedelta(hours=17 * m)
        yield write.event(MEETING_SCHEDULED, f"rapat-{m:05d}", {
            "forum_id": forum_id(forum), "title": f"Musyawarah {m}",
            "starts_at": starts.isoformat(), "agenda": ["Usulan", "RTL"]}, "pemkot-bitung")
    for m in range(sizes.meetings):
        forum = m % FORUMS
        decided = [proposal_id(rng.randrange(sizes.proposals // FORUMS or 1) * FORUMS + forum)
                   for _ in range(3)]
        decided = [p for p in decided if int(p.split("-")[1]) < sizes.proposals]
        yield write.event(MEETING_MINUTES_PUBLISHED, f"rapat-{m:05d}", {
            "attendees": [{"name": "Ibu Ani", "node_id": rng.choice(nodes)}],
            "decisions": [{"text": phrases[m % 997], "proposal_id": p} for p in decided],
            "summary": phrases[(m + 1) % 997]}, "pemkot-bitung")
    for i in range(sizes.items):
        data: dict[str, Any] = {
            "title": f"Tindak lanjut {i}", "owner_node_id": nodes[i % len(nodes)],
            "due_date": (today + dt.timedelta(days=rng.randint(-180, 180))).isoformat(),
            "proposal_id": proposal_id(rng.randrange(sizes.proposals))}
        if i % 3 == 0:
            data["meeting_id"] = f"rapat-{rng.randrange(sizes.meetings):05d}"
        yield write.event(ACTION_ITEM_CREATED, f"rtl-{i:06d}", data,
                          "pemkot-bitung")
    for _ in range(sizes.items // 2):
        yield write.event(ACTION_ITEM_PROGRESS_REPORTED,
                          f"rtl-{rng.randrange(sizes.items):06d}",
                          {"percent": rng.randint(1, 99)}, rng.choice(nodes))
    for _ in range(sizes.items // 2):
        yield write.event(ACTION_ITEM_STATUS_CHANGED,
                          f"rtl-{rng.randrange(sizes.items):06d}",
                          {"status": rng.choice(ITEM_STATUSES)}, rng.choice(nodes))


async def load(bootstrap: str, sizes: Sizes, progress: Callable[[int], None] | None = None,
               chunk: int = 20_000) -> int:
    """Produce the dataset to the typed topics, keyed by subject; returns the event count."""
    # fresh topics answer "not leader" for a moment; aiokafka retries, the warnings are noise
    logging.getLogger("aiokafka.producer.sender").setLevel(logging.ERROR)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all",
                                linger_ms=20, max_batch_size=1024 * 1024,
                                max_request_size=8 * 1024 * 1024)
    await producer.start()
    sent = 0
    try:
        pending: list[asyncio.Future[Any]] = []
        for event in generate(sizes):
            pending.append(await producer.send(
                topic_for(event["type"]), orjson.dumps(event), key=event["subject"].encode()))
            if len(pending) >= chunk:
                await asyncio.gather(*pending)
                sent += len(pending)
                pending.clear()
                if progress:
                    progress(sent)
        await asyncio.gather(*pending)
        sent += len(pending)
        if progress:
            progress(sent)
    finally:
        await producer.stop()
    return sent
