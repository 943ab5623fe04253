"""A report's content is checked whole before anything is rendered: each problem is named by
its field, so a draft can be corrected in one pass."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from services.indicators.computing import PeriodValues
from services.reporting.rendering import CountrySeries, Finding, PeriodFigures, Supersession
from shared.errors import ValidationProblem
from tests.unit.services.reporting.samples import count, figures_of, hidden, national, regional


def problems(**changes: object) -> dict[str, list[str]]:
    with pytest.raises(ValidationProblem) as raised:
        national(**changes)
    return raised.value.errors


def test_a_sample_report_is_valid() -> None:
    assert national().catalog_version == "2025.1-seed"
    assert regional().countries == ("AL", "MK", "RS")


def test_a_recommendation_resting_on_an_unknown_indicator_is_refused() -> None:
    errors = problems(recommendations=(Finding("R1", "Do more.", ("ID-01", "XX-99")),))
    assert errors == {"recommendations.R1": ["Rests on XX-99, which is not in the catalogue."]}


def test_finding_ids_must_be_fit_for_an_anchor_and_unique() -> None:
    errors = problems(conclusions=(Finding("C 1", "a"), Finding("C 1", "b")))
    assert "conclusions" in errors and "conclusions.C 1" in errors


def test_a_publication_time_outside_utc_is_refused() -> None:
    local = datetime(2025, 3, 3, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    assert "published_at" in problems(published_at=local)


def test_figures_of_a_year_after_the_reference_period_are_refused() -> None:
    series = figures_of("MK")
    later = PeriodFigures("2025", (count("ID-01", "2025", 50),))
    errors = problems(values=(replace(series, periods=(*series.periods, later)),))
    assert errors == {"values.MK.2025": ["Is after the reference period 2024."]}


def test_two_values_for_one_cell_are_refused() -> None:
    series = figures_of("MK")
    doubled = PeriodFigures("2024", (count("ID-01", "2024", 5), count("ID-01", "2024", 6)))
    errors = problems(values=(replace(series, periods=(doubled,)),))
    assert errors == {"values.MK.2024": ["ID-01 total has more than one value."]}


def test_a_national_report_holds_its_own_country_only() -> None:
    assert "values" in problems(values=(figures_of("MK"), figures_of("RS")))
    assert "country" in problems(country=None)


def test_a_score_needs_evidence_and_a_level_of_the_scale() -> None:
    scored = national().assessments[0]
    errors = problems(assessments=(replace(scored, evidence=()), replace(scored, country="AL")))
    assert errors["assessments.0.evidence"] == ["A score needs at least one evidence item."]
    assert errors["assessments.1"] == ["AL is not a country of the report."]
    assert "assessments.0.score" in problems(assessments=(replace(scored, score=3),))


def test_the_basis_must_pin_the_catalogue_the_report_was_computed_with() -> None:
    basis = replace(national().basis, catalog_version="2024.9")
    errors = problems(basis=basis)
    assert errors == {"basis.catalog_version": ["Pins 2024.9, but the catalogue is 2025.1-seed."]}


def test_a_correction_must_give_its_reason_and_come_after_what_it_corrects() -> None:
    assert "supersedes.reason" in problems(
        supersedes=Supersession("rep-mk-2024", 1, "  "), version=2
    )
    errors = problems(supersedes=Supersession("rep-mk-2024", 1, "Typo."), version=1)
    assert errors == {"supersedes.version": ["A correction of version 1 comes after it."]}


def test_a_country_series_takes_the_disclosure_controlled_values_by_default() -> None:
    published = (count("ID-01", "2024", 41), hidden("ID-01", "2024", {"sex": "male"}))
    national_only = (count("ID-01", "2024", 41), count("ID-01", "2024", 3, {"sex": "male"}))
    computed = [PeriodValues("2024", list(national_only), list(published))]
    series = CountrySeries.from_computed("MK", computed, noncomparable=["RF-01"])
    assert series.periods[0].values == published
    assert not series.comparable("RF-01") and series.comparable("ID-01")
    inside = CountrySeries.from_computed("MK", computed, disclosed=False)
    assert inside.periods[0].values == national_only
