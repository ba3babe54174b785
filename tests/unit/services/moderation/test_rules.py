"""services/moderation/rules.py: who moderates a thread on the site."""

from __future__ import annotations

from services.identity.accounts import CurrentUser
from services.moderation.rules import may_moderate, may_withdraw

CONVENER = "bappeda-bitung"


def person(node: str, role: str) -> CurrentUser:
    return CurrentUser("u", "U", node, role)


def test_the_conveners_coordinators_and_every_admin_moderate() -> None:
    assert may_moderate(person(CONVENER, "coordinator"), CONVENER)
    assert may_moderate(person("dinsos-bitung", "admin"), CONVENER)
    assert may_moderate(person("dinsos-bitung", "admin"), None)


def test_members_other_nodes_and_visitors_do_not() -> None:
    assert not may_moderate(person(CONVENER, "member"), CONVENER)
    assert not may_moderate(person("dinsos-bitung", "coordinator"), CONVENER)
    assert not may_moderate(person("dinsos-bitung", "coordinator"), None)
    assert not may_moderate(None, CONVENER)


def test_the_people_of_the_authors_node_may_withdraw() -> None:
    assert may_withdraw(person("pkk-girian", "member"), "pkk-girian")
    assert not may_withdraw(person("dinsos-bitung", "coordinator"), "pkk-girian")
    assert not may_withdraw(None, "pkk-girian")
