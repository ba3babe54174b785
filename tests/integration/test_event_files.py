"""events/files.py: event files for ``gotong publish``, every error as file:line."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from events.files import EventFileError, Located, check_events, read_events
from events.validation import Validator, load_schema

NODE = "pkk-bitung-tengah"


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def proposal(event_id: str = "ev-1", **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(load_schema("envelope")["examples"][0])
    event["id"] = event_id
    event.update(changes)
    return event


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(call: Any, *args: Any) -> list[str]:
    with pytest.raises(EventFileError) as caught:
        call(*args)
    return caught.value.problems


def test_ndjson_events_carry_their_line_numbers_skipping_blank_lines(tmp_path: Path) -> None:
    text = "\n" + json.dumps(proposal("a")) + "\n\n" + json.dumps(proposal("b")) + "\n"
    path = write(tmp_path, "events.ndjson", text)

    located = read_events(path)

    assert [(item.line, item.event["id"]) for item in located] == [(2, "a"), (4, "b")]


def test_json_single_object_is_one_event_on_its_first_line(tmp_path: Path) -> None:
    path = write(tmp_path, "event.json", "\n\n" + json.dumps(proposal("a"), indent=2))

    assert read_events(path) == [Located(3, proposal("a"))]


def test_json_array_events_carry_the_line_each_starts_on(tmp_path: Path) -> None:
    first = json.dumps(proposal("a"), indent=2)
    text = "[\n" + first + ",\n\n" + json.dumps(proposal("b"), indent=2) + "\n]\n"
    path = write(tmp_path, "events.json", text)

    located = read_events(path)

    assert [(item.line, item.event["id"]) for item in located] == [
        (2, "a"),
        (2 + first.count("\n") + 2, "b"),
    ]


def test_json_array_on_one_line_is_all_line_one(tmp_path: Path) -> None:
    path = write(tmp_path, "events.json", json.dumps([proposal("a"), proposal("b")]))

    assert [item.line for item in read_events(path)] == [1, 1]


def test_empty_json_array_has_no_events(tmp_path: Path) -> None:
    assert read_events(write(tmp_path, "events.json", "[ ]\n")) == []


def test_json_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "events.json", '[\n{"id": "a"},\n{"id": "b",}\n]\n')

    assert [p.split(": ")[0] for p in problems_of(read_events, path)] == [f"{path}:3"]


def test_every_ndjson_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "events.ndjson", '{"id": "a"}\n{oops\n{"id": "c"}\nnope\n')

    problems = problems_of(read_events, path)

    assert [p.split(": ")[0] for p in problems] == [f"{path}:2", f"{path}:4"]
    assert all("not JSON" in p for p in problems)


def test_missing_file_is_reported_by_name(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"

    assert problems_of(read_events, path) == [f"{path}: no such file"]


def test_valid_events_of_the_node_pass_the_check(tmp_path: Path, validator: Validator) -> None:
    located = [Located(1, proposal("a")), Located(2, proposal("b"))]

    assert check_events(tmp_path / "f.ndjson", located, NODE, validator) == [
        proposal("a"),
        proposal("b"),
    ]


def test_schema_error_is_reported_as_file_line_pointer(validator: Validator) -> None:
    path = Path("events.ndjson")
    located = [Located(7, proposal("a", time="2026-02-03T09:20:00"))]

    problems = problems_of(check_events, path, located, NODE, validator)

    assert len(problems) == 1
    assert problems[0].startswith("events.ndjson:7: /time: ")


def test_event_from_another_node_is_reported_at_source(validator: Validator) -> None:
    path = Path("events.ndjson")
    located = [Located(3, proposal("a"))]

    problems = problems_of(check_events, path, located, "dinsos-bitung", validator)

    assert len(problems) == 1
    assert problems[0].startswith("events.ndjson:3: /source: ")


def test_every_problem_in_a_file_is_reported_at_once(validator: Validator) -> None:
    path = Path("events.ndjson")
    located = [
        Located(1, proposal("a")),
        Located(2, proposal("b", specversion="0.3")),
        Located(3, proposal("c", source="/nodes/dinsos-bitung")),
        Located(4, ["not", "an", "event"]),
    ]

    problems = problems_of(check_events, path, located, NODE, validator)

    assert [p.split(": ")[0:2] for p in problems] == [
        ["events.ndjson:2", "/specversion"],
        ["events.ndjson:3", "/source"],
        ["events.ndjson:4", "/"],
    ]


def test_read_then_check_reports_the_line_in_the_file(
    tmp_path: Path, validator: Validator
) -> None:
    bad = proposal("b")
    del bad["data"]["title"]
    path = write(tmp_path, "events.ndjson", json.dumps(proposal("a")) + "\n" + json.dumps(bad))

    problems = problems_of(check_events, path, read_events(path), NODE, validator)

    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:2: /data")
    assert "'title'" in problems[0]
