"""The one CloudEvent builder makes events the contracts accept."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from events.catalog import PROPOSAL_COMMENTED
from events.envelope import cloud_event, timestamp
from events.validation import default_validator


def test_a_built_event_is_valid_and_names_its_node() -> None:
    event = cloud_event(PROPOSAL_COMMENTED, node="pkk-bitung-tengah", subject="usulan-1",
                        data={"comment_id": "c-1", "author": "Ibu Ani", "body": "Setuju."})
    assert default_validator().errors(event) == []
    assert event["source"] == "/nodes/pkk-bitung-tengah"
    assert event["time"].endswith("Z")


def test_fresh_ids_unless_one_is_given() -> None:
    made = [cloud_event(PROPOSAL_COMMENTED, node="n", subject="s", data={}) for _ in range(2)]
    assert made[0]["id"] != made[1]["id"]
    again = cloud_event(PROPOSAL_COMMENTED, node="n", subject="s", data={}, event_id="e-1",
                        time="2026-12-04T00:00:00Z")
    assert (again["id"], again["time"]) == ("e-1", "2026-12-04T00:00:00Z")


def test_timestamps_are_utc_with_z_whatever_the_zone_of_the_moment() -> None:
    wita = dt.datetime(2026, 12, 4, 8, 30, tzinfo=ZoneInfo("Asia/Makassar"))
    assert timestamp(wita) == "2026-12-04T00:30:00.000Z"
    assert timestamp(wita, timespec="seconds") == "2026-12-04T00:30:00Z"


def test_a_naive_moment_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match="naive"):
        timestamp(dt.datetime(2026, 12, 4, 8, 30))
