"""services/pipeline/ingest.py and state.py: the effects of a batch, and their order.

In-memory tables, producer and read model stand in for Faust's, Kafka and SQL: what
is asserted is what the ingest agent hands to each, and that a state is written
only once everything it vouches for is durable.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from events.validation import Validator
from services.pipeline.ingest import Ingest
from services.pipeline.state import StateStore
from tests.support.records import OTHER, SECRET, event, item, progress, record


class Store(dict[str, bytes]):
    """What Faust's table store does for the state store: keep values and an offset."""

    def __init__(self) -> None:
        super().__init__()
        self.persisted: dict[Any, int] = {}

    def set_persisted_offset(self, tp: Any, offset: int) -> None:
        self.persisted[tp] = offset


class Table:
    key_type, key_serializer = str, "json"

    def __init__(self, name: str) -> None:
        self.data = Store()
        self.changelog_topic = SimpleNamespace(get_topic_name=lambda: f"app-{name}-changelog")
        self.app = SimpleNamespace(serializers=SimpleNamespace(
            dumps_key=lambda typ, key, serializer: orjson.dumps(key)))

    def get(self, key: str) -> bytes | None:
        return self.data.get(key)


@dataclass
class Producer:
    sent: list[tuple[str, int | None, list[bytes | None]]] = field(default_factory=list)
    failing: str | None = None  # a topic whose sends fail (Kafka refused them)
    offsets: dict[str, int] = field(default_factory=dict)

    def _future(self, topic: str, count: int) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if topic == self.failing:
            future.set_exception(RuntimeError(f"{topic}: not written"))
        else:
            base = self.offsets.get(topic, 0)
            self.offsets[topic] = base + count
            future.set_result(SimpleNamespace(offset=base))
        return future

    async def send(self, topic: str, key: bytes | None, value: bytes | None,
                   partition: int | None, timestamp: float | None, headers: Any) -> Any:
        self.sent.append((topic, partition, [value]))
        return self._future(topic, 1)

    async def send_many(self, topic: str, partition: int, records: Any, *,
                        track: bool = False) -> list[tuple[asyncio.Future[Any], int]]:
        values = [value for _, value, _ in records]
        self.sent.append((topic, partition, values))
        return [(self._future(topic, len(values)), len(values))]

    async def partitions_of(self, topic: str) -> int:
        return 6

    def values(self, topic: str) -> list[dict[str, Any]]:
        return [orjson.loads(v or b"") for t, _, vs in self.sent if t == topic for v in vs]


@dataclass
class Projector:
    rows: list[Any] = field(default_factory=list)
    fail: bool = False
    events_processed: int = 0

    async def write(self, rows: Any, then: Any = None) -> Any:
        if self.fail:
            raise RuntimeError("database is locked")
        if rows:
            self.rows.append(rows)
        return then() if then is not None else None


@dataclass
class Agent:
    ingest: Ingest
    tables: dict[str, Table]
    producer: Producer
    projector: Projector

    def stored(self, aggregate: str, subject: str) -> dict[str, Any] | None:
        raw = self.tables[aggregate].data.get(subject)
        return orjson.loads(raw) if raw else None


@pytest.fixture
def agent() -> Agent:
    tables = {name: Table(name) for name in ("action_item", "proposal")}
    producer, projector = Producer(), Projector()
    ingest = Ingest(producer=producer, store=StateStore(tables, cache_bytes=1 << 20),
                    projector=projector, validator=Validator(), secret=SECRET,  # type: ignore[arg-type]
                    public_key_for=lambda node: None, partitions=lambda: 6)
    return Agent(ingest, tables, producer, projector)


async def commit(agent: Agent) -> None:
    """What the offset commit does first (services/pipeline/runtime.py): write the states."""
    await agent.ingest.store.flush(agent.producer)


async def test_a_batch_writes_each_changed_state_once_after_its_records_and_rows(
    agent: Agent,
) -> None:
    events = [item(), progress("rtl-posyandu", 20), progress("rtl-posyandu", 60)]
    await agent.ingest.process([record(e, offset=n) for n, e in enumerate(events)])
    assert agent.stored("action_item", "rtl-posyandu") is None  # staged for the commit
    await commit(agent)
    assert [e["id"] for e in agent.producer.values("gotong.action-items")] == [
        e["id"] for e in events]
    [typed] = [s for s in agent.producer.sent if s[0] == "gotong.action-items"]
    assert len(typed[2]) == 3  # one record batch, not three sends
    [rows] = agent.projector.rows
    assert [(r["percent"], r["version"]) for r in rows["action_items"]] == [(60, 3)]
    changelog = [s for s in agent.producer.sent if s[0] == "app-action_item-changelog"]
    assert [len(values) for _, _, values in changelog] == [1]  # one record for three events
    assert agent.stored("action_item", "rtl-posyandu")["version"] == 3  # type: ignore[index]


