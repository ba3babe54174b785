"""Who moderates a thread on the site: the pure rules behind the thread's forms.

They mirror the proposal aggregate's ``decide`` for people: the node that convened
(opened) the proposal's forum changes its status and hides or restores its comments,
through its coordinators; the service's admins may do it for any forum (they act as
the service); the people of the node that submitted a proposal may withdraw it.
"""

from __future__ import annotations

from services.identity.accounts import CurrentUser


def may_moderate(user: CurrentUser | None, convener: str | None) -> bool:
    """Whether ``user`` changes the status and hides or restores the comments of a thread
    whose forum ``convener`` opened."""
    if user is None:
        return False
    return user.is_admin or (user.can_coordinate and convener is not None
                             and user.node_id == convener)


def may_withdraw(user: CurrentUser | None, author_node: str) -> bool:
    """The people of the node that submitted a proposal may withdraw it."""
    return user is not None and user.node_id == author_node
