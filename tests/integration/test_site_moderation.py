"""Moderation on the site: people flag a comment once, the moderators of the forum (the
coordinators of the node that convened it, and the admins) see the flags, hide or
dismiss, and restore; a hidden comment shows only the moderators' reason."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.site_fixtures import DemoSite, visible_text
from tests.support.stack import wait_for

pytestmark = pytest.mark.kafka

GIZI = "forum-gizi-posyandu-bitung"  # convened by dinkes-bitung (rudi coordinates it)


def _thread_with_comment(site: DemoSite, body: str) -> tuple[str, str]:
    site.login("ani")
    response = site.post(f"/forums/{GIZI}/proposals", {
        "title": "Kelas gizi untuk ibu hamil", "body": "Kelas bulanan di posyandu."})
    assert response.status_code == 303, response.text
    proposal = response.headers["location"].split("/proposals/")[1].split("?")[0]
    site.login("sari")
    posted = site.post(f"/proposals/{proposal}/comments", {"body": body})
    assert posted.status_code == 303
    return proposal, posted.headers["location"].split("#comment-")[1]


def _flagged(site: DemoSite, proposal: str) -> list[dict[str, Any]]:
    response = site.client.get("/moderation")
    assert response.status_code == 200 and response.template.name == "moderation.html"
    return [i for i in response.context["items"] if i["proposal"].id == proposal]


def test_a_person_flags_a_comment_once_and_the_moderators_see_it(site: DemoSite) -> None:
    proposal, comment = _thread_with_comment(site, "Komentar yang menyinggung")
    site.login("ani")
    first = site.post(f"/proposals/{proposal}/comments/{comment}/flag",
                      {"reason": "Menyinggung warga"})
    assert first.status_code == 303
    again = site.post(f"/proposals/{proposal}/comments/{comment}/flag", {"reason": "Lagi"})
    assert again.status_code == 303
    page = site.client.get(f"/proposals/{proposal}")
    assert comment in page.context["flagged"]
    assert "Anda sudah menandai komentar ini" in visible_text(page.text)
    empty = site.post(f"/proposals/{proposal}/comments/{comment}/flag", {"reason": ""})
    assert empty.status_code == 400 and "reason" in empty.context["errors"]
    assert site.client.get("/moderation").status_code == 403  # a member moderates nothing

    site.login("hendra")  # a coordinator of dinsos-bitung, which did not convene the forum
    assert _flagged(site, proposal) == []
    for moderator in ("rudi", "admin-uji"):
        site.login(moderator)
        (item,) = _flagged(site, proposal)
        assert item["flag"].count == 1 and item["flag"].reasons == ["Menyinggung warga"]
        assert item["excerpt"] == "Komentar yang menyinggung"
        assert "Menyinggung warga" in visible_text(site.client.get("/moderation").text)

    dismissed = site.post("/moderation/dismiss", {"proposal_id": proposal,
                                                  "comment_id": comment})
    assert dismissed.status_code == 303
    assert _flagged(site, proposal) == []


def test_the_conveners_coordinator_hides_and_restores_a_comment(site: DemoSite) -> None:
    proposal, comment = _thread_with_comment(site, "Isi yang kasar sekali")
    site.login("ani")
    site.post(f"/proposals/{proposal}/comments/{comment}/flag", {"reason": "Kasar"})

    site.login("hendra")
    assert not site.client.get(f"/proposals/{proposal}").context["may_moderate"]
    refused = site.post(f"/proposals/{proposal}/comments/{comment}/hide", {"reason": "x"})
    assert refused.status_code == 403
    assert "dinkes-bitung" in visible_text(refused.text)

    site.login("rudi")
    page = site.client.get(f"/proposals/{proposal}")
    assert page.context["may_moderate"] and "Sembunyikan" in visible_text(page.text)
    no_reason = site.post(f"/proposals/{proposal}/comments/{comment}/hide", {"reason": ""})
    assert no_reason.status_code == 400 and no_reason.context["form"] == "hide"
    hidden = site.post(f"/proposals/{proposal}/comments/{comment}/hide",
                       {"reason": "Bahasa kasar"})
    assert hidden.status_code == 303 and "pending" not in hidden.headers["location"]
    assert _flagged(site, proposal) == []  # the flags were settled by the hide
    for who in (None, "ani", "rudi"):
        site.login(who)
        text = visible_text(site.client.get(f"/proposals/{proposal}").text)
        assert "disembunyikan oleh moderator forum: Bahasa kasar" in text
        assert "Isi yang kasar sekali" not in text

    def told_ani() -> str:  # ani follows her proposal: she was told of sari's comment
        site.login("ani")
        return visible_text(site.client.get("/notifications").text)

    wait_for(lambda: "disembunyikan oleh moderator forum: Bahasa kasar" in told_ani(), 60,
             "ani's notification of the comment to say it was hidden")
    assert "Isi yang kasar sekali" not in told_ani()

    site.login("rudi")
    restored = site.post(f"/proposals/{proposal}/comments/{comment}/restore",
                         {"reason": "Sudah diperbaiki"})
    assert restored.status_code == 303
    text = visible_text(site.client.get(f"/proposals/{proposal}").text)
    assert "Isi yang kasar sekali" in text and "disembunyikan oleh" not in text
    wait_for(lambda: "Isi yang kasar sekali" in told_ani(), 60,
             "ani's notification to quote the restored comment again")
