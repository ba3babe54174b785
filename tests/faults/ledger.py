"""Numbered events, a driver that keeps a ledger of what Kafka acknowledged, and the oracle.

Every event of a fault run carries its number twice: in its id
(``<run>-<n>``) and as a marker ``#n<n>#`` in exactly one text field that the
read model keeps (a comment's body, an endorser's name, a status reason, a
progress note). So the read model itself says, per acknowledged event, whether
its effect is there once (good), never (lost) or more than once (duplicated).

The oracle is the pure replay: the acknowledged events, in the order they were
sent, folded through the same ``evolve`` functions, projected into a scratch
SQLite read model; the real read model must equal it row for row.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select
from sqlmodel import Session

from events.catalog import AGGREGATE_TOPICS, aggregate_of
from services.domain import AGGREGATES
from services.domain.base import State, replay
from services.readmodel.db import make_engine, merge_rows, migrate, upsert
from services.readmodel.tables import READ_MODEL
from tests.support.kafka_io import read_all

Event = dict[str, Any]
Snapshot = dict[str, list[dict[str, Any]]]
MARKER = re.compile(r"#n(\d+)#")
COMPARED = ("proposals", "proposal_comments", "action_items")  # the tables the workload writes


def _event(run: str, n: int, kind: str, subject: str, data: dict[str, Any], node: str,
           at: dt.datetime) -> Event:
    return {
        "specversion": "1.0",
        "id": f"{run}-{n:06d}",
        "source": f"/nodes/{node}",
        "type": kind,
        "subject": subject,
        "time": (at + dt.timedelta(milliseconds=n)).isoformat(timespec="milliseconds"),
        "datacontenttype": "application/json",
        "data": data,
    }


def workload(run: str, count: int, node: str) -> list[Event]:
    """``count`` numbered events: first every proposal and action item, then a mix about them.

    The mix has order-sensitive events (status changes, progress percentages)
    as well as comments and endorsements, so a reordering shows too.
    """
    at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    proposals, items = max(20, count // 100), max(10, count // 400)
    events: list[Event] = []
    subjects = [f"{run}-usulan-{i}" for i in range(proposals)]
    tasks = [f"{run}-rtl-{i}" for i in range(items)]
    for n in range(count):
        mark = f"#n{n}#"
        if n < proposals:
            events.append(_event(run, n, "gotong.proposal.submitted.v1", subjects[n], {
                "forum_id": f"{run}-forum", "title": f"Usulan {n}", "author": "Ibu Ani",
                "body": f"Pelatihan menjahit {mark}"}, node, at))
        elif n < proposals + items:
            events.append(_event(run, n, "gotong.action_item.created.v1", tasks[n - proposals], {
                "title": f"Tindak lanjut {mark}", "owner_node_id": node,
                "due_date": "2027-06-30"}, node, at))
        elif n % 10 == 3:
            events.append(_event(run, n, "gotong.action_item.progress_reported.v1",
                                 tasks[n % items], {"percent": n % 100, "note": mark}, node, at))
        elif n % 25 == 7:
            # the proposal's own node may only withdraw it (the other statuses are its
            # forum's convener's, and this forum is never opened): a reordering still
            # shows in the order of its status history, each entry with its marker
            events.append(_event(run, n, "gotong.proposal.status_changed.v1",
                                 subjects[n % proposals],
                                 {"status": "withdrawn", "reason": mark}, node, at))
        elif n % 5 == 1:
            events.append(_event(run, n, "gotong.proposal.endorsed.v1", subjects[n % proposals],
                                 {"endorser": f"Warga {mark}"}, node, at))
        else:
            events.append(_event(run, n, "gotong.proposal.commented.v1", subjects[n % proposals],
                                 {"comment_id": f"c{n}", "body": f"Setuju {mark}",
                                  "author": "Pak Budi"}, node, at))
    return events


def number(event: Mapping[str, Any]) -> int:
    return int(str(event["id"]).rsplit("-", 1)[1])


@dataclass
class Ledger:
    """What the driver sent, and what of it got a 202 (Kafka acknowledged every event)."""

    acked: list[Event] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self, batch: Sequence[Event]) -> None:
        with self.lock:
            self.acked.extend(batch)

    def count(self, answer: str) -> None:
        with self.lock:
            self.answers[answer] += 1


@dataclass
class Driver:
    """Posts batches of events in order; a batch without a 202 is sent again, same ids.

    That is the client's retry rule of the README. A batch that was never
    acknowledged within ``give_up_s`` stops the driver; the test then fails.
    """

    url: Callable[[], str]
    key: str
    events: Sequence[Event]
    batch: int = 250
    pause_s: float = 0.0
    give_up_s: float = 120.0
    ledger: Ledger = field(default_factory=Ledger)
    error: str | None = None
    sent: int = 0
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Driver:
        self._thread = threading.Thread(target=self._run, name="fault-driver", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout: float) -> None:
        assert self._thread is not None
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join(30)
            raise AssertionError(f"the driver did not finish in {timeout}s "
                                 f"({len(self.ledger.acked)} of {len(self.events)} acked)")
        assert self.error is None, self.error

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            for start in range(0, len(self.events), self.batch):
                chunk = list(self.events[start:start + self.batch])
                if not self._post_until_acked(client, chunk):
                    return
                self.sent = start + len(chunk)
                if self.pause_s:
                    time.sleep(self.pause_s)

    def _post_until_acked(self, client: httpx.Client, chunk: list[Event]) -> bool:
        deadline = time.monotonic() + self.give_up_s
        while not self._stop.is_set():
            try:
                response = client.post(f"{self.url()}/api/v1/events", json=chunk,
                                       headers={"Authorization": f"Bearer {self.key}"})
                answer = str(response.status_code)
            except httpx.HTTPError as exc:
                response, answer = None, type(exc).__name__
            self.ledger.count(answer)
            if response is not None and response.status_code == 202:
                self.ledger.ack(chunk)
                return True
            if response is not None and response.status_code not in (502, 503, 504):
                self.error = f"unexpected answer {response.status_code}: {response.text[:300]}"
                return False
            if time.monotonic() > deadline:
                self.error = f"no 202 for a batch in {self.give_up_s}s (last: {answer})"
                return False
            time.sleep(0.2)
        return False


# -- the oracle -----------------------------------------------------------------------


def replay_rows(events: Iterable[Event]) -> dict[str, list[Mapping[str, Any]]]:
    """The read-model rows of a pure replay of ``events`` (in the order given)."""
    by_subject: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        aggregate = aggregate_of(str(event["type"]))
        by_subject.setdefault((aggregate, event["subject"]), []).append(event)
    states: list[tuple[str, State]] = []
    for (aggregate, _), folded in by_subject.items():
        state = replay(AGGREGATES[aggregate].fold, list(folded))
        assert state is not None
        states.append((aggregate, state))
    return merge_rows(AGGREGATES[name].rows(state) for name, state in states)


def snapshot_of(database_url: str, tables: Sequence[str] = COMPARED) -> Snapshot:
    engine = make_engine(database_url)
    try:
        out: Snapshot = {}
        with Session(engine) as session:
            for name in tables:
                table = READ_MODEL[name].__table__  # type: ignore[attr-defined]
                keys = list(table.primary_key.columns)
                rows = session.execute(select(table).order_by(*keys)).mappings().all()
                out[name] = [dict(r) for r in rows]
        return out
    finally:
        engine.dispose()


def oracle_snapshot(events: Iterable[Event]) -> Snapshot:
    """The replay written through the real upsert into a scratch SQLite, read back alike."""
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'oracle.db'}"
        engine = make_engine(url)
        try:
            migrate(engine)
            with engine.begin() as connection:
                upsert(connection, replay_rows(events))
        finally:
            engine.dispose()
        return snapshot_of(url)


def _key(row: Mapping[str, Any]) -> str:
    """A row's identity: its aggregate's id, with the comment's for a comment row."""
    if "comment_id" in row:
        return f"{row['proposal_id']}/{row['comment_id']}"
    return str(row["id"])


