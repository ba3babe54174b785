"""Writing through the site: every form publishes an event and lands on the result.

Runs against a real stack (Kafka, worker, database) with the demo loaded; each
test logs in as one of the demo accounts of tests/support/site_fixtures.py.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import orjson
import pytest
from starlette.routing import Route

from tests.support.kafka_io import read_all
from tests.support.site_fixtures import PASSWORD, DemoSite, visible_text
from tests.support.stack import event, wait_for
from web import site as web_site
from web.pages import commitment as commitment_pages
from web.ratelimit import LoginLimiter

pytestmark = pytest.mark.kafka

MAESA = "forum-ekonomi-maesa"  # convened by bappeda-bitung
GIZI = "forum-gizi-posyandu-bitung"  # convened by dinkes-bitung
MENJAHIT = "usulan-pelatihan-menjahit-bitung-tengah"
MAESA_MARCH = "musyawarah-maesa-2026-03"  # convened by dinsos-bitung
DINSOS_ITEM = "rtl-instruktur-mesin-jahit-angkatan-1"


def _open_dinsos_item(site: DemoSite) -> str:
    board = site.client.get("/commitments", params={"owner": "dinsos-bitung"}).context["board"]
    return next(i.id for i in board.items if i.status in ("open", "in_progress", "blocked"))


def _new_proposal(site: DemoSite, title: str = "Pelatihan sablon untuk karang taruna") -> str:
    return _new_proposal_in(site, MAESA, title)


def _new_proposal_in(site: DemoSite, forum: str,
                     title: str = "Pelatihan sablon untuk karang taruna") -> str:
    response = site.post(f"/forums/{forum}/proposals", {
        "title": title, "body": "Pelatihan sablon kaos selama lima hari.",
        "budget_estimate": "7.500.000", "tags": "pelatihan, pemuda"})
    assert response.status_code == 303, response.text
    return response.headers["location"].split("/proposals/")[1].split("?")[0]


#: RFC 8058's one-click unsubscribe is posted by a mail client, with no cookie and no form
#: token: the signed token in its URL is the proof (tests/integration/test_notifications.py)
ONE_CLICK = {"unsubscribe"}
POST_ROUTES = sorted({(r.path, r.name) for r in web_site.routes
                      if isinstance(r, Route) and r.methods and "POST" in r.methods
                      and r.name not in ONE_CLICK})


@pytest.mark.parametrize("path,name", POST_ROUTES)
def test_every_form_without_a_csrf_token_is_forbidden(site: DemoSite, path: str,
                                                      name: str) -> None:
    site.login("admin-uji")
    target = path.replace("{id}", MENJAHIT)
    response = site.client.post(target, data={"title": "x", "body": "x", "lang": "en"})
    assert response.status_code == 403


def test_a_token_from_another_browser_is_forbidden(site: DemoSite) -> None:
    site.login("ani")
    stolen = site.csrf("/")
    site.login("ani")  # a new browser with its own session
    response = site.client.post(f"/proposals/{MENJAHIT}/comments",
                                data={"body": "Halo", "csrf_token": stolen})
    assert response.status_code == 403


def test_logged_out_visitor_cannot_post(site: DemoSite) -> None:
    response = site.post(f"/proposals/{MENJAHIT}/comments", {"body": "Halo"},
                         token_from="/login")
    assert response.status_code == 403


def test_new_proposal_form_sends_a_visitor_to_login_first(site: DemoSite) -> None:
    response = site.client.get(f"/forums/{MAESA}/proposals/new")
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"/login?next=/forums/{MAESA}/proposals/new")


def test_login_with_a_wrong_password_rerenders_with_400(site: DemoSite) -> None:
    token = site.csrf("/login")
    response = site.client.post("/login", data={"username": "ani", "password": "salah-sekali",
                                                "csrf_token": token})
    assert response.status_code == 400
    assert response.template.name == "login.html"
    assert response.context["values"]["username"] == "ani"
    assert "Nama pengguna atau kata sandi salah." in visible_text(response.text)


def test_login_is_rate_limited_after_repeated_failures(site: DemoSite) -> None:
    saved = getattr(site.app.state, "login_limiter", None)
    site.app.state.login_limiter = LoginLimiter(max_failures=3, window_s=60)
    try:
        token = site.csrf("/login")
        codes = [site.client.post("/login", data={"username": "sari", "password": "tebak-tebak",
                                                  "csrf_token": token}).status_code
                 for _ in range(4)]
        right = site.client.post("/login", data={"username": "sari", "password": PASSWORD,
                                                 "csrf_token": token})
        # someone else at the same address (one office, one NAT) signs in all the same
        other = site.client.post("/login", data={"username": "ani", "password": PASSWORD,
                                                 "csrf_token": token})
    finally:
        site.app.state.login_limiter = saved
    assert codes == [400, 400, 400, 429]
    assert right.status_code == 429
    assert other.status_code == 303


def test_session_cookie_is_httponly_and_samesite_lax(site: DemoSite) -> None:
    token = site.csrf("/login")
    response = site.client.post("/login", data={"username": "ani", "password": PASSWORD,
                                                "csrf_token": token})
    cookie = response.headers["set-cookie"].lower()
    assert "gotong_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_logout_ends_the_session_on_the_server(site: DemoSite) -> None:
    site.login("ani")
    session = site.client.cookies.get("gotong_session")
    token = site.csrf("/")
    assert site.client.post("/logout", data={"csrf_token": token}).status_code == 303
    site.client.cookies.clear()
    site.client.cookies.set("gotong_session", session or "")
    assert site.client.get("/account").status_code == 303  # the old cookie is worthless


def test_member_submits_a_proposal_and_lands_on_it(site: DemoSite) -> None:
    site.login("ani")
    proposal = _new_proposal(site)
    page = site.client.get(f"/proposals/{proposal}")
    assert page.status_code == 200 and page.template.name == "proposal.html"
    assert page.context["proposal"].author == "Ibu Ani"
    assert page.context["proposal"].node_id == "pkk-bitung-tengah"
    assert page.context["proposal"].budget_estimate == 7500000
    assert "Pelatihan sablon untuk karang taruna" in visible_text(page.text)


def test_proposal_without_a_title_is_shown_again_with_400_and_the_input_kept(
        site: DemoSite) -> None:
    site.login("ani")
    response = site.post(f"/forums/{MAESA}/proposals", {"title": "", "body": "Isi usulan",
                                                        "budget_estimate": "banyak"})
    assert response.status_code == 400
    assert response.template.name == "proposal_form.html"
    assert set(response.context["errors"]) == {"title", "budget_estimate"}
    assert response.context["values"]["body"] == "Isi usulan"
    assert 'id="title-error"' in response.text and ">Isi usulan</textarea>" in response.text


def test_comment_and_reply_appear_nested_on_the_thread(site: DemoSite) -> None:
    site.login("ani")
    proposal = _new_proposal(site)
    first = site.post(f"/proposals/{proposal}/comments", {"body": "Komentar pertama"})
    assert first.status_code == 303
    comment_id = first.headers["location"].split("#comment-")[1]
    site.post(f"/proposals/{proposal}/comments", {"body": "Balasan", "in_reply_to": comment_id})
    comments = site.client.get(f"/proposals/{proposal}").context["comments"]
    assert [c["body"] for c in comments] == ["Komentar pertama"]
    assert [r["body"] for r in comments[0]["replies"]] == ["Balasan"]


def test_a_comment_of_the_longest_length_the_form_allows_is_accepted(site: DemoSite) -> None:
    """20,000 characters is what the page promises, whatever they are: a browser sends
    each of these as %F0%9F%8C%8A (12 bytes), 240 kB for the comment."""
    site.login("ani")
    proposal = _new_proposal(site)
    response = site.post(f"/proposals/{proposal}/comments", {"body": "\U0001F30A" * 20_000})
    assert response.status_code == 303
    too_long = site.post(f"/proposals/{proposal}/comments", {"body": "\U0001F30A" * 20_001})
    assert too_long.status_code == 400 and "body" in too_long.context["errors"]


def test_empty_comment_is_refused_with_400_next_to_the_field(site: DemoSite) -> None:
    site.login("ani")
    response = site.post(f"/proposals/{MENJAHIT}/comments", {"body": "  "})
    assert response.status_code == 400
    assert response.template.name == "proposal.html"
    assert response.context["form"] == "comment" and "body" in response.context["errors"]


def test_a_person_endorses_once(site: DemoSite) -> None:
    site.login("ani")
    proposal = _new_proposal(site)
    assert site.post(f"/proposals/{proposal}/endorsements", {"note": "Setuju"}).status_code == 303
    again = site.post(f"/proposals/{proposal}/endorsements", {})
    assert again.status_code == 400
    page = site.client.get(f"/proposals/{proposal}")
    assert page.context["proposal"].endorsement_count == 1 and page.context["endorsed"]
    # the login name is neither on the page nor in the public event
    [endorsement] = page.context["proposal"].endorsers
    assert endorsement["endorser"].startswith("Ibu Ani #") and "ani)" not in endorsement["endorser"]
    assert "(ani)" not in page.text and "#" not in visible_text(page.text).split("Setuju")[0][-40:]
    events = [r.value for r in read_all(site.stack.settings.bootstrap, "gotong.proposals")]
    mine = [e for e in map(orjson.loads, events)
            if e["type"] == "gotong.proposal.endorsed.v1" and e["subject"] == proposal]
    assert [e["data"]["endorser"] for e in mine] == [endorsement["endorser"]]


def test_an_endorsement_made_under_the_old_name_still_counts_as_the_persons(
        site: DemoSite) -> None:
    site.login("ani")
    proposal = _new_proposal(site)
    node = site.stack.node()  # as the site wrote it before 2026-12, with the login name
    site.stack.publish(node, [event("gotong.proposal.endorsed.v1", proposal,
                                    {"endorser": "Ibu Ani (ani)"}, node)])
    site.stack.wait_json(f"/api/v1/proposals/{proposal}",
                         lambda p: p["endorsement_count"] == 1, timeout=30)
    assert site.client.get(f"/proposals/{proposal}").context["endorsed"]
    assert site.post(f"/proposals/{proposal}/endorsements", {}).status_code == 400


def test_member_cannot_change_a_proposal_status(site: DemoSite) -> None:
    site.login("ani")
    response = site.post(f"/proposals/{MENJAHIT}/status", {"status": "rejected",
                                                           "reason": "Tidak"})
    assert response.status_code == 403
    # the page says who may, in the person's language
    assert ("Hanya koordinator simpul penyelenggara forum ini (bappeda-bitung) dan admin "
            "layanan" in visible_text(response.text))


def test_a_coordinator_of_another_node_than_the_convener_cannot_change_the_status(
        site: DemoSite) -> None:
    site.login("hendra")  # dinsos-bitung; Maesa's forum was opened by bappeda-bitung
    assert not site.client.get(f"/proposals/{MENJAHIT}").context["may_moderate"]
    response = site.post(f"/proposals/{MENJAHIT}/status", {"status": "rejected",
                                                           "reason": "Tidak"})
    assert response.status_code == 403


def test_coordinator_of_the_convening_node_changes_status_with_a_reason(
        site: DemoSite) -> None:
    site.login("ani")
    proposal = _new_proposal_in(site, GIZI)
    site.login("rudi")  # dinkes-bitung convened the health forum
    assert site.client.get(f"/proposals/{proposal}").context["may_moderate"]
    response = site.post(f"/proposals/{proposal}/status", {"status": "under_review",
                                                           "reason": "Dibahas bulan depan"})
    assert response.status_code == 303
    history = site.client.get(f"/proposals/{proposal}").context["proposal"].status_history
    assert (history[-1]["status"], history[-1]["reason"], history[-1]["node_id"]) == (
        "under_review", "Dibahas bulan depan", "dinkes-bitung")


def test_the_authors_node_may_withdraw_its_proposal_and_nothing_else(site: DemoSite) -> None:
    site.login("ani")
    proposal = _new_proposal(site)
    page = site.client.get(f"/proposals/{proposal}")
    assert page.context["may_withdraw"] and not page.context["may_moderate"]
    assert 'value="withdrawn"' in page.text and 'value="accepted"' not in page.text
    assert site.post(f"/proposals/{proposal}/status", {"status": "accepted",
                                                       "reason": "Ya"}).status_code == 403
    response = site.post(f"/proposals/{proposal}/status", {"status": "withdrawn",
                                                           "reason": "Ditarik pengusul"})
    assert response.status_code == 303
    assert site.client.get(f"/proposals/{proposal}").context["proposal"].status == "withdrawn"


def test_status_change_without_a_reason_is_400(site: DemoSite) -> None:
    site.login("admin-uji")
    response = site.post(f"/proposals/{MENJAHIT}/status", {"status": "rejected", "reason": ""})
    assert response.status_code == 400
    assert "reason" in response.context["errors"]


def test_the_meeting_form_names_the_city_time_zone_and_states_its_limits(site: DemoSite) -> None:
    site.login("hendra")
    text = visible_text(site.client.get(f"/forums/{MAESA}/meetings/new").text)
    assert "Tanggal dan jam (WITA)" in text
    assert "Paling banyak 200 karakter." in text  # the title's maxlength, said at the field
    assert "Paling banyak 50 butir agenda" in text


def test_coordinator_schedules_a_meeting_and_publishes_its_minutes(site: DemoSite) -> None:
    site.login("hendra")
    starts = (dt.datetime.now() + dt.timedelta(days=7)).strftime("%Y-%m-%dT09:00")
    scheduled = site.post(f"/forums/{MAESA}/meetings", {
        "title": "Musyawarah Desember", "starts_at": starts, "location": "Aula Camat",
        "agenda": "Laporan\nUsulan baru"})
    assert scheduled.status_code == 303
    meeting = scheduled.headers["location"].split("/meetings/")[1].split("?")[0]
    form = site.client.get(f"/meetings/{meeting}/minutes")
    assert 'name="attendee_node"' in form.text and ">Dinas Sosial Kota Bitung</option>" in form.text
    assert any(pid == MENJAHIT for pid, _title in form.context["proposals"])
    # people are offered by name as one types: earlier attendees and the site's people,
    # never anyone's login name
    offered = dict(form.context["people"])
    assert offered["Ronald Tambuwun"] == "bappeda-bitung" and "Hendra Lumenta" in offered
    assert '<datalist id="people">' in form.text and 'list="people"' in form.text
    assert not {"hendra", "warga", "admin"} & set(offered)
    due = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    published = site.post(f"/meetings/{meeting}/minutes", {
        "attendee_name": ["Hendra Lumenta", "Ibu Ani", "Warga", ""],
        "attendee_node": ["dinsos-bitung", "pkk-bitung-tengah", "", ""],
        "decision_text": ["Pelatihan dilanjutkan", "Rapat berikut Januari", ""],
        "decision_proposal": [MENJAHIT, "", ""],
        "decision_owner": ["dinsos-bitung", "", ""],
        "decision_due": [due, "", ""],
        "summary": "Rapat berjalan lancar."})
    assert published.status_code == 303
    page = site.client.get(f"/meetings/{meeting}")
    assert [d["text"] for d in page.context["decisions"]] == ["Pelatihan dilanjutkan",
                                                             "Rapat berikut Januari"]
    assert page.context["decisions"][0]["proposal_id"] == MENJAHIT
    assert dict(page.context["attendees"])["pkk-bitung-tengah"] == ["Ibu Ani"]
    assert dict(page.context["attendees"])[None] == ["Warga"]
    # the first decision became a commitment of Dinas Sosial in the same submission
    def made() -> list[Any]:
        return [c for c in site.client.get(f"/meetings/{meeting}").context["commitments"]
                if c.title == "Pelatihan dilanjutkan"]

    wait_for(lambda: bool(made()), timeout=30, what="the commitment from the decision")
    item = made()[0]
    assert (item.owner_node_id, item.due_date, item.proposal_id) == ("dinsos-bitung", due,
                                                                     MENJAHIT)


def test_minutes_naming_an_unknown_node_are_refused_with_400(site: DemoSite) -> None:
    site.login("hendra")
    response = site.post(f"/meetings/{MAESA_MARCH}/minutes", {
        "attendee_name": ["Siapa"], "attendee_node": ["node-tak-ada"],
        "decision_text": ["Lanjut"], "decision_proposal": [""], "decision_owner": [""],
        "decision_due": [""]})
    assert response.status_code == 400
    assert "attendees" in response.context["errors"]
    assert response.context["values"]["attendees"] == [
        {"attendee_name": "Siapa", "attendee_node": "node-tak-ada"}]
    assert 'value="Siapa"' in response.text and ">Lanjut</textarea>" in response.text


def test_a_decision_made_a_commitment_needs_its_owner_and_its_due_date(site: DemoSite) -> None:
    site.login("hendra")
    response = site.post(f"/meetings/{MAESA_MARCH}/minutes", {
        "attendee_name": ["Hendra Lumenta"], "attendee_node": ["dinsos-bitung"],
        "decision_text": ["Pelatihan lanjut"], "decision_proposal": [MENJAHIT],
        "decision_owner": ["dinsos-bitung"], "decision_due": [""]})
    assert response.status_code == 400
    assert "penanggung jawab dan tanggal tenggatnya" in response.context["errors"]["decisions"]
    assert f'<option value="{MENJAHIT}" selected>' in response.text


def test_a_commitment_link_without_a_decision_leads_to_the_meetings_decisions(
        site: DemoSite) -> None:
    site.login("hendra")
    response = site.client.get(f"/meetings/{MAESA_MARCH}/action-items/new")
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"/meetings/{MAESA_MARCH}#minutes-h")


def test_coordinator_of_another_node_cannot_publish_minutes(site: DemoSite) -> None:
    site.login("rudi")  # dinkes-bitung; the meeting is dinsos-bitung's
    response = site.post(f"/meetings/{MAESA_MARCH}/minutes", {"attendee_name": ["Rudi"]})
    assert response.status_code == 403


def test_an_admin_publishes_minutes_of_another_nodes_meeting_as_the_service(
        site: DemoSite) -> None:
    starts = (dt.datetime.now() + dt.timedelta(days=9)).strftime("%Y-%m-%dT09:00")
    site.login("hendra")  # dinsos-bitung convenes the meeting
    scheduled = site.post(f"/forums/{MAESA}/meetings", {
        "title": "Musyawarah khusus", "starts_at": starts, "location": "Aula Camat"})
    meeting = scheduled.headers["location"].split("/meetings/")[1].split("?")[0]
    site.login("admin-uji")  # an admin of bappeda-bitung
    published = site.post(f"/meetings/{meeting}/minutes", {
        "attendee_name": ["Admin Bappeda"], "attendee_node": ["bappeda-bitung"],
        "decision_text": ["Lanjut"],
        "summary": "Dicatat oleh admin."})
    assert published.status_code == 303
    assert "pending" not in published.headers["location"]
    page = site.client.get(f"/meetings/{meeting}")
    # the minutes' rule lets only the convener (dinsos) or the service publish them
    assert page.context["meeting"].minutes["node_id"] == "gotong"


def test_coordinator_turns_a_decision_into_a_commitment(site: DemoSite) -> None:
    site.login("hendra")
    form = site.client.get(f"/meetings/{MAESA_MARCH}/action-items/new", params={"decision": 0})
    assert form.template.name == "action_item_form.html"
    due = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    response = site.post(f"/meetings/{MAESA_MARCH}/action-items", {
        "decision": "0", "title": "Menyiapkan angkatan ketiga", "owner_node_id": "dinsos-bitung",
        "due_date": due})
    assert response.status_code == 303
    item = response.headers["location"].split("/commitments/")[1].split("?")[0]
    page = site.client.get(f"/commitments/{item}")
    assert page.context["item"].meeting_id == MAESA_MARCH
    assert page.context["item"].proposal_id == form.context["decision"].get("proposal_id")
    assert page.context["item"].owner_node_id == "dinsos-bitung"


def test_commitment_without_owner_or_due_date_is_400(site: DemoSite) -> None:
    site.login("hendra")
    response = site.post(f"/meetings/{MAESA_MARCH}/action-items", {
        "decision": "0", "title": "X", "owner_node_id": "", "due_date": "besok"})
    assert response.status_code == 400
    assert set(response.context["errors"]) == {"owner_node_id", "due_date"}


def test_member_cannot_create_a_commitment(site: DemoSite) -> None:
    site.login("sari")
    response = site.post(f"/meetings/{MAESA_MARCH}/action-items", {
        "decision": "0", "title": "X", "owner_node_id": "dinsos-bitung",
        "due_date": "2030-01-01"})
    assert response.status_code == 403


def test_owner_reports_progress_and_the_board_shows_it(site: DemoSite) -> None:
    site.login("sari")  # a member of dinsos-bitung
    item = _open_dinsos_item(site)
    response = site.post(f"/commitments/{item}/progress", {"percent": "65",
                                                          "note": "Peserta terdaftar"})
    assert response.status_code == 303
    board = site.client.get("/commitments", params={"owner": "dinsos-bitung"})
    shown = next(i for i in board.context["board"].items if i.id == item)
    assert shown.percent == 65
    assert '<progress max="100" value="65">' in board.text


def test_owner_marks_a_commitment_done(site: DemoSite) -> None:
    site.login("sari")
    item = _open_dinsos_item(site)
    assert site.post(f"/commitments/{item}/status", {"status": "done"}).status_code == 303
    page = site.client.get(f"/commitments/{item}")
    assert (page.context["item"].status, page.context["item"].percent) == ("done", 100)


def test_member_of_another_node_cannot_report_progress(site: DemoSite) -> None:
    site.login("ani")  # pkk-bitung-tengah
    item = _open_dinsos_item(site)
    response = site.post(f"/commitments/{item}/progress", {"percent": "10"})
    assert response.status_code == 403


def _dinkes_item_made_by_dinsos(site: DemoSite) -> str:
    """A commitment Dinas Sosial's coordinator agreed for Dinas Kesehatan to carry out."""
    site.login("hendra")
    due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    response = site.post(f"/meetings/{MAESA_MARCH}/action-items", {
        "decision": "0", "title": "Pemeriksaan gizi peserta", "owner_node_id": "dinkes-bitung",
        "due_date": due})
    assert response.status_code == 303
    return response.headers["location"].split("/commitments/")[1].split("?")[0]


