"""Feed cursors: the next Kafka offset of every (topic, partition) a reader has passed.

Kafka offsets never change and are never reused, so a cursor made of them stays
valid across restarts of the web process and rebuilds of the read model, and
following cursors never repeats or skips a record. A cursor is opaque to clients:
``c1.`` + base64url of compact JSON ``{topic: {partition: next_offset}}``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import orjson

from events.catalog import TYPED_TOPICS

PREFIX = "c1."
MAX_LENGTH = 4096


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    """Immutable map (topic, partition) -> next offset; missing means the beginning."""

    offsets: Mapping[tuple[str, int], int] = field(default_factory=dict)

    def get(self, topic: str, partition: int) -> int:
        return self.offsets.get((topic, partition), 0)

    def advanced(self, moves: Mapping[tuple[str, int], int]) -> Cursor:
        merged = dict(self.offsets)
        for tp, offset in moves.items():
            if offset > merged.get(tp, 0):
                merged[tp] = offset
        return Cursor(merged)

    def __iter__(self) -> Iterator[tuple[tuple[str, int], int]]:
        return iter(sorted(self.offsets.items()))

    def encode(self) -> str:
        nested: dict[str, dict[str, int]] = {}
        for (topic, partition), offset in self:
            if offset > 0:
                nested.setdefault(topic, {})[str(partition)] = offset
        raw = orjson.dumps(nested, option=orjson.OPT_SORT_KEYS)
        return PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @classmethod
    def decode(cls, text: str | None) -> Cursor:
        """Parse a cursor from a client; an empty or missing one is the beginning of the log."""
        if not text:
            return cls()
        if len(text) > MAX_LENGTH or not text.startswith(PREFIX):
            raise BadCursor("not a cursor given out by this service")
        body = text[len(PREFIX):]
        try:
            nested = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (binascii.Error, ValueError) as exc:
            raise BadCursor("not a cursor given out by this service") from exc
        if not isinstance(nested, dict):
            raise BadCursor("not a cursor given out by this service")
        offsets: dict[tuple[str, int], int] = {}
        for topic, partitions in nested.items():
            if topic not in TYPED_TOPICS or not isinstance(partitions, dict):
                raise BadCursor(f"unknown topic {topic!r} in the cursor")
            for partition, offset in partitions.items():
                if not (partition.isdigit() and isinstance(offset, int) and offset >= 0):
                    raise BadCursor("malformed offsets in the cursor")
                offsets[(topic, int(partition))] = offset
        return cls(offsets)
