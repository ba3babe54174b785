"""Feed cursors: opaque, round-trip, and refuse what this service did not give out."""

from __future__ import annotations

import pytest

from services.feeds.cursor import BadCursor, Cursor


def test_cursor_round_trips_through_its_text() -> None:
    cursor = Cursor({("gotong.proposals", 0): 5, ("gotong.nodes", 3): 12})
    assert Cursor.decode(cursor.encode()) == cursor


def test_missing_cursor_is_the_beginning_of_the_log() -> None:
    assert Cursor.decode(None).get("gotong.proposals", 2) == 0
    assert Cursor.decode("").offsets == {}


def test_advancing_never_moves_a_partition_back() -> None:
    cursor = Cursor({("gotong.proposals", 0): 5})
    moved = cursor.advanced({("gotong.proposals", 0): 3, ("gotong.proposals", 1): 2})
    assert moved.get("gotong.proposals", 0) == 5 and moved.get("gotong.proposals", 1) == 2


@pytest.mark.parametrize("text", ["abc", "c1.!!!", "c1.bm90IGpzb24", "c1.WzFd",
                                  "c1.eyJnb3Rvbmcuc2VjcmV0cyI6eyIwIjoxfX0"])
def test_foreign_text_is_not_a_cursor(text: str) -> None:
    with pytest.raises(BadCursor):
        Cursor.decode(text)
