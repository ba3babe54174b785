"""Accounts, one-time links and the audit log on a real database (SQLite and PostgreSQL):
a link works once, not after it expires, and stores no token; changes are audited."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from services.identity import audit, links
from services.identity.accounts import (
    AccountError,
    CurrentUser,
    add_user,
    authenticate,
    change_email,
    change_password,
    profile,
    start_session,
    user_for_session,
)
from services.identity.rules import INVITE_DAYS

PASSWORD = "kata-sandi-lama-1"
ADMIN = CurrentUser("admin", "Admin", "bappeda-bitung", "admin")
COORDINATOR = CurrentUser("hendra", "Hendra", "dinsos-bitung", "coordinator")


def _entries(engine: Engine) -> list[tuple[str, str, str]]:
    return [(e.actor, e.action, e.target) for e in reversed(audit.entries(engine).entries)]


def test_an_invite_makes_one_account_and_then_is_gone(engine: Engine) -> None:
    token = links.create_invite(engine, COORDINATOR, "dinsos-bitung", "member")
    assert links.open_invite(engine, token).role == "member"
    made = links.accept_invite(engine, token, "Maria.K", name="Maria Kaunang",
                               password=PASSWORD, email="maria@Contoh.ID")
    assert (made.username, made.node_id, made.role) == ("maria.k", "dinsos-bitung", "member")
    assert made.email == "maria@contoh.id"
    assert authenticate(engine, "maria.k", PASSWORD) is not None
    with pytest.raises(links.LinkError):
        links.accept_invite(engine, token, "maria2", name="Maria", password=PASSWORD)
    with Session(engine) as session:
        stored = session.exec(select(links.SiteInvite)).all()
    assert [s.used_by for s in stored] == ["maria.k"]
    assert all(token not in s.model_dump_json() for s in stored)
    assert _entries(engine) == [("hendra", "invite_created", "dinsos-bitung"),
                                ("maria.k", "invite_used", "maria.k")]


def test_a_refused_field_leaves_the_invite_usable(engine: Engine) -> None:
    add_user(engine, "taken", name="Taken", node_id="x", role="member", password=PASSWORD)
    token = links.create_invite(engine, ADMIN, "dinsos-bitung", "coordinator")
    with pytest.raises(AccountError, match="exists already"):
        links.accept_invite(engine, token, "taken", name="Someone", password=PASSWORD)
    with pytest.raises(AccountError, match="e-mail"):
        links.accept_invite(engine, token, "fresh", name="Someone", password=PASSWORD,
                            email="no-at-sign")
    assert links.accept_invite(engine, token, "fresh", name="Someone",
                               password=PASSWORD).role == "coordinator"


def test_an_invite_expires_after_seven_days(engine: Engine) -> None:
    made = time.time() - INVITE_DAYS * 86400 - 1
    token = links.create_invite(engine, ADMIN, "dinsos-bitung", "member", now=made)
    with pytest.raises(links.LinkError):
        links.open_invite(engine, token)
    with pytest.raises(links.LinkError):
        links.accept_invite(engine, token, "late", name="Late", password=PASSWORD)
    assert links.open_invites(engine, "dinsos-bitung") == []


def test_a_coordinator_cannot_invite_an_admin_or_to_another_node(engine: Engine) -> None:
    with pytest.raises(PermissionError):
        links.create_invite(engine, COORDINATOR, "dinsos-bitung", "admin")
    with pytest.raises(PermissionError):
        links.create_invite(engine, COORDINATOR, "dinkes-bitung", "member")
    assert _entries(engine) == []


def test_a_reset_link_sets_a_password_once_and_ends_every_session(engine: Engine) -> None:
    add_user(engine, "sari", name="Sari", node_id="dinsos-bitung", role="member",
             password=PASSWORD)
    session = start_session(engine, "sari", 14)
    token = links.create_reset(engine, ADMIN, "sari")
    assert links.open_reset(engine, token) == "sari"
    assert links.use_reset(engine, token, "kata-sandi-baru-2") == "sari"
    assert authenticate(engine, "sari", PASSWORD) is None
    assert authenticate(engine, "sari", "kata-sandi-baru-2") is not None
    assert user_for_session(engine, session) is None
    with pytest.raises(links.LinkError):
        links.use_reset(engine, token, "kata-sandi-baru-3")
    expired = links.create_reset(engine, ADMIN, "sari", now=time.time() - 2 * 86400)
    with pytest.raises(links.LinkError):
        links.open_reset(engine, expired)
    assert ("admin", "reset_created", "sari") in _entries(engine)
    assert ("sari", "reset_used", "sari") in _entries(engine)


def test_changing_the_password_needs_the_current_one_and_keeps_only_this_session(
        engine: Engine) -> None:
    add_user(engine, "ani", name="Ani", node_id="pkk", role="member", password=PASSWORD)
    here, elsewhere = start_session(engine, "ani", 14), start_session(engine, "ani", 14)
    with pytest.raises(AccountError, match="current password"):
        change_password(engine, "ani", "salah-sekali-1", "kata-sandi-baru-2", here)
    change_password(engine, "ani", PASSWORD, "kata-sandi-baru-2", here)
    assert authenticate(engine, "ani", "kata-sandi-baru-2") is not None
    assert user_for_session(engine, here) is not None
    assert user_for_session(engine, elsewhere) is None
    assert _entries(engine) == [("ani", "password_changed", "ani")]


def test_the_email_address_is_checked_stored_and_audited_without_itself(
        engine: Engine) -> None:
    add_user(engine, "ani", name="Ani", node_id="pkk", role="member", password=PASSWORD,
             email="ani@pkk.id", actor=audit.COMMAND_LINE)
    with pytest.raises(AccountError, match="e-mail"):
        change_email(engine, "ani", PASSWORD, "ani@")
    with pytest.raises(AccountError, match="current password"):
        change_email(engine, "ani", "salah-sekali-1", "baru@pkk.id")
    assert change_email(engine, "ani", PASSWORD, " Baru@PKK.id ") == "Baru@pkk.id"
    found = profile(engine, "ani")
    assert found is not None and found.email == "Baru@pkk.id"
    log = audit.entries(engine).entries
    assert [e.action for e in log] == ["email_changed", "user_added"]
    assert all("pkk.id" not in (e.detail or "") for e in log)


def test_the_audit_log_pages_newest_first(engine: Engine) -> None:
    for n in range(5):
        audit.record(engine, "admin", "keys_revoked", f"node-{n}")
    first = audit.entries(engine, limit=3)
    assert [e.target for e in first.entries] == ["node-4", "node-3", "node-2"]
    assert first.next_before is not None
    rest = audit.entries(engine, limit=3, before=first.next_before)
    assert [e.target for e in rest.entries] == ["node-1", "node-0"] and rest.next_before is None


def test_user_add_takes_an_email_and_names_a_mistyped_one(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from services import settings as settings_module
    from services.cli.users import user

    monkeypatch.setenv("GOTONG_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    settings_module.get.cache_clear()
    try:
        runner = CliRunner()
        bad = runner.invoke(user, ["add", "ani", "--node", "pkk", "--name", "Ani",
                                   "--email", "ani@pkk", "--password-stdin"],
                            input=PASSWORD + "\n")
        assert bad.exit_code == 2 and "--email" in bad.output and "ani@pkk" in bad.output
        assert profile(engine, "ani") is None
        done = runner.invoke(user, ["add", "ani", "--node", "pkk", "--name", "Ani",
                                    "--email", "Ani@PKK.id", "--password-stdin"],
                             input=PASSWORD + "\n")
        assert done.exit_code == 0, done.output
    finally:
        settings_module.get.cache_clear()
    found = profile(engine, "ani")
    assert found is not None and found.email == "Ani@pkk.id"
    assert _entries(engine) == [(audit.COMMAND_LINE, "user_added", "ani")]
