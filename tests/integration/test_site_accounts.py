"""Accounts and nodes on the web, through the real site on a real stack: invites, reset
links, password and e-mail changes, and an admin's nodes and keys, each checked on the
server (who may), under CSRF, and audited."""

from __future__ import annotations

import re

import httpx
import pytest

from services.identity import audit
from services.identity.accounts import authenticate
from tests.support.site_fixtures import PASSWORD, DemoSite, visible_text
from tests.support.stack import uid, wait_for

pytestmark = pytest.mark.kafka


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_a_coordinator_invites_a_member_who_chooses_username_and_password(
        site: DemoSite) -> None:
    site.login("hendra")
    response = site.post("/invites", {"node_id": "dinsos-bitung", "role": "member"},
                         token_from="/invites")
    assert response.status_code == 200 and response.template.name == "shown_once.html"
    assert response.headers["cache-control"] == "no-store"
    link = _path(response.context["value"])
    site.login(None)  # the invitee's own browser
    page = site.client.get(link)
    assert page.status_code == 200 and "Dinas Sosial" in visible_text(page.text)
    username = uid("maria").lower()
    token = page.context["csrf_token"]
    short = site.client.post(link, data={"username": username, "name": "Maria Kaunang",
                                         "password": "pendek", "password_again": "pendek",
                                         "email": "maria@contoh.id", "csrf_token": token})
    assert short.status_code == 400 and "password" in short.context["errors"]
    assert short.context["values"]["email"] == "maria@contoh.id"  # kept, passwords are not
    assert "pendek" not in short.text
    done = site.client.post(link, data={"username": username, "name": "Maria Kaunang",
                                        "password": PASSWORD, "password_again": PASSWORD,
                                        "csrf_token": token})
    assert done.status_code == 303 and done.headers["location"].endswith(f"joined={username}")
    user = authenticate(site.stack.engine, username, PASSWORD)
    assert user is not None and (user.node_id, user.role) == ("dinsos-bitung", "member")
    assert site.client.get(link).status_code == 410  # once only


def test_a_coordinator_may_not_invite_an_admin_nor_to_another_node(site: DemoSite) -> None:
    site.login("hendra")
    admin = site.post("/invites", {"node_id": "dinsos-bitung", "role": "admin"},
                      token_from="/invites")
    other = site.post("/invites", {"node_id": "dinkes-bitung", "role": "member"},
                      token_from="/invites")
    assert admin.status_code == other.status_code == 403
    assert "koordinator" in visible_text(admin.text).lower()
    site.login("ani")  # a member invites nobody
    assert site.client.get("/invites").status_code == 403


def test_admin_pages_are_for_admins_only_in_the_persons_language(site: DemoSite) -> None:
    site.login("hendra")
    for path in ("/admin/nodes", "/admin/people", "/admin/audit", "/admin/nodes/dinsos-bitung"):
        refused = site.client.get(path, headers={"Accept-Language": "en"})
        assert refused.status_code == 403, path
        assert "admins may do this" in visible_text(refused.text)
    rotate = site.post("/admin/nodes/dinsos-bitung/rotate", {"grace": "1h"})
    revoke = site.post("/admin/nodes/dinsos-bitung/revoke", {})
    reset = site.post("/admin/people/ani/reset", {})
    register = site.post("/admin/nodes", {"node_id": uid("lsm"), "kind": "ngo", "name": "X"})
    assert {rotate.status_code, revoke.status_code, reset.status_code,
            register.status_code} == {403}
    site.login(None)
    assert site.client.get("/admin/nodes").status_code == 303  # to the login page


def test_an_admin_registers_a_node_whose_key_works_then_rotates_and_revokes_it(
        site: DemoSite) -> None:
    site.login("admin-uji")
    node_id = uid("lsm-peduli").lower()
    bad = site.post("/admin/nodes", {"node_id": "Bukan Id!", "kind": "ngo", "name": ""},
                    token_from="/admin/nodes")
    assert bad.status_code == 400 and {"name"} <= set(bad.context["errors"])
    made = site.post("/admin/nodes", {"node_id": node_id, "kind": "ngo",
                                      "name": "LSM Peduli Pesisir", "contact": "0438-21000"},
                     token_from="/admin/nodes")
    assert made.status_code == 200, made.text
    key = made.context["value"]
    assert key.startswith("gtk_")
    wait_for(lambda: site.client.get(f"/nodes/{node_id}").status_code == 200,
             what="the node's page")
    base = site.stack.base_url
    assert httpx.get(f"{base}/api/v1/events", headers={"Authorization": f"Bearer {key}"}
                     ).status_code == 200
    again = site.post("/admin/nodes", {"node_id": node_id, "kind": "ngo", "name": "Lagi"},
                      token_from="/admin/nodes")
    assert again.status_code == 400 and "node_id" in again.context["errors"]
    rotated = site.post(f"/admin/nodes/{node_id}/rotate", {"grace": "1h"})
    assert rotated.status_code == 200 and rotated.context["value"] not in (key, "")
    revoked = site.post(f"/admin/nodes/{node_id}/revoke", {})
    assert revoked.status_code == 303
    for each in (key, rotated.context["value"]):
        assert httpx.get(f"{base}/api/v1/events", headers={"Authorization": f"Bearer {each}"}
                         ).status_code == 401
    log = [(e.actor, e.action) for e in audit.entries(site.stack.engine, 200).entries
           if e.target == node_id]
    assert log == [("admin-uji", "keys_revoked"), ("admin-uji", "key_rotated"),
                   ("admin-uji", "node_registered")]
    page = site.client.get("/admin/audit")
    assert node_id in page.text and key not in page.text


