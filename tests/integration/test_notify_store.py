"""The outbox and the mailer against a real database (SQLite and PostgreSQL), with the
SMTP exchange replaced by a function: one mail per batch, retries, giving up."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from email.message import EmailMessage

import aiosmtplib
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from services.identity.accounts import add_user
from services.notify import store
from services.notify.mail import SmtpServer
from services.notify.mailer import Mailer
from services.notify.rules import Batch
from services.notify.tables import MailBatch
from services.settings import load
from web.notices.mail import render

SETTINGS = replace(load(), smtp_url="smtp://127.0.0.1:1", mail_wait_s=0.0,
                   mail_retry_schedule=(0.0, 0.0))


def _notify(engine: Engine, username: str, event_id: str) -> None:
    store.write_notifications(engine, [{
        "username": username, "event_id": event_id, "what": "commented", "kind": "proposal",
        "target_id": "usulan-1", "anchor": "", "params": {"title": "Kebun", "excerpt": "Ya"},
        "at": "2026-12-05T00:00:00Z", "created_at": 0.0, "read_at": None,
        "mail_batch": None}])


def _person(engine: Engine, username: str, email: str = "") -> None:
    add_user(engine, username, name=username.title(), node_id="pkk", role="member",
             password="kata-sandi-uji-123", email=email)


class Outbox:
    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.sent: list[EmailMessage] = []

    async def __call__(self, message: EmailMessage, server: SmtpServer, timeout: float) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)


def _batch(engine: Engine, batch_id: int) -> MailBatch:
    with Session(engine) as session:
        found = session.get(MailBatch, batch_id)
    assert found is not None
    return found


def test_a_notification_is_written_once_per_person_and_event(engine: Engine) -> None:
    _notify(engine, "ani", "e1")
    _notify(engine, "ani", "e1")
    _notify(engine, "budi", "e1")
    assert store.unread_count(engine, "ani") == 1
    assert store.mark_read(engine, "budi", [n.id or 0 for n in
                                            store.notifications_of(engine, "ani", 10)]) == 0
    assert store.unread_count(engine, "ani") == 1  # budi cannot mark ani's


def test_a_batch_is_recorded_once_and_claims_its_notifications(engine: Engine) -> None:
    _notify(engine, "ani", "e1")
    _notify(engine, "ani", "e2")
    pending, _ = store.pending(engine)
    ids = tuple(p.id for p in pending)
    first = store.record_batch(engine, Batch("ani:1", "ani", ids), 0.0)
    assert first is not None
    assert store.record_batch(engine, Batch("ani:1", "ani", ids), 0.0) is None  # same key
    assert store.record_batch(engine, Batch("ani:x", "ani", ids), 0.0) is None  # all claimed
    assert store.pending(engine)[0] == []
    assert store.lease(engine, first, 10.0, 60.0)
    assert not store.lease(engine, first, 20.0, 60.0)  # held by another round
    assert store.due(engine, 30.0) == []
    assert store.lease(engine, first, 100.0, 60.0)  # the lease ran out (a crashed worker)


def test_the_mailer_sends_once_retries_a_server_away_and_never_sends_again(
        engine: Engine) -> None:
    _person(engine, "ani", "ani@example.org")
    _notify(engine, "ani", "e1")
    outbox = Outbox(aiosmtplib.SMTPConnectError("refused"))
    mailer = Mailer(SETTINGS, engine, render, b"secret", send=outbox)
    asyncio.run(mailer.tick())
    [batch] = store.due(engine, time.time() + 1)
    assert outbox.sent == [] and _batch(engine, batch).attempts == 1
    assert "SMTPConnectError" in (_batch(engine, batch).last_error or "")
    asyncio.run(mailer.tick())
    assert len(outbox.sent) == 1 and _batch(engine, batch).sent_at is not None
    assert outbox.sent[0]["To"] == "Ani <ani@example.org>"
    restarted = Mailer(SETTINGS, engine, render, b"secret", send=outbox)
    asyncio.run(restarted.tick())
    assert len(outbox.sent) == 1


def test_a_permanent_refusal_gives_up_with_the_reason(engine: Engine) -> None:
    _person(engine, "ani", "ani@example.org")
    _notify(engine, "ani", "e1")
    refused = aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(550, "no such user", "ani@example.org")])
    mailer = Mailer(SETTINGS, engine, render, b"secret", send=Outbox(refused))
    asyncio.run(mailer.tick())
    with Session(engine) as session:
        [batch] = session.exec(select(MailBatch)).all()
    assert batch.failed_at is not None and "no such user" in (batch.last_error or "")
    assert store.due(engine, time.time() + 1000) == []


def test_without_an_address_or_a_server_nothing_is_mailed(engine: Engine) -> None:
    _person(engine, "ani")
    _notify(engine, "ani", "e1")
    _notify(engine, "budi", "e2")  # no account at all
    outbox = Outbox()
    asyncio.run(Mailer(SETTINGS, engine, render, b"secret", send=outbox).tick())
    assert outbox.sent == [] and store.pending(engine)[0] == []
    _person(engine, "cici", "cici@example.org")
    _notify(engine, "cici", "e3")
    asyncio.run(Mailer(replace(SETTINGS, smtp_url=None), engine, render, b"secret",
                       send=outbox).tick())
    assert outbox.sent == [] and store.pending(engine)[0] == []


@pytest.mark.parametrize("mode", ["daily", "none"])
def test_the_persons_choice_is_kept(engine: Engine, mode: str) -> None:
    store.set_preference(engine, "ani", mode=mode, locale="en")
    store.set_preference(engine, "ani", locale="id")
    choice = store.preference(engine, "ani")
    assert (choice.mode, choice.locale) == (mode, "id")


def test_a_daily_digests_notifications_never_keep_others_mail_waiting(engine: Engine) -> None:
    """A digest's notifications wait for its hour (and, once the day's digest is made, for
    the next day's) outside the first page of pending ones, however many there are."""
    for person, email in (("ani", "ani@x.id"), ("budi", "budi@x.id")):
        _person(engine, person, email)
    store.set_preference(engine, "ani", mode="daily")
    for n in range(5):
        _notify(engine, "ani", f"ani-{n}")
    _notify(engine, "budi", "budi-1")
    assert [p.username for p in store.pending(engine, limit=3)[0]] == ["budi"]  # before
    day = "2026-12-05"
    found = store.pending(engine, limit=10, digest_day=day)[0]
    assert sorted({p.username for p in found}) == ["ani", "budi"]  # its hour has come
    assert store.record_batch(engine, Batch(f"ani:daily:{day}", "ani", (1, 2, 3, 4, 5)),
                              0.0) is not None
    _notify(engine, "ani", "ani-after-the-digest")
    assert [p.username for p in store.pending(engine, limit=3, digest_day=day)[0]] == ["budi"]
    later = store.pending(engine, limit=10, digest_day="2026-12-06")[0]
    assert "ani" in {p.username for p in later}  # tomorrow's digest takes it
    assert len(store.pending(engine, limit=10, every=True)[0]) == 2
