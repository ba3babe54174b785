"""Programs through the real broker, worker and web: who may define and report (403 at the
API, a dead letter at the gate), reports held until their program, the read API, the
program's pages, its Atom feed, its open data and its PDF impact report."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pypdf
import pytest

from tests.support.stack import Stack, event, uid, wait_for

pytestmark = pytest.mark.kafka

A = "{http://www.w3.org/2005/Atom}"


def defined(program: str, lead: str, partners: list[str], **changes: Any) -> dict[str, Any]:
    data = {"name": "Edukasi gizi melalui posyandu", "lead_node_id": lead,
            "partner_node_ids": partners, "starts_on": "2026-01-01", "ends_on": "2027-12-31",
            "summary": "Kelas gizi bagi ibu balita.",
            "indicators": [
                {"id": "balita_stunting", "name": "Balita stunting", "unit": "persen",
                 "baseline": 17.8, "target": 14, "direction": "decrease", "areas": "mean"},
                {"id": "kader_dilatih", "name": "Kader dilatih", "unit": "orang",
                 "baseline": 0, "target": 120}]} | changes
    return event("gotong.program.defined.v1", program, data, lead)


def reported(program: str, node: str, indicator: str, period: str, value: float,
             area: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"indicator": indicator, "period": period, "value": value}
    if area:
        data["area"] = area
    return event(f"gotong.indicator.reported.v{2 if area else 1}", program, data, node)


def test_only_the_lead_and_partners_report_and_only_the_lead_redefines(stack: Stack) -> None:
    lead, partner, stranger = stack.node("government"), stack.node(), stack.node("ngo")
    program = uid("program")
    stack.publish(lead, [defined(program, lead, [partner])])
    stack.wait_json(f"/api/v1/programs/{program}", lambda p: True)

    foreign = reported(program, stranger, "kader_dilatih", "2026-Q1", 10)
    answer = stack.post(stranger, [foreign])
    assert answer.status_code == 403, answer.text
    assert answer.json()["errors"][0]["pointer"] == "#/0/source"
    assert lead in answer.json()["detail"] and partner in answer.json()["detail"]
    unknown = stack.post(partner, [reported(program, partner, "usaha_baru", "2026-Q1", 1)])
    assert unknown.status_code == 403 and "kader_dilatih" in unknown.json()["detail"]
    takeover = stack.post(partner, [defined(program, partner, [], name="Diambil alih")
                                    | {"source": f"/nodes/{partner}"}])
    assert takeover.status_code == 403 and "only the lead node" in takeover.json()["detail"]

    # the same report on the log is refused by the fold and dead-lettered with the reason
    stack.on_the_log(stranger, foreign)
    stack.publish(partner, [reported(program, partner, "kader_dilatih", "2026-Q1", 35)])
    body = stack.wait_json(f"/api/v1/programs/{program}",
                           lambda p: p["indicators"][1]["latest"] is not None)
    assert body["name"] == "Edukasi gizi melalui posyandu"
    assert body["indicators"][1]["latest"] == {"period": "2026-Q1", "value": 35}
    dead = wait_for(lambda: stack.dead_letter(foreign["id"]), 30, "the stranger's report")
    assert dead["reason"].startswith("not allowed: only the lead and partner nodes")


def test_a_report_before_its_program_is_held_then_judged(stack: Stack) -> None:
    lead, partner, stranger = stack.node("government"), stack.node(), stack.node()
    program = uid("program")
    early = reported(program, partner, "kader_dilatih", "2026-Q2", 48)
    early_foreign = reported(program, stranger, "kader_dilatih", "2026-Q2", 999)
    stack.on_the_log(partner, early)
    stack.on_the_log(stranger, early_foreign)
    stack.publish(lead, [defined(program, lead, [partner])])

    body = stack.wait_json(f"/api/v1/programs/{program}",
                           lambda p: p["indicators"][1]["latest"] is not None)
    assert body["indicators"][1]["latest"]["value"] == 48
    assert body["indicators"][1]["progress"] == pytest.approx(0.4)
    dead = wait_for(lambda: stack.dead_letter(early_foreign["id"]), 30, "the held foreign report")
    assert "only the lead and partner nodes" in dead["reason"]


def test_the_read_api_pages_feed_data_and_report_show_the_program(stack: Stack) -> None:
    lead, partner = stack.node("government"), stack.node()
    program, forum, proposal, item = uid("program"), uid("forum"), uid("usulan"), uid("rtl")
    stack.publish(lead, [
        defined(program, lead, [partner]),
        event("gotong.forum.opened.v1", forum, {"title": "Forum Gizi", "program": program},
              lead),
        reported(program, lead, "balita_stunting", "2026-Q1", 17),
        event("gotong.action_item.created.v1", item, {
            "title": "Timbangan untuk posyandu", "owner_node_id": partner,
            "due_date": "2020-01-31", "proposal_id": proposal}, lead),
    ])
    stack.publish(partner, [
        reported(program, partner, "balita_stunting", "2026-Q2", 12.9, "Bitung Tengah"),
        reported(program, partner, "balita_stunting", "2026-Q2", 16.1, "Aertembaga"),
        event("gotong.proposal.submitted.v1", proposal, {
            "forum_id": forum, "title": "Kelas gizi balita", "body": "Mingguan.",
            "author": "Ibu Ani", "program": program}, partner),
    ])
    body = stack.wait_json(f"/api/v1/programs/{program}",
                           lambda p: p["commitments"] and p["proposals"]
                           and p["indicators"][0]["latest"]["period"] == "2026-Q2")
    stunting = body["indicators"][0]
    assert stunting["latest"] == {"period": "2026-Q2", "value": pytest.approx(14.5)}
    assert stunting["progress"] == pytest.approx((14.5 - 17.8) / (14 - 17.8))
    assert [p["id"] for p in body["proposals"]] == [proposal]
    assert body["commitments"][0]["id"] == item and body["commitments"][0]["overdue"] is True
    listed = stack.get("/api/v1/programs", node=partner).json()
    assert program in [p["id"] for p in listed["items"]] and listed["next"] is None
    series = stack.get(f"/api/v1/programs/{program}/indicators/balita_stunting").json()
    assert [(p["period"], p["by_area"]) for p in series["series"]] == [
        ("2026-Q1", {}), ("2026-Q2", {"Aertembaga": 16.1, "Bitung Tengah": 12.9})]
    assert stack.get(f"/api/v1/programs/{program}/indicators/nope").status_code == 404
    assert stack.get("/api/v1/programs/tidak-ada").status_code == 404

    page = stack.get(f"/programs/{program}").text
    assert "Edukasi gizi melalui posyandu" in page and "Aertembaga" in page
    assert "<svg" in page and 'class="target"' in page
    assert f"/feeds/programs/{program}.atom" in page

    feed = ET.fromstring(stack.get(f"/feeds/programs/{program}.atom").content)
    titles = [e.findtext(A + "title") for e in feed.iter(A + "entry")]
    assert "Kelas gizi balita" in titles and "Timbangan untuk posyandu" in titles
    assert any(t.startswith("Balita stunting, 2026-Q2 (Aertembaga)") for t in titles)

    rows = list(csv.DictReader(io.StringIO(
        stack.get("/data/indicators.csv", program=program).text)))
    assert {(r["period"], r["area"]) for r in rows} == {
        ("2026-Q1", ""), ("2026-Q2", "Bitung Tengah"), ("2026-Q2", "Aertembaga")}
    figures = stack.get("/data/programs.json", program=program).json()["items"]
    assert [f["indicator"] for f in figures] == ["balita_stunting", "kader_dilatih"]

    for language, heading in (("id", "Laporan dampak"), ("en", "Impact report")):
        report = httpx.get(f"{stack.base_url}/programs/{program}/report.pdf", timeout=60,
                           headers={"Accept-Language": language})
        assert report.status_code == 200 and report.headers["content-type"] == "application/pdf"
        pdf = pypdf.PdfReader(io.BytesIO(report.content))
        text = "\n".join(page.extract_text() for page in pdf.pages)
        assert pdf.metadata is not None and heading in str(pdf.metadata.title)
        assert heading.upper() in text and "Edukasi gizi melalui posyandu" in text
        assert "Balita stunting" in text and "Kader dilatih" in text
    assert stack.get("/programs/tidak-ada/report.pdf").status_code == 404


def test_the_report_fetches_nothing_a_person_wrote(tmp_path: Path) -> None:
    from web.pages.programs import pdf_of

    secret = tmp_path / "secret.html"
    secret.write_text("<p>RAHASIA-SERVER</p>")
    pdf = pdf_of(f'<p>Laporan</p><img src="{secret.as_uri()}"><iframe src="{secret.as_uri()}">'
                 f'</iframe><img src="http://127.0.0.1:9/x.png">'
                 f'<link rel="stylesheet" href="{secret.as_uri()}">')
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "Laporan" in text and "RAHASIA" not in text
