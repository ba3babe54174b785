"""services/domain/programs.py: a program's definition, who reports its indicators, and
how far each indicator has come from its baseline to its target."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from services.domain import programs
from services.domain.base import judged, new_state, replay

PROGRAM = "pelatihan-keterampilan-perempuan"
LEAD, PARTNER, OTHER = "dinsos-bitung", "pkk-bitung-tengah", "kelompok-tani-maesa"
_ids = itertools.count(1)


def _event(kind: str, data: dict[str, Any], node: str) -> dict[str, Any]:
    return {"specversion": "1.0", "id": f"ev-{next(_ids)}", "source": f"/nodes/{node}",
            "type": kind, "subject": PROGRAM, "time": "2026-07-01T08:00:00+08:00",
            "datacontenttype": "application/json", "data": data}


def defined(*, node: str = LEAD, lead: str = LEAD, partners: tuple[str, ...] = (PARTNER,),
            target: float = 300, baseline: float | None = 0, direction: str = "increase",
            name: str = "Pelatihan keterampilan perempuan", **more: Any) -> dict[str, Any]:
    indicator: dict[str, Any] = {"id": "perempuan_dilatih", "name": "Perempuan dilatih",
                                 "unit": "orang", "target": target, "direction": direction,
                                 **more}
    if baseline is not None:
        indicator["baseline"] = baseline
    return _event("gotong.program.defined.v1",
                  {"name": name, "lead_node_id": lead, "partner_node_ids": list(partners),
                   "indicators": [indicator]}, node)


def reported(period: str, value: float, *, node: str = LEAD, area: str | None = None,
             indicator: str = "perempuan_dilatih") -> dict[str, Any]:
    data: dict[str, Any] = {"indicator": indicator, "period": period, "value": value}
    if area:
        data["area"] = area
    return _event(f"gotong.indicator.reported.v{2 if area else 1}", data, node)


def program(*events: dict[str, Any]) -> dict[str, Any]:
    state = replay(programs.fold, list(events))
    assert state is not None
    [row] = programs.rows(state)["programs"]
    return row


def latest(*events: dict[str, Any]) -> dict[str, Any]:
    [indicator] = program(*events)["indicators"]
    return indicator


# ---- who may ------------------------------------------------------------------------

def test_the_lead_and_its_partners_report() -> None:
    state, refused = judged(programs.fold, [
        defined(), reported("2026-Q1", 20), reported("2026-Q2", 48, node=PARTNER)])

    assert refused == []
    assert state is not None
    assert sorted(r["value"] for r in programs.rows(state)["indicators"]) == [20, 48]


def test_a_report_from_another_node_is_refused_naming_who_may() -> None:
    state, [refusal] = judged(programs.fold, [defined(), reported("2026-Q1", 20, node=OTHER)])

    assert refusal.node_id == OTHER
    assert f"{LEAD}, {PARTNER}" in refusal.reason and "report its indicators" in refusal.reason
    assert state is not None and programs.rows(state)["indicators"] == []


def test_a_report_of_an_indicator_the_program_does_not_define_is_refused() -> None:
    _, [refusal] = judged(programs.fold, [defined(),
                                          reported("2026-Q1", 3, indicator="usaha_baru")])

    assert "no indicator 'usaha_baru'" in refusal.reason
    assert "perempuan_dilatih" in refusal.reason


def test_only_the_lead_redefines_and_the_definitions_are_kept() -> None:
    state, [refusal] = judged(programs.fold, [
        defined(), defined(node=PARTNER, name="Diambil alih"), defined(target=400)])

    assert "only the lead node" in refusal.reason and refusal.node_id == PARTNER
    assert state is not None
    [row] = programs.rows(state)["programs"]
    assert row["name"] == "Pelatihan keterampilan perempuan"
    assert [d["indicators"][0]["target"] for d in row["definitions"]] == [300, 400]
    assert row["indicators"][0]["target"] == 400


def test_the_lead_hands_the_program_over() -> None:
    state, refused = judged(programs.fold, [
        defined(), defined(lead=PARTNER, partners=()), reported("2026-Q1", 5),
        reported("2026-Q1", 6, node=PARTNER), defined(name="Tidak lagi")])

    assert [r.node_id for r in refused] == [LEAD, LEAD]
    assert state is not None
    assert programs.rows(state)["programs"][0]["lead_node_id"] == PARTNER


def test_reports_before_the_definition_are_held_then_judged() -> None:
    early_ok, early_other = reported("2026-Q1", 20, node=PARTNER), reported("2026-Q1", 1,
                                                                              node=OTHER)
    state, refused = judged(programs.fold, [early_ok, early_other])
    assert refused == [] and state is not None and programs.rows(state) == {}

    state, refused = judged(programs.fold, [early_ok, early_other, defined()])

    assert [r.event["id"] for r in refused] == [early_other["id"]]
    assert state is not None
    assert [r["value"] for r in programs.rows(state)["indicators"]] == [20]


def test_a_state_of_reports_kept_from_before_programs_is_judged_like_a_replay() -> None:
    legacy = {**new_state(PROGRAM), "exists": True, "version": 2, "applied": ["a", "b"],
              "values": {
                  "perempuan_dilatih|2026-Q1": {
                      "indicator": "perempuan_dilatih", "period": "2026-Q1", "value": 20,
                      "unit": None, "note": None, "node_id": LEAD,
                      "reported_at": "2026-04-01T00:00:00.000000Z"},
                  "perempuan_dilatih|2026-Q2": {
                      "indicator": "perempuan_dilatih", "period": "2026-Q2", "value": 99,
                      "unit": None, "note": None, "node_id": OTHER,
                      "reported_at": "2026-07-01T00:00:00.000000Z"}}}

    assert programs.fold(legacy, reported("2026-Q3", 48)) == ()
    assert programs.rows(legacy) == {}
    [refused] = programs.fold(legacy, defined())

    assert refused.node_id == OTHER  # what no rule judged then is judged now
    assert sorted(r["value"] for r in programs.rows(legacy)["indicators"]) == [20, 48]


def test_a_node_defines_only_a_program_it_leads_and_a_consistent_one() -> None:
    state, [refusal] = judged(programs.fold, [defined(node=OTHER)])
    assert "defines the programs it leads" in refusal.reason and state is not None
    assert programs.rows(state) == {}

    _, [refusal] = judged(programs.fold, [defined(baseline=30, target=14)])
    assert "is to increase but its target (14) is below its baseline (30)" in refusal.reason
    _, [refusal] = judged(programs.fold, [defined(), defined(direction="decrease")])
    assert "is to decrease but its target (300) is above" in refusal.reason
    assert programs.founding(defined(node="gotong", lead=LEAD)) is None  # the service may


def test_a_report_of_a_period_the_calendar_lacks_is_refused() -> None:
    _, [refusal] = judged(programs.fold, [defined(), reported("2025-W53", 1)])
    assert "no period '2025-W53'" in refusal.reason
    assert programs.is_period("2026-W53") and not programs.is_period("0000")
    # one already in a state (accepted before the rule) sorts last instead of failing
    assert sorted(["9999-12", "2026", "2025-W53"], key=programs.period_order)[0] == "2026"


def test_a_figure_too_large_for_a_float_has_no_progress() -> None:
    assert programs.progress({"baseline": -1.7e308, "target": 1.7e308}, 1e308) is None


def test_the_rule_names_the_decision_for_a_page() -> None:
    state = replay(programs.fold, [defined()])
    assert state is not None
    probe = reported("2026-Q1", 1, node=OTHER)

    assert programs.decide(state, probe) is not None
    assert programs.decide(state, reported("2026-Q1", 1, node=PARTNER)) is None


# ---- progress -----------------------------------------------------------------------

def test_progress_goes_from_the_baseline_to_the_target() -> None:
    assert latest(defined(baseline=100, target=300), reported("2026-Q2", 150))["progress"] \
        == pytest.approx(0.25)
    assert latest(defined(baseline=100, target=300), reported("2026-Q2", 100))["progress"] == 0
    assert latest(defined(baseline=100, target=300), reported("2026-Q2", 360))["progress"] \
        == pytest.approx(1.3)
    assert latest(defined(baseline=100, target=300), reported("2026-Q2", 80))["progress"] \
        == pytest.approx(-0.1)


def test_a_decrease_is_progress_as_the_value_falls() -> None:
    stunting = defined(baseline=30, target=14, direction="decrease")

    assert latest(stunting, reported("2026-Q2", 22))["progress"] == pytest.approx(0.5)
    assert latest(stunting, reported("2026-Q2", 34))["progress"] == pytest.approx(-0.25)
    assert latest(stunting, reported("2026-Q2", 14))["progress"] == pytest.approx(1.0)


def test_without_a_baseline_or_a_report_there_is_no_progress() -> None:
    assert latest(defined(baseline=None), reported("2026-Q2", 48))["progress"] is None
    assert latest(defined(baseline=None), reported("2026-Q2", 48))["latest"] == {
        "period": "2026-Q2", "value": 48}
    assert latest(defined()) | {} == latest(defined()) and latest(defined())["latest"] is None
    assert latest(defined())["progress"] is None
    assert latest(defined(baseline=5, target=5), reported("2026", 5))["progress"] is None


def test_the_latest_period_is_the_latest_in_time_not_in_spelling() -> None:
    found = latest(defined(), reported("2026-11", 70), reported("2026-Q3", 60),
                   reported("2026-W02", 5), reported("2025", 400))

    assert found["latest"] == {"period": "2026-11", "value": 70}


def test_of_periods_ending_together_the_longest_is_the_latest() -> None:
    assert sorted(["2026", "2026-12", "2026-Q4"], key=programs.period_order) == [
        "2026-12", "2026-Q4", "2026"]


def test_areas_add_up_to_the_city_unless_a_city_figure_is_reported() -> None:
    by_area = [reported("2026-Q2", 30, area="Girian Bawah"),
               reported("2026-Q2", 18, node=PARTNER, area="Bitung Tengah")]

    assert latest(defined(), *by_area)["latest"]["value"] == 48
    assert latest(defined(), *by_area, reported("2026-Q2", 50))["latest"]["value"] == 50
    rates = defined(areas="mean", baseline=30, target=14, direction="decrease")
    assert latest(rates, *by_area)["latest"]["value"] == 24


def test_the_series_has_the_city_and_each_area_per_period() -> None:
    state = replay(programs.fold, [
        defined(), reported("2026-Q1", 12, area="Girian Bawah"),
        reported("2026-Q2", 30, area="Girian Bawah"), reported("2026-Q2", 18, area="Aertembaga")])
    assert state is not None
    indicator = state["indicators"][0]

    assert programs.series(indicator, state["values"].values()) == [
        {"period": "2026-Q1", "value": 12, "by_area": {"Girian Bawah": 12}},
        {"period": "2026-Q2", "value": 48, "by_area": {"Aertembaga": 18, "Girian Bawah": 30}}]


@pytest.mark.parametrize(("period", "span"), [
    ("2026", ("2026-01-01", "2026-12-31")), ("2026-Q1", ("2026-01-01", "2026-03-31")),
    ("2026-Q4", ("2026-10-01", "2026-12-31")), ("2026-02", ("2026-02-01", "2026-02-28")),
    ("2026-12", ("2026-12-01", "2026-12-31")), ("2026-W01", ("2025-12-29", "2026-01-04")),
])
def test_period_spans(period: str, span: tuple[str, str]) -> None:
    assert tuple(d.isoformat() for d in programs.period_span(period)) == span


def test_the_latest_report_of_a_period_and_area_wins() -> None:
    state = replay(programs.fold, [defined(), reported("2026-Q2", 40),
                                   reported("2026-Q2", 48, node=PARTNER)])
    assert state is not None
    [row] = programs.rows(state)["indicators"]

    assert (row["value"], row["node_id"], row["area"]) == (48, PARTNER, "")


def test_applying_the_same_event_twice_returns_the_same_object() -> None:
    first = defined()
    state = programs.evolve(None, first)

    assert programs.evolve(state, first) is state


def test_a_program_not_defined_has_no_rows() -> None:
    assert programs.rows(new_state(PROGRAM)) == {}
