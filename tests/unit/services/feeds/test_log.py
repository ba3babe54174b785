"""Merging partition runs into a page: log order, limits, and never past unread records."""

from __future__ import annotations

from typing import Any

import orjson
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from services.feeds.cursor import Cursor
from services.feeds.filters import FeedFilter, Matcher
from services.feeds.log import merge_page

P0 = TopicPartition("gotong.proposals", 0)
P1 = TopicPartition("gotong.proposals", 1)


def rec(tp: TopicPartition, offset: int, ts: int, subject: str = "u") -> Any:
    value = orjson.dumps({"type": "gotong.proposal.commented.v1", "subject": subject,
                          "id": f"{tp.partition}-{offset}", "source": "/nodes/n", "data": {}})
    return ConsumerRecord(tp.topic, tp.partition, offset, ts, 0, b"k", value, None, 0,
                          len(value), [])


def ids(page: Any) -> list[str]:
    return [i.event["id"] for i in page.items]


def test_runs_interleave_by_timestamp_keeping_partition_order() -> None:
    fetched = {P0: [rec(P0, 0, 10), rec(P0, 1, 30)], P1: [rec(P1, 0, 20), rec(P1, 1, 5)]}
    page = merge_page(fetched, set(), Cursor(), Matcher(FeedFilter()), 10)
    assert ids(page) == ["0-0", "1-0", "1-1", "0-1"]
    assert page.at_end and page.next == Cursor({("gotong.proposals", 0): 2,
                                                 ("gotong.proposals", 1): 2})


def test_limit_moves_the_cursor_only_past_what_was_handed_out() -> None:
    fetched = {P0: [rec(P0, 0, 10), rec(P0, 1, 30)], P1: [rec(P1, 0, 20)]}
    page = merge_page(fetched, set(), Cursor(), Matcher(FeedFilter()), 2)
    assert ids(page) == ["0-0", "1-0"] and not page.at_end
    assert page.next.get("gotong.proposals", 0) == 1


def test_filtered_records_are_passed_over_but_never_returned() -> None:
    fetched = {P0: [rec(P0, 0, 10, "a"), rec(P0, 1, 11, "b"), rec(P0, 2, 12, "a")]}
    flt = FeedFilter.from_lists({"subject": ["a"]})
    page = merge_page(fetched, set(), Cursor(), Matcher(flt), 10)
    assert ids(page) == ["0-0", "0-2"] and page.next.get("gotong.proposals", 0) == 3


def test_a_partition_with_unread_records_stops_the_merge_at_its_last_read_one() -> None:
    fetched = {P0: [rec(P0, 0, 10)], P1: [rec(P1, 0, 20), rec(P1, 1, 30)]}
    page = merge_page(fetched, {P0}, Cursor(), Matcher(FeedFilter()), 10)
    assert ids(page) == ["0-0"] and not page.at_end
    assert page.next.get("gotong.proposals", 1) == 0