def _forms(page: Any) -> set[str]:
    return set(re.findall(r'<form method="post" action="[^"]*/commitments/[^"/]+/([a-z]+)"',
                          page.text))


def test_each_person_sees_the_forms_the_rules_give_them_on_a_commitment(site: DemoSite) -> None:
    item = _dinkes_item_made_by_dinsos(site)
    seen = {}
    for username in ("hendra", "sari", "rudi", "ani", None):
        site.login(username)
        page = site.client.get(f"/commitments/{item}")
        seen[username] = (_forms(page), page.context["statuses"])
    # the creator node's coordinator steers it: status (cancelling too) and owner
    assert seen["hendra"] == ({"status", "owner"}, ["in_progress", "blocked", "done", "cancelled"])
    assert seen["sari"] == (set(), [])  # a member of the creator node, not a coordinator
    # the owner node's coordinator reports, changes its status (not cancels), hands it over
    assert seen["rudi"] == ({"progress", "status", "owner"}, ["in_progress", "blocked", "done"])
    assert seen["ani"] == seen[None] == (set(), [])


def test_the_status_select_starts_on_no_choice(site: DemoSite) -> None:
    item = _dinkes_item_made_by_dinsos(site)
    page = site.client.get(f"/commitments/{item}")
    select = page.text.split('<select id="status" name="status" required>')[1].split("</select>")[0]
    first = select.split("</option>")[0].strip()
    assert first.startswith('<option value="">') and "selected" not in select
    assert site.post(f"/commitments/{item}/status", {"status": ""}).status_code == 400


