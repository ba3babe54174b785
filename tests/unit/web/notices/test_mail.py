"""A notification mail in words: the person's language, both parts, links and escaping."""

from __future__ import annotations

from services.notify.store import Letter
from services.notify.tables import MailBatch, Notification
from web.notices.mail import render


def _letter(locale: str, *whats: str) -> Letter:
    notes = [Notification(id=i, username="ani", event_id=f"e{i}", what=what, kind="proposal",
                          target_id="usulan-1", anchor="#comment-c1",
                          params={"title": "Kebun <gizi>", "by": "PKK", "author": "Pak Budi",
                                  "excerpt": "Setuju & siap"},
                          at="2026-12-04T23:30:00Z", created_at=0.0)
             for i, what in enumerate(whats, 1)]
    batch = MailBatch(id=1, key="ani:1", username="ani", created_at=0.0)
    return Letter(batch=batch, name="Ibu Ani", email="ani@example.org", locale=locale,
                  notifications=notes)


def test_one_notification_is_the_subject_in_indonesian_by_default() -> None:
    subject, text, html = render(_letter("xx", "commented"), "https://g.id/unsubscribe/t",
                                 "https://g.id")
    assert subject == "Pak Budi (PKK) mengomentari “Kebun <gizi>”"
    assert "Halo Ibu Ani," in text and "Setuju & siap" in text
    assert "https://g.id/proposals/usulan-1/comments/c1" in text
    assert "https://g.id/unsubscribe/t" in text and "https://g.id/unsubscribe/t" in html
    assert "07.30 WITA" in text  # the city's time


def test_several_notifications_are_counted_in_english_and_escaped_in_html() -> None:
    subject, text, html = render(_letter("en", "commented", "endorsed"), "https://g.id/u/t",
                                 "https://g.id")
    assert subject == "2 new notifications on Gotong"
    assert "Pak Budi (PKK) endorsed “Kebun <gizi>”" in text
    assert "Kebun &lt;gizi&gt;" in html and "Kebun <gizi>" not in html
    assert "Setuju &amp; siap" in html
