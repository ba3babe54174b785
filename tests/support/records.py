"""Ingest records as the worker's batch handler receives them, built from events: for the
tests of the fold and of the ingest agent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import orjson

from events.signing import ATTEST_HEADER, attest
from services.kafka_clients import partition_for

SECRET = b"service-secret"
PARTITIONS = 6
OWNER, OTHER = "dinsos-bitung", "pkk-girian-weru"


@dataclass
class Record:
    value: bytes | None
    key: bytes | None
    partition: int
    offset: int = 0
    topic: str = "gotong.ingest"
    headers: Any = field(default_factory=list)
    timestamp: float | None = 1_764_500_000.0


def event(kind: str, subject: str, data: dict[str, Any], node: str = OWNER,
          id_: str | None = None) -> dict[str, Any]:
    return {"specversion": "1.0", "id": id_ or f"{subject}-{kind}-{len(str(data))}",
            "source": f"/nodes/{node}", "type": kind, "subject": subject,
            "time": dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC).isoformat(),
            "datacontenttype": "application/json", "data": data}


def record(evt: dict[str, Any], *, offset: int = 0, partition: int | None = None,
           node: str | None = None) -> Record:
    raw = orjson.dumps(evt)
    signer = node or evt["source"].removeprefix("/nodes/")
    home = partition_for(evt["subject"].encode(), PARTITIONS)
    return Record(raw, evt["subject"].encode(), home if partition is None else partition,
                  offset, headers=[(ATTEST_HEADER, attest(SECRET, signer, raw))])


def item(subject: str = "rtl-posyandu", owner: str = OWNER, **extra: Any) -> dict[str, Any]:
    return event("gotong.action_item.created.v1", subject,
                 {"title": "Laporan posyandu", "owner_node_id": owner, "due_date": "2026-12-20"},
                 **extra)


def progress(subject: str, percent: int, node: str = OWNER, id_: str | None = None
             ) -> dict[str, Any]:
    return event("gotong.action_item.progress_reported.v1", subject, {"percent": percent},
                 node=node, id_=id_ or f"{subject}-progress-{percent}-{node}")
