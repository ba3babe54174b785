"""services/domain (base and registry): idempotence, replay and purity of every aggregate."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import random
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.catalog import AGGREGATE_TOPICS
from events.validation import Validator
from services.domain import (
    AGGREGATES,
    action_items,
    forums,
    meetings,
    nodes,
    programs,
    proposals,
)
from services.domain.base import Event, absorb, apply_many, new_state, replay, utc
from services.readmodel.db import merge_rows


def event(n: int, kind: str, subject: str, data: dict[str, Any], node: str = "dinsos-bitung",
          ) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"{subject}-{n}",
        "source": f"/nodes/{node}",
        "type": f"gotong.{kind}.v1",
        "subject": subject,
        "time": f"2026-03-{n:02d}T09:00:00+08:00",
        "datacontenttype": "application/json",
        "data": data,
    }


# One realistic event stream per aggregate, in log order.
STREAMS: dict[str, tuple[ModuleType, list[Event]]] = {
    "node": (nodes, [
        event(1, "node.registered", "pkk-girian", {"name": "PKK Girian", "kind": "community"},
              node="pkk-girian"),
        event(2, "node.registered", "pkk-girian",
              {"name": "TP PKK Kelurahan Girian", "kind": "community"}, node="pkk-girian"),
    ]),
    "forum": (forums, [
        event(1, "forum.opened", "forum-kesehatan", {"title": "Forum Kesehatan Ibu dan Anak"}),
        event(2, "forum.opened", "forum-kesehatan",
              {"title": "Forum Gizi dan Kesehatan", "area": "Kecamatan Girian"}),
    ]),
    "proposal": (proposals, [
        event(1, "proposal.commented", "usulan-gizi",
              {"comment_id": "k1", "body": "Setuju.", "author": "Ani"}, node="pkk-girian"),
        event(2, "proposal.submitted", "usulan-gizi",
              {"forum_id": "forum-kesehatan", "title": "Kelas gizi balita", "body": "Mingguan.",
               "author": "Ani"}, node="pkk-girian"),
        event(3, "proposal.endorsed", "usulan-gizi", {"endorser": "dinkes-bitung"}),
        event(4, "proposal.endorsed", "usulan-gizi", {"endorser": "Dinkes-Bitung "}),
        event(5, "proposal.commented", "usulan-gizi",
              {"comment_id": "k2", "body": "Kapan mulai?", "author": "Budi", "in_reply_to": "k1"}),
        event(6, "proposal.status_changed", "usulan-gizi",
              {"status": "under_review", "reason": "Dibahas"}),
        event(7, "proposal.status_changed", "usulan-gizi",
              {"status": "accepted", "reason": "Disetujui"}),
    ]),
    "meeting": (meetings, [
        event(1, "meeting.scheduled", "rapat-gizi",
              {"forum_id": "forum-kesehatan", "title": "Rapat gizi",
               "starts_at": "2026-03-20T09:00:00+08:00", "agenda": ["Kelas gizi"]}),
        event(2, "meeting.minutes_published", "rapat-gizi",
              {"attendees": [{"name": "Ani", "node_id": "pkk-girian"}],
               "decisions": [{"text": "Mulai April.", "proposal_id": "usulan-gizi"}]}),
    ]),
    "action_item": (action_items, [
        event(1, "action_item.created", "rtl-gizi",
              {"title": "Siapkan modul", "owner_node_id": "dinkes-bitung",
               "due_date": "2026-04-01"}),
        event(2, "action_item.progress_reported", "rtl-gizi", {"percent": 30}),
        event(3, "action_item.status_changed", "rtl-gizi",
              {"status": "blocked", "reason": "Dana"}),
        event(4, "action_item.reassigned", "rtl-gizi",
              {"owner_node_id": "pkk-girian", "reason": "PKK menyusun modul"}),
        event(5, "action_item.overdue", "rtl-gizi", {"due_date": "2026-04-01"}, node="gotong"),
        event(6, "action_item.progress_reported", "rtl-gizi", {"percent": 80}),
        event(7, "action_item.status_changed", "rtl-gizi", {"status": "done"}),
    ]),
    "program": (programs, [
        event(1, "indicator.reported", "program-gizi",
              {"indicator": "balita_ditimbang", "value": 120, "period": "2026-01"}),
        event(2, "program.defined", "program-gizi",
              {"name": "Gizi balita", "lead_node_id": "dinkes-bitung",
               "partner_node_ids": ["dinsos-bitung"],
               "indicators": [{"id": "balita_ditimbang", "name": "Balita ditimbang",
                               "baseline": 100, "target": 200}]}, node="dinkes-bitung"),
        event(3, "indicator.reported", "program-gizi",
              {"indicator": "balita_ditimbang", "value": 135, "period": "2026-02"}),
        event(4, "indicator.reported", "program-gizi",
              {"indicator": "balita_ditimbang", "value": 125, "period": "2026-01"}),
        event(5, "indicator.reported", "program-gizi",
              {"indicator": "balita_ditimbang", "value": 70, "period": "2026-03"}),
    ]),
}
NAMES = list(STREAMS)


def fold_one_by_one(module: ModuleType, events: list[Event]) -> Any:
    return functools.reduce(module.evolve, events, None)


def with_duplicates(events: list[Event], rng: random.Random) -> list[Event]:
    """``events`` with redeliveries mixed in, each somewhere after its first delivery."""
    stream = list(events)
    for _ in range(rng.randint(1, 2 * len(events))):
        original = rng.randrange(len(events))
        first = stream.index(events[original])
        stream.insert(rng.randint(first + 1, len(stream)), copy.deepcopy(events[original]))
    return stream


def test_registry_has_one_aggregate_per_typed_topic() -> None:
    assert set(AGGREGATES) == set(AGGREGATE_TOPICS)


@pytest.mark.parametrize("name", NAMES)
def test_registry_folds_with_the_aggregate_module(name: str) -> None:
    module, _ = STREAMS[name]

    assert AGGREGATES[name].fold is module.fold
    assert AGGREGATES[name].rows is module.rows


@pytest.mark.parametrize("name", NAMES)
def test_stream_events_are_valid(name: str) -> None:
    validator = Validator()

    for item in STREAMS[name][1]:
        assert validator.errors(item) == [], item["id"]


@pytest.mark.parametrize("name", NAMES)
def test_replay_equals_folding_one_by_one(name: str) -> None:
    module, events = STREAMS[name]

    assert replay(module.fold, events) == fold_one_by_one(module, events)


@pytest.mark.parametrize("name", NAMES)
def test_replayed_aggregate_has_rows(name: str) -> None:
    module, events = STREAMS[name]

    assert module.rows(replay(module.fold, events))


@pytest.mark.parametrize("name", NAMES)
def test_version_counts_distinct_events(name: str) -> None:
    module, events = STREAMS[name]
    state = fold_one_by_one(module, events + events)

    assert state["version"] == len(events)
    assert state["applied"] == [e["id"] for e in events]


@pytest.mark.parametrize("name", NAMES)
def test_evolve_does_not_mutate_the_input_state(name: str) -> None:
    module, events = STREAMS[name]
    before = fold_one_by_one(module, events[:1])
    snapshot = copy.deepcopy(before)

    for item in events[1:]:
        module.evolve(before, item)

    assert before == snapshot


@pytest.mark.parametrize("name", NAMES)
def test_evolve_does_not_mutate_the_event(name: str) -> None:
    module, events = STREAMS[name]
    snapshot = copy.deepcopy(events)

    fold_one_by_one(module, events)

    assert events == snapshot


@pytest.mark.parametrize("name", NAMES)
def test_redelivered_event_returns_the_same_object(name: str) -> None:
    module, events = STREAMS[name]
    state = fold_one_by_one(module, events)

    assert module.evolve(state, copy.deepcopy(events[0])) is state


@pytest.mark.parametrize("name", NAMES)
def test_batch_of_only_duplicates_returns_the_same_object(name: str) -> None:
    module, events = STREAMS[name]
    state = replay(module.fold, events)

    assert apply_many(module.fold, state, events) is state


@pytest.mark.parametrize("name", NAMES)
def test_batch_continues_from_an_earlier_state(name: str) -> None:
    module, events = STREAMS[name]
    middle = len(events) // 2
    earlier = replay(module.fold, events[:middle])

    assert apply_many(module.fold, earlier, events[middle:]) == replay(module.fold, events)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("name", NAMES)
def test_duplicates_mixed_into_the_stream_change_nothing(name: str, seed: int) -> None:
    module, events = STREAMS[name]
    noisy = with_duplicates(events, random.Random(seed))

    assert len(noisy) > len(events)
    assert fold_one_by_one(module, noisy) == replay(module.fold, events)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("name", NAMES)
def test_rows_written_batch_by_batch_from_settled_states_equal_the_replays(
        name: str, seed: int) -> None:
    """The worker's way: fold a batch in place, write the rows changed since the mark
    taken before it, settle the state (it forgets what the read model now holds), and
    go on. The read model comes out as ``gotong rebuild`` makes it from the whole log."""
    module, events = STREAMS[name]
    rng = random.Random(seed)
    noisy = with_duplicates(events, rng)
    aggregate = AGGREGATES[name]
    state = new_state(events[0]["subject"])
    seen: set[str] = set()
    written = []
    start = 0
    while start < len(noisy):
        end = rng.randint(start + 1, len(noisy))
        mark = aggregate.written(state)
        for event in noisy[start:end]:
            absorb(aggregate.fold, state, event, seen)
        written.append(aggregate.rows_since(state, mark))
        aggregate.settle(state)
        start = end
    assert merge_rows(written) == merge_rows([module.rows(replay(module.fold, events))])


@settings(max_examples=500)
@given(moment=st.datetimes(min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31),
                           timezones=st.none() | st.timezones() | st.just(dt.UTC)),
       timespec=st.sampled_from(["seconds", "milliseconds", "microseconds"]),
       zulu=st.booleans())
def test_times_are_written_in_utc_as_isoformat_writes_them(
        moment: dt.datetime, timespec: str, zulu: bool) -> None:
    text = moment.isoformat(timespec=timespec)
    if zulu and text.endswith("+00:00"):
        text = text[:-6] + "z"
    parsed = dt.datetime.fromisoformat(text.replace("z", "Z"))
    aware = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)
    expected = aware.astimezone(dt.UTC).isoformat(timespec="microseconds")
    assert utc(text) == expected.replace("+00:00", "Z")


def test_every_aggregate_with_a_rule_is_asked_before_publishing() -> None:
    from services.ingest import ownership

    assert set(ownership.OWNED) == {n for n, a in AGGREGATES.items() if a.decide is not None}
