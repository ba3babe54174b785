"""Notification mail end to end: the worker, the outbox and a real SMTP server (aiosmtpd).

Follow on the site, another node comments through the API, the notifier writes the
follower's notification, the mailer records a batch and hands it to the server. A
restart of the worker, or the server going away and coming back, neither loses nor
repeats a mail.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace

import httpx
import pytest
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from services.identity.accounts import add_user
from services.notify.tables import MailBatch, MailPreference, Notification
from tests.support.site_fixtures import PASSWORD, DemoSite
from tests.support.smtp_server import Received, SmtpServer
from tests.support.stack import Stack, event, uid, wait_for
from web.app import create_app

pytestmark = [pytest.mark.kafka, pytest.mark.parametrize("stack", ["sqlite"], indirect=True)]

MAIL_ENV = {"GOTONG_MAIL_FROM": "Gotong Bitung <gotong@bitung.example>",
            "GOTONG_MAIL_WAIT": "1", "GOTONG_MAIL_TICK": "0.3",
            "GOTONG_MAIL_RETRY_SCHEDULE": "0.5,0.5,1,1,1,2,2,2,3,3,3",
            "GOTONG_MAIL_DIGEST_HOUR": "24"}  # no digest until a test asks for one
QUIET_S = 4.0  # a dozen mail rounds: long enough for a second mail to have come


@dataclass
class Mail:
    stack: Stack
    smtp: SmtpServer
    site: DemoSite
    forum: str
    proposal: str
    author_node: str  # posted the proposal
    other_node: str  # comments on it

    def person(self, node: str, *, email: bool = True) -> tuple[str, str]:
        username = f"m{uuid.uuid4().hex[:10]}"
        address = f"{username}@example.org"
        add_user(self.stack.engine, username, name=f"Orang {username}", node_id=node,
                 role="member", password=PASSWORD, email=address if email else "")
        return username, address

    def follow(self, username: str) -> None:
        self.site.login(username)
        response = self.site.post("/follows", {"kind": "proposal", "id": self.proposal})
        assert response.status_code == 303

    def comment_from_other_node(self) -> str:
        text = f"Komentar {uuid.uuid4().hex[:8]}"
        self.stack.publish(self.other_node, [event(
            "gotong.proposal.commented.v1", self.proposal,
            {"comment_id": uid("c"), "body": text, "author": "Pak Budi"}, self.other_node)])
        return text

    def notification(self, username: str, text: str) -> Notification | None:
        with Session(self.stack.engine) as session:
            rows = session.exec(select(Notification)
                                .where(col(Notification.username) == username)).all()
        return next((n for n in rows if text in str((n.params or {}).get("excerpt"))), None)

    def batches(self, username: str) -> list[MailBatch]:
        with Session(self.stack.engine) as session:
            return list(session.exec(select(MailBatch)
                                     .where(col(MailBatch.username) == username)).all())


def _restart(stack: Stack, **env: str) -> None:
    stack.env.update(env)
    stack.restart_worker()


@pytest.fixture(scope="module")
def mail(stack: Stack) -> Iterator[Mail]:
    smtp = SmtpServer()
    smtp.start()
    saved = dict(stack.env)
    _restart(stack, GOTONG_SMTP_URL=smtp.url, GOTONG_PUBLIC_URL=stack.base_url, **MAIL_ENV)
    author, other = stack.node("ngo"), stack.node("community")
    forum, proposal = uid("forum"), uid("usulan")
    stack.publish(author, [
        event("gotong.forum.opened.v1", forum, {"title": "Forum Surel"}, author),
        event("gotong.proposal.submitted.v1", proposal, {
            "forum_id": forum, "title": "Kebun gizi", "body": "Kebun gizi di Girian.",
            "author": "Ibu Rina"}, author)])
    stack.wait_json(f"/api/v1/proposals/{proposal}", lambda body: body["id"] == proposal)
    app = create_app(replace(stack.settings, cookie_secure=False))
    try:
        with TestClient(app, follow_redirects=False) as client:
            yield Mail(stack, smtp, DemoSite(stack, client, app), forum, proposal, author,
                       other)
    finally:
        smtp.stop()
        stack.env.clear()
        stack.env.update(saved)
        stack.restart_worker()


def _one_mail(mail: Mail, address: str, what: str = "the mail") -> Received:
    got = wait_for(lambda: mail.smtp.to(address), 60, what)
    time.sleep(QUIET_S)
    assert len(mail.smtp.to(address)) == 1, [r.message["Subject"] for r in mail.smtp.to(address)]
    return got[0]


def test_a_comment_by_another_node_sends_exactly_one_mail(mail: Mail) -> None:
    username, address = mail.person(mail.author_node)
    mail.follow(username)
    text = mail.comment_from_other_node()
    got = _one_mail(mail, address)
    message = got.message
    assert message.get_content_type() == "multipart/alternative"
    assert text in got.text() and text in got.html()
    assert "Kebun gizi" in str(message["Subject"])
    unsubscribe = str(message["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith(f"<{mail.stack.base_url}/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in got.text()  # and a link in the body
    assert f"{mail.stack.base_url}/proposals/{mail.proposal}/comments/" in got.text()
    assert got.recipients == [address]
    [batch] = mail.batches(username)
    assert batch.sent_at is not None and batch.attempts == 0

    _restart(mail.stack)  # the mail is marked sent: a new worker never sends it again
    time.sleep(QUIET_S)
    assert len(mail.smtp.to(address)) == 1


def test_smtp_away_then_back_the_mail_arrives_once_across_a_restart(mail: Mail) -> None:
    username, address = mail.person(mail.author_node)
    mail.follow(username)
    mail.smtp.stop()
    try:
        text = mail.comment_from_other_node()
        failing = wait_for(lambda: [b for b in mail.batches(username) if b.attempts >= 1],
                           60, "a failed attempt")
        assert failing[0].sent_at is None and failing[0].last_error
        _restart(mail.stack)  # the recorded, unsent mail survives the worker
    finally:
        mail.smtp.start()
    got = _one_mail(mail, address, "the retried mail")
    assert text in got.text()
    [batch] = mail.batches(username)
    assert batch.sent_at is not None and batch.attempts >= 1


def test_one_click_unsubscribe_works_without_a_login(mail: Mail) -> None:
    username, address = mail.person(mail.author_node)
    mail.follow(username)
    mail.comment_from_other_node()
    url = str(_one_mail(mail, address).message["List-Unsubscribe"]).strip().strip("<>")
    shown = httpx.get(url, timeout=30)  # a mail scanner following the link changes nothing
    assert shown.status_code == 200 and 'action="/unsubscribe/' in shown.text
    assert _mode(mail, username) == "immediate"
    done = httpx.post(url, content=b"List-Unsubscribe=One-Click", timeout=30,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200
    assert _mode(mail, username) == "none"
    forged = httpx.post(url[:-3] + "AAA", timeout=30)
    assert forged.status_code == 404

    text = mail.comment_from_other_node()
    note = wait_for(lambda: (n := mail.notification(username, text)) and n.mail_batch is not None
                    and n, 60, "the notification handled for mail")
    assert note.mail_batch == 0  # on the site only
    time.sleep(QUIET_S)
    assert len(mail.smtp.to(address)) == 1


def _mode(mail: Mail, username: str) -> str | None:
    with Session(mail.stack.engine) as session:
        found = session.get(MailPreference, username)
    return found.mode if found else "immediate"


def test_nobody_is_mailed_about_their_own_action(mail: Mail) -> None:
    follower, follower_address = mail.person(mail.author_node)
    author, author_address = mail.person(mail.other_node)
    mail.follow(follower)
    mail.follow(author)
    mail.site.login(author)
    text = f"Komentar sendiri {uuid.uuid4().hex[:8]}"
    response = mail.site.post(f"/proposals/{mail.proposal}/comments", {"body": text})
    assert response.status_code == 303
    got = _one_mail(mail, follower_address, "the follower's mail")
    assert text in got.text()
    assert mail.smtp.to(author_address) == []
    assert mail.notification(author, text) is None


def test_none_on_the_account_page_sends_nothing(mail: Mail) -> None:
    username, address = mail.person(mail.author_node)
    mail.follow(username)
    response = mail.site.post("/account/mail", {"mode": "none"}, token_from="/account")
    assert response.status_code == 303
    assert _mode(mail, username) == "none"
    text = mail.comment_from_other_node()
    note = wait_for(lambda: (n := mail.notification(username, text)) and n.mail_batch is not None
                    and n, 60, "the notification handled for mail")
    assert note.mail_batch == 0
    time.sleep(QUIET_S)
    assert mail.smtp.to(address) == []


def test_a_person_without_an_address_is_told_on_the_site_only(mail: Mail) -> None:
    username, _ = mail.person(mail.author_node, email=False)
    mail.follow(username)
    text = mail.comment_from_other_node()
    note = wait_for(lambda: (n := mail.notification(username, text)) and n.mail_batch is not None
                    and n, 60, "the notification handled for mail")
    assert note.mail_batch == 0 and mail.batches(username) == []


def test_a_daily_digest_groups_the_days_notifications_in_one_mail(mail: Mail) -> None:
    username, address = mail.person(mail.author_node)
    mail.follow(username)
    mail.site.post("/account/mail", {"mode": "daily"}, token_from="/account")
    texts = [mail.comment_from_other_node() for _ in range(2)]
    for text in texts:
        wait_for(lambda t=text: mail.notification(username, t), 60, "the notifications")
    time.sleep(QUIET_S)
    assert mail.smtp.to(address) == []  # the digest's hour has not come
    _restart(mail.stack, GOTONG_MAIL_DIGEST_HOUR="0")
    got = _one_mail(mail, address, "the digest")
    assert all(text in got.text() for text in texts)
    assert "2" in str(got.message["Subject"])
    [batch] = mail.batches(username)
    assert ":daily:" in batch.key


