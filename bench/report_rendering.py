"""Benchmark: rendering a regional report of five countries x all 59 indicators of the seed
catalogue x five years (issue 7 targets on a 2-core machine: HTML <= 1 s, PDF <= 5 s), and a
national report of one of those countries.

How: synthetic content, built (not timed) from seeded pseudo-random figures — every
quantitative indicator with its total and every one-way breakdown the catalogue lists, passed
through the indicators service's disclosure control as published figures are; a score with
evidence for every qualitative indicator; some indicators marked not comparable; narrative
sections. Then each format is rendered `--rounds` times and the median printed, with the
output sizes. No servers, no database: rendering is pure.

Run: `.venv/bin/python bench/report_rendering.py [--rounds 3] [--out DIR]` (`--out` keeps the
rendered files of the regional report for a look).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import weasyprint  # noqa: E402

from services.indicators.catalogue import SEED_PATH, Catalogue, Indicator, load_catalogue  # noqa: E402
from services.indicators.evaluator import Period, Value, disclosure_control, percent  # noqa: E402
from services.reporting.rendering import (  # noqa: E402
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
    content_hashes,
    render_csv,
    render_html,
    render_json,
    render_pdf,
    render_xlsx,
)

COUNTRIES = ("AL", "BA", "ME", "MK", "RS")
YEARS = ("2020", "2021", "2022", "2023", "2024")
OPEN_LIST = ("AL", "BA", "BG", "ME", "MK", "RO", "RS", "UA", "unknown")
PUBLISHED = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)


def categories(catalogue: Catalogue, dimension: str) -> tuple[str, ...]:
    listed = catalogue.disaggregations[dimension].categories
    return OPEN_LIST if listed == ("unknown",) else listed


def figure(rng: random.Random, indicator: Indicator, scale: int) -> tuple[float, float | None]:
    """A numerator and denominator the size of a partner country's yearly figures."""
    if indicator.unit == "percent":
        denominator = rng.randint(0, 6 * scale)
        return rng.randint(0, denominator), denominator
    if indicator.unit == "EUR":
        return float(rng.randint(0, 400) * 250), None
    if indicator.unit in ("days", "months"):
        return rng.randint(10, 900) / 2, None
    return rng.randint(0, 8 * scale), None


def table(catalogue: Catalogue, indicator: Indicator, country: str, year: str) -> list[Value]:
    rng = random.Random(f"{country}/{year}/{indicator.code}")
    assert indicator.numerator is not None
    statistic = indicator.numerator.kind
    cells: list[tuple[tuple[str, str], ...]] = [()]
    for dimension in indicator.disaggregations:
        cells += [((dimension, category),) for category in categories(catalogue, dimension)]
    values = []
    for cell in cells:
        numerator, denominator = figure(rng, indicator, 12 if not cell else 3)
        value = percent(numerator, denominator) if indicator.unit == "percent" else numerator
        values.append(Value(indicator.code, Period.calendar_year(int(year)), cell, numerator,
                            denominator, value, indicator.unit, statistic=statistic,
                            contributors=rng.randint(0, 40)))  # fmt: skip
    return values


def series(catalogue: Catalogue, country: str) -> CountrySeries:
    periods = []
    for year in YEARS:
        values: list[Value] = []
        for indicator in catalogue.indicators:
            if indicator.quantitative:
                values += table(catalogue, indicator, country, year)
        periods.append(PeriodFigures(year, tuple(disclosure_control(values, catalogue.disclosure))))
    rng = random.Random(f"{country}/comparability")
    noncomparable = {i.code for i in catalogue.indicators if rng.random() < 0.06}
    return CountrySeries(country, tuple(periods), frozenset(noncomparable))


def assessments(catalogue: Catalogue, country: str) -> list[Assessment]:
    found = []
    for indicator in catalogue.indicators:
        if indicator.quantitative:
            continue
        rng = random.Random(f"{country}/{indicator.code}/score")
        if rng.random() < 0.1:
            reason = "No evidence collected this cycle."
            found.append(
                Assessment(indicator.code, country, NOT_ASSESSED, not_assessed_reason=reason)
            )
            continue
        evidence = tuple(
            EvidenceRef(f"Evidence {n} for {indicator.code} in {country}",
                        f"https://example.org/{country}/{indicator.code}/{n}", "2024-06-30")
            for n in range(1, rng.randint(1, 3) + 1)
        )  # fmt: skip
        rationale = "Scored by the monitor, confirmed by a reviewer."
        score = rng.randint(0, 2)
        found.append(Assessment(indicator.code, country, score, evidence, rationale=rationale))
    return found


