"""Report contents for the rendering tests: a national report of MK for 2024 with the two
years before it, and a regional report of AL, MK and RS, on the seed catalogue. Figures are
typed in by hand so a test can look for them in the output."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

from services.indicators.catalogue import SEED_PATH, Catalogue, load_catalogue
from services.indicators.evaluator import Period, Value
from services.reporting.rendering import (
    NATIONAL,
    NOT_ASSESSED,
    REGIONAL,
    Assessment,
    CountrySeries,
    EvidenceRef,
    Finding,
    LogBasis,
    PeriodFigures,
    ReportBasis,
    ReportContent,
)

PUBLISHED = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
YEARS = ("2022", "2023", "2024")
INTAKE_ROOT = "3f" * 32
INDICATORS_ROOT = "a0" * 32
CODE_VERSION = "9c1e4b7d2f0a6c3e8b5d1f4a7c0e3b6d9f2a5c8e"
# Figures a suppressed cell carries by mistake: they must appear in no output.
LEAK = 987654


@cache
def seed() -> Catalogue:
    return load_catalogue(SEED_PATH)


def count(code: str, year: str, n: int, cell: dict[str, str] | None = None) -> Value:
    return Value(code, Period.calendar_year(int(year)), tuple((cell or {}).items()), n, None, n,
                 seed().indicator(code).unit, contributors=n)  # fmt: skip


def share(code: str, year: str, n: int, of: int, cell: dict[str, str] | None = None) -> Value:
    value = round(100 * n / of, 1) if of else None
    return Value(code, Period.calendar_year(int(year)), tuple((cell or {}).items()), n, of,
                 value, "percent", contributors=of)  # fmt: skip


def hidden(code: str, year: str, cell: dict[str, str] | None = None) -> Value:
    """A suppressed cell whose figures a careless caller left filled."""
    return replace(count(code, year, LEAK, cell), denominator=LEAK, suppressed=True)


def amount(code: str, year: str, number: float, statistic: str) -> Value:
    indicator = seed().indicator(code)
    return Value(code, Period.calendar_year(int(year)), (), number, None, number,
                 indicator.unit, statistic=statistic, contributors=12)  # fmt: skip


def figures_of(country: str) -> CountrySeries:
    """Three years of a few indicators; the base numbers differ per country."""
    base = {"AL": 20, "MK": 31, "RS": 55}[country]
    periods = []
    for step, year in enumerate(YEARS):
        values = [
            count("ID-01", year, base + 5 * step),
            count("ID-01", year, base + 5 * step - 6, {"sex": "female"}),
            hidden("ID-01", year, {"sex": "male"}),
            hidden("ID-01", year, {"sex": "trans_or_nonconforming"}),
            count("ID-01", year, 0, {"sex": "unknown"}),
            share("RF-01", year, 14 + 2 * step, 20 + 2 * step),
            amount("ID-03", year, 37.5 - step, "median"),
            amount("CO-05", year, 12500.0 + 1000 * step, "sum"),
        ]
        if year == "2023":
            values.append(hidden("AS-01", year))
        else:
            values.append(share("AS-01", year, 9, 12))
        periods.append(PeriodFigures(year, tuple(values)))
    noncomparable = frozenset({"RF-01"}) if country == "MK" else frozenset()
    return CountrySeries(country, tuple(periods), noncomparable)


def basis(*countries: str) -> ReportBasis:
    return ReportBasis(
        logs=(
            LogBasis("mk.actnow/intake", 1200, INTAKE_ROOT),
            LogBasis("mk.actnow/indicators", 310, INDICATORS_ROOT),
        ),
        catalog_version=seed().catalog_version,
        profile_versions={country: 3 for country in countries},
        code_version=CODE_VERSION,
    )


def assessments(country: str) -> tuple[Assessment, ...]:
    return (
        Assessment(
            "ID-06",
            country,
            2,
            (EvidenceRef("Rulebook on identification", "Official Gazette 12/2021", "2021-02-01"),),
            rationale="Applied by all identification teams.",
        ),
        Assessment(
            "AS-09", country, NOT_ASSESSED, not_assessed_reason="No monitoring visit in 2024."
        ),
    )


NARRATIVE: dict[str, Any] = {
    "summary": "Identification rose for the third year.\n\nReferral stayed below target.",
    "conclusions": (Finding("C1", "More victims were identified.", ("ID-01",)),),
    "recommendations": (
        Finding("R1", "Refer every presumed victim within a week.", ("RF-01", "ID-06")),
        Finding("R2", "Fund shelters for the whole year.", ("AS-01",)),
    ),
    "good_practices": ("Mobile teams screen at the border crossings.",),
}


def national(**changes: Any) -> ReportContent:
    content = ReportContent(
        report_id="rep-mk-2024", version=1, kind=NATIONAL,
        title="Anti-trafficking monitoring report: North Macedonia 2024",
        country="MK", period="2024", catalogue=seed(), values=(figures_of("MK"),),
        basis=basis("MK"), published_at=PUBLISHED, assessments=assessments("MK"), **NARRATIVE,
    )  # fmt: skip
    return replace(content, **changes) if changes else content


def regional(**changes: Any) -> ReportContent:
    countries = ("AL", "MK", "RS")
    content = ReportContent(
        report_id="rep-region-2024", version=1, kind=REGIONAL,
        title="Regional comparative report 2024", country=None, period="2024",
        catalogue=seed(), values=tuple(figures_of(c) for c in countries),
        basis=basis(*countries), published_at=PUBLISHED,
        assessments=tuple(a for c in countries for a in assessments(c)), **NARRATIVE,
    )  # fmt: skip
    return replace(content, **changes) if changes else content
