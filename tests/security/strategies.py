"""Hypothesis strategies drawn from the event contracts themselves (events/schemas/).

``payload(type)`` generates data valid against the type's JSON Schema, for the
subset of JSON Schema the catalog uses (checked by test_properties: a schema
with another keyword fails loudly instead of being generated wrongly).
``event(type, subject)`` wraps it in a CloudEvents envelope; ``json_values`` is
any JSON value, for the garbage side.
"""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

from hypothesis import strategies as st

from events.validation import load_schema

SUPPORTED = {"type", "properties", "required", "additionalProperties", "minLength",
             "maxLength", "pattern", "format", "enum", "items", "minItems", "maxItems",
             "uniqueItems", "minimum", "maximum", "$schema", "$id", "title", "description",
             "examples", "$comment"}

SLUG = "^[a-z0-9][a-z0-9-]{1,62}$"


def unsupported_keywords(schema: Any) -> set[str]:
    if isinstance(schema, list):
        return set().union(*(unsupported_keywords(s) for s in schema)) if schema else set()
    if not isinstance(schema, dict):
        return set()
    found = set(schema) - SUPPORTED
    for key, value in schema.items():
        if key == "properties":
            found |= set().union(*(unsupported_keywords(v) for v in value.values()))
        elif key in ("items", "additionalProperties"):
            found |= unsupported_keywords(value)
    return found


def _offset() -> st.SearchStrategy[str]:
    zulu = st.sampled_from(["Z", "z", "+00:00"])
    minutes = st.integers(-14 * 60, 14 * 60).map(
        lambda m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}")
    return st.one_of(zulu, minutes)


@st.composite
def date_times(draw: st.DrawFn, low: dt.datetime = dt.datetime(1, 1, 1),
               high: dt.datetime = dt.datetime(9999, 12, 31, 23, 59, 59)) -> str:
    """RFC 3339 date-times as publishers write them: any offset, fraction, case of T/Z."""
    moment = draw(st.datetimes(min_value=low, max_value=high))
    fraction = draw(st.sampled_from(["", ".5", ".123", ".123456", ".123456789"]))
    sep = draw(st.sampled_from(["T", "t"]))
    return f"{moment:%Y-%m-%d}{sep}{moment:%H:%M:%S}{fraction}{draw(_offset())}"


def _uris() -> st.SearchStrategy[str]:
    host = st.from_regex(r"\A[a-z][a-z0-9-]{0,20}(\.[a-z]{2,6}){1,2}\Z")
    path = st.text(string.ascii_letters + string.digits + "/-_.~%", max_size=40)
    return st.builds(lambda s, h, p: f"{s}://{h}/{p}", st.sampled_from(["http", "https"]),
                     host, path)


_FORMATS: dict[str, st.SearchStrategy[str]] = {
    "date-time": date_times(),
    "date": st.dates(min_value=dt.date(1, 1, 1)).map(lambda d: d.isoformat()),
    "uri": _uris(),
}


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = schema.get("minLength", 0), schema.get("maxLength", 60)
    if "format" in schema:
        return _FORMATS[schema["format"]]
    if "pattern" in schema:
        return st.from_regex(schema["pattern"]).filter(lambda s: low <= len(s) <= high)
    # any text, control characters and markup included: the renderers must cope
    return st.text(min_size=low, max_size=min(high, 80))


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        return _string(schema)
    if kind in ("number", "integer"):
        low, high = schema.get("minimum"), schema.get("maximum")
        ints = st.integers(min_value=low, max_value=high)
        if kind == "integer":
            return ints
        floats = st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)
        return st.one_of(ints.filter(lambda n: abs(n) < 2**63), floats)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(from_schema(schema["items"]), min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", 5), 5),
                        unique=bool(schema.get("uniqueItems")))
    if kind == "object":
        required = schema.get("required", [])
        properties = schema.get("properties", {})
        optional = {k: v for k, v in properties.items() if k not in required}
        return st.fixed_dictionaries(
            {k: from_schema(properties[k]) for k in required},
            optional={k: from_schema(v) for k, v in optional.items()})
    raise AssertionError(f"no strategy for {schema!r}")


def payload(event_type: str) -> st.SearchStrategy[dict[str, Any]]:
    return from_schema(load_schema(event_type))


ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{0,40}\Z")
nodes = st.from_regex(r"\A[a-z0-9][a-z0-9-]{1,20}\Z")


@st.composite
def event(draw: st.DrawFn, event_type: str, subject: str | None = None,
          node: str | None = None, times: st.SearchStrategy[str] | None = None
          ) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": draw(ids),
        "source": f"/nodes/{node or draw(nodes)}",
        "type": event_type,
        "subject": subject or draw(ids),
        "time": draw(times if times is not None else date_times()),
        "datacontenttype": "application/json",
        "data": draw(payload(event_type)),
    }


# times of this century: for logs whose every event must be valid (the extremes are
# the fold test's business, and most of them would be rejected there)
recent = date_times(dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1))

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(st.text(max_size=10), inner, max_size=5)),
    max_leaves=20)
