"""services/pipeline/gate.py with events/signing.py: who may put what on the typed topics."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable, Mapping
from typing import Any

import nacl.signing
import orjson
import pytest

from events.signing import ATTEST_HEADER, attest, sign
from events.validation import FieldError, Validator, load_schema
from services.pipeline.gate import Accepted, Rejected, dead_letter, judge

SECRET = b"service-secret"
NODE = "pkk-bitung-tengah"
ORIGIN = {"topic": "gotong.ingest", "partition": 3, "offset": 1207}


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


@pytest.fixture(scope="module")
def signing_key() -> nacl.signing.SigningKey:
    return nacl.signing.SigningKey.generate()


def proposal(node: str = NODE) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(load_schema("envelope")["examples"][0])
    event["source"] = f"/nodes/{node}"
    return event


def attested(raw: bytes, node: str = NODE, secret: bytes = SECRET) -> dict[str, bytes]:
    return {ATTEST_HEADER: attest(secret, node, raw)}


def no_keys(node: str) -> str | None:
    return None


def keys_of(key: nacl.signing.SigningKey, node: str = NODE) -> Callable[[str], str | None]:
    registered = {node: base64.b64encode(bytes(key.verify_key)).decode()}
    return registered.get


def run(
    validator: Validator,
    raw: bytes | None,
    headers: Mapping[str, bytes] | None = None,
    public_key_for: Callable[[str], str | None] = no_keys,
) -> Accepted | Rejected:
    return judge(raw, headers or {}, validator=validator, secret=SECRET,
                 public_key_for=public_key_for)


def rejection(verdict: Accepted | Rejected) -> Rejected:
    assert isinstance(verdict, Rejected), verdict
    return verdict


def signed_raw(key: nacl.signing.SigningKey, event: dict[str, Any]) -> bytes:
    return orjson.dumps({**event, "signature": sign(event, key)})


def test_attested_event_is_accepted_for_its_typed_topic(validator: Validator) -> None:
    raw = orjson.dumps(proposal())

    verdict = run(validator, raw, attested(raw))

    assert isinstance(verdict, Accepted)
    assert (verdict.topic, verdict.node) == ("gotong.proposals", NODE)


def test_accepted_event_is_keyed_by_subject(validator: Validator) -> None:
    raw = orjson.dumps(proposal())

    verdict = run(validator, raw, attested(raw))

    assert isinstance(verdict, Accepted)
    assert verdict.key == b"usulan-pelatihan-menjahit-bitung-tengah"


def test_not_json_is_rejected(validator: Validator) -> None:
    assert rejection(run(validator, b"{not json")).reason.startswith("not JSON")


@pytest.mark.parametrize("raw", [b"", None])
def test_empty_record_is_rejected(validator: Validator, raw: bytes | None) -> None:
    assert "empty" in rejection(run(validator, raw)).reason


def test_schema_invalid_event_is_rejected_with_its_field_errors(validator: Validator) -> None:
    event = proposal()
    del event["data"]["author"]
    raw = orjson.dumps(event)

    rejected = rejection(run(validator, raw, attested(raw)))

    assert rejected.reason.startswith("not a valid event")
    assert "'author'" in rejected.reason
    assert rejected.event_id == event["id"]


def test_unknown_type_is_rejected_as_unknown(validator: Validator) -> None:
    event = proposal()
    event["type"] = "gotong.proposal.exploded.v1"
    raw = orjson.dumps(event)

    rejected = rejection(run(validator, raw, attested(raw)))

    assert rejected.reason.startswith("unknown event type")
    assert [e.pointer for e in rejected.errors] == ["/type"]


def test_event_without_attestation_or_signature_is_rejected(validator: Validator) -> None:
    assert rejection(run(validator, orjson.dumps(proposal()))).reason.startswith(
        "unauthenticated")


def test_attestation_made_with_another_secret_is_rejected(validator: Validator) -> None:
    raw = orjson.dumps(proposal())

    rejected = rejection(run(validator, raw, attested(raw, secret=b"guessed")))

    assert "attestation" in rejected.reason


def test_attestation_of_other_bytes_is_rejected(validator: Validator) -> None:
    raw = orjson.dumps(proposal())
    header = attested(orjson.dumps({**proposal(), "id": "other-event"}))

    assert "attestation" in rejection(run(validator, raw, header)).reason


def test_attested_node_spoofing_another_source_is_rejected(validator: Validator) -> None:
    raw = orjson.dumps(proposal(node="dinsos-bitung"))

    rejected = rejection(run(validator, raw, attested(raw, node=NODE)))

    assert "source" in rejected.reason
    assert rejected.errors == [FieldError("/source", f"must be /nodes/{NODE}")]


def test_signed_event_is_accepted_with_its_nodes_key(
    validator: Validator, signing_key: nacl.signing.SigningKey
) -> None:
    raw = signed_raw(signing_key, proposal())

    verdict = run(validator, raw, public_key_for=keys_of(signing_key))

    assert isinstance(verdict, Accepted)
    assert verdict.node == NODE


def test_tampered_signed_event_is_rejected(
    validator: Validator, signing_key: nacl.signing.SigningKey
) -> None:
    signed = orjson.loads(signed_raw(signing_key, proposal()))
    signed["data"]["budget_estimate"] = 450000000

    rejected = rejection(run(validator, orjson.dumps(signed), public_key_for=keys_of(signing_key)))

    assert "bad signature" in rejected.reason


def test_event_signed_with_another_nodes_key_is_rejected(
    validator: Validator, signing_key: nacl.signing.SigningKey
) -> None:
    raw = signed_raw(nacl.signing.SigningKey.generate(), proposal())

    assert "bad signature" in rejection(
        run(validator, raw, public_key_for=keys_of(signing_key))).reason


def test_signed_event_of_a_node_without_a_key_is_rejected(
    validator: Validator, signing_key: nacl.signing.SigningKey
) -> None:
    raw = signed_raw(signing_key, proposal())

    rejected = rejection(run(validator, raw, public_key_for=no_keys))

    assert "no registered public key" in rejected.reason


def test_short_time_value_is_rejected_not_raised(validator: Validator) -> None:
    event = proposal()
    event["time"] = "T9"
    raw = orjson.dumps(event)

    assert isinstance(run(validator, raw, attested(raw)), Rejected)


def test_dead_letter_keeps_the_original_text_reason_and_origin() -> None:
    raw = b'{"id": "x"}'

    record = orjson.loads(dead_letter(Rejected("not a valid event: x"), raw, origin=ORIGIN,
                                      received_at="2026-03-01T01:00:00Z"))

    assert record["original"] == '{"id": "x"}'
    assert record["original_base64"] is None
    assert record["reason"] == "not a valid event: x"
    assert record["origin"] == ORIGIN
    assert record["truncated"] is False


def test_dead_letter_keeps_non_utf8_bytes_as_base64() -> None:
    raw = b"\xff\xfe\x00garbage"

    record = orjson.loads(dead_letter(Rejected("not JSON"), raw, origin=ORIGIN, received_at="t"))

    assert record["original"] is None
    assert base64.b64decode(record["original_base64"]) == raw


def test_dead_letter_keeps_field_errors_as_json_pointers() -> None:
    rejected = Rejected("bad", [FieldError("/data/title", "'title' is required")], "ev-1")

    record = orjson.loads(dead_letter(rejected, b"{}", origin=ORIGIN, received_at="t"))

    assert record["errors"] == [{"pointer": "#/data/title", "detail": "'title' is required"}]
    assert record["event_id"] == "ev-1"


def test_dead_letter_truncates_huge_input() -> None:
    raw = b"x" * 5000

    record = orjson.loads(dead_letter(Rejected("too big"), raw, origin=ORIGIN, received_at="t",
                                      max_original=1024))

    assert record["truncated"] is True
    assert record["original"] == "x" * 1024
    assert record["original_size"] == 5000


def test_dead_letter_of_an_empty_record_is_empty_text() -> None:
    record = orjson.loads(dead_letter(Rejected("empty"), None, origin=ORIGIN, received_at="t"))

    assert (record["original"], record["original_size"], record["truncated"]) == ("", 0, False)


def test_the_overdue_event_is_accepted_from_the_service_alone(validator: Validator) -> None:
    from services.pipeline.overdue import overdue_event

    from_service = orjson.dumps(overdue_event("aksi-42", "2026-01-31"))
    verdict = run(validator, from_service, attested(from_service, "gotong"))
    assert isinstance(verdict, Accepted), verdict
    assert verdict.topic == "gotong.action-items"

    forged = orjson.dumps(overdue_event("aksi-42", "2026-01-31")
                          | {"source": f"/nodes/{NODE}"})
    verdict = run(validator, forged, attested(forged))
    assert isinstance(verdict, Rejected)
    assert verdict.reason.startswith("not allowed")