async def test_the_changelog_offset_faust_recovers_from_is_the_batchs_last(
    agent: Agent,
) -> None:
    await agent.ingest.process([record(item("rtl-a"))])
    await commit(agent)
    await agent.ingest.process([record(item("rtl-b")), record(item("rtl-c"))])
    await commit(agent)
    await asyncio.sleep(0)
    store = agent.tables["action_item"].data
    assert sum(len(v) for t, _, v in agent.producer.sent if t.endswith("changelog")) == 3
    assert max(store.persisted.values()) == 2  # offsets 0, 1, 2 across partitions' batches


@pytest.mark.parametrize("broken", ["read model", "typed topic"])
async def test_no_state_is_written_when_its_row_or_typed_record_is_not(
    agent: Agent, broken: str,
) -> None:
    if broken == "read model":
        agent.projector.fail = True
    else:
        agent.producer.failing = "gotong.action-items"
    with pytest.raises(RuntimeError):
        await agent.ingest.process([record(item())])
    assert agent.ingest.store.staged == 0
    await commit(agent)
    assert agent.stored("action_item", "rtl-posyandu") is None
    assert not [s for s in agent.producer.sent if s[0].endswith("changelog")]
    # the batch comes again (services/pipeline/batch_agents.py): once the cache is
    # forgotten, it is folded anew and not taken for a duplicate
    agent.ingest.store.forget()
    agent.projector.fail, agent.producer.failing = False, None
    await agent.ingest.process([record(item())])
    await commit(agent)
    assert agent.stored("action_item", "rtl-posyandu")["version"] == 1  # type: ignore[index]


async def test_refusals_become_dead_letters_with_origin_and_reason(agent: Agent) -> None:
    await agent.ingest.process([record(item())])
    foreign = progress("rtl-posyandu", 99, node=OTHER)
    await agent.ingest.process([record(foreign, offset=7)])
    [letter] = agent.producer.values("gotong.dead-letter")
    assert letter["event_id"] == foreign["id"]
    assert letter["reason"].startswith("not allowed: only the owner node")
    assert letter["origin"]["offset"] == 7 and letter["origin"]["topic"] == "gotong.ingest"
    assert orjson.loads(letter["original"])["id"] == foreign["id"]
    assert agent.ingest.stats.refused == 1
    await commit(agent)
    state = agent.stored("action_item", "rtl-posyandu")
    assert state is not None and foreign["id"] in state["applied"]  # a redelivery: a duplicate
    assert "refused" not in state  # the dead letter has it
    agent.ingest.store.forget()
    await agent.ingest.process([record(foreign, offset=8)])
    assert len(agent.producer.values("gotong.dead-letter")) == 1


async def test_the_cache_serves_the_next_batch_and_a_rebalance_empties_it(agent: Agent) -> None:
    store = agent.ingest.store
    await agent.ingest.process([record(item())])
    await agent.ingest.process([record(progress("rtl-posyandu", 10))])
    assert (store.misses, store.hits) == (1, 1)
    store.forget()
    await agent.ingest.process([record(progress("rtl-posyandu", 20))])
    assert store.misses == 2
    await commit(agent)
    assert agent.stored("action_item", "rtl-posyandu")["percent"] == 20  # type: ignore[index]


async def test_states_changed_by_several_batches_are_written_once_per_commit(
    agent: Agent,
) -> None:
    await agent.ingest.process([record(item())])
    for percent in (10, 20, 30):
        await agent.ingest.process([record(progress("rtl-posyandu", percent))])
    await commit(agent)
    changelog = [v for t, _, vs in agent.producer.sent if t.endswith("changelog") for v in vs]
    assert [orjson.loads(v or b"")["percent"] for v in changelog] == [30]