def content(catalogue: Catalogue, kind: str, countries: tuple[str, ...]) -> ReportContent:
    codes = catalogue.codes
    return ReportContent(
        report_id=f"bench-{kind}", version=1, kind=kind,
        title=f"Benchmark {kind} report 2024",
        country=countries[0] if kind == NATIONAL else None, period=YEARS[-1],
        catalogue=catalogue, values=tuple(series(catalogue, c) for c in countries),
        basis=ReportBasis(
            logs=tuple(LogBasis(f"{c.lower()}.actnow/intake", 250_000, f"{n:02x}" * 32)
                       for n, c in enumerate(countries)),
            catalog_version=catalogue.catalog_version,
            profile_versions={c: 2 for c in countries}, code_version="0" * 40),
        published_at=PUBLISHED,
        summary="\n\n".join(["Identification rose in most countries. " * 8] * 4),
        assessments=tuple(a for c in countries for a in assessments(catalogue, c)),
        conclusions=tuple(Finding(f"C{n}", "A finding of the cycle. " * 6, codes[n::12][:3])
                          for n in range(6)),
        recommendations=tuple(Finding(f"R{n}", "Do what the evidence says. " * 5,
                                      codes[n::7][:4]) for n in range(12)),
        good_practices=("Mobile teams screen at border crossings. " * 4,) * 3,
    )  # fmt: skip


def timed(rounds: int, render: Callable[[], bytes]) -> tuple[str, bytes]:
    """Wall-clock median and minimum, and the CPU time of the fastest round: on a shared
    machine the minimum and the CPU time say what the code costs, the median what it got."""
    times, output = [], b""
    for _ in range(rounds):
        start, cpu = time.perf_counter(), time.process_time()
        output = render()
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    fastest = min(times)
    median = statistics.median(wall for wall, _ in times)
    return f"{median:6.2f} s  (min {fastest[0]:5.2f} s, cpu {fastest[1]:5.2f} s)", output


def measure(name: str, report: ReportContent, rounds: int, out: Path | None) -> None:
    values = sum(len(p.values) for s in report.values for p in s.periods)
    print(f"\n{name}: {len(report.values)} countries x {len(report.catalogue.indicators)} "
          f"indicators x {len(YEARS)} years, {values:,} values, "
          f"{len(report.assessments)} scores")  # fmt: skip
    seconds, html = timed(rounds, lambda: render_html(report))
    outputs = {"html": html}
    print(f"  html  {seconds}  {len(html):>10,} bytes")
    renderers: dict[str, Callable[[], bytes]] = {
        "pdf": lambda: render_pdf(html),
        "csv": lambda: render_csv(report),
        "xlsx": lambda: render_xlsx(report),
        "json": lambda: render_json(report),
    }
    for fmt, render in renderers.items():
        seconds, outputs[fmt] = timed(rounds, render)
        print(f"  {fmt:<5} {seconds}  {len(outputs[fmt]):>10,} bytes")
    pages = len(weasyprint.HTML(string=html.decode()).render().pages)
    print(f"  pdf pages: {pages}")
    again = content_hashes({"html": render_html(report), "pdf": render_pdf(html)})
    same = again == {k: v for k, v in content_hashes(outputs).items() if k in again}
    print(f"  re-rendered identically: {'yes' if same else 'NO'}")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for fmt, data in outputs.items():
            (out / f"{name}.{fmt}").write_bytes(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    catalogue = load_catalogue(SEED_PATH)
    print(f"Python {platform.python_version()}, WeasyPrint {weasyprint.__version__}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, {args.rounds} rounds, "
          f"load average {os.getloadavg()[0]:.2f} at start")  # fmt: skip
    measure("regional", content(catalogue, REGIONAL, COUNTRIES), args.rounds, args.out)
    measure("national", content(catalogue, NATIONAL, COUNTRIES[3:4]), args.rounds, args.out)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