def test_the_creator_cancels_with_a_reason_and_hands_over_a_commitment(site: DemoSite) -> None:
    item = _dinkes_item_made_by_dinsos(site)
    handed = site.post(f"/commitments/{item}/owner", {"owner_node_id": "pkk-bitung-tengah",
                                                       "reason": "PKK yang mendampingi"})
    assert handed.status_code == 303
    page = site.client.get(f"/commitments/{item}")
    assert page.context["item"].owner_node_id == "pkk-bitung-tengah"
    no_reason = site.post(f"/commitments/{item}/status", {"status": "cancelled"})
    assert no_reason.status_code == 400 and "reason" in no_reason.context["errors"]
    cancelled = site.post(f"/commitments/{item}/status", {"status": "cancelled",
                                                          "reason": "Digabung ke program lain"})
    assert cancelled.status_code == 303
    page = site.client.get(f"/commitments/{item}")
    assert page.context["item"].status == "cancelled" and _forms(page) == set()


def test_an_admin_of_another_node_cancels_a_commitment_as_the_service(site: DemoSite) -> None:
    item = _dinkes_item_made_by_dinsos(site)
    site.login("admin-uji")  # an admin of bappeda-bitung: neither its creator nor its owner
    page = site.client.get(f"/commitments/{item}")
    # steering, not reporting: progress stays the owner's account
    assert _forms(page) == {"status", "owner"} and "cancelled" in page.context["statuses"]
    cancelled = site.post(f"/commitments/{item}/status", {"status": "cancelled",
                                                          "reason": "Tercatat dua kali"})
    assert cancelled.status_code == 303 and "pending" not in cancelled.headers["location"]
    page = site.client.get(f"/commitments/{item}")
    # the rules let the owner, the creator or the service change it: the service did
    assert page.context["item"].status == "cancelled"
    assert page.context["item"].history[-1]["node_id"] == "gotong"


