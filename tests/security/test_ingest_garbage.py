"""Issue 6, *Bad input*: at least 1,000 malformed records written straight to ``gotong.ingest``.

Real broker, real worker. Random bytes, truncated JSON, huge payloads, wrong
types, deep nesting, unknown types, spoofed sources, unsigned records, events no
node may publish, with good events between them. Checklist items covered:

- every malformed record reaches ``gotong.dead-letter`` with a reason (counted by key);
- the worker keeps processing the good events between them (each is projected).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

import orjson
import pytest

from events.signing import ATTEST_HEADER, attest
from tests.support.kafka_io import produce, read_all
from tests.support.stack import SECRET, Stack, event, uid, wait_for

pytestmark = pytest.mark.kafka

MALFORMED = 1_000
GOOD_EVERY = 50


def _kinds(node: str, other: str, proposal: str, rng: random.Random) -> list[Any]:
    """Makers of malformed values: (name, function of i -> (bytes, attested as node or None))."""
    good = event("gotong.proposal.commented.v1", proposal,
                 {"comment_id": "c", "body": "Setuju", "author": "Ani"}, node)
    raw = orjson.dumps(good)

    def with_(**changes: Any) -> bytes:
        # the standard library: orjson refuses to write nesting deeper than 255
        return json.dumps({**good, "id": uid("bad"), **changes}).encode()

    return [
        ("random bytes", lambda i: (rng.randbytes(rng.randint(1, 2000)), None)),
        ("random bytes, attested", lambda i: (rng.randbytes(rng.randint(1, 500)), node)),
        ("truncated JSON", lambda i: (raw[: rng.randint(1, len(raw) - 1)], node)),
        ("huge payload", lambda i: (with_(data={**good["data"], "body": "x" * 900_000})
                                    if i % 100 == 3 else with_(data={"body": "y" * 30_000}),
                                    node)),
        ("wrong types", lambda i: (with_(data={"comment_id": 7, "body": ["x"], "author": None}),
                                   node)),
        ("deep nesting", lambda i: (b"[" * 50_000 + b"]" * 50_000 if i % 2 else
                                    with_(data=_nested(300)), node)),
        ("unknown type", lambda i: (with_(type="gotong.proposal.liked.v1"), node)),
        ("not an object", lambda i: (orjson.dumps([good, good]), node)),
        ("spoofed source", lambda i: (with_(source=f"/nodes/{other}"), node)),
        ("unsigned, unattested", lambda i: (with_(), None)),
        ("bad signature", lambda i: (with_(signature="AAAA" * 22), None)),
        ("registers another node", lambda i: (orjson.dumps(event(
            "gotong.node.registered.v1", other, {"name": "Saya", "kind": "ngo",
                                                "public_key": "A" * 43 + "="}, node)), node)),
        ("overdue from a node", lambda i: (with_(type="gotong.action_item.overdue.v1",
                                                 data={"due_date": "2026-01-01"}), node)),
        ("time outside years 1-9999 in UTC", lambda i: (with_(time="0001-01-01T00:00:00+01:00"),
                                                        node)),
        ("empty", lambda i: (b"", None)),
    ]


def _nested(depth: int) -> dict[str, Any]:
    inner: dict[str, Any] = {"body": "x"}
    for _ in range(depth):
        inner = {"a": inner}
    return inner


def test_a_thousand_malformed_records_are_dead_lettered_and_good_events_go_on(
        stack: Stack) -> None:
    rng = random.Random(6)
    node, other = stack.node(), stack.node()
    proposal = uid("usulan")
    stack.publish(node, [event("gotong.proposal.submitted.v1", proposal, {
        "forum_id": "forum-sampah", "title": "Sampah", "body": "Bank sampah", "author": "Ani"},
        node)])
    secret = SECRET.encode()
    marker = uid("garbage")
    kinds = _kinds(node, other, proposal, rng)
    records: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]] = []
    sent: dict[bytes, str] = {}
    good_ids = []
    for i in range(MALFORMED):
        name, make = kinds[i % len(kinds)]
        value, as_node = make(i)
        key = f"{marker}-{i}".encode()
        headers = [(ATTEST_HEADER, attest(secret, as_node, value))] if as_node else []
        records.append((key, value, headers))
        sent[key] = name
        if i % GOOD_EVERY == GOOD_EVERY - 1:
            comment = event("gotong.proposal.commented.v1", proposal,
                            {"comment_id": uid("c"), "body": f"baik {i}", "author": "Budi"}, node)
            good = orjson.dumps(comment)
            records.append((proposal.encode(), good, [(ATTEST_HEADER, attest(secret, node, good))]))
            good_ids.append(comment["data"]["comment_id"])

    produce(stack.settings.bootstrap, "gotong.ingest", records)

    thread = stack.wait_json(
        f"/api/v1/proposals/{proposal}",
        lambda p: {c["comment_id"] for c in p["comments"]} >= set(good_ids), timeout=120)
    assert thread["comment_count"] == len(good_ids) == MALFORMED // GOOD_EVERY

    def lettered() -> dict[bytes, dict[str, Any]] | None:
        found = {r.key: orjson.loads(r.value)
                 for r in read_all(stack.settings.bootstrap, "gotong.dead-letter")
                 if r.key in sent}
        return found if len(found) == len(sent) else None

    letters = wait_for(lettered, 120, f"{MALFORMED} dead letters")
    reasons = Counter(sent[k] for k, letter in letters.items() if letter["reason"])
    print(f"\n{len(letters)} of {MALFORMED} malformed records dead-lettered on {stack.name}: "
          f"{dict(reasons)}")
    assert len(letters) == MALFORMED
    assert sum(reasons.values()) == MALFORMED
    for key, letter in letters.items():
        assert letter["origin"]["topic"] == "gotong.ingest"
        assert letter["origin"]["key"] == key.decode()
    by_kind = {sent[k]: letter["reason"] for k, letter in letters.items()}
    assert by_kind["truncated JSON"].startswith("not JSON")
    assert by_kind["spoofed source"].startswith("source /nodes/")
    assert by_kind["unsigned, unattested"].startswith("unauthenticated")
    assert by_kind["registers another node"].startswith("not allowed: /subject")
    assert by_kind["overdue from a node"].startswith("not allowed: /type")
    assert "/time" in by_kind["time outside years 1-9999 in UTC"]
