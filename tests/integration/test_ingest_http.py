"""``POST /api/v1/events``: every refusal is a precise 4xx/5xx problem, never a silent loss."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson
import pytest

from services.kafka_clients import partition_for
from tests.support.kafka_fixtures import free_ports
from tests.support.kafka_io import read_all
from tests.support.stack import Stack, event, uid, wait_for

pytestmark = pytest.mark.kafka


def _comment(node: str, subject: str | None = None) -> dict[str, Any]:
    return event("gotong.proposal.commented.v1", subject or uid("usulan"),
                 {"comment_id": uid("c"), "body": "Bagus", "author": "Ibu Ani"}, node)


def test_missing_or_unknown_key_is_401(stack: Stack) -> None:
    node = stack.node()
    no_key = httpx.post(f"{stack.base_url}/api/v1/events", json=_comment(node))
    assert no_key.status_code == 401
    assert no_key.headers["content-type"] == "application/problem+json"
    assert no_key.headers["www-authenticate"].startswith("Bearer")
    wrong = stack.post(node, _comment(node), key="gtk_not-a-real-key")
    assert wrong.status_code == 401 and wrong.json()["title"] == "Unknown API key"


def test_publishing_as_another_node_is_403(stack: Stack) -> None:
    mine, theirs = stack.node(), stack.node()
    response = stack.post(mine, [_comment(mine), _comment(theirs)])
    assert response.status_code == 403
    assert response.json()["errors"] == [
        {"pointer": "#/1/source", "detail": f"must be /nodes/{mine}, the key's node"}]


def test_invalid_events_are_422_naming_each_field(stack: Stack) -> None:
    node = stack.node()
    broken = _comment(node)
    del broken["data"]["author"]
    broken["data"]["extra"] = 1
    unknown = _comment(node) | {"type": "gotong.proposal.liked.v1"}
    response = stack.post(node, [_comment(node), broken, unknown])
    assert response.status_code == 422
    problem = response.json()
    assert problem["status"] == 422 and problem["type"].endswith("/invalid-event")
    pointers = [e["pointer"] for e in problem["errors"]]
    assert pointers == ["#/1/data/author", "#/1/data/extra", "#/2/type"]
    assert any("author" in e["detail"] for e in problem["errors"])
    assert any("extra" in e["detail"] for e in problem["errors"])


def test_not_json_is_400(stack: Stack) -> None:
    node = stack.node()
    response = httpx.post(f"{stack.base_url}/api/v1/events", content=b"{oops",
                          headers={"Authorization": f"Bearer {stack.keys[node]}"})
    assert response.status_code == 400 and response.json()["title"] == "Body is not JSON"


def test_too_many_events_or_bytes_is_413(stack: Stack) -> None:
    node = stack.node()
    many = stack.post(node, [_comment(node) for _ in range(501)])
    assert many.status_code == 413 and "at most 500 events" in many.json()["detail"]
    huge = _comment(node)
    huge["data"]["body"] = "x" * (1024 * 1024 + 1)
    big = stack.post(node, huge)
    assert big.status_code == 413


def test_a_batch_is_accepted_whole_with_202(stack: Stack) -> None:
    node = stack.node()
    batch = [_comment(node) for _ in range(500)]
    response = stack.post(node, batch)
    assert response.status_code == 202
    assert response.json() == {"accepted": 500, "ids": [e["id"] for e in batch]}
    # sent by the ingest lane itself: JSON, no cookie, and the headers every answer has
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    assert "set-cookie" not in response.headers and "server" not in response.headers
    for name in ("content-security-policy", "x-content-type-options", "x-frame-options",
                 "referrer-policy"):
        assert name in response.headers, name


def test_concurrent_requests_land_once_each_in_their_subjects_partition_in_order(
        stack: Stack) -> None:
    """The events of concurrent requests travel together in shared record batches: each
    lands once, in the partition Kafka's default partitioner gives its subject (where
    the worker looks for it), and a request's events of one subject in their order."""
    node = stack.node()
    requests = []
    for _ in range(24):
        subjects = [uid("usulan") for _ in range(6)]
        # five comments on each of six subjects, interleaved, plus singles
        requests.append([_comment(node, subjects[i % 6]) for i in range(30)])
    requests += [[_comment(node)] for _ in range(40)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda body: stack.post(node, body), requests))
    assert [a.status_code for a in answers] == [202] * len(requests)
    sent = {e["id"]: e for body in requests for e in body}
    subjects = {e["subject"].encode() for e in sent.values()}  # this test's own (uid)
    landed = [r for r in read_all(stack.settings.bootstrap, "gotong.ingest")
              if r.key in subjects]  # (other tests leave records of every shape there)
    ids = [orjson.loads(r.value)["id"] for r in landed]
    assert sorted(ids) == sorted(sent)  # every one, once
    partitions = stack.settings.topic_partitions
    assert all(r.partition == partition_for(r.key, partitions) for r in landed)
    for body in requests:
        for subject in {e["subject"] for e in body}:
            wanted = [e["id"] for e in body if e["subject"] == subject]
            assert [i for i in ids if i in set(wanted)] == wanted


def test_unreachable_kafka_gives_503_with_retry_after(stack: Stack) -> None:
    node = stack.node()
    dead_kafka, port = free_ports(2)
    env = stack.env | {"GOTONG_KAFKA_BOOTSTRAP": f"127.0.0.1:{dead_kafka}",
                       "GOTONG_HTTP_PORT": str(port)}
    web = subprocess.Popen([sys.executable, "-m", "services.cli", "web"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        def answers() -> bool:
            try:
                return httpx.get(f"{base}/api/v1/nodes", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(answers, 60, "the Kafka-less web process")
        response = httpx.post(f"{base}/api/v1/events", json=_comment(node), timeout=30,
                              headers={"Authorization": f"Bearer {stack.keys[node]}"})
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert "retry" in response.json()["detail"]
        health = httpx.get(f"{base}/healthz", timeout=10)
        assert health.status_code == 503 and health.json()["checks"]["kafka"] is False
    finally:
        web.terminate()
        web.wait(30)
