"""A formatted field of the wrong type is a field error, never a crash (found by schemathesis)."""

from __future__ import annotations

from events.validation import default_validator


def test_a_non_string_time_is_reported_as_a_field_error() -> None:
    event = {"specversion": "1.0", "id": "0", "source": "/nodes/00", "subject": "0",
             "time": {}, "type": "gotong._._.v0", "datacontenttype": "application/json",
             "data": {}}
    errors = default_validator().errors(event)
    assert any(e.pointer == "/time" for e in errors)
