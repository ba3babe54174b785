"""services/pipeline/fold.py: what a batch of ingest records does, decided without Kafka."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2
from hypothesis import given
from hypothesis import strategies as st

from events.catalog import REFUSED_HEADER
from events.validation import Validator
from services.bench.workload import generate
from services.domain.base import State, new_state
from services.kafka_clients import murmur2, partition_for
from services.pipeline.fold import Folded, fold_batch
from services.pipeline.gate import Accepted, Rejected, judge
from services.readmodel.db import group_rows, merge_rows
from tests.support.records import (
    OTHER,
    OWNER,
    PARTITIONS,
    SECRET,
    Record,
    event,
    item,
    progress,
    record,
)


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


class Folder:
    """fold_batch over in-memory states, as the ingest agent over its tables."""

    def __init__(self, validator: Validator) -> None:
        self.validator = validator
        self.states: dict[tuple[str, str], State] = {}

    def judge(self, rec: Any) -> Accepted | Rejected:
        headers = dict(rec.headers)
        return judge(rec.value, headers, validator=self.validator, secret=SECRET,
                     public_key_for=lambda node: None)

    def load(self, aggregate: str, subject: str, partition: int) -> tuple[State, set[str]]:
        assert partition == partition_for(subject.encode(), PARTITIONS)
        state = self.states.setdefault((aggregate, subject), new_state(subject))
        return state, set(state["applied"])

    def __call__(self, *records: Record) -> Folded:
        return fold_batch(list(records), judge=self.judge, load=self.load,
                          partitions=PARTITIONS)


@pytest.fixture
def fold(validator: Validator) -> Folder:
    return Folder(validator)


@pytest.mark.parametrize("key", [b"21", b"foobar", b"usulan-pelatihan-menjahit", b"rtl-42"])
def test_the_partition_of_a_key_is_kafkas_default(key: bytes) -> None:
    expected = DefaultPartitioner()(key, list(range(PARTITIONS)), list(range(PARTITIONS)))
    assert partition_for(key, PARTITIONS) == expected
    assert partition_for(key, PARTITIONS) == partition_for(key, PARTITIONS)  # from the cache


@given(st.binary(max_size=80))
def test_murmur2_is_kafkas_for_every_key(key: bytes) -> None:
    # every length modulo 4 (the tail's three cases), high bytes, the empty key
    assert murmur2(key) == aiokafka_murmur2(key)


def test_events_go_to_their_typed_topic_in_log_order_keyed_by_subject(fold: Folder) -> None:
    created, reported = item(), progress("rtl-posyandu", 40)
    out = fold(record(created, offset=1), record(reported, offset=2))
    assert [(t.topic, t.key, orjson.loads(t.value)["id"]) for t in out.typed] == [
        ("gotong.action-items", b"rtl-posyandu", created["id"]),
        ("gotong.action-items", b"rtl-posyandu", reported["id"])]
    assert out.typed[0].value == record(created).value  # the bytes as they came
    state = fold.states[("action_item", "rtl-posyandu")]
    assert (state["percent"], state["version"]) == (40, 2)
    assert [c.folded for c in out.changed.values()] == [True]
    assert not out.dead and not out.misrouted


def test_a_duplicate_changes_nothing_in_the_batch_or_after_it(fold: Folder) -> None:
    created = item()
    first = fold(record(created), record(created))
    assert (len(first.typed), first.duplicates) == (1, 1)
    again = fold(record(created, offset=9))
    assert (again.typed, again.accepted, again.duplicates) == ([], [], 1)
    # written again all the same: the store may be ahead of the changelog after a crash
    assert [c.folded for c in again.changed.values()] == [False]
    assert list(again.rows()) == []
    assert fold.states[("action_item", "rtl-posyandu")]["version"] == 1


def test_a_bad_record_is_dead_lettered_with_its_reason_and_the_batch_goes_on(
    fold: Folder,
) -> None:
    created = item()
    spoofed = record(progress("rtl-posyandu", 10, node=OTHER), node=OWNER)
    out = fold(Record(b"{not json", b"k", 0), spoofed, record(created))
    reasons = [d.rejected.reason for d in out.dead]
    assert reasons[0].startswith("not JSON")
    assert reasons[1] == ("source /nodes/pkk-girian-weru does not match the authenticated "
                          "node 'dinsos-bitung'")
    assert out.dead[0].raw == b"{not json" and out.dead[1].record is spoofed
    assert len(out.typed) == 1


def test_a_record_in_a_partition_that_does_not_own_its_subject_goes_back_to_ingest(
    fold: Folder,
) -> None:
    created = item()
    home = partition_for(b"rtl-posyandu", PARTITIONS)
    stray = record(created, partition=(home + 1) % PARTITIONS)
    out = fold(stray)
    assert [(m.key, m.partition, m.record) for m in out.misrouted] == [
        (b"rtl-posyandu", home, stray)]
    assert not out.typed and not out.changed and not fold.states


def test_a_refused_event_is_dead_lettered_and_kept_in_the_log_as_applied(fold: Folder) -> None:
    fold(record(item()))
    foreign = progress("rtl-posyandu", 90, node=OTHER)
    out = fold(record(foreign, offset=5))
    assert out.refused == 1
    [letter] = out.dead
    assert letter.rejected.reason.startswith("not allowed: only the owner node")
    assert letter.rejected.event_id == foreign["id"] and letter.raw == record(foreign).value
    # in the typed log too, so that a rebuild refuses it again and counts the same versions,
    # marked refused for whoever tells people what happened (the notifier skips it)
    assert [orjson.loads(t.value)["id"] for t in out.typed] == [foreign["id"]]
    assert out.typed[0].headers == ((REFUSED_HEADER, b"1"),)
    assert out.refused_ids == {foreign["id"]}  # what webhooks are not sent
    state = fold.states[("action_item", "rtl-posyandu")]
    assert state["percent"] == 0 and state["version"] == 2
    assert fold(record(foreign, offset=6)).duplicates == 1  # its redelivery: nothing
    assert fold(record(progress("rtl-posyandu", 20), offset=7)).typed[0].headers == ()


def test_an_event_held_before_its_aggregate_is_refused_with_its_own_bytes(fold: Folder) -> None:
    early = progress("rtl-posyandu", 30, node=OTHER)
    held = fold(record(early, offset=1))
    assert not held.dead and len(held.typed) == 1  # held: judged when the item exists
    out = fold(record(item(), offset=2))
    [letter] = out.dead
    assert letter.rejected.event_id == early["id"]
    assert orjson.loads(letter.raw or b"")["id"] == early["id"]
    assert fold.states[("action_item", "rtl-posyandu")]["percent"] == 0


def test_every_folded_event_is_reported_with_its_records_time(fold: Folder) -> None:
    out = fold(record(item()))
    [(evt, stamp)] = out.accepted
    assert evt["subject"] == "rtl-posyandu" and stamp == 1_764_500_000.0
    [rows] = list(out.rows())
    assert rows["action_items"][0]["id"] == "rtl-posyandu"


def test_a_batch_writes_the_comments_it_added_and_those_held_before_the_thread(
    fold: Folder,
) -> None:
    thread = "usulan-pasar-ikan"

    def comment(n: int) -> dict[str, Any]:
        return event("gotong.proposal.commented.v1", thread,
                     {"comment_id": f"k-{n}", "body": f"Komentar {n}", "author": "Ibu Ani"},
                     id_=f"e-k-{n}")

    submitted = event("gotong.proposal.submitted.v1", thread, {
        "forum_id": "forum-x", "title": "Pasar ikan", "body": "Isi", "author": "Ibu Ani"})
    early = fold(record(comment(1)))
    assert list(early.rows()) == [{}]  # no thread yet: no rows
    first = fold(record(submitted), record(comment(2)))
    [rows] = first.rows()
    assert [r["comment_id"] for r in rows["proposal_comments"]] == ["k-1", "k-2"]
    second = fold(record(comment(3)))
    [rows] = second.rows()
    assert [(r["comment_id"], r["seq"]) for r in rows["proposal_comments"]] == [("k-3", 3)]
    assert rows["proposals"][0]["comment_count"] == 3


def test_a_batchs_rows_share_no_primary_key_so_grouping_them_is_merging_them(
    fold: Folder,
) -> None:
    """The ingest agent groups a batch's rows by table without keying them: each changed
    state is in the batch once, and each table is one aggregate's."""
    events = generate(1500, "rows")
    folded = fold(*(record(e, offset=n, node=e["source"].removeprefix("/nodes/"))
                    for n, e in enumerate(events)))
    assert len(folded.accepted) > 1000
    parts = list(folded.rows())
    assert group_rows(parts) == merge_rows(parts)


