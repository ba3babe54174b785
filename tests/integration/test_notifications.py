"""Follow, notifications and the unread count through the site, on SQLite and PostgreSQL.

The real stack: a comment posted on the site goes through Kafka and the worker's
notifier (its own consumer group on the typed topics) to the followers' pages.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import time
import uuid

import pytest
from sqlmodel import Session, col, select

from services import clock
from services.identity.accounts import add_user
from services.notify.tables import Follow, Notification
from tests.support.site_fixtures import PASSWORD, DemoSite
from tests.support.stack import event, uid, wait_for

pytestmark = pytest.mark.kafka

MAESA = "forum-ekonomi-maesa"
MENJAHIT = "usulan-pelatihan-menjahit-bitung-tengah"


def _follows(site: DemoSite, username: str, kind: str, target: str) -> bool:
    with Session(site.stack.engine) as session:
        return session.get(Follow, (username, kind, target)) is not None


def _notes_about(site: DemoSite, text: str) -> list[Notification]:
    with Session(site.stack.engine) as session:
        rows = session.exec(select(Notification).order_by(col(Notification.id))).all()
    return [n for n in rows if text in str((n.params or {}).get("excerpt", ""))]


def _comment(site: DemoSite, username: str, proposal: str) -> str:
    text = f"Komentar {uuid.uuid4().hex[:8]}"
    site.login(username)
    response = site.post(f"/proposals/{proposal}/comments", {"body": text})
    assert response.status_code == 303, response.text
    return text


def test_follow_and_unfollow_a_forum_with_the_form(site: DemoSite) -> None:
    site.login("sari")
    page = site.client.get(f"/forums/{MAESA}")
    assert page.context["following"] is False
    assert 'action="http://testserver/follows"' in page.text
    response = site.post("/follows", {"kind": "forum", "id": MAESA,
                                      "next": f"/forums/{MAESA}"}, token_from=f"/forums/{MAESA}")
    assert response.status_code == 303 and response.headers["location"] == f"/forums/{MAESA}"
    assert _follows(site, "sari", "forum", MAESA)
    assert site.client.get(f"/forums/{MAESA}").context["following"] is True
    site.post("/follows", {"kind": "forum", "id": MAESA, "action": "unfollow"})
    assert not _follows(site, "sari", "forum", MAESA)


def test_following_needs_the_csrf_token_a_known_kind_and_a_thing_that_exists(
        site: DemoSite) -> None:
    site.login("sari")
    site.client.get("/")
    assert site.client.post("/follows", data={"kind": "forum", "id": MAESA}).status_code == 403
    assert site.post("/follows", {"kind": "person", "id": "ani"}).status_code == 400
    assert site.post("/follows", {"kind": "proposal", "id": "no-such"}).status_code == 404
    assert not _follows(site, "sari", "person", "ani")


def test_a_visitor_is_sent_to_log_in_and_back(site: DemoSite) -> None:
    # a visitor's page holds a link, not a form (the page every visitor shares)
    page = site.client.get(f"/proposals/{MENJAHIT}")
    link = re.search(r'<a class="button" href="([^"]+)"[^>]*>Masuk untuk mengikuti</a>',
                     page.text)
    assert link is not None and 'action="http://testserver/follows"' not in page.text
    login = site.client.get(html.unescape(link[1]))
    assert login.status_code == 200 and login.context["values"]["next"] == f"/proposals/{MENJAHIT}"
    back = site.client.post("/login", data={"username": "sari", "password": PASSWORD,
                                            "next": login.context["values"]["next"],
                                            "csrf_token": str(login.context["csrf_token"])})
    assert back.status_code == 303 and back.headers["location"].endswith(f"/proposals/{MENJAHIT}")
    mine = site.client.get(f"/proposals/{MENJAHIT}")
    assert 'action="http://testserver/follows"' in mine.text
    # a page from before, with the form, posted without an account: the login, and back
    site.login(None)
    response = site.post("/follows", {"kind": "proposal", "id": MENJAHIT,
                                      "next": f"/proposals/{MENJAHIT}"}, token_from="/login")
    assert response.status_code == 303
    assert response.headers["location"].endswith(
        "/login?next=/proposals/usulan-pelatihan-menjahit-bitung-tengah")


def test_commenting_follows_the_proposal(site: DemoSite) -> None:
    _comment(site, "rudi", MENJAHIT)
    assert _follows(site, "rudi", "proposal", MENJAHIT)
    assert site.client.get(f"/proposals/{MENJAHIT}").context["following"] is True


def test_a_comment_notifies_the_followers_but_not_its_author(site: DemoSite) -> None:
    site.login("ani")
    site.post("/follows", {"kind": "proposal", "id": MENJAHIT})
    _comment(site, "rudi", MENJAHIT)  # rudi follows it from now on
    text = _comment(site, "hendra", MENJAHIT)  # another node's coordinator
    notes = wait_for(lambda: [n for n in _notes_about(site, text) if n.username == "ani"]
                     and _notes_about(site, text), 60, "ani's notification")
    told = {n.username for n in notes}
    assert "ani" in told and "rudi" in told
    assert "hendra" not in told  # his own comment
    assert "sari" not in told  # his node's, but she follows nothing of it
    ani = next(n for n in notes if n.username == "ani")
    assert ani.what == "commented" and ani.kind == "proposal" and ani.target_id == MENJAHIT

    site.login("ani")
    page = site.client.get("/notifications")
    assert page.status_code == 200 and page.template.name == "notifications.html"
    item = next(i for i in page.context["items"] if i["id"] == ani.id)
    assert "Hendra Lumenta" in item["sentence"] and item["excerpt"] == text
    assert item["unread"] and page.context["unread"] >= 1
    assert 'class="count"' in page.text
    opened = site.client.get(f"/notifications/{ani.id}")
    assert opened.status_code == 303
    assert opened.headers["location"].startswith(f"/proposals/{MENJAHIT}/comments/")

    site.login("sari")  # someone else's notification is as if it did not exist
    assert site.client.get(f"/notifications/{ani.id}").status_code == 404
    assert all(i["id"] != ani.id for i in site.client.get("/notifications").context["items"])


def test_mark_all_read_empties_the_count(site: DemoSite) -> None:
    site.login("ani")
    site.post("/follows", {"kind": "proposal", "id": MENJAHIT})
    text = _comment(site, "rudi", MENJAHIT)
    wait_for(lambda: [n for n in _notes_about(site, text) if n.username == "ani"], 60,
             "ani's notification")
    site.login("ani")
    assert site.client.get("/").context["unread"] >= 1
    response = site.post("/notifications/read", {"all": "1"}, token_from="/notifications")
    assert response.status_code == 303
    page = site.client.get("/notifications")
    assert page.context["unread"] == 0 and 'class="count"' not in page.text
    assert not any(i["unread"] for i in page.context["items"])


def test_a_kept_page_for_visitors_never_shows_a_count(site: DemoSite) -> None:
    site.login("ani")
    site.post("/follows", {"kind": "proposal", "id": MENJAHIT})
    text = _comment(site, "rudi", MENJAHIT)
    wait_for(lambda: [n for n in _notes_about(site, text) if n.username == "ani"], 60,
             "ani's notification")
    cache = site.app.state.render_cache
    site.login(None)
    site.client.get(f"/forums/{MAESA}")  # kept for visitors now
    kept = len(cache)
    site.login("ani")
    signed_in = site.client.get(f"/forums/{MAESA}")
    assert signed_in.context["unread"] >= 1 and 'class="count"' in signed_in.text
    assert len(cache) == kept  # a signed-in person's page is never kept
    site.login(None)
    visitor = site.client.get(f"/forums/{MAESA}")
    assert visitor.context.get("unread", 0) == 0
    # (her name may be on the page as a proposal's author, from other tests: not her header)
    assert 'class="count"' not in visitor.text
    assert 'href="http://testserver/account"' not in visitor.text
    assert 'href="http://testserver/notifications"' not in visitor.text


def _told(site: DemoSite, username: str, item: str, what: str) -> list[Notification]:
    with Session(site.stack.engine) as session:
        return list(session.exec(select(Notification).where(
            col(Notification.username) == username, col(Notification.target_id) == item,
            col(Notification.what) == what)).all())


def test_due_soon_and_overdue_tell_the_owner_nodes_people_once(site: DemoSite) -> None:
    stack = site.stack
    node = stack.node("government")
    person = f"p{uuid.uuid4().hex[:10]}"
    add_user(stack.engine, person, name="Petugas", node_id=node, role="member",
             password=PASSWORD)
    today = clock.today(stack.settings.timezone)
    soon, late, later = uid("rtl"), uid("rtl"), uid("rtl")
    stack.publish(node, [
        event("gotong.action_item.created.v1", item, {
            "title": f"Komitmen {item}", "owner_node_id": node,
            "due_date": (today + dt.timedelta(days=days)).isoformat()}, node)
        for item, days in ((soon, 2), (late, -1), (later, 10))])
    wait_for(lambda: _told(site, person, soon, "due_soon"), 60, "the due-soon notification")
    wait_for(lambda: _told(site, person, late, "overdue"), 60, "the overdue notification")
    time.sleep(3)  # a few more rounds of the due-soon timer and the overdue timer
    assert len(_told(site, person, soon, "due_soon")) == 1
    assert len(_told(site, person, late, "overdue")) == 1
    assert _told(site, person, later, "due_soon") == []
    site.login(person)
    sentences = [i["sentence"] for i in site.client.get("/notifications").context["items"]]
    assert any(f"Komitmen {soon}" in s and "jatuh tempo" in s for s in sentences)