def test_a_refused_action_says_who_may_do_it(site: DemoSite) -> None:
    item = _dinkes_item_made_by_dinsos(site)
    site.login("ani")
    response = site.post(f"/commitments/{item}/progress", {"percent": "10"})
    assert response.status_code == 403
    assert ("Hanya anggota Dinas Kesehatan Kota Bitung yang dapat melaporkan kemajuan "
            "komitmen ini.") in visible_text(response.text)
    site.login("rudi")  # the owner's coordinator may not cancel what Dinas Sosial agreed
    refused = site.post(f"/commitments/{item}/status", {"status": "cancelled", "reason": "x"})
    assert refused.status_code == 403
    assert "Dinas Sosial" in visible_text(refused.text)


def test_a_form_the_site_lets_through_is_still_asked_of_the_aggregates_rule(
        site: DemoSite, monkeypatch: pytest.MonkeyPatch) -> None:
    """The site's rules about people sit on the aggregates' ``decide`` about nodes: were
    they ever to let a person through that the node's rule refuses, nothing is published
    and the person reads why."""
    item = _dinkes_item_made_by_dinsos(site)
    monkeypatch.setattr(commitment_pages, "rights", lambda _user, _item: frozenset({"report"}))
    site.login("ani")  # of PKK Bitung Tengah, which does not own the commitment
    response = site.post(f"/commitments/{item}/progress", {"percent": "10"})
    assert response.status_code == 403
    text = visible_text(response.text)
    assert "Aturan tidak mengizinkan simpul Anda melakukan itu" in text
    assert "only the owner node" in text
    assert site.client.get(f"/commitments/{item}").context["item"].percent == 0