def ours(snapshot: Snapshot, run: str) -> Snapshot:
    return {name: [r for r in rows if _key(r).startswith(run)]
            for name, rows in snapshot.items()}


@dataclass(frozen=True)
class Figures:
    acknowledged: int
    lost: int
    duplicated: int
    unexpected: int  # effects of events that never got a 202 (must be 0 for the checks)
    lost_numbers: list[int]
    duplicated_numbers: list[int]

    def line(self) -> str:
        return (f"acknowledged={self.acknowledged} lost={self.lost} "
                f"duplicated={self.duplicated} unacknowledged-but-present={self.unexpected}")


def figures(snapshot: Snapshot, acked: Sequence[Event]) -> Figures:
    """Count, per acknowledged event, how often its marker is in the read model."""
    seen: Counter[int] = Counter()
    for rows in snapshot.values():
        for row in rows:
            seen.update(int(m) for m in MARKER.findall(orjson.dumps(row, default=str).decode()))
    wanted = {number(e) for e in acked}
    lost = sorted(n for n in wanted if seen[n] == 0)
    doubled = sorted(n for n in wanted if seen[n] > 1)
    unexpected = sum(1 for n in seen if n not in wanted)
    return Figures(len(wanted), len(lost), len(doubled), unexpected, lost[:20], doubled[:20])


