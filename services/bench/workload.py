"""Demo-shaped synthetic events: the catalog's realistic mix over thousands of aggregates."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from typing import Any

from events.catalog import (
    ACTION_ITEM_CREATED,
    ACTION_ITEM_PROGRESS_REPORTED,
    ACTION_ITEM_STATUS_CHANGED,
    FORUM_OPENED,
    INDICATOR_REPORTED,
    MEETING_MINUTES_PUBLISHED,
    MEETING_SCHEDULED,
    PROGRAM_DEFINED,
    PROPOSAL_COMMENTED,
    PROPOSAL_ENDORSED,
    PROPOSAL_STATUS_CHANGED,
    PROPOSAL_SUBMITTED,
)
from events.envelope import cloud_event, timestamp

NODES = [
    ("pemkot-bitung", "government"), ("dinsos-bitung", "government"),
    ("dinkes-bitung", "government"), ("lsm-sahabat-pesisir", "ngo"),
    ("lsm-perempuan-mandiri", "ngo"), ("pkk-girian-weru", "community"),
    ("kt-maesa-sejahtera", "community"), ("karang-taruna-madidir", "community"),
]
STATUSES = ["under_review", "accepted", "rejected", "implemented"]
ITEM_STATUSES = ["in_progress", "blocked", "done"]
VOCABULARY = ("pelatihan menjahit usaha rumahan warga kelurahan posyandu gizi balita nelayan "
              "pemasaran modal kelompok tani sekolah anak").split()


def _event(kind: str, subject: str, data: dict[str, Any], node: str, at: dt.datetime
           ) -> dict[str, Any]:
    return cloud_event(kind, node=node, subject=subject, data=data,
                       time=timestamp(at, timespec="seconds"))


def generate(count: int, run: str, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` valid events whose aggregate ids all start with ``bench-<run>-``.

    Every aggregate's creating event comes before the events about it. The mix:
    per 100 events about 4 proposals, 2 action items, 1 meeting, 45 comments,
    20 endorsements, 5 status changes, 15 progress reports and the rest spread
    over item status changes, minutes and indicators.
    """
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    prefix = f"bench-{run}"
    forums = [f"{prefix}-forum-{i}" for i in range(8)]
    events: list[dict[str, Any]] = []
    proposals: list[str] = []
    items: list[str] = []
    meetings: list[str] = []
    for number in range(4):  # every node reports them
        events.append(_event(PROGRAM_DEFINED, f"{prefix}-program-{number}", {
            "name": f"Program {number}", "lead_node_id": "pemkot-bitung",
            "partner_node_ids": [n for n, _ in NODES],
            "indicators": [{"id": "perempuan_dilatih", "name": "Perempuan dilatih",
                            "baseline": 0, "target": 500}]}, "pemkot-bitung", now))
    for forum in forums:
        events.append(_event(FORUM_OPENED, forum,
                             {"title": f"Forum {forum}", "area": "Maesa"}, "pemkot-bitung", now))

    def node() -> str:
        return rng.choice(NODES)[0]

    def body(words: int) -> str:
        vocabulary = VOCABULARY
        return " ".join(rng.choice(vocabulary) for _ in range(words)).capitalize() + "."

    for step in _steps(count - len(events), rng):
        if step == "proposal" or not proposals:
            proposal = f"{prefix}-usulan-{len(proposals)}"
            proposals.append(proposal)
            events.append(_event(PROPOSAL_SUBMITTED, proposal, {
                "forum_id": rng.choice(forums), "title": body(6)[:120], "body": body(60),
                "author": "Ibu Ani", "tags": ["pelatihan"], "budget_estimate": 15_000_000,
            }, node(), now))
        elif step == "item" or (step in {"progress", "item_status"} and not items):
            item = f"{prefix}-rtl-{len(items)}"
            items.append(item)
            due = (now.date() + dt.timedelta(days=rng.randint(-30, 90))).isoformat()
            events.append(_event(ACTION_ITEM_CREATED, item, {
                "title": body(5)[:100], "owner_node_id": node(), "due_date": due,
                "proposal_id": rng.choice(proposals)}, node(), now))
        elif step == "meeting" or (step == "minutes" and not meetings):
            meeting = f"{prefix}-rapat-{len(meetings)}"
            meetings.append(meeting)
            events.append(_event(MEETING_SCHEDULED, meeting, {
                "forum_id": rng.choice(forums), "title": "Musyawarah",
                "starts_at": now.isoformat(), "agenda": ["Usulan", "RTL"]}, node(), now))
        elif step == "comment":
            events.append(_event(PROPOSAL_COMMENTED, rng.choice(proposals), {
                "comment_id": str(uuid.uuid4()), "body": body(25), "author": "Pak Budi"},
                node(), now))
        elif step == "endorse":
            events.append(_event(PROPOSAL_ENDORSED, rng.choice(proposals), {
                "endorser": f"Warga {rng.randint(1, 5000)}"}, node(), now))
        elif step == "status":
            subject, status, reason = rng.choice(proposals), rng.choice(STATUSES), body(8)
            node()  # drawn as before, so the rest of the workload stays the same
            # from the forums' convener: a status from any other node is refused
            events.append(_event(PROPOSAL_STATUS_CHANGED, subject, {
                "status": status, "reason": reason}, "pemkot-bitung", now))
        elif step == "progress":
            events.append(_event(ACTION_ITEM_PROGRESS_REPORTED, rng.choice(items), {
                "percent": rng.randint(1, 99), "note": body(10)}, node(), now))
        elif step == "item_status":
            events.append(_event(ACTION_ITEM_STATUS_CHANGED, rng.choice(items), {
                "status": rng.choice(ITEM_STATUSES)}, node(), now))
        elif step == "minutes":
            events.append(_event(MEETING_MINUTES_PUBLISHED, rng.choice(meetings), {
                "attendees": [{"name": "Ibu Ani", "node_id": "pkk-girian-weru"}],
                "decisions": [{"text": body(12), "proposal_id": rng.choice(proposals)}],
                "summary": body(30)}, node(), now))
        else:
            program = f"{prefix}-program-{rng.randint(0, 3)}"
            events.append(_event(INDICATOR_REPORTED, program,
                                 {"indicator": "perempuan_dilatih", "value": rng.randint(1, 90),
                                  "period": f"2026-{rng.randint(1, 12):02d}"}, node(), now))
    return events[:count]


def _steps(count: int, rng: random.Random) -> Iterator[str]:
    weights = {"proposal": 4, "item": 2, "meeting": 1, "comment": 45, "endorse": 20,
               "status": 5, "progress": 15, "item_status": 4, "minutes": 1, "indicator": 3}
    kinds = list(weights)
    chosen = rng.choices(kinds, weights=[weights[k] for k in kinds], k=count)
    yield from chosen
