"""Reading event files for ``gotong publish``: JSON or NDJSON, every error with file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from events.validation import Validator


@dataclass(frozen=True)
class Located:
    """An event and the line of the file it starts on."""

    line: int
    event: Any


class EventFileError(Exception):
    """Everything wrong with a file, one ``file:line: message`` per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _ndjson(path: Path, text: str) -> Iterator[Located]:
    problems = []
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(Located(number, json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{number}: not JSON: {exc.msg} (column {exc.colno})")
    if problems:
        raise EventFileError(problems)
    yield from found


def _json(path: Path, text: str) -> Iterator[Located]:
    decoder = json.JSONDecoder()
    try:
        decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise EventFileError(
            [f"{path}:{exc.lineno}: not JSON: {exc.msg} (column {exc.colno})"]) from None
    start = len(text) - len(text.lstrip())
    if not text.startswith("[", start):
        yield Located(text.count("\n", 0, start) + 1, json.loads(text))
        return
    index = start + 1
    while True:
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        if index >= len(text) or text[index] == "]":
            return
        value, end = decoder.raw_decode(text, index)
        yield Located(text.count("\n", 0, index) + 1, value)
        index = end


def read_events(path: Path) -> list[Located]:
    """All events of a ``.json`` (one event or an array) or ``.ndjson`` file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EventFileError([f"{path}: no such file"]) from None
    except UnicodeDecodeError as exc:
        raise EventFileError([f"{path}: not UTF-8 text ({exc.reason})"]) from None
    if path.suffix.lower() in {".ndjson", ".jsonl"}:
        return list(_ndjson(path, text))
    return list(_json(path, text))


def check_events(
    path: Path, located: list[Located], node: str, validator: Validator
) -> list[Mapping[str, Any]]:
    """Validate every event and its source; raise with all problems, or return the events."""
    problems = []
    for item in located:
        for error in validator.errors(item.event):
            problems.append(f"{path}:{item.line}: {error}")
        if isinstance(item.event, Mapping) and item.event.get("source") not in (
            None,
            f"/nodes/{node}",
        ):
            problems.append(
                f"{path}:{item.line}: /source: {item.event.get('source')!r} is not "
                f"/nodes/{node}; a node publishes only as itself"
            )
    if problems:
        raise EventFileError(problems)
    return [item.event for item in located]
