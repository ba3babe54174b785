"""The SMTP URL, the unsubscribe token and the message: no network."""

from __future__ import annotations

import datetime as dt

import pytest

from services.notify.mail import (
    SmtpServer,
    message,
    message_id,
    parse_smtp_url,
    sender_address,
    unsubscribe_token,
    unsubscribe_username,
)


def test_plain_smtp_url() -> None:
    assert parse_smtp_url("smtp://127.0.0.1:8025") == SmtpServer("127.0.0.1", 8025, "none")


def test_starttls_url_with_encoded_credentials_and_default_port() -> None:
    server = parse_smtp_url("smtp+starttls://gotong%40bitung.go.id:p%40ss%3Aword@mail.example")
    assert (server.host, server.port, server.security) == ("mail.example", 587, "starttls")
    assert (server.username, server.password) == ("gotong@bitung.go.id", "p@ss:word")
    assert "p@ss" not in repr(server)


def test_smtps_default_port() -> None:
    assert parse_smtp_url("smtps://mail.example").port == 465


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtp://h:notaport", ""])
def test_bad_smtp_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_smtp_url(url)


def test_unsubscribe_token_names_its_person_and_only_with_the_secret() -> None:
    token = unsubscribe_token(b"secret", "ani")
    assert unsubscribe_username(b"secret", token) == "ani"
    assert unsubscribe_username(b"other", token) is None
    forged = unsubscribe_token(b"secret", "budi").split(".")[0] + "." + token.split(".")[1]
    assert unsubscribe_username(b"secret", forged) is None
    assert unsubscribe_username(b"secret", "garbage") is None
    assert unsubscribe_username(b"secret", "!!.??") is None


def test_message_is_multipart_alternative_with_one_click_unsubscribe() -> None:
    mail = message(sender="Gotong <g@x.id>", to="Ani <ani@x.id>", subject="Halo",
                   text="teks", html="<p>html</p>", unsubscribe_url="https://x.id/unsubscribe/t",
                   message_id=message_id("ani:1", "x.id"), when=dt.datetime.now(dt.UTC))
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert mail["List-Unsubscribe"] == "<https://x.id/unsubscribe/t>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message_id("ani:1", "x.id") == mail["Message-ID"] != message_id("ani:2", "x.id")


def test_a_title_or_name_with_line_breaks_makes_a_one_line_header() -> None:
    """Events allow line breaks in a title; a mail header does not (it raised, and the
    mail was leased again and again, never sent nor given up)."""
    mail = message(sender="Gotong <g@x.id>", to=sender_address("Ani\nSari", "ani@x.id"),
                   subject="Usulan “Jalan\r\nbaru” diterima", text="t", html="<p>h</p>",
                   unsubscribe_url="https://x.id/unsubscribe/t",
                   message_id=message_id("ani:1", "x.id"), when=dt.datetime.now(dt.UTC))
    assert mail["Subject"] == "Usulan “Jalan baru” diterima"
    assert mail["To"] == "Ani Sari <ani@x.id>"