def test_only_the_conveners_coordinators_see_the_minutes_and_commitment_buttons(
        site: DemoSite) -> None:
    minutes = f"/meetings/{MAESA_MARCH}/minutes"
    site.login("hendra")  # Dinas Sosial convened it
    assert minutes in site.client.get(f"/meetings/{MAESA_MARCH}").text
    site.login("rudi")  # a coordinator, of another node
    assert minutes not in site.client.get(f"/meetings/{MAESA_MARCH}").text
    refused = site.client.get(minutes)
    assert refused.status_code == 403
    assert "Hanya koordinator Dinas Sosial" in visible_text(refused.text)


def test_progress_above_100_is_refused_with_400(site: DemoSite) -> None:
    site.login("sari")
    item = _open_dinsos_item(site)
    response = site.post(f"/commitments/{item}/progress", {"percent": "140"})
    assert response.status_code == 400
    assert "percent" in response.context["errors"]


def test_oversized_form_is_refused_with_413(site: DemoSite) -> None:
    site.login("ani")
    token = site.csrf("/")
    response = site.client.post(f"/proposals/{MENJAHIT}/comments",
                                data={"body": "x" * 300_000, "csrf_token": token})
    assert response.status_code == 413


def test_language_switch_only_redirects_within_the_site(site: DemoSite) -> None:
    response = site.client.get("/language/en", params={"next": "//evil.example/"})
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert site.client.get("/language/xx", params={"next": "/"}).status_code == 404
    site.login("ani")
    token = site.csrf("/")
    response = site.client.post("/language", data={"lang": "en", "csrf_token": token,
                                                   "next": "//evil.example/"})
    assert response.headers["location"] == "/"


