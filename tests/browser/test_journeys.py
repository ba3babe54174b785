"""The main journeys in a real browser: post a proposal, run a meeting, report progress,
switch the language, and watch pages update live."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.browser.conftest import log_in, shot
from tests.support.stack import Stack, event, uid

pytestmark = pytest.mark.kafka

MAESA = "forum-ekonomi-maesa"
GIZI = "forum-gizi-posyandu-bitung"  # convened by dinkes-bitung
MENJAHIT = "usulan-pelatihan-menjahit-bitung-tengah"


def test_main_pages_render_for_a_visitor(page: Any) -> None:
    for name, path in [("home", "/"), ("forum", f"/forums/{MAESA}"),
                       ("proposal", f"/proposals/{MENJAHIT}"),
                       ("meeting", "/meetings/musyawarah-maesa-2026-03"),
                       ("commitments", "/commitments"), ("node", "/nodes/dinsos-bitung"),
                       ("programs", "/programs"),
         ("program", "/programs/edukasi-gizi-posyandu"),
         ("search", "/search?q=pelatihan+menjahit"), ("login", "/login")]:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert page.locator("html").get_attribute("lang") == "id"
        shot(page, name)


def test_stakeholder_posts_a_proposal_and_sees_it(page: Any) -> None:
    log_in(page, "ani")
    page.goto(f"/forums/{MAESA}")
    page.get_by_role("link", name="Ajukan usulan").click()
    page.fill("#title", "Kelas tata boga untuk remaja putri")
    page.fill("#body", "Kelas memasak kue tradisional selama dua minggu.")
    page.fill("#budget_estimate", "5000000")
    shot(page, "proposal-form")
    page.get_by_role("button", name="Kirim").click()
    page.wait_for_url("**/proposals/usulan-kelas-tata-boga-untuk-remaja-putri-*")
    assert page.locator("h1").inner_text() == "Kelas tata boga untuk remaja putri"
    assert "Ibu Ani" in page.locator("article").inner_text()


def test_stakeholder_sees_field_errors_next_to_the_fields(page: Any) -> None:
    log_in(page, "ani")
    page.goto(f"/forums/{MAESA}/proposals/new")
    page.fill("#body", "Tanpa judul")
    page.evaluate("document.querySelector('#title').removeAttribute('required')")
    page.get_by_role("button", name="Kirim").click()
    assert page.locator("#title-error").is_visible()
    assert page.locator("#body").input_value() == "Tanpa judul"
    shot(page, "proposal-form-errors")


def test_coordinator_publishes_minutes_and_creates_an_action_item(page: Any) -> None:
    log_in(page, "hendra")
    page.goto(f"/forums/{MAESA}")
    page.get_by_role("link", name="Jadwalkan rapat").click()
    page.fill("#title", "Musyawarah evaluasi pelatihan")
    starts = (dt.datetime.now() + dt.timedelta(days=5)).strftime("%Y-%m-%dT09:00")
    page.fill("#starts_at", starts)
    page.fill("#location", "Balai Kelurahan Bitung Tengah")
    page.get_by_role("button", name="Jadwalkan").click()
    page.wait_for_url("**/meetings/rapat-musyawarah-evaluasi-pelatihan-*")
    page.get_by_role("link", name="Terbitkan notulen").click()
    rows = page.locator("form.minutes .row")
    rows.nth(0).locator("input").fill("Hendra Lumenta")
    rows.nth(0).locator("select").select_option("dinsos-bitung")
    rows.nth(1).locator("input").fill("Ibu Ani")
    rows.nth(1).locator("select").select_option(label="TP PKK Kelurahan Bitung Tengah")
    decision = page.locator("form.minutes .decision").nth(0)
    decision.locator("textarea").fill("Angkatan ketiga dibuka Januari")
    decision.locator("select[name=decision_proposal]").select_option(MENJAHIT)
    page.get_by_role("button", name="Terbitkan notulen").click()
    page.wait_for_selector("ol.decisions li")
    shot(page, "meeting-with-minutes")
    page.get_by_role("link", name="Buat komitmen").first.click()
    page.select_option("#owner_node_id", "dinsos-bitung")
    page.fill("#due_date", (dt.date.today() + dt.timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Buat").click()
    page.wait_for_url("**/commitments/rtl-*")
    assert "Dinas Sosial Kota Bitung" in page.locator("dl.facts").inner_text()
    shot(page, "commitment")


def test_people_discuss_and_endorse_and_the_coordinator_decides(page: Any) -> None:
    log_in(page, "ani")
    page.goto(f"/forums/{GIZI}")
    page.get_by_role("link", name="Ajukan usulan").click()
    page.fill("#title", "Taman baca di pos ronda")
    page.fill("#body", "Rak buku dan tikar di pos ronda RT 2.")
    page.get_by_role("button", name="Kirim").click()
    page.wait_for_url("**/proposals/usulan-taman-baca-di-pos-ronda-*")
    thread = page.url
    # a comment keeps its paragraphs, and its address becomes a link
    page.fill("#body", "Saya setuju.\n\nContoh di kota lain: https://example.org/taman-baca")
    page.get_by_role("button", name="Kirim komentar").click()
    comment = page.locator("ul.comments > li[id^=comment-]").first
    comment.locator(".rich p").nth(1).wait_for()
    assert comment.locator(".rich a").get_attribute("href") == "https://example.org/taman-baca"
    comment.locator("summary", has_text="Balas").click()
    comment.locator("textarea").fill("Saya bisa menyumbang buku cerita.")
    comment.get_by_role("button", name="Balas").click()
    page.locator("ul.replies", has_text="Saya bisa menyumbang buku cerita.").wait_for()
    page.fill("#note", "PKK siap menjaga rak")
    page.get_by_role("button", name="Dukung").click()
    page.locator("ul.endorsers", has_text="PKK siap menjaga rak").wait_for()
    page.get_by_text("Anda mendukung usulan ini.").wait_for()
    # a member decides nothing: the author's node may only withdraw its proposal
    assert page.locator("#status option[value]:not([value=''])").evaluate_all(
        "options => options.map(o => o.value)") == ["withdrawn"]
    shot(page, "thread-discussed")

    page.context.clear_cookies()
    log_in(page, "rudi")  # a coordinator of dinkes-bitung, which convened the forum
    page.goto(thread)
    assert page.locator("#status").input_value() == ""  # nothing chosen for him
    page.select_option("#status", "under_review")
    page.fill("#reason", "Dibahas di musyawarah Januari")
    page.get_by_role("button", name="Ubah status").click()
    page.locator("ol.history", has_text="Dibahas di musyawarah Januari").wait_for()
    assert "Sedang ditinjau" in page.locator("ol.history li").last.inner_text()
    shot(page, "thread-under-review")


def test_owner_reports_progress_and_the_board_shows_it(page: Any) -> None:
    log_in(page, "sari")
    page.goto("/commitments?owner=dinsos-bitung")
    still_open = page.locator(".s-open, .s-in_progress, .s-blocked")
    page.locator("table.items tbody tr", has=still_open).first.locator("td a").first.click()
    title = page.locator("h1").inner_text()
    page.fill("#percent", "85")
    page.fill("#note", "Tinggal serah terima")
    page.get_by_role("button", name="Laporkan kemajuan").click()
    page.wait_for_url("**/commitments/rtl-*")
    page.goto("/commitments?owner=dinsos-bitung")
    row = page.locator("table.items tr", has_text=title)
    assert row.locator("progress").get_attribute("value") == "85"
    shot(page, "board-after-progress")


def test_language_switch_is_remembered(page: Any) -> None:
    page.goto("/commitments")
    page.get_by_role("link", name="English").click()  # a visitor's: a plain link
    page.wait_for_url("**/commitments")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Commitments"
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, "home-english")


def test_thread_updates_live_when_a_comment_arrives(page: Any, stack: Stack) -> None:
    node = stack.node("community")
    proposal = uid("usulan")
    stack.publish(node, [event("gotong.proposal.submitted.v1", proposal, {
        "forum_id": MAESA, "title": "Usulan untuk uji langsung", "body": "Isi",
        "author": "Pak Budi"}, node)])
    stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: True)
    page.goto(f"/proposals/{proposal}")
    assert page.locator("#live-reload").is_hidden()
    stack.publish(node, [event("gotong.proposal.commented.v1", proposal, {
        "comment_id": uid("c"), "body": "Komentar yang datang langsung",
        "author": "Bu Rina"}, node)])
    page.wait_for_selector("text=Komentar yang datang langsung", timeout=15000)
    # the comment just came: its time is said as people say it, the moment stays in the
    # title (in the city's time), also in the region the live update swapped in
    moment = page.locator("li[id^=comment-] time[data-ago]").last
    assert moment.inner_text() in ("sekarang", "1 menit yang lalu")
    assert moment.get_attribute("title").endswith("WITA")


def test_board_updates_live_when_progress_is_reported(page: Any, stack: Stack) -> None:
    node = stack.node("government")
    item = uid("rtl")
    stack.publish(node, [event("gotong.action_item.created.v1", item, {
        "title": "Komitmen uji langsung", "owner_node_id": node, "due_date": "2031-01-01"},
        node)])
    stack.wait_json(f"/api/v1/commitments?owner={node}", lambda b: b["total"] == 1)
    page.goto(f"/commitments?owner={node}")
    stack.publish(node, [event("gotong.action_item.progress_reported.v1", item,
                               {"percent": 40}, node)])
    page.wait_for_selector(f"#item-{item} progress[value='40']", timeout=15000)


PAGES = [("home", "/"), ("forum", f"/forums/{MAESA}"), ("proposal", f"/proposals/{MENJAHIT}"),
         ("meeting", "/meetings/musyawarah-maesa-2026-03"), ("commitments", "/commitments"),
         ("commitment", "/commitments/rtl-bantuan-transport-anak-nelayan"),
         ("node", "/nodes/dinsos-bitung"), ("programs", "/programs"),
         ("program", "/programs/edukasi-gizi-posyandu"),
         ("search", "/search?q=pelatihan+menjahit"), ("login", "/login")]


#: seen signed in as an admin: the account page and everything it leads to
ACCOUNT_PAGES = [("account", "/account"), ("notifications", "/notifications"),
                 ("invites", "/invites"),
                 ("admin-nodes", "/admin/nodes"), ("admin-node", "/admin/nodes/dinsos-bitung"),
                 ("admin-people", "/admin/people"), ("admin-audit", "/admin/audit")]


def test_an_invitee_joins_logs_in_and_changes_their_password(browser: Any, site_url: str
                                                             ) -> None:
    """A coordinator makes an invite link; the invitee opens it in their own browser,
    chooses a username and a password, logs in, changes the password and logs in with
    the new one."""
    coordinator = browser.new_context(base_url=site_url, viewport={"width": 390, "height": 844},
                                      locale="id-ID")
    invitee = browser.new_context(base_url=site_url, viewport={"width": 390, "height": 844},
                                  locale="id-ID")
    username = uid("dewi").lower()
    try:
        tab = coordinator.new_page()
        log_in(tab, "hendra")
        tab.goto("/account")
        tab.get_by_role("link", name="Undang orang").click()
        tab.select_option("#role", "member")
        tab.get_by_role("button", name="Buat tautan undangan").click()
        link = tab.locator("#secret").input_value()
        shot(tab, "invite-link")
        assert "/invites/" in link

        own = invitee.new_page()
        own.goto(link)
        assert "Dinas Sosial" in own.locator("h1").inner_text()
        own.fill("#name", "Dewi Rumengan")
        own.fill("#username", username)
        own.fill("#password", "sandi-dewi-pertama")
        own.fill("#password_again", "sandi-dewi-pertama")
        shot(own, "invite-accept")
        own.get_by_role("button", name="Buat akun saya").click()
        own.wait_for_url("**/login?joined=*")
        assert own.locator("#username").input_value() == username
        own.fill("#password", "sandi-dewi-pertama")
        own.click("form.card button[type=submit]")
        own.wait_for_url("**/")
        own.goto("/account")
        assert username in own.locator("main").inner_text()

        own.fill("#current_password", "sandi-dewi-pertama")
        own.fill("#new_password", "sandi-dewi-kedua")
        own.fill("#new_password_again", "sandi-dewi-kedua")
        own.get_by_role("button", name="Ganti kata sandi").click()
        own.wait_for_url("**/account?changed=password")
        assert own.get_by_role("status").is_visible()
        shot(own, "password-changed")
        own.get_by_role("button", name="Keluar").click()
        own.goto("/login")
        own.fill("#username", username)
        own.fill("#password", "sandi-dewi-pertama")
        own.click("form.card button[type=submit]")
        assert own.locator("p.error").is_visible()  # the old password no longer works
        own.fill("#password", "sandi-dewi-kedua")
        own.click("form.card button[type=submit]")
        own.wait_for_url("**/")
        assert own.get_by_role("link", name="Dewi Rumengan").is_visible()
        own.goto(link)
        assert own.locator("h1").inner_text() == "Tautan ini sudah tidak berlaku"
    finally:
        coordinator.close()
        invitee.close()


@pytest.mark.parametrize("locale", ["id-ID", "en-US"])
def test_no_account_page_scrolls_sideways_on_a_phone(browser: Any, site_url: str,
                                                     locale: str) -> None:
    context = browser.new_context(base_url=site_url, viewport={"width": 390, "height": 844},
                                  locale=locale)
    try:
        tab = context.new_page()
        log_in(tab, "admin-uji")
        for name, path in ACCOUNT_PAGES:
            response = tab.goto(path)
            assert response is not None and response.status == 200, path
            overflow = tab.evaluate("document.documentElement.scrollWidth"
                                    " - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} at 390 px scrolls sideways by {overflow} px"
            shot(tab, f"{name}-390-{locale[:2]}")
        tab.goto("/invites")  # a link shown once: long, and still no sideways scroll
        tab.locator("form.card button[type=submit]").click()
        tab.wait_for_selector("#secret")
        overflow = tab.evaluate("document.documentElement.scrollWidth"
                                " - document.documentElement.clientWidth")
        assert overflow <= 0, f"a link shown once scrolls sideways by {overflow} px"
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
@pytest.mark.parametrize("locale", ["id-ID", "en-US"])
def test_no_page_scrolls_sideways(browser: Any, site_url: str, width: int, height: int,
                                  locale: str) -> None:
    context = browser.new_context(base_url=site_url, viewport={"width": width, "height": height},
                                  locale=locale)
    try:
        tab = context.new_page()
        for name, path in PAGES:
            response = tab.goto(path)
            assert response is not None and response.status == 200, path
            overflow = tab.evaluate("document.documentElement.scrollWidth"
                                    " - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} at {width} px scrolls sideways by {overflow} px"
            shot(tab, f"{name}-{width}-{locale[:2]}")
        # controls a thumb can hit: the board's filters are at least 44 px tall
        tab.goto("/commitments")
        heights = tab.eval_on_selector_all(
            "form.filters select, form.filters button",
            "els => els.map(e => e.getBoundingClientRect().height)")
        assert heights and min(heights) >= 44, heights
        # and so are the links one taps to move around: the header's, the board's counts, pages
        links = tab.eval_on_selector_all(
            "header nav a, .counts a, .pages a",
            "els => els.map(e => [e.textContent.trim(), e.getBoundingClientRect().height])")
        assert links and all(height >= 44 for _, height in links), links
    finally:
        context.close()
