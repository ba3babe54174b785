"""Who may invite whom, how long a link lives, and which e-mail addresses are taken."""

from __future__ import annotations

import pytest

from services.identity.accounts import CurrentUser
from services.identity.addresses import normal_email
from services.identity.rules import (
    INVITE_DAYS,
    expired,
    invitable_roles,
    may_invite,
    may_manage_nodes,
)

ADMIN = CurrentUser("admin", "Admin", "bappeda-bitung", "admin")
COORDINATOR = CurrentUser("hendra", "Hendra", "dinsos-bitung", "coordinator")
MEMBER = CurrentUser("sari", "Sari", "dinsos-bitung", "member")


def test_a_coordinator_invites_members_and_coordinators_of_their_own_node_only() -> None:
    assert may_invite(COORDINATOR, "dinsos-bitung", "member")
    assert may_invite(COORDINATOR, "dinsos-bitung", "coordinator")
    assert not may_invite(COORDINATOR, "dinsos-bitung", "admin")
    assert not may_invite(COORDINATOR, "dinkes-bitung", "member")
    assert invitable_roles(COORDINATOR) == ("member", "coordinator")


def test_an_admin_invites_any_role_to_any_node() -> None:
    assert may_invite(ADMIN, "dinkes-bitung", "admin")
    assert may_invite(ADMIN, "pkk-bitung-tengah", "member")


def test_a_member_invites_nobody_and_an_unknown_role_is_never_given() -> None:
    assert not may_invite(MEMBER, "dinsos-bitung", "member")
    assert invitable_roles(MEMBER) == ()
    assert not may_invite(ADMIN, "dinsos-bitung", "owner")


def test_only_admins_manage_nodes() -> None:
    assert may_manage_nodes(ADMIN)
    assert not may_manage_nodes(COORDINATOR) and not may_manage_nodes(MEMBER)


def test_a_link_works_until_its_moment_and_not_at_it() -> None:
    made = 1_000_000.0
    until = made + INVITE_DAYS * 86400
    assert INVITE_DAYS == 7
    assert not expired(until, made + 6 * 86400)
    assert expired(until, until)
    assert expired(until, until + 1)


def test_an_email_address_is_trimmed_and_its_domain_lower_cased() -> None:
    assert normal_email("  Ani.Lumenta@PKK.Bitung.go.id ") == "Ani.Lumenta@pkk.bitung.go.id"
    assert normal_email("") == ""


@pytest.mark.parametrize("address", ["ani", "ani@", "@pkk.id", "ani@pkk", "ani @pkk.id",
                                     "ani@@pkk.id", "ani@pkk..id", "a" * 250 + "@pkk.id"])
def test_a_mistyped_email_address_is_refused_saying_why(address: str) -> None:
    with pytest.raises(ValueError, match="e-mail address"):
        normal_email(address)
