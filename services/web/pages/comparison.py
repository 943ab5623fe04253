"""The regional comparison: one indicator for one year across the countries, as each published
it to the hub after its disclosure control (GET /api/v1/regional/comparison). A country whose
figure is not comparable (another catalogue version, or the indicator adapted
non-comparably or dropped in its national profile) keeps its bar, hatched and labelled in
words; a country that published nothing is listed by name."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, current_app, g, request
from markupsafe import Markup

from services.web import charts
from services.web.backend import ServiceError
from services.web.labels import N_
from services.web.pages import page, signed_in
from services.web.pages import translate as _
from services.web.pages.indicators import (
    UNIT_AXES,
    area_name,
    catalogue,
    comparison,
    count,
    hub_years,
    indicator_title,
    written,
)

blp = Blueprint("comparison", __name__, url_prefix="/comparison")

READERS = ("regional_analyst", "monitor", "national_admin", "auditor", "platform_admin")

WHY_NOT_COMPARABLE = {
    "adapted_noncomparable": N_("adapted in the national profile in a way that is not comparable"),
    "dropped": N_("dropped from the national profile"),
}


@dataclass(frozen=True)
class CountryRow:
    country: str
    value: float | None
    numerator: float | None
    denominator: float | None
    suppressed: bool
    comparable: bool
    catalog_version: str
    profile_status: str | None


def common_version(rows: Iterable[Mapping[str, Any]]) -> str | None:
    """The catalogue version most countries use (the one the service compares against)."""
    counted = Counter(str(r.get("catalog_version")) for r in rows)
    return max(counted, key=lambda v: counted[v]) if counted else None


def country_rows(
    answer: Mapping[str, Any], expected: Sequence[str]
) -> tuple[list[CountryRow], list[str]]:
    """The countries that published the indicator (totals), in the order of `expected`, and
    the expected countries that did not."""
    totals = {r["country"]: r for r in answer.get("countries", []) if not r.get("cell")}
    rows = []
    for code in [*expected, *sorted(set(totals) - set(expected))]:
        r = totals.get(code)
        if r is None:
            continue
        hidden = bool(r.get("suppressed"))
        rows.append(CountryRow(code, None if hidden else r.get("value"),
                               None if hidden else r.get("numerator"),
                               None if hidden else r.get("denominator"), hidden,
                               bool(r.get("comparable", True)), str(r.get("catalog_version", "")),
                               r.get("profile_status")))  # fmt: skip
    return rows, [code for code in expected if code not in totals]


def why_not_comparable(row: CountryRow, common: str | None) -> str:
    """In words, why a country's figure is not comparable ('' if it is)."""
    if row.comparable:
        return ""
    if common and row.catalog_version != common:
        return _("counted under catalogue version %(version)s, not %(common)s",
                 version=row.catalog_version, common=common)  # fmt: skip
    reason = WHY_NOT_COMPARABLE.get(row.profile_status or "")
    return _(reason) if reason else _("not comparable")


def value_text(row: CountryRow, unit: str) -> str:
    if row.suppressed:
        return _("suppressed")
    if row.value is None:
        return _("not available")
    return written(row.value, unit)


def comparison_svg(indicator: Mapping[str, Any], period: str, rows: Sequence[CountryRow]) -> Markup:
    unit = str(indicator["unit"])
    bars = [charts.Bar(g.formats.country(r.country), r.value, value_text(r, unit),
                       marked=not r.comparable) for r in rows]  # fmt: skip
    title = _("%(title)s by country, %(period)s", title=indicator_title(indicator), period=period)
    return charts.bar_chart(bars, chart_id=f"comparison-{indicator['code']}", title=title,
                            axis_title=_(UNIT_AXES.get(unit, unit)),
                            marked_label=_("not comparable"),
                            write=lambda tick: g.formats.number(tick),
                            whole=unit == "count")  # fmt: skip


def _chosen(indicators: Sequence[Mapping[str, Any]], periods: Sequence[str]) -> tuple[Any, str]:
    by_code = {i["code"]: i for i in indicators}
    code = request.args.get("indicator", "")
    indicator = by_code.get(code) or indicators[0]
    period = request.args.get("period", "")
    last_full = str(date.today().year - 1)
    return indicator, period if period in periods else last_full


@blp.route("/")
@signed_in(*READERS)
def index() -> str | tuple[str, int]:
    quantitative = [i for i in catalogue() if i["kind"] == "quantitative"]
    periods = list(reversed(hub_years(date.today().year)))
    indicator, period = _chosen(quantitative, periods)
    choices = {"indicators": quantitative, "periods": periods, "indicator": indicator,
               "period": period, "area_name": area_name, "title_of": indicator_title}  # fmt: skip
    try:
        answer = comparison(str(indicator["code"]), period)
    except ServiceError as error:
        if error.status != 403:
            raise
        # national roles: the hub answers regional roles only
        return page("comparison/index.html", refused=True, **choices), 403
    expected = list(current_app.extensions["actnow.settings"].countries)
    rows, missing = country_rows(answer, expected)
    common = common_version(answer.get("countries", []))
    return page("comparison/index.html", refused=False, rows=rows, missing=missing,
                chart=comparison_svg(indicator, period, rows) if rows else None,
                why=lambda row: why_not_comparable(row, common),
                value_text=value_text, count=count, **choices)  # fmt: skip
