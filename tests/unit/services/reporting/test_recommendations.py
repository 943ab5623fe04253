"""The follow-up of recommendations as pure rules: identities from a published report, GRETA
entries, who may assess and confirm, which years follow a recommendation up, the rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from services.reporting import recommendations as recs
from services.reporting.events import DRAFTED, PUBLISHED, RATES_PUBLISHED
from services.reporting.recommendations import GretaCommand, Recommendation
from shared.auth import Grant, Principal
from shared.errors import Conflict, Forbidden, NotFound, ValidationProblem
from tests.unit.services.reporting.samples import seed

TODAY = date(2026, 11, 30)
MONITOR = Principal("mk.monitor", "", (Grant("monitor", "MK"),))
REVIEWER = Principal("mk.reviewer", "", (Grant("reviewer", "MK"),))
MONITOR_AND_REVIEWER = Principal("mk.both", "", (Grant("monitor", "MK"), Grant("reviewer", "MK")))
OTHER_COUNTRY = Principal("al.monitor", "", (Grant("monitor", "AL"),))
EVIDENCE = [{"kind": "document", "title": "Labour inspectorate annual report",
             "reference": "https://example.org/li-2025.pdf", "date": "2026-02-01"}]  # fmt: skip


@dataclass
class Recorded:
    event_type: str
    payload: dict[str, Any]
    stream_id: str = ""
    stream_version: int = 1
    log_index: int = 0


def published_report(report_id: str = "3f2a9c1b7d4e", kind: str = "national",
                     period: str = "2024") -> list[Recorded]:  # fmt: skip
    drafted = {"report_id": report_id, "version": 1, "kind": kind,
               "country": "MK" if kind == "national" else None, "period": period,
               "title": f"North Macedonia {period}"}  # fmt: skip
    narrative = {"recommendations": [
        {"id": "R1", "text": "Train labour inspectors.", "indicators": ["ID-01"],
         "addressees": ["Labour inspectorate"]},
        {"id": "R10", "text": "Appoint guardians within three days.", "indicators": ["CH-01"]},
        {"id": "R2", "text": "Fund shelters all year.", "indicators": ["AS-01"]}]}  # fmt: skip
    stream = f"report-{report_id}"
    return [Recorded(DRAFTED, drafted, stream, 1),
            Recorded(PUBLISHED, {"version": 1, "narrative": narrative}, stream, 5)]  # fmt: skip


def ledger(*extra: Recorded) -> dict[str, Recommendation]:
    return recs.ledger_from([*published_report(), *extra])


def recorded(events: list, version: int) -> list[Recorded]:
    return [Recorded(e.event_type, e.payload, "", version + n) for n, e in enumerate(events, 1)]


def assessed(r: Recommendation, year: int, status: str, by: Principal = MONITOR) -> Recommendation:
    new = recorded(recs.assess(by, r, year, status, EVIDENCE, None, TODAY), r.version)
    return _apply(r, new)


def confirmed(r: Recommendation, year: int, by: Principal = REVIEWER) -> Recommendation:
    return _apply(r, recorded(recs.confirm(by, r, year, None), r.version))


def _apply(r: Recommendation, events: list[Recorded]) -> Recommendation:
    found: Recommendation | None = r
    for e in events:
        found = recs.evolve(found, e.event_type, e.payload, e.stream_version)
    assert found is not None
    return found


def test_a_published_national_report_gives_each_recommendation_an_identity_of_its_own() -> None:
    found = ledger()
    assert sorted(found) == ["3f2a9c1b7d4e-R1", "3f2a9c1b7d4e-R10", "3f2a9c1b7d4e-R2"]
    first = found["3f2a9c1b7d4e-R1"]
    assert (first.country, first.source, first.issued_year) == ("MK", recs.REPORT, 2024)
    assert first.addressees == ("Labour inspectorate",) and first.indicators == ("ID-01",)
    assert first.reference == "North Macedonia 2024, R1"


def test_a_regional_report_makes_no_country_recommendations_to_follow_up() -> None:
    assert recs.ledger_from(published_report(kind="regional")) == {}


def test_a_recommendation_is_due_in_later_years_until_a_confirmed_assessment_closes_it() -> None:
    r = ledger()["3f2a9c1b7d4e-R1"]
    assert not r.due_in(2024) and r.due_in(2025)
    r = confirmed(assessed(r, 2025, recs.PARTLY), 2025)
    assert r.due_in(2026)  # partly implemented: followed up again
    r = confirmed(assessed(r, 2026, recs.IMPLEMENTED), 2026)
    assert r.status == recs.IMPLEMENTED and r.due_in(2026) and not r.due_in(2027)
    with pytest.raises(Conflict):
        recs.assess(MONITOR, r, 2027, recs.NOT_IMPLEMENTED, EVIDENCE, None, date(2027, 12, 1))


def test_the_due_list_is_oldest_first_and_r2_comes_before_r10() -> None:
    due = recs.due_in(ledger().values(), "MK", 2025)
    assert [r.recommendation_id[-3:] for r in due] == ["-R1", "-R2", "R10"]


def test_an_assessment_needs_evidence_a_later_year_and_a_monitor_of_the_country() -> None:
    r = ledger()["3f2a9c1b7d4e-R1"]
    with pytest.raises(ValidationProblem) as missing:
        recs.assess(MONITOR, r, 2024, "implemented", [], None, TODAY)
    assert {"year", "evidence"} <= set(missing.value.errors)
    with pytest.raises(ValidationProblem) as bad:
        recs.assess(MONITOR, r, 2025, "implemented", [{"kind": "document", "title": "x"}], None,
                    TODAY)  # fmt: skip
    assert {"evidence.0.reference", "evidence.0.date"} <= set(bad.value.errors)
    with pytest.raises(Forbidden):
        recs.assess(OTHER_COUNTRY, r, 2025, "implemented", EVIDENCE, None, TODAY)
    with pytest.raises(NotFound):
        recs.assess(MONITOR, None, 2025, "implemented", EVIDENCE, None, TODAY)


def test_the_person_who_assessed_never_confirms_and_a_return_says_why() -> None:
    r = assessed(ledger()["3f2a9c1b7d4e-R1"], 2025, recs.NOT_IMPLEMENTED, MONITOR_AND_REVIEWER)
    with pytest.raises(Forbidden) as own:
        recs.confirm(MONITOR_AND_REVIEWER, r, 2025, None)
    assert "reviewed_by" in own.value.errors
    with pytest.raises(ValidationProblem) as silent:
        recs.send_back(REVIEWER, r, 2025, " ")
    assert "comment" in silent.value.errors
    returned = _apply(r, recorded(recs.send_back(REVIEWER, r, 2025, "Cite the 2025 report."),
                                  r.version))  # fmt: skip
    assert returned.follow_up(2025).state == recs.RETURNED  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        recs.confirm(REVIEWER, returned, 2025, None)
    again = confirmed(assessed(returned, 2025, recs.PARTLY), 2025)
    assert [s.action for s in again.history] == ["assessed", "returned", "assessed", "confirmed"]
    assert again.status_in(2025) == recs.PARTLY


def test_a_greta_recommendation_names_its_round_and_paragraph_and_known_indicators() -> None:
    command = GretaCommand("3", "112", 2023, "Ensure access to compensation.",
                           ["Ministry of Justice", "Ministry of Justice"], ["CO-05"])  # fmt: skip
    [event] = recs.enter(MONITOR, seed(), "MK", "greta-mk-0123456789", command, TODAY)
    assert event.payload["addressees"] == ["Ministry of Justice"]
    r = recs.evolve(None, event.event_type, event.payload, 1)
    assert r is not None and r.reference == "GRETA round 3, paragraph 112" and r.due_in(2024)
    with pytest.raises(ValidationProblem) as bad:
        wrong = GretaCommand("3", "1", 2030, "x", [], ["XX-99"])
        recs.enter(MONITOR, seed(), "MK", "greta-mk-1", wrong, TODAY)
    assert {"year", "indicators"} <= set(bad.value.errors)
    with pytest.raises(Forbidden):
        recs.enter(REVIEWER, seed(), "MK", "greta-mk-2", command, TODAY)


def test_the_rate_counts_due_recommendations_per_confirmed_status() -> None:
    found = ledger()
    found["3f2a9c1b7d4e-R1"] = confirmed(assessed(found["3f2a9c1b7d4e-R1"], 2025,
                                                  recs.IMPLEMENTED), 2025)  # fmt: skip
    found["3f2a9c1b7d4e-R2"] = confirmed(assessed(found["3f2a9c1b7d4e-R2"], 2025,
                                                  recs.NOT_IMPLEMENTED), 2025)  # fmt: skip
    found["3f2a9c1b7d4e-R10"] = assessed(found["3f2a9c1b7d4e-R10"], 2025, recs.IMPLEMENTED)
    rates = recs.rates(found.values(), "MK", 2025)
    assert rates["total"] == 3 and rates["implementation_rate"] == 0.5
    assert rates["counts"] == {"implemented": 1, "partly_implemented": 0, "not_implemented": 1,
                               "no_longer_relevant": 0, "not_assessed": 1}  # fmt: skip
    assert set(rates) == {"country", "year", "total", "counts", "implementation_rate"}
    [event] = recs.rates_changed(found.values(), "MK", 2025, None)
    assert event.event_type == RATES_PUBLISHED
    assert recs.rates_changed(found.values(), "MK", 2025, event.payload) == []


def test_a_correction_rewords_a_recommendation_and_keeps_its_follow_up() -> None:
    first = ledger()
    r1 = confirmed(assessed(first["3f2a9c1b7d4e-R1"], 2025, recs.PARTLY), 2025)
    reworded = recs.issued_in("3f2a9c1b7d4e", {"kind": "national", "country": "MK",
                                               "period": "2024", "title": "North Macedonia 2024"},
                              {"narrative": {"recommendations": [
                                  {"id": "R1", "text": "Train all labour inspectors.",
                                   "indicators": ["ID-01"]}]}})  # fmt: skip
    again = recs.republished(r1, reworded[0])
    assert again.text == "Train all labour inspectors." and again.status == recs.PARTLY


def test_the_read_model_state_round_trips() -> None:
    r = confirmed(assessed(ledger()["3f2a9c1b7d4e-R1"], 2025, recs.PARTLY), 2025)
    assert recs.from_json(recs.to_json(r)) == r


def test_a_report_rests_on_the_last_follow_up_event_of_its_country() -> None:
    events = [
        *published_report(),
        Recorded(
            DRAFTED, {"report_id": "other", "kind": "national", "country": "AL", "period": "2024"}
        ),
    ]
    for n, event in enumerate(events, 1):
        event.log_index = n
    assert recs.follow_up_basis(events, "MK") == 2 and recs.follow_up_basis(events, "AL") == 0