def test_account_page_names_the_persons_node(site: DemoSite) -> None:
    site.login("ani")
    response = site.client.get("/account")
    text = visible_text(response.text)
    node = response.context["user"].node_id
    assert response.context["node_name"] != node
    assert response.context["node_name"] in text and node not in text


def test_an_oversized_form_gets_a_page_in_the_persons_language(site: DemoSite) -> None:
    site.login("ani")
    token = site.csrf("/")
    response = site.client.post(f"/proposals/{MENJAHIT}/comments",
                                data={"body": "x" * 300_000, "csrf_token": token})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    text = visible_text(response.text)
    assert "20.000 karakter" in text and "masih ada di formulir" in text
    form = visible_text(site.client.get(f"/proposals/{MENJAHIT}").text)
    assert "Paling banyak 20.000 karakter." in form
    assert 'maxlength="20000"' in site.client.get(f"/proposals/{MENJAHIT}").text


def test_more_rows_keeps_what_was_typed_and_publishes_nothing(site: DemoSite) -> None:
    site.login("hendra")
    before = site.client.get(f"/meetings/{MAESA_MARCH}").context["meeting"].version
    form = site.client.get(f"/meetings/{MAESA_MARCH}/minutes")
    # the published minutes come back as rows, to correct or complete
    published = site.client.get(f"/meetings/{MAESA_MARCH}").context["meeting"].minutes
    assert [a["attendee_name"] for a in form.context["values"]["attendees"]] == [
        a["name"] for a in published["attendees"]]
    offered = len(form.context["attendee_rows"])
    more = site.post(f"/meetings/{MAESA_MARCH}/minutes", {
        "attendee_name": ["Yang baru"], "attendee_node": ["dinsos-bitung"],
        "decision_text": ["Belum final"], "more": "1"})
    assert more.status_code == 200
    assert len(more.context["attendee_rows"]) > offered
    assert 'value="Yang baru"' in more.text and ">Belum final</textarea>" in more.text
    assert site.client.get(f"/meetings/{MAESA_MARCH}").context["meeting"].version == before


