"""services/domain/nodes.py and forums.py: who takes part, and where they meet."""

from __future__ import annotations

import itertools
from typing import Any

from services.domain import forums, nodes
from services.domain.base import new_state, replay

_ids = itertools.count(1)
PUBLIC_KEY = "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="


def event(kind: str, subject: str, data: dict[str, Any], *, node: str,
          time: str = "2026-01-05T08:00:00+08:00") -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"ev-{next(_ids)}",
        "source": f"/nodes/{node}",
        "type": kind,
        "subject": subject,
        "time": time,
        "datacontenttype": "application/json",
        "data": data,
    }


def registered(name: str = "Dinas Sosial Kota Bitung", **kwargs: Any) -> dict[str, Any]:
    data = {"name": name, "kind": "government", "public_key": PUBLIC_KEY}
    return event("gotong.node.registered.v1", "dinsos-bitung", data, node="dinsos-bitung",
                 **kwargs)


def opened(title: str = "Forum Ekonomi Maesa", **kwargs: Any) -> dict[str, Any]:
    data = {"title": title, "area": "Kecamatan Maesa", "program": "pelatihan-keterampilan"}
    return event("gotong.forum.opened.v1", "forum-maesa", data, node="kecamatan-maesa", **kwargs)


def test_registered_node_has_one_row() -> None:
    [row] = nodes.rows(nodes.evolve(None, registered()))["nodes"]

    assert (row["id"], row["name"], row["kind"]) == (
        "dinsos-bitung", "Dinas Sosial Kota Bitung", "government")


def test_registered_node_keeps_its_public_key() -> None:
    assert nodes.evolve(None, registered())["public_key"] == PUBLIC_KEY


def test_reregistration_renames_but_keeps_the_registration_time() -> None:
    state = replay(nodes.fold, [
        registered(time="2026-01-05T08:00:00+08:00"),
        registered("Dinas Sosial Bitung", time="2026-02-05T08:00:00+08:00"),
    ])

    assert state is not None
    assert state["name"] == "Dinas Sosial Bitung"
    assert state["registered_at"] == "2026-01-05T00:00:00.000000Z"


def test_node_registration_applied_twice_returns_the_same_object() -> None:
    first = registered()
    state = nodes.evolve(None, first)

    assert nodes.evolve(state, first) is state


def test_unregistered_node_has_no_rows() -> None:
    assert nodes.rows(new_state("dinsos-bitung")) == {}


def test_opened_forum_has_one_row_owned_by_its_publisher() -> None:
    [row] = forums.rows(forums.evolve(None, opened()))["forums"]

    assert (row["id"], row["title"], row["area"]) == (
        "forum-maesa", "Forum Ekonomi Maesa", "Kecamatan Maesa")
    assert row["node_id"] == "kecamatan-maesa"


def test_reopened_forum_is_retitled_but_keeps_its_opening_time() -> None:
    state = replay(forums.fold, [
        opened(time="2026-01-05T08:00:00+08:00"),
        opened("Forum Pemberdayaan Ekonomi Maesa", time="2026-03-05T08:00:00+08:00"),
    ])

    assert state is not None
    assert state["title"] == "Forum Pemberdayaan Ekonomi Maesa"
    assert state["opened_at"] == "2026-01-05T00:00:00.000000Z"


def test_forum_opening_applied_twice_returns_the_same_object() -> None:
    first = opened()
    state = forums.evolve(None, first)

    assert forums.evolve(state, first) is state


def test_unopened_forum_has_no_rows() -> None:
    assert forums.rows(new_state("forum-maesa")) == {}