def test_an_admin_makes_a_reset_link_the_person_uses_once(site: DemoSite) -> None:
    username = uid("lupa").lower()
    site.login("admin-uji")
    invite = site.post("/invites", {"node_id": "dinkes-bitung", "role": "member"},
                       token_from="/invites").context["value"]
    site.login(None)
    token = site.csrf(_path(invite))
    site.client.post(_path(invite), data={"username": username, "name": "Pelupa",
                                          "password": PASSWORD, "password_again": PASSWORD,
                                          "csrf_token": token})
    site.login("admin-uji")
    made = site.post(f"/admin/people/{username}/reset", {}, token_from="/admin/people")
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    link = _path(made.context["value"])
    site.login(None)
    token = site.csrf(link)
    mismatch = site.client.post(link, data={"password": "kata-sandi-baru-1",
                                            "password_again": "kata-sandi-baru-2",
                                            "csrf_token": token})
    assert mismatch.status_code == 400 and "password_again" in mismatch.context["errors"]
    done = site.client.post(link, data={"password": "kata-sandi-baru-1",
                                        "password_again": "kata-sandi-baru-1",
                                        "csrf_token": token})
    assert done.status_code == 303
    assert authenticate(site.stack.engine, username, "kata-sandi-baru-1") is not None
    assert site.client.get(link).status_code == 410


def test_a_person_changes_password_and_email_on_the_account_page(site: DemoSite) -> None:
    site.login("sari")
    engine = site.stack.engine
    wrong = site.post("/account/password", {"current_password": "salah-sekali",
                                            "new_password": "kata-sandi-baru-9",
                                            "new_password_again": "kata-sandi-baru-9"})
    assert wrong.status_code == 400 and wrong.template.name == "account.html"
    assert "Kata sandi Anda saat ini salah." in visible_text(wrong.text)
    bad = site.post("/account/email", {"email": "sari@", "email_password": PASSWORD})
    assert bad.status_code == 400 and bad.context["values"]["email"] == "sari@"
    saved = site.post("/account/email", {"email": "sari@dinsos.bitung.go.id",
                                         "email_password": PASSWORD})
    assert saved.status_code == 303 and saved.headers["location"].endswith("changed=email")
    page = site.client.get("/account").text
    assert "sari@dinsos.bitung.go.id" in page
    assert "<title>Akun · Gotong</title>" in page  # the mail form is in the page, not its title
    assert page.count('id="mail"') == 1
    try:
        changed = site.post("/account/password", {"current_password": PASSWORD,
                                                  "new_password": "kata-sandi-baru-9",
                                                  "new_password_again": "kata-sandi-baru-9"})
        assert changed.status_code == 303
        assert site.client.get("/account").status_code == 200  # this session goes on
        assert authenticate(engine, "sari", "kata-sandi-baru-9") is not None
    finally:  # the demo's password again, for the other tests
        site.post("/account/password", {"current_password": "kata-sandi-baru-9",
                                        "new_password": PASSWORD,
                                        "new_password_again": PASSWORD})
    assert authenticate(engine, "sari", PASSWORD) is not None


def test_guessing_the_current_password_on_the_account_page_is_throttled(site: DemoSite) -> None:
    """A session left open on a shared phone is no way around the login's limit."""
    site.login("sari")
    limit = site.app.state.settings.login_max_failures
    try:
        for _ in range(limit):
            wrong = site.post("/account/email", {"email": "", "email_password": "tebak-tebak"})
            assert wrong.status_code == 400
        for path, data in (("/account/email", {"email": "", "email_password": PASSWORD}),
                           ("/account/password", {"current_password": PASSWORD,
                                                  "new_password": "kata-sandi-baru-9",
                                                  "new_password_again": "kata-sandi-baru-9"})):
            blocked = site.post(path, data)
            assert blocked.status_code == 429, path
            assert "Terlalu banyak percobaan gagal" in visible_text(blocked.text)
        assert authenticate(site.stack.engine, "sari", PASSWORD) is not None  # unchanged
    finally:  # the other tests start with no failures counted
        del site.app.state.login_limiter