def test_a_due_date_the_schema_refuses_publishes_neither_minutes_nor_commitments(
        site: DemoSite) -> None:
    site.login("hendra")
    before = site.client.get(f"/meetings/{MAESA_MARCH}").context["meeting"].version
    response = site.post(f"/meetings/{MAESA_MARCH}/minutes", {
        "attendee_name": ["Hendra Lumenta"], "attendee_node": ["dinsos-bitung"],
        "decision_text": ["Lanjut"], "decision_proposal": [""],
        "decision_owner": ["dinsos-bitung"], "decision_due": ["20261231"]})
    assert response.status_code == 400 and "decisions" in response.context["errors"]
    assert site.client.get(f"/meetings/{MAESA_MARCH}").context["meeting"].version == before


def test_visitors_share_a_thread_byte_for_byte_with_no_token_and_no_cookie(
        site: DemoSite) -> None:
    site.login("ani")
    proposal = _new_proposal(site)
    cache = site.app.state.render_cache
    site.login(None)
    first = site.client.get(f"/proposals/{proposal}")
    hits = cache.hits
    site.login(None)  # another browser
    second = site.client.get(f"/proposals/{proposal}")
    assert cache.hits == hits + 1  # the second visitor's page was not rendered again
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    assert first.headers["content-encoding"] == "gzip"  # (compressed once, when kept)
    assert first.headers["etag"].endswith('-gz"')
    for response in (first, second):
        assert "csrf_token" not in response.text and "set-cookie" not in response.headers
        assert response.headers["cache-control"] == "public, max-age=0, s-maxage=10"
        assert {"Cookie", "Accept-Language", "Accept-Encoding"} <= {
            v.strip() for v in response.headers["vary"].split(",")}
    plain = site.client.get(f"/proposals/{proposal}", headers={"Accept-Encoding": "identity"})
    assert plain.content == first.content and "content-encoding" not in plain.headers
    assert plain.headers["etag"] == first.headers["etag"].replace('-gz"', '"')
    # either form of the tag names the page: a 304 for any visitor who holds it
    for held in (first.headers["etag"], plain.headers["etag"]):
        site.login(None)
        again = site.client.get(f"/proposals/{proposal}", headers={"If-None-Match": held})
        assert again.status_code == 304 and again.headers["etag"] == held
        assert "set-cookie" not in again.headers


