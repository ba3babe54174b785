"""The read API's query parameters: meeting time bounds and the next page's link."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request

from web.api.params import BadParameter
from web.api.reads import EARLIEST, LATEST, _int_param, _starts_bound, paged

CITY = "Asia/Makassar"  # UTC+8, no daylight saving


def _request(query: str, path: str = "/api/v1/meetings") -> Request:
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": path, "root_path": "",
                             "query_string": query.encode(), "headers": [],
                             "server": ("test", 80), "scheme": "http"}
    return Request(scope)


@pytest.mark.parametrize(("value", "end", "bound"), [
    ("2030-01-15", False, "2030-01-14T16:00:00.000000Z"),  # the city's midnight
    ("2030-01-15", True, "2030-01-15T16:00:00.000000Z"),  # the next one, exclusive
    ("2030-01-15T09:30:00%2B08:00", False, "2030-01-15T01:30:00.000000Z"),
    ("2030-01-15T01:30:00Z", True, "2030-01-15T01:30:00.000001Z"),  # the instant is in
    ("2030-01-15t01:30:00.5z", True, "2030-01-15T01:30:00.500001Z"),
    ("0001-01-01", False, EARLIEST), ("9999-12-31", True, LATEST), ("", False, None),
])
def test_a_meeting_bound_is_the_citys_day_or_the_instant(value: str, end: bool,
                                                          bound: str | None) -> None:
    assert _starts_bound(_request(f"at={value}"), "at", CITY, end=end) == bound


def test_no_bound_when_the_parameter_is_not_given() -> None:
    assert _starts_bound(_request("other=1"), "from", CITY) is None


@pytest.mark.parametrize("value", ["2030-1-15", "2030-01-15T09:30:00", "2030-02-30",
                                   "2030-01-15T25:00:00Z", "١٢٣٤-٠١-٠١", "now"])
def test_a_malformed_bound_names_its_parameter(value: str) -> None:
    with pytest.raises(BadParameter) as raised:
        _starts_bound(_request(f"to={value}"), "to", CITY, end=True)
    assert raised.value.name == "to"


@pytest.mark.parametrize(("raw", "value"), [("7", 7), ("0007", 7), ("600", 500),
                                            ("9" * 5000, 500)])
def test_a_whole_number_is_capped_at_its_maximum(raw: str, value: int) -> None:
    assert _int_param(_request(f"limit={raw}"), "limit", 50, 500) == value


@pytest.mark.parametrize("raw", ["-1", "1.5", "²", ""])
def test_anything_else_is_not_a_whole_number(raw: str) -> None:
    with pytest.raises(BadParameter):
        _int_param(_request(f"limit={raw}"), "limit", 50, 500)


def test_next_keeps_the_query_and_moves_the_offset() -> None:
    request = _request("forum=f%20a&limit=2&offset=2&forum=g")
    body = paged(request, [{}, {}], 5, 2, 2).body
    assert b'"next":"/api/v1/meetings?forum=f+a&forum=g&limit=2&offset=4"' in body


@pytest.mark.parametrize(("total", "limit", "offset"), [(4, 2, 2), (0, 50, 0), (3, 0, 0),
                                                        (3, 5, 10)])
def test_the_last_page_has_no_next(total: int, limit: int, offset: int) -> None:
    assert b'"next":null' in paged(_request(""), [], total, limit, offset).body
