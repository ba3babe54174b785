"""A real SMTP server for the mail tests (aiosmtpd), on a port that outlives a stop:
stopped, the worker finds nobody there; started again, the mail it retries arrives."""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.kafka_fixtures import free_ports


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    def text(self) -> str:
        part = self.message.get_body(("plain",))
        return part.get_content() if part is not None else ""  # type: ignore[union-attr]

    def html(self) -> str:
        part = self.message.get_body(("html",))
        return part.get_content() if part is not None else ""  # type: ignore[union-attr]


@dataclass
class SmtpServer:
    port: int = field(default_factory=lambda: free_ports(1)[0])
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if address in r.recipients]