def test_a_visitor_page_sets_no_cookie_and_a_form_page_does(site: DemoSite) -> None:
    for path in ("/", f"/forums/{MAESA}", f"/proposals/{MENJAHIT}", f"/meetings/{MAESA_MARCH}",
                 "/commitments", "/programs", "/search?q=jahit"):
        for _ in range(2):  # rendered, then kept
            site.login(None)
            response = site.client.get(path)
            assert response.status_code == 200, path
            assert "set-cookie" not in response.headers, path
            assert "csrf_token" not in response.text, path
    site.login(None)
    login = site.client.get("/login")
    assert "gotong_csrf=" in login.headers["set-cookie"]
    assert f'value="{login.context["csrf_token"]}"' in login.text


def test_a_kept_thread_shows_a_new_comment_at_once(site: DemoSite) -> None:
    site.login("ani")
    proposal = _new_proposal(site)
    site.login(None)
    assert "Komentar baru" not in site.client.get(f"/proposals/{proposal}").text
    site.client.get(f"/proposals/{proposal}")  # now kept
    site.login("ani")
    assert site.post(f"/proposals/{proposal}/comments",
                     {"body": "Komentar baru"}).status_code == 303
    site.login(None)
    assert "Komentar baru" in visible_text(site.client.get(f"/proposals/{proposal}").text)


def test_a_signed_in_page_is_never_kept_nor_served_to_anyone_else(site: DemoSite) -> None:
    site.login("ani")
    proposal = _new_proposal(site)
    cache = site.app.state.render_cache
    kept = len(cache)
    mine = site.client.get(f"/proposals/{proposal}")
    assert mine.status_code == 200 and "Ibu Ani" in visible_text(mine.text)
    assert 'action="/logout"' in mine.text or "/logout" in mine.text
    assert len(cache) == kept  # a signed-in person's page is not kept
    site.login(None)
    theirs = site.client.get(f"/proposals/{proposal}")
    assert "/logout" not in theirs.text and theirs.context["user"] is None
    assert len(cache) == kept + 1
    site.login("sari")
    other = site.client.get(f"/proposals/{proposal}")
    assert other.context["user"].username == "sari" and "/logout" in other.text


def test_the_forum_page_is_kept_for_visitors_until_the_read_model_changes(
        site: DemoSite) -> None:
    cache = site.app.state.render_cache
    site.login(None)
    site.client.get(f"/forums/{MAESA}")
    hits = cache.hits
    site.login(None)
    again = site.client.get(f"/forums/{MAESA}")
    assert again.status_code == 200 and cache.hits == hits + 1
    assert "csrf_token" not in again.text and "set-cookie" not in again.headers
    site.login("ani")
    _new_proposal(site, title="Pelatihan tenun ikat untuk remaja")
    assert "Pelatihan tenun ikat" in site.client.get(f"/forums/{MAESA}").text  # signed in
    site.login(None)
    assert "Pelatihan tenun ikat" in visible_text(site.client.get(f"/forums/{MAESA}").text)
