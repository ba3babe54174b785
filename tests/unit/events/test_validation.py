"""events/validation.py against the schemas in events/schemas/: examples, field errors."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from events.catalog import known_types
from events.validation import Validator, load_schema, quick_check

CATALOG_V1 = [
    "gotong.node.registered.v1",
    "gotong.forum.opened.v1",
    "gotong.proposal.submitted.v1",
    "gotong.proposal.commented.v1",
    "gotong.proposal.endorsed.v1",
    "gotong.proposal.status_changed.v1",
    "gotong.meeting.scheduled.v1",
    "gotong.meeting.minutes_published.v1",
    "gotong.action_item.created.v1",
    "gotong.action_item.progress_reported.v1",
    "gotong.action_item.status_changed.v1",
    "gotong.action_item.reassigned.v1",
    "gotong.action_item.overdue.v1",
    "gotong.indicator.reported.v1",
]


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def envelope_example() -> dict[str, Any]:
    example: dict[str, Any] = copy.deepcopy(load_schema("envelope")["examples"][0])
    return example


def wrapped(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    event = envelope_example()
    event["type"] = event_type
    event["subject"] = "subject-1"
    event["data"] = copy.deepcopy(data)
    return event


def type_examples() -> list[Any]:
    return [
        pytest.param(t, example, id=f"{t}[{i}]")
        for t in known_types()
        for i, example in enumerate(load_schema(t).get("examples", []))
    ]


def pointers(errors: list[Any]) -> list[str]:
    return [e.pointer for e in errors]


def test_validator_knows_every_catalog_type(validator: Validator) -> None:
    assert set(validator.types) >= set(CATALOG_V1)


@pytest.mark.parametrize("event_type", CATALOG_V1)
def test_every_catalog_type_schema_has_an_example(event_type: str) -> None:
    assert load_schema(event_type).get("examples")


def test_envelope_example_is_valid(validator: Validator) -> None:
    assert validator.errors(envelope_example()) == []


@pytest.mark.parametrize(("event_type", "example"), type_examples())
def test_type_example_is_valid_inside_an_envelope(
    validator: Validator, event_type: str, example: dict[str, Any]
) -> None:
    assert validator.errors(wrapped(event_type, example)) == []


def test_valid_event_is_valid(validator: Validator) -> None:
    assert validator.is_valid(envelope_example())


def test_missing_envelope_field_is_reported_by_name(validator: Validator) -> None:
    event = envelope_example()
    del event["subject"]

    errors = validator.errors(event)

    assert len(errors) == 1
    assert "'subject'" in errors[0].detail


def test_missing_payload_field_is_reported_under_data(validator: Validator) -> None:
    event = envelope_example()
    del event["data"]["title"]

    errors = validator.errors(event)

    assert len(errors) == 1
    assert errors[0].pointer.startswith("/data")
    assert "'title'" in errors[0].detail


def test_missing_payload_field_pointer_is_the_field_itself(validator: Validator) -> None:
    event = envelope_example()
    del event["data"]["title"]

    assert pointers(validator.errors(event)) == ["/data/title"]


def test_wrong_enum_value_is_reported_at_its_field(validator: Validator) -> None:
    event = wrapped("gotong.proposal.status_changed.v1", {"status": "approved"})

    errors = validator.errors(event)

    assert pointers(errors) == ["/data/status"]
    assert "approved" in errors[0].detail


def test_unknown_payload_field_is_reported_by_name(validator: Validator) -> None:
    event = envelope_example()
    event["data"]["colour"] = "red"

    errors = validator.errors(event)

    assert len(errors) == 1
    assert errors[0].pointer.startswith("/data")
    assert "colour" in errors[0].detail


def test_unknown_payload_field_pointer_is_the_field_itself(validator: Validator) -> None:
    event = envelope_example()
    event["data"]["colour"] = "red"

    assert pointers(validator.errors(event)) == ["/data/colour"]


def test_impossible_calendar_date_is_reported(validator: Validator) -> None:
    event = wrapped("gotong.action_item.overdue.v1", {"due_date": "2026-02-31"})

    assert pointers(validator.errors(event)) == ["/data/due_date"]


def test_time_without_offset_is_reported(validator: Validator) -> None:
    event = envelope_example()
    event["time"] = "2026-02-03T09:20:00"

    assert pointers(validator.errors(event)) == ["/time"]


def test_payload_date_time_without_offset_is_reported(validator: Validator) -> None:
    example = load_schema("gotong.meeting.scheduled.v1")["examples"][0]
    event = wrapped("gotong.meeting.scheduled.v1", {**example, "starts_at": "2026-09-17T09:00:00"})

    assert pointers(validator.errors(event)) == ["/data/starts_at"]


def test_time_with_zulu_offset_is_valid(validator: Validator) -> None:
    event = envelope_example()
    event["time"] = "2026-02-03T01:20:00Z"

    assert validator.errors(event) == []


def test_short_time_value_is_a_field_error_not_a_crash(validator: Validator) -> None:
    event = envelope_example()
    event["time"] = "T9"

    assert pointers(validator.errors(event)) == ["/time"]


@pytest.mark.parametrize("value", [[], "event", None, 42, True], ids=repr)
def test_non_object_event_is_reported_at_the_root(validator: Validator, value: Any) -> None:
    errors = validator.errors(value)

    assert pointers(errors) == [""]
    assert "JSON object" in errors[0].detail


def test_unknown_type_is_reported_at_type(validator: Validator) -> None:
    event = envelope_example()
    event["type"] = "gotong.proposal.exploded.v1"

    errors = validator.errors(event)

    assert pointers(errors) == ["/type"]
    assert "gotong.proposal.exploded.v1" in errors[0].detail


def test_every_failing_envelope_field_is_reported_at_once(validator: Validator) -> None:
    event = envelope_example()
    event["specversion"] = "0.3"
    event["source"] = "nodes/pkk"
    event["time"] = "yesterday"

    assert set(pointers(validator.errors(event))) == {"/specversion", "/source", "/time"}


def test_every_failing_payload_field_is_reported_at_once(validator: Validator) -> None:
    data = {"title": "", "owner_node_id": "Dinsos Bitung", "due_date": "2026-02-31"}
    event = wrapped("gotong.action_item.created.v1", data)

    assert set(pointers(validator.errors(event))) == {
        "/data/title",
        "/data/owner_node_id",
        "/data/due_date",
    }


def test_envelope_and_payload_errors_are_reported_together(validator: Validator) -> None:
    event = envelope_example()
    event["time"] = "2026-02-03T09:20:00"
    event["data"]["budget_estimate"] = -1

    assert set(pointers(validator.errors(event))) == {"/time", "/data/budget_estimate"}


def test_bad_evidence_url_is_reported(validator: Validator) -> None:
    event = wrapped(
        "gotong.action_item.progress_reported.v1", {"percent": 10, "evidence_url": "not a url"}
    )

    assert pointers(validator.errors(event)) == ["/data/evidence_url"]


def test_bad_evidence_url_is_reported_beside_other_errors(validator: Validator) -> None:
    event = wrapped(
        "gotong.action_item.progress_reported.v1", {"percent": 101, "evidence_url": "not a url"}
    )

    assert set(pointers(validator.errors(event))) == {"/data/percent", "/data/evidence_url"}


def test_nested_extension_attribute_is_reported(validator: Validator) -> None:
    event = envelope_example()
    event["traceparent"] = {"nested": True}

    assert pointers(validator.errors(event)) == ["/traceparent"]


def test_scalar_extension_attribute_is_valid(validator: Validator) -> None:
    event = envelope_example()
    event["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    assert validator.errors(event) == []


# -- the quick check: sure only of what is valid ----------------------------------------


def test_the_quick_check_is_sure_of_a_plain_valid_event() -> None:
    event = wrapped("gotong.proposal.commented.v1",
                    {"comment_id": "c-1", "body": "Setuju.", "author": "Pak Budi"})
    envelope = quick_check(load_schema("envelope"))
    payload = quick_check(load_schema("gotong.proposal.commented.v1"))

    assert envelope is not None and payload is not None
    assert envelope(event) and payload(event["data"])
    assert envelope(event)  # the second time from the values it remembers


@pytest.mark.parametrize(("field", "value"), [
    ("id", "abc\n"),            # Python's $ would match before the newline; JSON Schema's not
    ("id", ""),                  # minLength
    ("id", "x" * 129),           # maxLength
    ("source", "/nodes/X"),     # pattern
    ("specversion", "0.3"),      # const
    ("time", "2026-02-03"),      # format
    ("data", []),                # type
    ("signature", 5),            # type of an optional field
    ("extension", "x"),          # a field the schema does not declare: not sure
])
def test_the_quick_check_is_not_sure_of_what_it_cannot_vouch_for(
        validator: Validator, field: str, value: Any) -> None:
    event = envelope_example()
    event[field] = value
    envelope = quick_check(load_schema("envelope"))

    assert envelope is not None and not envelope(event)
    if field != "extension":
        assert validator.errors(event)  # and the compiled validator names the fault


@pytest.mark.parametrize("percent", [True, 50.0, 101, -1, "50"])
def test_the_quick_check_leaves_edge_numbers_to_the_compiled_validator(percent: Any) -> None:
    payload = quick_check(load_schema("gotong.action_item.progress_reported.v1"))

    assert payload is not None and payload({"percent": 50})
    assert not payload({"percent": percent})


def test_the_quick_check_declines_schemas_it_does_not_understand(validator: Validator) -> None:
    # minutes carry arrays of objects: only the compiled validator judges them
    assert quick_check(load_schema("gotong.meeting.minutes_published.v1")) is None
    assert quick_check({"type": "object", "properties": {"a": {"type": "string"}},
                        "minProperties": 1}) is None
    event = wrapped("gotong.meeting.minutes_published.v1",
                    load_schema("gotong.meeting.minutes_published.v1")["examples"][0])
    assert validator.errors(event) == []