async def test_a_threads_stored_state_keeps_comment_ids_and_the_read_model_every_comment(
    agent: Agent,
) -> None:
    thread = "usulan-pasar-ikan"

    def comment(n: int, id_: str | None = None) -> dict[str, Any]:
        return event("gotong.proposal.commented.v1", thread,
                     {"comment_id": f"k-{n}", "body": f"Komentar {n}", "author": "Ibu Ani"},
                     id_=id_ or f"e-k-{n}")

    submitted = event("gotong.proposal.submitted.v1", thread, {
        "forum_id": "forum-x", "title": "Pasar ikan", "body": "Isi", "author": "Ibu Ani"})
    await agent.ingest.process([record(submitted), record(comment(1)), record(comment(2))])
    await commit(agent)
    agent.ingest.store.forget()  # the next batches read the state back from its table
    await agent.ingest.process([record(comment(3)), record(comment(2, id_="e-k-2-again"))])
    await commit(agent)
    state = agent.stored("proposal", thread)
    assert state is not None
    assert (state["comments"], state["comment_ids"]) == ([], ["k-1", "k-2", "k-3"])
    written = [(r["comment_id"], r["seq"]) for rows in agent.projector.rows
               for r in rows.get("proposal_comments", [])]
    assert written == [("k-1", 1), ("k-2", 2), ("k-3", 3)]
    assert agent.projector.rows[-1]["proposals"][0]["comment_count"] == 3


async def test_a_failed_batch_after_a_good_one_folds_again_from_what_the_good_one_left(
    agent: Agent,
) -> None:
    await agent.ingest.process([record(item())])  # staged, not written yet
    agent.projector.fail = True
    with pytest.raises(RuntimeError):
        await agent.ingest.process([record(progress("rtl-posyandu", 50))])
    agent.ingest.store.forget()  # what the batch agent does after a failure
    agent.projector.fail = False
    await agent.ingest.process([record(progress("rtl-posyandu", 50))])
    await commit(agent)
    state = agent.stored("action_item", "rtl-posyandu")
    assert state is not None and (state["percent"], state["version"]) == (50, 2)


def test_changelog_keys_are_encoded_as_faust_encodes_them_for_its_recovery(
    tmp_path: Any,
) -> None:
    import faust

    from services.pipeline.state import changelog_key

    app = faust.App("key-check", broker="kafka://127.0.0.1:1", store="memory://",
                    datadir=str(tmp_path))
    table = app.Table("proposal-state", key_type=str, value_type=bytes)
    expected = app.serializers.dumps_key(str, "usulan-1", serializer=table.key_serializer)
    assert changelog_key(table, "usulan-1") == expected == b'"usulan-1"'


@pytest.mark.parametrize("key", ["usulan-1", "rapat-ké-2", 'kutip "x" \\ y', "baris\nbaru",
                                 "\u0007", "🌊 laut"])
def test_the_fast_key_encoder_writes_the_keys_faust_writes(tmp_path: Any, key: str) -> None:
    import faust

    from services.pipeline.state import changelog_key, key_encoder

    app = faust.App("key-check", broker="kafka://127.0.0.1:1", store="memory://",
                    datadir=str(tmp_path))
    table = app.Table("proposal-state", key_type=str, value_type=bytes)
    assert key_encoder(table)(key) == changelog_key(table, key)


async def test_a_state_read_while_the_commit_writes_the_tables_is_the_newest() -> None:
    """The commit's flush runs beside the ingest agent and waits for Kafka between
    partitions; a batch reading a state meanwhile must find the version just staged."""
    from services.domain.base import new_state
    from services.pipeline.fold import Changed

    class SlowProducer(Producer):
        async def send_many(self, topic: str, partition: int, records: Any, *,
                            track: bool = False) -> list[tuple[asyncio.Future[Any], int]]:
            await asyncio.sleep(0.01)  # the broker takes its time
            return await super().send_many(topic, partition, records, track=track)

    tables = {"action_item": Table("action_item")}
    store = StateStore(tables, cache_bytes=0)  # nothing stays in the cache
    states = {}
    for partition in range(3):
        state = new_state(f"rtl-{partition}")
        state.update(exists=True, version=7)
        states[partition] = state
    store.stage(Changed("action_item", f"rtl-{p}", p, s, set()) for p, s in states.items())
    flushing = asyncio.create_task(store.flush(SlowProducer()))
    await asyncio.sleep(0.005)  # the flush is waiting on its first partition's records
    for partition in range(3):
        state, _ = store.load("action_item", f"rtl-{partition}", partition)
        assert state["version"] == 7
    await flushing
