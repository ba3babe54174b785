"""The lanes that gather concurrent requests' records into record batches
(``services.ingest.producer``): each request hears of its own records, at once, and
never of another's cancellation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvloop
from aiokafka.errors import KafkaError

from services.ingest.producer import IngestProducer, Lanes, Record
from services.kafka_clients import partition_for
from services.settings import get as get_settings

PARTITIONS = 6


class _Batch:
    def __init__(self, room: int) -> None:
        self.keys: list[bytes] = []
        self.room = room

    def append(self, *, key: bytes, value: bytes, timestamp: Any, headers: Any
               ) -> object | None:
        if len(self.keys) >= self.room:
            return None  # full (aiokafka's answer)
        self.keys.append(key)
        return object()

    def close(self) -> None:
        pass

    def record_count(self) -> int:
        return len(self.keys)


class _Cluster:
    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(PARTITIONS))


class _Client:
    cluster = _Cluster()


class _Producer:
    """aiokafka's producer as the lanes use it: a batch's future settles when told."""

    client = _Client()

    def __init__(self, room: int = 1000) -> None:
        self.sent: list[tuple[int, list[bytes], asyncio.Future[Any]]] = []
        self.room = room

    def create_batch(self) -> _Batch:
        return _Batch(self.room)

    async def send_batch(self, batch: _Batch, topic: str, partition: int) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.sent.append((partition, batch.keys, future))
        return future

    async def partitions_for(self, topic: str) -> set[int]:
        return set(range(PARTITIONS))


async def _ingest_through(producer: _Producer) -> IngestProducer:
    """An ``IngestProducer`` whose aiokafka producer is ``producer``."""
    ingest = IngestProducer(get_settings())
    await ingest._producer.stop()  # (never started: only its place is taken)
    ingest._producer = producer
    ingest._lanes = Lanes(producer)
    return ingest


def _record(key: str) -> Record:
    return key.encode(), b"{}", []


async def _sent(producer: _Producer, count: int, patience: float = 0.0) -> None:
    """Until ``count`` batches are sent: within a hundred turns of the loop, or ``patience``
    seconds."""
    end = asyncio.get_running_loop().time() + patience
    turns = 0
    while len(producer.sent) < count:
        turns += 1
        if turns > 100 and asyncio.get_running_loop().time() > end:
            raise AssertionError(f"{len(producer.sent)} batches sent, not {count}")
        await asyncio.sleep(0 if turns <= 100 else 0.01)


async def _settled(turns: int = 100) -> None:
    """Turns of the loop: what would happen at once has happened."""
    for _ in range(turns):
        await asyncio.sleep(0)


def test_requests_in_one_group_travel_together_and_hear_each_their_own() -> None:
    async def scenario() -> None:
        producer = _Producer()
        lanes = Lanes(producer)
        first = lanes.add(0, [_record("a")])
        second = lanes.add(0, [_record("b"), _record("c")])
        gone = lanes.add(0, [_record("d")])
        gone.cancel()  # a request whose deadline passed: the others do not hear of it
        await _sent(producer, 1)
        ((partition, keys, acknowledged),) = producer.sent
        assert (partition, keys) == (0, [b"a", b"b", b"c", b"d"])
        assert not first.done() and not second.done()
        acknowledged.set_result(None)
        await asyncio.wait_for(asyncio.gather(first, second), 1)

    asyncio.run(scenario())


def test_a_round_queues_the_first_batch_of_every_partition_before_any_second() -> None:
    async def scenario() -> None:
        producer = _Producer(room=2)
        lanes = Lanes(producer)
        large = lanes.add(0, [_record("a"), _record("b"), _record("c")])
        small = lanes.add(1, [_record("d")])
        await _sent(producer, 3)
        assert [(p, keys) for p, keys, _ in producer.sent] == [
            (0, [b"a", b"b"]), (1, [b"d"]), (0, [b"c"])]
        for _, _, acknowledged in producer.sent[:2]:
            acknowledged.set_result(None)
        await asyncio.wait_for(small, 1)
        assert not large.done()  # its second batch is not acknowledged yet
        producer.sent[2][2].set_result(None)
        await asyncio.wait_for(large, 1)

    asyncio.run(scenario())


def test_the_next_round_waits_for_the_last_and_then_for_the_requests_it_answered() -> None:
    async def scenario() -> None:
        producer = _Producer()
        lanes = Lanes(producer, gather_s=1.0)
        answered = [lanes.add(0, [_record("a")]), lanes.add(1, [_record("b")])]
        await _sent(producer, 2)
        later = lanes.add(0, [_record("c")])  # while the round is on its way
        await _settled()
        assert len(producer.sent) == 2  # one round in flight at a time
        for _, _, acknowledged in producer.sent:
            acknowledged.set_result(None)
        await asyncio.wait_for(asyncio.gather(*answered), 1)
        back = lanes.add(1, [_record("d")])  # a client answered comes back: same round
        await _settled(turns=5)  # (a few turns: well within the pause's first millisecond)
        assert len(producer.sent) == 2  # the pause: the round carried two requests
        await _sent(producer, 4, patience=5)
        assert [(p, keys) for p, keys, _ in producer.sent[2:]] == [(0, [b"c"]), (1, [b"d"])]
        for _, _, acknowledged in producer.sent[2:]:
            acknowledged.set_result(None)
        await asyncio.wait_for(asyncio.gather(later, back), 1)

    asyncio.run(scenario())


def test_the_pause_ends_once_as_many_requests_came_back_as_were_answered() -> None:
    async def scenario() -> None:
        producer = _Producer()
        lanes = Lanes(producer, gather_s=30)
        answered = [lanes.add(0, [_record("a")]), lanes.add(0, [_record("b")])]
        await _sent(producer, 1)
        producer.sent[0][2].set_result(None)
        await asyncio.wait_for(asyncio.gather(*answered), 1)
        back = [lanes.add(0, [_record("c")])]
        await _settled()
        assert len(producer.sent) == 1  # one of the two is back: the pause goes on
        back.append(lanes.add(1, [_record("d")]))
        await _sent(producer, 3)  # both are: the round goes, long before 30 s
        for _, _, acknowledged in producer.sent[1:]:
            acknowledged.set_result(None)
        await asyncio.wait_for(asyncio.gather(*back), 1)

    asyncio.run(scenario())


def test_a_round_of_one_request_is_followed_at_once() -> None:
    async def scenario() -> None:
        producer = _Producer()
        lanes = Lanes(producer, gather_s=30)
        first = lanes.add(0, [_record("a")])
        await _sent(producer, 1)
        second = lanes.add(0, [_record("b")])
        producer.sent[0][2].set_result(None)
        await asyncio.wait_for(first, 1)
        await _sent(producer, 2)  # no pause: nobody else was waiting
        producer.sent[1][2].set_result(None)
        await asyncio.wait_for(second, 1)

    asyncio.run(scenario())


def test_a_failed_batch_fails_only_its_own_requests() -> None:
    async def scenario() -> None:
        producer = _Producer()
        lanes = Lanes(producer)
        failing, fine = lanes.add(0, [_record("a")]), lanes.add(1, [_record("b")])
        await _sent(producer, 2)
        by_partition = {partition: future for partition, _, future in producer.sent}
        by_partition[0].set_exception(KafkaError("the broker refused"))
        by_partition[1].set_result(None)
        with pytest.raises(KafkaError, match="refused"):
            await asyncio.wait_for(failing, 1)
        await asyncio.wait_for(fine, 1)

    asyncio.run(scenario())


def _keys_in_two_partitions() -> tuple[str, str]:
    keys = [f"subject-{n}" for n in range(50)]
    first = keys[0]
    other = next(k for k in keys if partition_for(k.encode(), PARTITIONS)
                 != partition_for(first.encode(), PARTITIONS))
    return first, other


def test_a_request_over_two_partitions_hears_of_the_first_failure_at_once() -> None:
    async def scenario() -> None:
        producer = _Producer()
        ingest = await _ingest_through(producer)
        first, other = _keys_in_two_partitions()
        events = [{"subject": first, "id": "1"}, {"subject": other, "id": "2"}]
        published = asyncio.create_task(ingest.publish("dinsos-bitung", events))
        await _sent(producer, 2)
        producer.sent[0][2].set_exception(KafkaError("the broker refused"))
        # the other partition never answers: the request does not wait for it
        with pytest.raises(KafkaError, match="refused"):
            await asyncio.wait_for(published, 1)
        producer.sent[1][2].set_exception(KafkaError("late"))  # read, not left unread
        await asyncio.sleep(0)

    asyncio.run(scenario())


def test_each_request_hears_of_its_own_deadline_and_no_other() -> None:
    async def scenario() -> None:
        producer = _Producer()
        lanes = Lanes(producer)
        now = asyncio.get_running_loop().time()
        later = lanes.add(0, [_record("a")], now + 30)
        sooner = lanes.add(0, [_record("b")], now + 0.05)  # (one timer: re-armed sooner)
        patient = lanes.add(0, [_record("c")])  # no deadline (the command line's)
        await _sent(producer, 1)
        with pytest.raises(TimeoutError, match="did not acknowledge"):  # (not wait_for's)
            await asyncio.wait_for(sooner, 1)
        assert not later.done() and not patient.done()
        producer.sent[0][2].set_result(None)  # acknowledged: the others hear it
        await asyncio.wait_for(asyncio.gather(later, patient), 1)

    asyncio.run(scenario())


def test_an_unacknowledged_publish_times_out_and_renews_the_producer() -> None:
    async def scenario() -> None:
        producer = _Producer()
        ingest = await _ingest_through(producer)
        deadline = asyncio.get_running_loop().time() + 0.05
        with pytest.raises(TimeoutError, match="did not acknowledge"):  # (not wait_for's)
            await asyncio.wait_for(ingest.publish("dinsos-bitung", [{"subject": "s"}],
                                                  deadline), 1)
        assert ingest._renew  # its sequence numbers are no longer to be trusted
        producer.sent[0][2].set_result(None)

    asyncio.run(scenario())


def test_a_partition_whose_batch_is_not_acknowledged_holds_up_only_itself() -> None:
    async def scenario() -> None:
        producer = _Producer()
        lanes = Lanes(producer, gather_s=0.001)
        stuck, fine = lanes.add(0, [_record("a")]), lanes.add(1, [_record("b")])
        await _sent(producer, 2)
        producer.sent[1][2].set_result(None)  # partition 0 has no leader, say: no answer
        await asyncio.wait_for(fine, 1)
        after_stuck = lanes.add(0, [_record("c")])  # waits for partition 0's batch
        after_fine = lanes.add(1, [_record("d")])  # goes on
        await _sent(producer, 3, patience=5)
        assert [(p, keys) for p, keys, _ in producer.sent[2:]] == [(1, [b"d"])]
        producer.sent[2][2].set_result(None)
        await asyncio.wait_for(after_fine, 1)
        assert not stuck.done() and not after_stuck.done()
        producer.sent[0][2].set_result(None)  # answered at last: partition 0 goes on, in order
        await _sent(producer, 4, patience=5)
        assert [(p, keys) for p, keys, _ in producer.sent[3:]] == [(0, [b"c"])]
        producer.sent[3][2].set_result(None)
        await asyncio.wait_for(asyncio.gather(stuck, after_stuck), 1)

    asyncio.run(scenario())


def test_a_deadline_already_due_is_kept_on_uvloop_too() -> None:
    """uvloop runs a timer due within half a millisecond at once, as a plain Handle."""
    async def scenario() -> None:
        producer = _Producer()
        lanes = Lanes(producer)
        now = asyncio.get_running_loop().time()
        late = lanes.add(0, [_record("a")], now - 1)  # its deadline passed on the way here
        other = lanes.add(0, [_record("b")], now + 30)
        with pytest.raises(TimeoutError, match="did not acknowledge"):
            await asyncio.wait_for(late, 1)
        await _sent(producer, 1)
        producer.sent[0][2].set_result(None)
        await asyncio.wait_for(other, 1)

    uvloop.run(scenario())
