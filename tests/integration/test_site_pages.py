"""The read-only pages on the Bitung demo, loaded through the real pipeline.

Each page is checked on what the template was given and on what a person sees.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from services.notify.store import preference as mail_preference
from tests.support.site_fixtures import DemoSite, visible_text
from tests.support.stack import event, uid, wait_for
from web.render_cache import RenderCache

pytestmark = pytest.mark.kafka

MENJAHIT = "usulan-pelatihan-menjahit-bitung-tengah"
MPASI = "usulan-kelas-mpasi-posyandu-bitung-tengah"
MAESA = "forum-ekonomi-maesa"
MAESA_MARCH = "musyawarah-maesa-2026-03"


def test_home_lists_every_forum_with_its_proposal_count(site: DemoSite) -> None:
    response = site.client.get("/")
    assert response.status_code == 200
    assert response.template.name == "home.html"
    forums = {f["id"]: f for f in response.context["forums"]}
    assert {"forum-ekonomi-maesa", "forum-tani-nelayan-bitung", "forum-gizi-posyandu-bitung",
            "forum-pendidikan-madidir"} <= set(forums)
    assert forums[MAESA]["proposal_count"] > 0
    assert "Forum Pemberdayaan Ekonomi Kecamatan Maesa" in visible_text(response.text)


def test_home_shows_the_latest_activity_newest_first(site: DemoSite) -> None:
    latest = site.client.get("/").context["latest"]
    stamps = [p.updated_at for p in latest]
    assert stamps == sorted(stamps, reverse=True) and len(latest) > 0


def test_search_finds_proposals_by_a_word_of_their_body(site: DemoSite) -> None:
    response = site.client.get("/", params={"q": "MP-ASI"})
    ids = [p.id for p in response.context["results"]]
    assert MPASI in ids
    assert all("mp-asi" in (p.title + p.body).lower() for p in response.context["results"])


def test_search_filters_by_forum_and_status(site: DemoSite) -> None:
    response = site.client.get("/", params={"forum": MAESA, "status": "implemented"})
    results = response.context["results"]
    assert MENJAHIT in [p.id for p in results]
    assert all(p.forum_id == MAESA and p.status == "implemented" for p in results)


def test_search_treats_percent_signs_as_text(site: DemoSite) -> None:
    response = site.client.get("/", params={"q": "%%%"})
    assert response.status_code == 200
    assert response.context["results"] == []


def test_forum_sorts_proposals_by_most_endorsed(site: DemoSite) -> None:
    response = site.client.get(f"/forums/{MAESA}", params={"sort": "endorsed"})
    assert response.template.name == "forum.html"
    counts = [p.endorsement_count for p in response.context["proposals"]]
    assert counts == sorted(counts, reverse=True)


def test_forum_filters_proposals_by_status(site: DemoSite) -> None:
    response = site.client.get(f"/forums/{MAESA}", params={"status": "implemented"})
    assert {p.status for p in response.context["proposals"]} == {"implemented"}


def test_forum_splits_upcoming_and_past_meetings(site: DemoSite) -> None:
    context = site.client.get(f"/forums/{MAESA}").context
    now = dt.datetime.now(dt.UTC).isoformat()
    assert all(m.starts_at >= now[:19] for m in context["upcoming"])
    assert all(m.starts_at < now for m in context["past"])
    assert MAESA_MARCH in [m.id for m in context["past"]]


def test_unknown_forum_is_a_404_page(site: DemoSite) -> None:
    response = site.client.get("/forums/no-such-forum")
    assert response.status_code == 404
    assert response.template.name == "error.html"


def test_thread_shows_every_status_with_its_reason(site: DemoSite) -> None:
    response = site.client.get(f"/proposals/{MENJAHIT}")
    assert response.template.name == "proposal.html"
    history = response.context["proposal"].status_history
    assert [h["status"] for h in history] == ["open", "under_review", "accepted", "implemented"]
    assert "46 peserta lulus" in visible_text(response.text)


def test_an_organisation_endorsing_a_thread_is_shown_by_its_name(site: DemoSite) -> None:
    response = site.client.get(f"/proposals/{MENJAHIT}")
    assert ('nodes/dinsos-bitung">Dinas Sosial Kota Bitung</a>: <q>Masuk prioritas program'
            in response.text)
    assert "dinsos-bitung" not in visible_text(response.text)


def test_a_commitment_unblocked_after_progress_reads_under_way_in_its_history(
        site: DemoSite) -> None:
    # progress 50 %, blocked, then back to "open": the fold makes it in progress, and so
    # does the history line of that step (it said "Belum dimulai" beside "Berjalan")
    response = site.client.get("/commitments/rtl-bantuan-transport-anak-nelayan")
    history = visible_text(response.text.split('id="history-h"', 1)[1].split("</ol>", 1)[0])
    assert "Terhambat" in history and "Berjalan : Validasi rekening selesai" in history
    assert "Belum dimulai" not in history


def test_thread_nests_a_reply_under_its_comment(site: DemoSite) -> None:
    comments = site.client.get(f"/proposals/{MPASI}").context["comments"]
    first = next(c for c in comments if c["comment_id"] == f"k-{MPASI[7:]}-01")
    assert f"k-{MPASI[7:]}-02" in [r["comment_id"] for r in first["replies"]]


def test_a_comment_has_an_address_that_opens_the_page_showing_it(site: DemoSite) -> None:
    reply = f"k-{MPASI[7:]}-02"
    response = site.client.get(f"/proposals/{MPASI}/comments/{reply}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/proposals/{MPASI}#comment-{reply}"
    page = site.client.get(response.headers["location"])
    assert f'id="comment-{reply}"' in page.text
    assert site.client.get(f"/proposals/{MPASI}/comments/nope").status_code == 404
    assert site.client.get(f"/proposals/nope/comments/{reply}").status_code == 404


def test_thread_lists_the_meetings_that_discussed_it(site: DemoSite) -> None:
    response = site.client.get(f"/proposals/{MENJAHIT}")
    assert MAESA_MARCH in [m.id for m in response.context["meetings"]]
    assert response.context["decisions"][MAESA_MARCH]


def test_thread_lists_its_commitments_with_progress(site: DemoSite) -> None:
    response = site.client.get(f"/proposals/{MENJAHIT}")
    items = response.context["commitments"]
    assert "rtl-instruktur-mesin-jahit-angkatan-1" in [i.id for i in items]
    assert '<progress max="100" value="100">' in response.text
    closed = [i.status in ("done", "cancelled") for i in items]
    assert closed == sorted(closed)  # what is still to do first


def test_thread_timeline_runs_from_submission_to_result(site: DemoSite) -> None:
    timeline = site.client.get(f"/proposals/{MENJAHIT}").context["timeline"]
    kinds = [e["kind"] for e in timeline]
    assert kinds[0] == "submitted"
    assert {"status", "meeting", "item_created", "item_progress"} <= set(kinds)
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)


def test_unknown_proposal_is_a_404_page(site: DemoSite) -> None:
    assert site.client.get("/proposals/nope").status_code == 404


def test_meeting_groups_attendees_by_node(site: DemoSite) -> None:
    response = site.client.get(f"/meetings/{MAESA_MARCH}")
    assert response.template.name == "meeting.html"
    by_node = dict(response.context["attendees"])
    assert "dinsos-bitung" in by_node and by_node["dinsos-bitung"]


def test_meeting_links_decisions_to_proposals_and_lists_its_commitments(site: DemoSite) -> None:
    response = site.client.get(f"/meetings/{MAESA_MARCH}")
    assert MENJAHIT in [d.get("proposal_id") for d in response.context["decisions"]]
    assert f'href="http://testserver/proposals/{MENJAHIT}"' in response.text
    assert "rtl-instruktur-mesin-jahit-angkatan-1" in [i.id for i in
                                                       response.context["commitments"]]
    closed = [i.status in ("done", "cancelled") for i in response.context["commitments"]]
    assert closed == sorted(closed)  # what is still to do first


def test_board_counts_commitments_per_status(site: DemoSite) -> None:
    response = site.client.get("/commitments")
    assert response.template.name == "commitments.html"
    board = response.context["board"]
    assert sum(board.counts.values()) == board.total
    assert board.counts["done"] > 0 and board.counts["blocked"] > 0


def test_board_filters_overdue_commitments(site: DemoSite) -> None:
    board = site.client.get("/commitments", params={"overdue": "1"}).context["board"]
    assert board.items and all(i.overdue for i in board.items)
    assert "Lewat tenggat" in visible_text(site.client.get("/commitments?overdue=1").text)


def test_board_filters_commitments_due_within_days(site: DemoSite) -> None:
    board = site.client.get("/commitments", params={"due_within": "30"}).context["board"]
    today = dt.date.today()
    limit = (today + dt.timedelta(days=30)).isoformat()
    assert board.items
    assert all(today.isoformat() <= i.due_date <= limit for i in board.items)
    assert all(i.status not in ("done", "cancelled") for i in board.items)


def test_board_filters_by_owner_and_status(site: DemoSite) -> None:
    board = site.client.get("/commitments", params={"owner": "dinsos-bitung",
                                                    "status": "done"}).context["board"]
    assert board.items
    assert {(i.owner_node_id, i.status) for i in board.items} == {("dinsos-bitung", "done")}


def test_board_filters_by_forum_and_program(site: DemoSite) -> None:
    by_forum = site.client.get("/commitments", params={"forum": MAESA}).context["board"]
    by_program = site.client.get("/commitments", params={
        "program": "pelatihan-keterampilan-perempuan"}).context["board"]
    assert by_forum.items and {i.forum_id for i in by_forum.items} == {MAESA}
    assert {i.id for i in by_program.items} >= {"rtl-instruktur-mesin-jahit-angkatan-1"}


def test_board_answers_400_with_the_error_for_a_bad_day_count(site: DemoSite) -> None:
    response = site.client.get("/commitments", params={"due_within": "soon"})
    assert response.status_code == 400
    assert "due_within" in response.context["errors"]
    assert 'aria-invalid="true"' in response.text


def test_digits_that_are_no_numbers_are_a_400_or_ignored_never_a_500(site: DemoSite) -> None:
    for odd in ("²", "٣", "1²"):  # str.isdigit says yes to each; int() to none but "٣"
        assert site.client.get("/commitments", params={"page": odd}).status_code == 200
        assert site.client.get("/commitments", params={"due_within": odd}).status_code in (
            200, 400)
        assert site.client.get("/api/v1/proposals", params={"limit": odd}).status_code in (
            200, 400)
    site.login("ani")
    assert site.client.get("/notifications", params={"before": "²"}).status_code == 200
    assert site.client.get("/notifications/%C2%B2").status_code == 404


def test_board_scorecard_adds_up_per_node(site: DemoSite) -> None:
    board = site.client.get("/commitments").context["board"]
    score = {s.node_id: s for s in board.scorecard}["dinsos-bitung"]
    mine = [i for i in board.items if i.owner_node_id == "dinsos-bitung"
            and i.status != "cancelled"]
    assert score.committed == len(mine)
    assert score.done == sum(i.status == "done" for i in mine)
    assert score.overdue == sum(i.overdue for i in mine)
    assert score.on_time_rate is None or 0 <= score.on_time_rate <= 1


def test_board_exports_the_filtered_commitments_as_csv(site: DemoSite) -> None:
    response = site.client.get("/commitments.csv", params={"owner": "dinsos-bitung"})
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and {r["owner_node_id"] for r in rows} == {"dinsos-bitung"}


def test_csv_export_neutralises_spreadsheet_formulas(site: DemoSite) -> None:
    stack = site.stack
    node = stack.node("government")
    item = uid("rtl")
    stack.publish(node, [event("gotong.action_item.created.v1", item, {
        "title": '=HYPERLINK("http://evil.example","klik")', "owner_node_id": node,
        "due_date": "2030-01-01"}, node)])
    stack.wait_json(f"/api/v1/commitments?owner={node}", lambda b: b["total"] == 1)
    rows = list(csv.DictReader(io.StringIO(
        site.client.get("/commitments.csv", params={"owner": node}).text)))
    assert rows[0]["title"].startswith("'=HYPERLINK")


def test_user_text_is_escaped_in_pages(site: DemoSite) -> None:
    stack = site.stack
    node = stack.node("community")
    proposal = uid("usulan")
    stack.publish(node, [event("gotong.proposal.submitted.v1", proposal, {
        "forum_id": MAESA, "title": '<script>alert("x")</script>',
        "body": '<img src=x onerror=alert(1)>', "author": '"><b>Ani</b>'}, node)])
    stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: True)
    html = site.client.get(f"/proposals/{proposal}").text
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>Ani</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_node_page_shows_its_track_record(site: DemoSite) -> None:
    response = site.client.get("/nodes/dinsos-bitung")
    assert response.template.name == "node.html"
    record = response.context["record"]
    board = site.client.get("/commitments", params={"owner": "dinsos-bitung"}).context["board"]
    assert record.committed == len([c for c in board.items if c.status != "cancelled"])
    assert {c.id for c in response.context["commitments"]} == {c.id for c in board.items}
    # as the board lists them: what is still to do first, then the done and cancelled
    closed = [c.status in ("done", "cancelled") for c in response.context["commitments"]]
    assert closed == sorted(closed) and False in closed and True in closed
    assert [c.id for c in response.context["commitments"]] == [c.id for c in board.items]
    text = visible_text(response.text)
    assert "Rekam jejak" in text
    assert f"{record.on_time} dari {record.done}" in text  # the on-time share explained


def test_programs_show_each_program_with_its_progress_toward_its_targets(site: DemoSite) -> None:
    response = site.client.get("/programs")
    assert response.template.name == "programs.html"
    cards = {p["id"]: p for p in response.context["programs"]}
    assert {"pelatihan-keterampilan-perempuan", "modal-usaha-tani-nelayan",
            "edukasi-gizi-posyandu", "anak-tetap-sekolah"} <= set(cards)
    gizi = cards["edukasi-gizi-posyandu"]
    assert gizi["name"] == "Edukasi gizi melalui posyandu"
    stunting = next(i for i in gizi["indicators"] if i["id"] == "balita_stunting")
    # 17.8 % down to 14.3 % on the way to 14 %: a decrease is progress
    assert stunting["progress"] == pytest.approx((14.3 - 17.8) / (14 - 17.8))
    assert gizi["latest_period"] == "2026-Q3"
    text = visible_text(response.text)
    assert "Dinas Kesehatan Kota Bitung" in text and "92%" in text


def test_a_program_draws_its_indicators_against_baseline_and_target(site: DemoSite) -> None:
    response = site.client.get("/programs/pelatihan-keterampilan-perempuan")
    view = response.context["view"]
    trained = next(i for i in view.indicators if i.definition["id"] == "perempuan_dilatih")
    periods = [b.period for b in trained.chart.bars]
    assert periods[0] == "2025-Q3" and periods[-1] == "2026-Q3"
    assert trained.chart.target is not None and trained.chart.target.value == 40
    assert trained.area_period == "2026-Q3" and trained.areas[0].area == "Kelurahan Pakadoodan"
    assert response.text.count("<svg") >= len(view.indicators)
    text = visible_text(response.text)
    assert "Dinas Sosial Kota Bitung" in text and "TP PKK Kelurahan Bitung Tengah" in text
    assert "Pelatihan menjahit untuk ibu rumah tangga Kelurahan Bitung Tengah" in text
    assert site.client.get("/programs/tidak-ada").status_code == 404
    # a partner's page names the programs it works on, and links them
    partner = site.client.get("/nodes/pkk-bitung-tengah").text
    assert "/programs/edukasi-gizi-posyandu" in partner
    assert "Edukasi gizi melalui posyandu" in visible_text(partner)


def test_pages_speak_indonesian_by_default(site: DemoSite) -> None:
    response = site.client.get("/commitments")
    assert '<html lang="id">' in response.text
    assert "Unduh sebagai CSV" in response.text


def test_pages_follow_accept_language(site: DemoSite) -> None:
    response = site.client.get("/commitments", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in response.text
    assert "Download as CSV" in response.text


def test_language_switch_is_remembered(site: DemoSite) -> None:
    # a visitor's: a link on the page (no form, no token), the cookie of this browser only
    page = site.client.get("/commitments")
    link = re.search(r'<a class="button" href="([^"]+)"[^>]*>English</a>', page.text)
    assert link is not None and 'name="csrf_token"' not in page.text
    switched = site.client.get(html.unescape(link[1]))
    assert switched.status_code == 303 and switched.headers["location"] == "/commitments"
    assert switched.headers["cache-control"] == "no-store"
    assert '<html lang="en">' in site.client.get("/").text
    site.client.cookies.set("lang", "id")
    assert '<html lang="id">' in site.client.get("/").text


def test_a_signed_in_language_switch_is_also_their_mail_language(site: DemoSite) -> None:
    site.login("rudi")
    page = site.client.get("/commitments")
    assert 'action="http://testserver/language"' in page.text  # a form, with its token
    switched = site.client.post("/language", data={"lang": "en", "next": "/commitments",
                                                   "csrf_token": str(page.context["csrf_token"])})
    assert switched.status_code == 303 and switched.headers["location"] == "/commitments"
    assert '<html lang="en">' in site.client.get("/").text
    assert mail_preference(site.stack.engine, "rudi").locale == "en"
    site.client.post("/language", data={"lang": "id", "next": "/",
                                        "csrf_token": site.csrf("/")})
    assert mail_preference(site.stack.engine, "rudi").locale == "id"


ID_MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def test_dates_are_formatted_for_the_locale(site: DemoSite) -> None:
    response = site.client.get(f"/proposals/{MENJAHIT}")
    submitted = dt.datetime.fromisoformat(response.context["proposal"].submitted_at
                                          .replace("Z", "+00:00"))
    day = submitted.astimezone(ZoneInfo("Asia/Makassar")).date()
    english = site.client.get(f"/proposals/{MENJAHIT}", headers={"Accept-Language": "en"})
    assert f"{day.day} {ID_MONTHS[day.month - 1]} {day.year}" in visible_text(response.text)
    assert f"{EN_MONTHS[day.month - 1]} {day.day}, {day.year}" in visible_text(english.text)


def test_live_stream_sends_the_thread_version(site: DemoSite) -> None:
    site.app.state.live_poll_s = 0.05
    site.app.state.live_lifetime_s = 1.0
    with site.client.stream("GET", f"/live/proposals/{MENJAHIT}") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = []
        for line in response.iter_lines():
            lines.append(line)
            if line.startswith("data:"):
                break
    version = site.client.get(f"/proposals/{MENJAHIT}").context["live_version"]
    assert lines[-1] == f"data: {version}"


def test_board_live_version_changes_when_a_commitment_changes(site: DemoSite) -> None:
    before = site.client.get("/commitments").context["live_version"]
    stack = site.stack
    node = stack.node("government")
    stack.publish(node, [event("gotong.action_item.created.v1", uid("rtl"), {
        "title": "Rapat koordinasi", "owner_node_id": node, "due_date": "2030-01-01"}, node)])
    wait_for(lambda: site.client.get("/commitments").context["live_version"] != before,
             timeout=30, what="the board's version to change")


@pytest.fixture
def code_patched(site: DemoSite) -> Iterator[None]:
    """A test that patches the rendering code: pages kept before or during it were
    rendered by other code than their keys name (its digest), so none are kept across."""
    site.app.state.render_cache = RenderCache(32 * 2**20)
    yield
    site.app.state.render_cache = RenderCache(32 * 2**20)


@pytest.mark.usefixtures("code_patched")
def test_board_pages_through_every_commitment_with_links_that_keep_the_filters(
        site: DemoSite, monkeypatch: pytest.MonkeyPatch) -> None:
    from web.queries import board as board_data

    monkeypatch.setattr(board_data, "PAGE_SIZE", 10)
    for params in ({}, {"forum": MAESA}):
        first = site.client.get("/commitments", params=params)
        board = first.context["board"]
        seen = [item.id for page in range(1, board.pages + 1) for item in site.client.get(
            "/commitments", params={**params, "page": str(page)}).context["board"].items]
        exported = [row["id"] for row in csv.DictReader(io.StringIO(
            site.client.get("/commitments.csv", params=params).text))]
        assert seen == exported and len(seen) == board.total
    everything = site.client.get("/commitments", params={"forum": MAESA})
    if everything.context["board"].pages > 1:
        assert f"forum={MAESA}&amp;page=2" in everything.text and 'rel="next"' in everything.text
    assert site.client.get("/commitments").context["board"].pages > 1
    beyond = site.client.get("/commitments", params={"page": "999"}).context["board"]
    assert beyond.page == beyond.pages and beyond.items


def test_board_scorecard_in_sql_matches_the_rules_applied_to_every_row(site: DemoSite) -> None:
    from web.queries import board as board_data

    engine = site.app.state.engine
    today = dt.datetime.now(ZoneInfo("Asia/Makassar")).date()
    for filters in (board_data.BoardFilters(), board_data.BoardFilters(forum=MAESA),
                    board_data.BoardFilters(program="pelatihan-keterampilan-perempuan"),
                    board_data.BoardFilters(overdue=True)):
        every = board_data.rows(engine, filters, today)
        counts, scores = board_data.summary(engine, filters, today, "Asia/Makassar")
        assert scores == board_data.scorecard(every, "Asia/Makassar")
        assert sum(counts.values()) == len(every)


@pytest.mark.usefixtures("code_patched")
def test_forum_lists_its_threads_a_page_at_a_time(
        site: DemoSite, monkeypatch: pytest.MonkeyPatch) -> None:
    from web.queries import threads as thread_data

    monkeypatch.setattr(thread_data, "PAGE_SIZE", 2)
    first = site.client.get(f"/forums/{MAESA}", params={"sort": "endorsed"}).context
    second = site.client.get(f"/forums/{MAESA}", params={"sort": "endorsed", "page": "2"}).context
    assert len(first["proposals"]) == 2 and first["pages"] > 1
    assert not {p.id for p in first["proposals"]} & {p.id for p in second["proposals"]}
    counts = [p.endorsement_count for p in first["proposals"] + second["proposals"]]
    assert counts == sorted(counts, reverse=True)


@pytest.mark.parametrize("path", ["/", f"/proposals/{MENJAHIT}", "/no-such-page",
                                  "/api/v1/proposals?limit=1", "/feeds/proposals.atom"])
def test_every_response_carries_the_security_headers(site: DemoSite, path: str) -> None:
    headers = site.client.get(path).headers
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in headers["permissions-policy"]
    assert headers["x-frame-options"] == "DENY"


def test_board_lists_what_is_still_to_do_first_and_counts_the_overdue(site: DemoSite) -> None:
    response = site.client.get("/commitments")
    board = response.context["board"]
    closed = [i.status in ("done", "cancelled") for i in board.items]
    assert closed == sorted(closed), "a done or cancelled commitment above an open one"
    still_open = [i for i in board.items if i.status not in ("done", "cancelled")]
    assert [i.due_date for i in still_open] == sorted(i.due_date for i in still_open)
    overdue = site.client.get("/commitments", params={"overdue": "1"}).context["board"]
    assert board.overdue == overdue.total > 0
    text = visible_text(response.text)
    assert f"Lewat tenggat: {board.overdue}" in text
    assert "Selesai tepat waktu" in text and "tidak berkata apa pun tentang yang masih" in text


def test_scorecard_says_how_many_of_the_done_were_on_time(site: DemoSite) -> None:
    board = site.client.get("/commitments").context["board"]
    text = visible_text(site.client.get("/commitments").text)
    for score in board.scorecard:
        if score.done:
            assert f"{score.on_time} dari {score.done}" in text


def test_meeting_page_names_the_proposals_of_its_commitments(site: DemoSite) -> None:
    response = site.client.get(f"/meetings/{MAESA_MARCH}")
    linked = [c for c in response.context["commitments"] if c.proposal_id]
    assert linked and all(c.proposal_title for c in linked)
    text = visible_text(response.text)
    assert all(c.proposal_id not in text for c in linked)


def test_programs_read_as_words_not_slugs(site: DemoSite) -> None:
    text = visible_text(site.client.get("/programs").text)
    assert "Pelatihan keterampilan perempuan" in text
    assert "pelatihan-keterampilan-perempuan" not in text


def test_pages_announce_their_feeds_and_meetings_go_to_a_calendar(site: DemoSite) -> None:
    for path, feed in (("/", "/feeds/proposals.atom"),
                       (f"/forums/{MAESA}", f"/feeds/forums/{MAESA}.atom?lang=id"),
                       ("/nodes/dinsos-bitung", "/feeds/nodes/dinsos-bitung.atom?lang=id"),
                       ("/commitments", "/feeds/commitments.atom?lang=id")):
        page = site.client.get(path).text
        assert 'rel="alternate" type="application/atom+xml"' in page
        assert f'href="http://testserver{feed}"' in page, path
    meeting = site.client.get(f"/meetings/{MAESA_MARCH}").text
    assert f'href="http://testserver/feeds/meetings/{MAESA_MARCH}.ics"' in meeting
    ics = site.client.get(f"/feeds/meetings/{MAESA_MARCH}.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert ics.text.count("BEGIN:VEVENT") == 1 and f"meeting-{MAESA_MARCH}@" in ics.text
    assert site.client.get("/feeds/meetings/no-such-meeting.ics").status_code == 404


def test_commitment_entries_link_to_their_page_in_the_feeds_language(site: DemoSite) -> None:
    import xml.etree.ElementTree as ET

    ns = {"a": "http://www.w3.org/2005/Atom"}
    for lang, due in (("id", "tenggat"), ("en", "due")):
        feed = ET.fromstring(site.client.get("/feeds/commitments.atom",
                                             params={"lang": lang, "owner": "dinsos-bitung"})
                             .content)
        entries = feed.findall("a:entry", ns)
        assert entries
        for entry in entries:
            link = entry.find("a:link", ns)
            assert link is not None and "/commitments/" in link.attrib["href"]
            assert "#" not in link.attrib["href"]
            author = entry.findtext("a:author/a:name", namespaces=ns)
            assert author == "Dinas Sosial Kota Bitung"
            summary = entry.findtext("a:summary", namespaces=ns) or ""
            assert f", {due} " in summary and "dinsos-bitung" not in summary
    assert site.client.get(f"/commitments/{'rtl-instruktur-mesin-jahit-angkatan-1'}").status_code \
        == 200


def test_the_site_has_an_icon(site: DemoSite) -> None:
    page = site.client.get("/").text
    assert 'rel="icon" href="http://testserver/static/favicon.svg"' in page
    icon = site.client.get("/favicon.ico", follow_redirects=True)
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_thread_answers_304_until_it_changes(site: DemoSite) -> None:
    """A phone reopening a thread costs a 304 until something on it changes; a visitor's
    page is every visitor's, and a signed-in person's page (their token, their forms)
    never matches anyone else's request."""
    path = f"/proposals/{MENJAHIT}"
    first = site.client.get(path)
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=0, s-maxage=10"
    again = site.client.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert "Cookie" in again.headers["vary"]
    assert site.client.get(path, headers={"If-None-Match": tag,
                                          "Accept-Encoding": "identity"}).status_code == 304
    english = site.client.get(path, headers={"If-None-Match": tag, "Accept-Language": "en"})
    assert english.status_code == 200 and english.headers["etag"] != tag

    site.login(None)  # another visitor's browser: the same page
    assert site.client.get(path, headers={"If-None-Match": tag}).status_code == 304
    site.login("ani")  # someone signed in never gets the visitors' page as "not modified"
    mine = site.client.get(path, headers={"If-None-Match": tag})
    assert mine.status_code == 200 and "Ibu Ani" in mine.text
    assert mine.headers["cache-control"] == "private, no-cache"
    site.login("admin-uji")  # another person never gets Ani's page as "not modified"
    assert site.client.get(path, headers={"If-None-Match": mine.headers["etag"]}
                           ).status_code == 200

    site.login(None)
    stack = site.stack
    node = stack.node()
    thread = uid("usulan")
    stack.publish(node, [event("gotong.proposal.submitted.v1", thread, {
        "forum_id": MAESA, "title": "Pinjaman mesin jahit", "body": "Untuk kelompok PKK.",
        "author": "Ibu Ani"}, node)])
    path = f"/proposals/{thread}"
    # (a thread that appears between the validators' read and the page's has no ETag yet)
    before = wait_for(lambda: (r := site.client.get(path)).status_code == 200
                      and "etag" in r.headers and r, timeout=30, what="the new thread")
    said = "Kami siap meminjamkan mesin jahit " + uid("m")
    stack.publish(node, [event("gotong.proposal.commented.v1", thread, {
        "comment_id": uid("c"), "body": said, "author": "Pak Budi"}, node)])
    fresh = wait_for(lambda: (r := site.client.get(
        path, headers={"If-None-Match": before.headers["etag"]})).status_code == 200 and r,
        timeout=30, what="the thread to change")
    assert said in fresh.text and fresh.headers["etag"] != before.headers["etag"]