def log_copies(bootstrap: str, run: str) -> tuple[int, int]:
    """(records of this run in the typed topics, records whose id was there already).

    A copy in the log is harmless (every aggregate dedupes by id); counted to show
    what the gate's duplicate table and the idempotent producer leave.
    """
    ids: Counter[str] = Counter()
    for topic in sorted(set(AGGREGATE_TOPICS.values())):
        for record in read_all(bootstrap, topic):
            if record.value and record.value.startswith(b"{"):
                event_id = str(orjson.loads(record.value).get("id", ""))
                if event_id.startswith(run):
                    ids[event_id] += 1
    return sum(ids.values()), sum(c - 1 for c in ids.values())


def _versions(snapshot: Snapshot) -> int:
    # comment rows carry none: their events count in their thread's version
    return sum(int(row.get("version", 0)) for rows in snapshot.values() for row in rows)


def wait_until_equal(read: Callable[[], Snapshot], expected: Snapshot, timeout: float
                     ) -> Snapshot:
    """Poll the read model until it equals ``expected``; return the last snapshot read.

    Gives up early once every event has been applied (the versions add up) and the
    read model still differs: waiting longer would not change it.
    """
    deadline = time.monotonic() + timeout
    settled = 0
    while True:
        actual = read()
        if actual == expected or time.monotonic() > deadline:
            return actual
        settled = settled + 1 if _versions(actual) >= _versions(expected) else 0
        if settled >= 5:
            return actual
        time.sleep(1.0)


def report(name: str, **values: Any) -> str:
    line = f"FAULTS {name}: " + " ".join(f"{k}={v}" for k, v in values.items())
    print(line, flush=True)
    results = Path(__file__).resolve().parents[2] / "test-artifacts" / "faults.log"
    results.parent.mkdir(exist_ok=True)
    with open(results, "a") as out:
        out.write(f"{dt.datetime.now().isoformat(timespec='seconds')} {line}\n")
    return line


def differences(actual: Snapshot, expected: Snapshot, limit: int = 3) -> str:
    """A short account of how two snapshots differ (for the assertion message)."""
    lines = []
    for name in expected:
        have = {_key(r): r for r in actual.get(name, [])}
        want = {_key(r): r for r in expected[name]}
        missing = sorted(set(want) - set(have))
        extra = sorted(set(have) - set(want))
        changed = sorted(k for k in set(want) & set(have) if want[k] != have[k])
        if missing or extra or changed:
            lines.append(f"{name}: {len(missing)} missing {missing[:limit]}, {len(extra)} extra "
                         f"{extra[:limit]}, {len(changed)} differ {changed[:limit]}")
            for key in changed[:1]:
                cols = [c for c in want[key] if want[key][c] != have[key].get(c)]
                lines.append(f"  {key}: columns {cols}; version {have[key].get('version')} "
                             f"vs {want[key].get('version')}")
    return "\n".join(lines) or "no difference"


def _unordered(snapshot: Snapshot) -> Snapshot:
    """``snapshot`` with every list column sorted and without a comment's place in its
    thread (``seq``): the content without its order."""
    def norm(value: Any) -> Any:
        if isinstance(value, list):
            return sorted(value, key=lambda v: json.dumps(v, sort_keys=True, default=str))
        return value

    return {name: sorted(({k: norm(v) for k, v in row.items() if k != "seq"} for row in rows),
                         key=_key)
            for name, rows in snapshot.items()}


def assert_exact(actual: Snapshot, expected: Snapshot) -> None:
    """The read model equals the replay. Content is asserted; a difference in order
    only (an event applied late, see services/pipeline/runtime.py) is an expected failure
    with the count, since Faust's skip after a recovery is not fixed yet."""
    assert _unordered(actual) == _unordered(expected), differences(actual, expected)
    if actual != expected:
        reordered = sum(a != e for name in expected
                        for a, e in zip(actual[name], expected[name], strict=True))
        pytest.xfail(f"{reordered} aggregates hold every event but not in log order: an "
                     "event Faust skipped after a recovery was applied at the next start "
                     "(faust-streaming #596)\n" + differences(actual, expected))
