"""Who may manage whom, and how long a link lives: the pure rules behind the account pages.

No database, no web: the pages and the command line ask these, and the unit tests
check them on plain values.
"""

from __future__ import annotations

from services.identity.accounts import CurrentUser

INVITE_DAYS = 7
RESET_HOURS = 24
#: the roles an invite may give, per inviter role: a coordinator never makes an admin
INVITABLE = {"coordinator": ("member", "coordinator"),
             "admin": ("member", "coordinator", "admin")}


def invitable_roles(inviter: CurrentUser) -> tuple[str, ...]:
    """The roles ``inviter`` may give in an invite (none for a member)."""
    return INVITABLE.get(inviter.role, ())


def may_invite(inviter: CurrentUser, node_id: str, role: str) -> bool:
    """Admins invite anyone to any node; a coordinator only members and coordinators of
    their own node; a member nobody."""
    if role not in invitable_roles(inviter):
        return False
    return inviter.is_admin or inviter.node_id == node_id


def may_manage_nodes(user: CurrentUser) -> bool:
    """Registering nodes, their API keys, reset links and the audit log: admins only."""
    return user.is_admin


def expired(expires_at: float, now: float) -> bool:
    """A link is good until its moment, not at it."""
    return now >= expires_at
