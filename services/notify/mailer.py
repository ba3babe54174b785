"""Notification mail, sent by the worker: at least once, one mail per (person, batch).

Every ``GOTONG_MAIL_TICK`` seconds, on a timer of its own (never in the ingest path):

1. **Batch.** The notifications not handled for mail yet are grouped per person
   (``rules.batches``): a mail is recorded in the outbox (a row with a unique key) and
   its notifications are claimed by it, in one transaction, before anything is sent.
   People who chose "none", or have no address, get none: their notifications are
   marked so and stay on the site.
2. **Send.** Each recorded mail not sent yet is leased (one worker at a time), built
   from what it claimed, handed to the SMTP server, and marked sent once the server
   has accepted it. A mail marked sent is never sent again; one not marked sent is
   retried, after a restart too, on ``GOTONG_MAIL_RETRY_SCHEDULE`` while the server
   is away, and given up (with the reason) after the schedule or on a permanent
   refusal (5xx).

The limit, honestly: a crash (or a lost connection) after the server accepted a mail
and before the mark is written sends that mail once more, with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.utils import parseaddr
from urllib.parse import urlsplit

import aiosmtplib
from sqlalchemy import Engine

from services import clock
from services.feeds.webhooks.retry import next_delay
from services.notify import mail, rules, store
from services.notify.tables import MailBatch
from services.settings import Settings

log = logging.getLogger(__name__)

#: (letter, unsubscribe URL, the site's public URL) -> (subject, plain text, HTML)
Render = Callable[[store.Letter, str, str], tuple[str, str, str]]
Send = Callable[[EmailMessage, mail.SmtpServer, float], Awaitable[None]]


async def smtp_send(message: EmailMessage, server: mail.SmtpServer, timeout: float) -> None:
    await aiosmtplib.send(message, hostname=server.host, port=server.port,
                          username=server.username, password=server.password,
                          use_tls=server.security == "tls",
                          start_tls=server.security == "starttls",
                          timeout=timeout)


def permanent(exc: Exception) -> bool:
    """A refusal the server will repeat (5xx): retrying would not help."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(500 <= r.code < 600 for r in exc.recipients)
    return isinstance(exc, aiosmtplib.SMTPResponseException) and 500 <= exc.code < 600


class Mailer:
    def __init__(self, settings: Settings, engine: Engine, render: Render | None,
                 secret: bytes, send: Send = smtp_send) -> None:
        self.settings = settings
        self.engine = engine
        self.render = render
        self.secret = secret
        self.send = send
        self.server = mail.parse_smtp_url(settings.smtp_url) if settings.smtp_url else None
        self.domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "gotong.local"
        self.sent = 0

    async def tick(self) -> None:
        try:
            now = time.time()
            await asyncio.to_thread(self.make_batches, now)
            if self.server is not None and self.render is not None:
                await self.send_due(now)
        except Exception:  # the next tick tries again; the worker goes on
            log.exception("the mail round failed")

    def digest_day(self, now: float) -> str | None:
        """The city's date once its digest hour has come (else None: no digest yet)."""
        local = dt.datetime.fromtimestamp(now, clock.zone(self.settings.timezone))
        return local.date().isoformat() if local.hour >= self.settings.mail_digest_hour \
            else None

    def make_batches(self, now: float) -> int:
        if self.server is None or self.render is None:  # no mail at all: the site only
            pending, _ = store.pending(self.engine, every=True)
            store.never_mail(self.engine, [p.id for p in pending])
            return 0
        day = self.digest_day(now)
        pending, modes = store.pending(self.engine, digest_day=day)
        if not pending:
            return 0
        made, never = rules.batches(pending, modes, now, wait_s=self.settings.mail_wait_s,
                                    digest_day=day)
        store.never_mail(self.engine, never)
        return sum(store.record_batch(self.engine, b, now) is not None for b in made)

    async def send_due(self, now: float) -> None:
        lease_s = self.settings.mail_timeout_s * 2 + 30
        for batch_id in await asyncio.to_thread(store.due, self.engine, now):
            if await asyncio.to_thread(store.lease, self.engine, batch_id, time.time(),
                                       lease_s):
                await self.send_one(batch_id)

    async def send_one(self, batch_id: int) -> None:
        assert self.server is not None and self.render is not None
        letter = await asyncio.to_thread(store.letter, self.engine, batch_id)
        if letter is None:
            return
        if not letter.email or not letter.notifications:
            await asyncio.to_thread(store.mark_failed, self.engine, batch_id, time.time(),
                                    "no e-mail address" if not letter.email
                                    else "nothing to say")
            return
        token = mail.unsubscribe_token(self.secret, letter.batch.username)
        public = self.settings.public_url
        unsubscribe = f"{public}/unsubscribe/{token}"
        try:  # a mail that cannot even be made is recorded as failed like any other
            subject, text, html = self.render(letter, unsubscribe, public)
            message = mail.message(
                sender=self.settings.mail_from,
                to=mail.sender_address(letter.name, letter.email),
                subject=subject, text=text, html=html, unsubscribe_url=unsubscribe,
                message_id=mail.message_id(letter.batch.key,
                                           urlsplit(public).hostname or self.domain),
                when=dt.datetime.now(dt.UTC))
            await self.send(message, self.server, self.settings.mail_timeout_s)
        except Exception as exc:  # every failure is recorded on the batch, none is lost
            await self._failed(letter.batch, exc)
            return
        await asyncio.to_thread(store.mark_sent, self.engine, batch_id, time.time())
        self.sent += 1
        log.info("mail %s sent (%d notifications)", letter.batch.key,
                 len(letter.notifications))

    async def _failed(self, batch: MailBatch, exc: Exception) -> None:
        attempts = batch.attempts + 1
        reason = f"{type(exc).__name__}: {exc}"
        delay = None if permanent(exc) else next_delay(self.settings.mail_retry_schedule,
                                                       attempts, None)
        assert batch.id is not None
        if delay is None:
            log.warning("mail %s given up after %d attempts: %s", batch.key, attempts, reason)
            await asyncio.to_thread(store.mark_failed, self.engine, batch.id, time.time(),
                                    reason)
            return
        log.warning("mail %s not sent (%s); again in %.0fs", batch.key, reason, delay)
        await asyncio.to_thread(store.mark_retry, self.engine, batch.id, attempts,
                                time.time() + delay, reason)