def test_every_held_event_a_creation_refuses_gets_its_dead_letter(fold: Folder) -> None:
    """Sixty reports from a node that does not own the item arrive before the item: its
    creation refuses them all at once, and each is dead-lettered (50 were, before)."""
    early = [progress("rtl-held", n % 101, node=OTHER, id_=f"held-{n}") for n in range(60)]
    fold(*(record(e, offset=n) for n, e in enumerate(early)))
    folded = fold(record(item("rtl-held"), offset=60))
    assert sorted(d.rejected.event_id or "" for d in folded.dead) == sorted(
        e["id"] for e in early)
    assert folded.refused == 60


# -- the convener of a proposal's forum, handed to the fold and kept in the typed log ----

CONVENER = "bappeda-bitung"


def _forum(node: str = CONVENER) -> dict[str, Any]:
    return event("gotong.forum.opened.v1", "forum-maesa", {"title": "Forum Maesa"}, node=node)


def _submitted(node: str = OTHER) -> dict[str, Any]:
    return event("gotong.proposal.submitted.v1", "usulan-jahit", {
        "forum_id": "forum-maesa", "title": "Menjahit", "body": "Isi", "author": "Ibu Ani"},
        node=node)


def _status(value: str, node: str) -> dict[str, Any]:
    return event("gotong.proposal.status_changed.v1", "usulan-jahit", {"status": value},
                 node=node, id_=f"status-{value}-{node}")


