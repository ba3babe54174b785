"""Mail, without sending it: the SMTP URL, the unsubscribe token, the message itself."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from urllib.parse import unquote, urlsplit

#: scheme -> (how the connection is secured, the usual port)
SCHEMES = {"smtp": ("none", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: str  # none | starttls | tls
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never the password in a log line
        who = f"{self.username}@" if self.username else ""
        return f"SmtpServer({self.security}://{who}{self.host}:{self.port})"


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp://host:port``, ``smtp+starttls://user:password@host:587``, ``smtps://…``;
    user and password percent-encoded. ValueError names what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES:
        raise ValueError(f"the scheme must be one of {', '.join(SCHEMES)}, not "
                         f"{parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise ValueError("the URL names no host")
    security, default_port = SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise ValueError(f"the port is not a number: {exc}") from None
    return SmtpServer(host=parts.hostname, port=port, security=security,
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, username: str) -> bytes:
    return hmac.digest(secret, f"unsubscribe|{username}".encode(), hashlib.sha256)[:16]


def unsubscribe_token(secret: bytes, username: str) -> str:
    """A token for the unsubscribe URL: the username and a MAC made with the service's
    secret, so it works without a login and cannot be made for someone else."""
    return f"{_b64(username.encode())}.{_b64(_mac(secret, username))}"


def unsubscribe_username(secret: bytes, token: str) -> str | None:
    """Whose token it is; None for anything not made by ``unsubscribe_token``."""
    name, dot, mac = token.partition(".")
    if not dot or len(token) > 300:
        return None
    try:
        username = _unb64(name).decode()
        given = _unb64(mac)
    except (ValueError, UnicodeDecodeError):
        return None
    return username if hmac.compare_digest(given, _mac(secret, username)) else None


def message(*, sender: str, to: str, subject: str, text: str, html: str,
            unsubscribe_url: str, message_id: str, when: dt.datetime) -> EmailMessage:
    """A multipart/alternative mail (plain text first, then HTML) with the one-click
    unsubscribe headers of RFC 8058 (RFC 2369's List-Unsubscribe with an HTTPS URL)."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = one_line(subject)
    mail["Date"] = format_datetime(when)
    mail["Message-ID"] = message_id
    mail["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")
    return mail


def message_id(batch_key: str, domain: str) -> str:
    """The same for every attempt of one batch: a mail sent twice (a crash after the
    server took it, before it was marked sent) is recognisably the same mail."""
    digest = hashlib.sha256(batch_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def one_line(text: str) -> str:
    """A header's text: a title or a name may hold line breaks (events allow them), which
    no mail header may."""
    return " ".join(text.split())


def sender_address(name: str, address: str) -> str:
    return formataddr((one_line(name), address)) if name.strip() else address
