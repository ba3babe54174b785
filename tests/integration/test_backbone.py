"""The event backbone end to end: HTTP ingest -> Kafka -> gate -> aggregates -> read model.

Every test runs against the real broker, real worker and web processes, once with
the read model on SQLite and once on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import time
from typing import Any

import orjson
import pytest
from sqlmodel import Session, select

from events.signing import ATTEST_HEADER, attest
from services.readmodel.tables import Forum, Indicator, NodeCredential
from tests.support.kafka_io import produce, read_all
from tests.support.stack import SECRET, Stack, event, uid, wait_for

pytestmark = pytest.mark.kafka

TODAY = dt.date.today()


def _proposal(stack: Stack, node: str, forum: str | None = None, **data: Any) -> str:
    proposal = uid("usulan")
    body = {"forum_id": forum or uid("forum"), "title": "Pelatihan menjahit",
            "body": "Pelatihan menjahit untuk ibu-ibu PKK Girian Weru.", "author": "Ibu Ani",
            **data}
    stack.publish(node, [event("gotong.proposal.submitted.v1", proposal, body, node)])
    return proposal


def _comment(node: str, proposal: str, **extra: Any) -> dict[str, Any]:
    data = {"comment_id": uid("c"), "body": "Setuju, sangat dibutuhkan.", "author": "Pak Budi"}
    return event("gotong.proposal.commented.v1", proposal, data | extra, node)


def test_every_catalog_type_reaches_the_read_model(stack: Stack) -> None:
    dinas = stack.node("government")
    pkk = stack.node("community")
    forum, proposal, meeting, item, program = (uid("forum"), uid("usulan"), uid("rapat"),
                                               uid("rtl"), uid("program"))
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat()
    stack.publish(dinas, [
        event("gotong.forum.opened.v1", forum, {"title": "Forum Ekonomi Maesa",
                                                "area": "Maesa"}, dinas),
        event("gotong.meeting.scheduled.v1", meeting, {"forum_id": forum, "title": "Musyawarah",
                                                       "starts_at": starts}, dinas),
        event("gotong.meeting.minutes_published.v1", meeting, {
            "attendees": [{"name": "Ibu Ani", "node_id": pkk}],
            "decisions": [{"text": "Pelatihan disetujui", "proposal_id": proposal}]}, dinas),
        event("gotong.program.defined.v1", program, {
            "name": "Pelatihan keterampilan", "lead_node_id": dinas,
            "indicators": [{"id": "perempuan_dilatih", "name": "Perempuan dilatih",
                            "target": 100}]}, dinas),
        event("gotong.indicator.reported.v1", program, {"indicator": "perempuan_dilatih",
                                                        "value": 25, "period": "2026-Q3"}, dinas),
    ])
    stack.publish(pkk, [
        event("gotong.proposal.submitted.v1", proposal, {
            "forum_id": forum, "title": "Pelatihan menjahit", "body": "Isi usulan",
            "author": "Ibu Ani", "budget_estimate": 15000000}, pkk),
        _comment(pkk, proposal),
        event("gotong.proposal.endorsed.v1", proposal, {"endorser": "Karang Taruna"}, pkk),
    ])
    stack.publish(dinas, [
        event("gotong.proposal.status_changed.v1", proposal, {"status": "accepted",
                                                              "reason": "Anggaran ada"}, dinas),
        event("gotong.action_item.created.v1", item, {
            "title": "Sediakan mesin jahit", "owner_node_id": dinas,
            "due_date": (TODAY - dt.timedelta(days=2)).isoformat(), "meeting_id": meeting,
            "proposal_id": proposal}, dinas),
        event("gotong.action_item.progress_reported.v1", item, {"percent": 40}, dinas),
        event("gotong.action_item.reassigned.v1", item, {"owner_node_id": pkk,
                                                         "reason": "PKK lebih dekat"}, dinas),
        event("gotong.action_item.status_changed.v1", item, {"status": "blocked",
                                                             "reason": "Menunggu dana"}, dinas),
    ])

    thread = stack.wait_json(f"/api/v1/proposals/{proposal}",
                             lambda p: p["status"] == "accepted" and p["action_items"])
    assert thread["node_id"] == pkk
    assert thread["comment_count"] == 1 and thread["endorsement_count"] == 1
    assert [h["status"] for h in thread["status_history"]] == ["open", "accepted"]
    assert thread["status_history"][-1]["reason"] == "Anggaran ada"
    commitment = stack.wait_json(
        f"/api/v1/commitments?owner={pkk}",
        lambda b: b["items"] and any(h["kind"] == "overdue" for h in b["items"][0]["history"]),
    )["items"][0]
    assert commitment["id"] == item
    assert commitment["status"] == "blocked" and commitment["percent"] == 40
    assert commitment["overdue"] is True
    kinds = [h["kind"] for h in commitment["history"]]
    assert kinds[:4] == ["created", "progress", "reassigned", "status"]
    minutes = stack.wait_json(f"/api/v1/meetings/{meeting}", lambda m: m["has_minutes"])
    assert minutes["minutes"]["decisions"][0]["proposal_id"] == proposal
    assert minutes["action_items"][0]["id"] == item
    nodes = {n["id"]: n for n in stack.get("/api/v1/nodes").json()["items"]}
    assert nodes[dinas]["kind"] == "government"
    with Session(stack.engine) as session:
        assert session.get(Forum, forum) is not None
        reported = session.exec(select(Indicator).where(Indicator.program == program)).one()
    assert (reported.indicator, reported.period, reported.value) == ("perempuan_dilatih",
                                                                     "2026-Q3", 25)


def test_same_event_id_sent_three_times_counts_once(stack: Stack) -> None:
    node = stack.node()
    proposal = _proposal(stack, node)
    comment = _comment(node, proposal)
    for _ in range(3):
        stack.publish(node, [comment])
    marker = _comment(node, proposal)
    stack.publish(node, [marker])

    thread = stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: p["comment_count"] >= 2)
    assert thread["comment_count"] == 2
    routed = [r for r in read_all(stack.settings.bootstrap, "gotong.proposals")
              if orjson.loads(r.value)["id"] == comment["id"]]
    assert len(routed) == 1


def test_two_endorsements_by_one_endorser_count_once(stack: Stack) -> None:
    node = stack.node()
    proposal = _proposal(stack, node)
    stack.publish(node, [
        event("gotong.proposal.endorsed.v1", proposal, {"endorser": "Kelompok Tani Maju"}, node),
        event("gotong.proposal.endorsed.v1", proposal, {"endorser": "kelompok  tani maju"}, node),
        event("gotong.proposal.endorsed.v1", proposal, {"endorser": "PKK Madidir"}, node),
    ])
    thread = stack.wait_json(f"/api/v1/proposals/{proposal}",
                             lambda p: p["endorsement_count"] >= 2)
    assert thread["endorsement_count"] == 2
    assert [e["endorser"] for e in thread["endorsers"]] == ["Kelompok Tani Maju", "PKK Madidir"]


def test_comment_before_its_proposal_ends_up_on_it(stack: Stack) -> None:
    node = stack.node()
    proposal = uid("usulan")
    early = _comment(node, proposal, body="Komentar yang datang lebih dulu")
    stack.publish(node, [early])
    wait_for(lambda: stack.get(f"/api/v1/proposals/{proposal}").status_code == 404, 5)
    stack.publish(node, [event("gotong.proposal.submitted.v1", proposal, {
        "forum_id": "forum-x", "title": "Usulan", "body": "Isi", "author": "Ibu Ani"}, node)])
    thread = stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: True)
    assert [c["comment_id"] for c in thread["comments"]] == [early["data"]["comment_id"]]


def test_records_keyed_other_than_by_subject_are_folded_once(stack: Stack) -> None:
    """A direct producer may use no key, another key or another partitioner."""
    node = stack.node()
    proposal = _proposal(stack, node)
    secret = SECRET.encode()
    comments = [_comment(node, proposal, body=f"Komentar {n}") for n in range(3)]
    records = []
    for key, comment in zip((None, b"kunci-lain", proposal.encode()), comments, strict=True):
        value = orjson.dumps(comment)
        records.append((key, value, [(ATTEST_HEADER, attest(secret, node, value))]))
    produce(stack.settings.bootstrap, "gotong.ingest", [*records, records[1]])

    thread = stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: p["comment_count"] >= 3)
    assert thread["comment_count"] == 3
    ids = {c["id"] for c in comments}
    routed = [r for r in read_all(stack.settings.bootstrap, "gotong.proposals")
              if orjson.loads(r.value)["id"] in ids]
    assert sorted(orjson.loads(r.value)["id"] for r in routed) == sorted(ids)
    assert {r.key for r in routed} == {proposal.encode()}
    assert len({r.partition for r in routed}) == 1


def _dead_letters(stack: Stack) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in read_all(stack.settings.bootstrap, "gotong.dead-letter")]


def test_bad_records_are_dead_lettered_with_reasons_and_the_gate_goes_on(stack: Stack) -> None:
    node = stack.node()
    other = stack.node()
    proposal = _proposal(stack, node)
    secret = SECRET.encode()

    def attested(as_node: str, value: bytes) -> list[tuple[str, bytes]]:
        return [(ATTEST_HEADER, attest(secret, as_node, value))]

    marker = uid("bad")
    not_json = f"{{not json {marker}".encode()
    invalid = orjson.dumps(event("gotong.proposal.commented.v1", proposal,
                                 {"body": "no comment_id or author"}, node, id_=f"{marker}-1"))
    unknown = orjson.dumps(event("gotong.proposal.liked.v1", proposal, {}, node,
                                 id_=f"{marker}-2"))
    spoofed = orjson.dumps(_comment(other, proposal) | {"id": f"{marker}-3"})
    unsigned = orjson.dumps(_comment(node, proposal) | {"id": f"{marker}-4"})
    good = _comment(node, proposal)
    good_raw = orjson.dumps(good)
    produce(stack.settings.bootstrap, "gotong.ingest", [
        (proposal.encode(), not_json, attested(node, not_json)),
        (proposal.encode(), invalid, attested(node, invalid)),
        (proposal.encode(), unknown, attested(node, unknown)),
        (proposal.encode(), spoofed, attested(node, spoofed)),
        (proposal.encode(), unsigned, []),
        (None, b"", []),
        (proposal.encode(), good_raw, attested(node, good_raw)),
    ])

    stack.wait_json(f"/api/v1/proposals/{proposal}",
                    lambda p: any(c["comment_id"] == good["data"]["comment_id"]
                                  for c in p["comments"]))
    def ours() -> list[dict[str, Any]] | None:
        found = [d for d in _dead_letters(stack) if marker in (d["original"] or "")]
        return found if len(found) >= 5 else None

    letters = wait_for(ours, 20, "five dead letters")
    reasons = {d["event_id"]: d["reason"] for d in letters}
    assert reasons[None].startswith("not JSON")
    assert "/data" in reasons[f"{marker}-1"] and "comment_id" in reasons[f"{marker}-1"]
    assert reasons[f"{marker}-2"].startswith("unknown event type")
    assert "does not match" in reasons[f"{marker}-3"]
    assert reasons[f"{marker}-4"].startswith("unauthenticated")
    for letter in letters:
        assert letter["origin"]["topic"] == "gotong.ingest"
        assert isinstance(letter["origin"]["offset"], int)
    assert any(d["reason"].startswith("empty record") for d in _dead_letters(stack))


def test_rebuild_gives_the_same_read_model(stack: Stack) -> None:
    node = stack.node()
    proposal = _proposal(stack, node)
    stack.publish(node, [_comment(node, proposal) for _ in range(5)])
    stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: p["comment_count"] == 5)
    before, after = stack.rebuilt()
    assert sum(len(rows) for rows in before.values()) > 0
    assert after == before


def test_worker_crash_keeps_state_and_applies_nothing_twice(stack: Stack) -> None:
    node = stack.node()
    proposal = _proposal(stack, node)
    first = [_comment(node, proposal) for _ in range(20)]
    stack.publish(node, first)
    stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: p["comment_count"] == 20)

    stack.restart_worker(signal.SIGKILL)
    second = [_comment(node, proposal) for _ in range(10)]
    stack.publish(node, first[:5] + second + first[5:10])

    thread = stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: p["comment_count"] >= 30)
    assert thread["comment_count"] == 30
    assert thread["version"] == 31  # the submission and thirty distinct comments


def test_overdue_is_published_once(stack: Stack) -> None:
    node = stack.node("government")
    item = uid("rtl")
    stack.publish(node, [event("gotong.action_item.created.v1", item, {
        "title": "Laporan posyandu", "owner_node_id": node,
        "due_date": (TODAY - dt.timedelta(days=3)).isoformat()}, node)])

    def overdue_entries() -> list[Any]:
        items = stack.get("/api/v1/commitments", owner=node).json()["items"]
        return [h for h in items[0]["history"] if h["kind"] == "overdue"] if items else []

    wait_for(overdue_entries, 30, "the overdue event")
    stack.restart_worker()
    wait_for(lambda: stack.worker_fresh(), 30)
    time.sleep(2)  # several timer rounds (GOTONG_OVERDUE_CHECK_SECONDS=0.5)
    assert len(overdue_entries()) == 1
    published = [r for r in read_all(stack.settings.bootstrap, "gotong.action-items")
                 if r.key == item.encode()
                 and orjson.loads(r.value)["type"] == "gotong.action_item.overdue.v1"]
    assert len(published) == 1


def test_commitments_report_overdue_before_the_timer_fires(stack: Stack) -> None:
    node = stack.node("ngo")
    late, future, done = uid("rtl"), uid("rtl"), uid("rtl")
    past = (TODAY - dt.timedelta(days=1)).isoformat()
    stack.publish(node, [
        event("gotong.action_item.created.v1", late, {"title": "A", "owner_node_id": node,
                                                      "due_date": past}, node),
        event("gotong.action_item.created.v1", future, {
            "title": "B", "owner_node_id": node,
            "due_date": (TODAY + dt.timedelta(days=9)).isoformat()}, node),
        event("gotong.action_item.created.v1", done, {"title": "C", "owner_node_id": node,
                                                      "due_date": past}, node),
        event("gotong.action_item.status_changed.v1", done, {"status": "done"}, node),
    ])
    # wait for the last event too: three rows can be there before `done` is closed
    body = stack.wait_json(f"/api/v1/commitments?owner={node}", lambda b: b["total"] == 3 and any(
        i["id"] == done and i["status"] == "done" for i in b["items"]))
    overdue = {i["id"]: i["overdue"] for i in body["items"]}
    assert overdue == {late: True, future: False, done: False}
    only_late = stack.get("/api/v1/commitments", owner=node, overdue="true").json()
    assert [i["id"] for i in only_late["items"]] == [late]


def test_node_add_prints_the_key_last_and_stores_only_its_hash(stack: Stack) -> None:
    node_id = uid("lsm")
    done = stack.cli("node", "add", node_id, "--kind", "ngo", "--name", "LSM Peduli Bitung")
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    assert key.startswith("gtk_")
    with Session(stack.engine) as session:
        cred = session.exec(select(NodeCredential).where(NodeCredential.node_id == node_id)).one()
    assert key not in cred.model_dump_json()
    again = stack.cli("node", "add", node_id, "--kind", "ngo", "--name", "LSM Peduli Bitung")
    assert again.returncode != 0 and "already has an API key" in again.stderr
    stack.wait_json("/api/v1/nodes", lambda b: any(n["id"] == node_id for n in b["items"]))


def test_publish_cli_reports_file_and_line_and_publishes_nothing_on_error(
    stack: Stack, tmp_path: Any
) -> None:
    node = stack.node()
    proposal = uid("usulan")
    good = event("gotong.proposal.submitted.v1", proposal, {
        "forum_id": "f", "title": "T", "body": "B", "author": "A"}, node)
    bad = event("gotong.proposal.endorsed.v1", proposal, {"note": "no endorser"}, node)
    path = tmp_path / "events.ndjson"
    path.write_text(json.dumps(good) + "\n\n" + json.dumps(bad) + "\n")
    failed = stack.cli("publish", str(path), "--node", node)
    assert failed.returncode == 1
    assert f"{path}:3: /data/endorser: 'endorser' is required" in failed.stderr
    path.write_text(json.dumps(good) + "\n")
    done = stack.cli("publish", str(path), "--node", node)
    assert done.returncode == 0, done.stderr
    stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: True)


def test_healthz_is_ok_when_kafka_worker_and_database_answer(stack: Stack) -> None:
    response = stack.get("/healthz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert isinstance(checks.pop("lag"), int)
    assert checks | {"worker_heartbeat_age_s": 0} == {
        "kafka": True, "database": True, "worker": True, "worker_heartbeat_age_s": 0}


def _metrics(url: str) -> dict[str, float]:
    from services.bench.common import scrape

    return {name + "{" + ",".join(f"{k}={v}" for k, v in sorted(labels.items())) + "}": value
            for name, labels, value in scrape(url)}


def test_the_worker_counts_what_it_folds_and_reports_its_lag(stack: Stack) -> None:
    before = _metrics(stack.metrics_url)
    node = stack.node()
    proposal = _proposal(stack, node)
    stack.publish(node, [_comment(node, proposal) for _ in range(3)])
    stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: p["comment_count"] == 3)
    commented = "gotong_events_folded_total{type=gotong.proposal.commented.v1}"
    after = wait_for(lambda: (m := _metrics(stack.metrics_url)).get(commented, 0)
                     - before.get(commented, 0) >= 3 and m, 10, "the folded count")
    latency = "gotong_publish_to_projection_seconds_count{}"
    assert after[latency] - before.get(latency, 0) >= 4  # the submission and the comments
    lags = [name for name in after if name.startswith("gotong_consumer_lag{")]
    assert len(lags) == stack.settings.topic_partitions  # one worker: every partition
    assert all("topic=gotong.ingest" in name for name in lags)
    assert after["process_resident_memory_bytes{}"] > 0


def test_healthz_says_degraded_while_the_workers_are_behind(stack: Stack) -> None:
    from services.readmodel.tables import WorkerHeartbeat

    worker_id = uid("lagging-worker")
    with Session(stack.engine) as session:
        session.add(WorkerHeartbeat(worker_id=worker_id, seen_at=time.time(), lag=10**7))
        session.commit()
    try:
        response = stack.get("/healthz")
        assert response.status_code == 200
        assert response.json()["status"] == "degraded"
        assert response.json()["checks"]["lag"] >= 10**7
    finally:
        with Session(stack.engine) as session:
            row = session.get(WorkerHeartbeat, worker_id)
            session.delete(row)
            session.commit()
    assert stack.get("/healthz").json()["status"] == "ok"