def _fold_with(folder: Folder, conveners: dict[str, str], *records: Record) -> Folded:
    return fold_batch(list(records), judge=folder.judge, load=folder.load,
                      partitions=PARTITIONS, convener_of=conveners.get)


def test_the_convener_is_stamped_on_the_submission_and_judges_its_status(
        fold: Folder) -> None:
    submitted, accepted, foreign = _submitted(), _status("accepted", CONVENER), \
        _status("rejected", OWNER)
    out = _fold_with(fold, {"forum-maesa": CONVENER}, record(submitted), record(accepted),
                     record(foreign))
    headers = {orjson.loads(t.value)["id"]: t.headers for t in out.typed}
    assert headers[submitted["id"]] == (("gotong-convener", CONVENER.encode()),)
    # the state knows it from then on; what its rule judges carries it all the same, so
    # that a judged record without it is known to be one from before the rule
    assert headers[accepted["id"]] == (("gotong-convener", CONVENER.encode()),)
    state = fold.states[("proposal", "usulan-jahit")]
    assert state["convener"] == CONVENER and state["status"] == "accepted"
    assert [d.rejected.event_id for d in out.dead] == [foreign["id"]]
    assert "only the node that convened its forum" in out.dead[0].rejected.reason
    assert orjson.loads(out.typed[0].value) == submitted  # the event's bytes, unchanged


def test_a_forum_opened_in_the_same_batch_is_known_whatever_its_partition(
        fold: Folder) -> None:
    # the proposal's record comes first in the batch (another partition, fetched first)
    out = _fold_with(fold, {}, record(_submitted()), record(_forum()),
                     record(_status("accepted", CONVENER)))
    assert fold.states[("proposal", "usulan-jahit")]["status"] == "accepted"
    assert not out.dead


def test_an_unknown_forum_stamps_nothing_and_only_the_service_decides(fold: Folder) -> None:
    out = _fold_with(fold, {}, record(_submitted()), record(_status("accepted", CONVENER)))
    assert [t.headers for t in out.typed] == [
        (), (("gotong-convener", b""), (REFUSED_HEADER, b"1"))]  # judged: not known
    assert len(out.dead) == 1 and "not known here yet" in out.dead[0].rejected.reason


def test_the_rebuild_reads_the_convener_from_the_header() -> None:
    from services.domain import proposals
    from services.pipeline.fold import with_convener_header

    evt = with_convener_header(dict(_submitted()), [("gotong-convener", CONVENER.encode())])
    assert evt[proposals.CONVENER] == CONVENER
    assert proposals.CONVENER not in with_convener_header(dict(_submitted()), [("x", b"y")])
    unknown = with_convener_header(dict(_status("accepted", OWNER)), [("gotong-convener", b"")])
    assert unknown[proposals.CONVENER] == "" and proposals.BEFORE_CONVENERS not in unknown


def test_the_rebuild_judges_a_status_change_from_before_the_rule_as_it_was_judged() -> None:
    """A typed record written before the convener's rule carries no convener header: any
    node changed a status then, and the rebuild keeps what the worker kept."""
    from services.domain import proposals
    from services.domain.base import judged
    from services.pipeline.fold import with_convener_header

    old = [with_convener_header(dict(e), ()) for e in (_submitted(), _status("accepted", OWNER))]
    state, refused = judged(proposals.fold, old)
    assert refused == [] and state is not None and state["status"] == "accepted"
    new = with_convener_header(dict(_status("rejected", OWNER)), [("gotong-convener", b"")])
    state, refused = judged(proposals.fold, [*old, new])
    assert len(refused) == 1 and state is not None and state["status"] == "accepted"


def test_a_held_refused_event_is_dead_lettered_without_the_convener(fold: Folder) -> None:
    early = _status("rejected", OWNER)
    first = _fold_with(fold, {}, record(early))
    assert not first.dead  # held until the proposal exists
    out = _fold_with(fold, {"forum-maesa": CONVENER}, record(_submitted(), offset=5))
    (letter,) = out.dead
    assert letter.rejected.event_id == early["id"]
    assert orjson.loads(letter.raw or b"") == early
