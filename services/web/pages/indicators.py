"""The indicator dashboard: per area of the catalogue, each quantitative indicator's latest
value and its trend over the years for one country; per indicator, the trend and the
breakdowns (sex, age group, ...) of a year.

National readers see their country's values from GET /api/v1/values; a regional analyst, who
may not read national values, sees what the country published to the hub (GET
/api/v1/regional/comparison). Either way a cell the region may not see (it rests on too few
persons) is shown as "suppressed", never as a figure or as zero, the way published reports
show it, and a chart leaves it out, breaking its line there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel import numbers
from flask import Blueprint, g, request
from markupsafe import Markup
from werkzeug.exceptions import NotFound

from services.web import charts
from services.web.backend import ServiceError
from services.web.labels import N_
from services.web.pages import call, get, page, signed_in, user_countries
from services.web.pages import translate as _

blp = Blueprint("indicators", __name__, url_prefix="/indicators")

READERS = ("monitor", "reviewer", "national_admin", "auditor", "regional_analyst",
           "platform_admin", "data_provider")  # fmt: skip
# the roles the indicators service lets read a country's own values (the others read the hub's)
NATIONAL_READERS = ("monitor", "reviewer", "national_admin", "auditor", "data_provider")
YEARS_SHOWN = 6  # the hub is asked about this many years, the running one included

AREA_LABELS = {
    "identification": N_("Identification"),
    "referral": N_("Referral"),
    "assistance": N_("Assistance"),
    "child_victims": N_("Child victims"),
    "compensation": N_("Compensation"),
    "criminal_justice": N_("Criminal justice"),
    "non_punishment": N_("Non-punishment"),
    "return_reintegration": N_("Return and reintegration"),
    "coordination_data": N_("Coordination and data"),
}
DIMENSION_LABELS = {
    "sex": N_("Sex"),
    "age_group": N_("Age group"),
    "age_band": N_("Age band"),
    "citizenship": N_("Citizenship"),
    "citizenship_scope": N_("Citizenship"),
    "exploitation_type": N_("Type of exploitation"),
    "exploitation_scope": N_("Where exploited"),
    "country_of_exploitation": N_("Country of exploitation"),
    "detecting_agency": N_("Detecting agency"),
    "unaccompanied": N_("Unaccompanied"),
    "direction": N_("Direction"),
    "permit_basis": N_("Basis of the permit"),
    "forum": N_("Forum"),
    "payer": N_("Payer"),
    "offence_domain": N_("Area of law"),
    "defendant_sex": N_("Sex of the defendant"),
    "funding_recipient": N_("Recipient of the funding"),
}
CATEGORY_LABELS = {
    "female": N_("female"),
    "male": N_("male"),
    "trans_or_nonconforming": N_("trans or gender non-conforming"),
    "unknown": N_("unknown"),
    "child": N_("child"),
    "adult": N_("adult"),
    "domestic": N_("in the country"),
    "abroad": N_("abroad"),
    "sexual": N_("sexual exploitation"),
    "labour": N_("labour exploitation"),
    "begging": N_("forced begging"),
    "forced_criminality": N_("forced criminality"),
    "forced_marriage": N_("forced marriage"),
    "other": N_("other"),
    "true": N_("yes"),
    "false": N_("no"),
    "national": N_("nationals"),
    "other_partner_country": N_("another partner country"),
    "state_provider": N_("state providers"),
    "cso_provider": N_("civil society providers"),
}
UNIT_AXES = {
    "count": N_("Number"),
    "percent": N_("Per cent"),
    "days": N_("Days"),
    "months": N_("Months"),
    "EUR": N_("Euro"),
    "score": N_("Score"),
}


def indicator_title(indicator: Mapping[str, Any]) -> str:
    """The title a reader sees: the catalogue's title in the reader's language, else its
    English title. The one place titles are chosen."""
    titles = indicator.get("titles") or {}
    language = g.language.code if "language" in g else ""
    return str(titles.get(language) or indicator.get("title") or indicator.get("code") or "")


def area_name(code: str) -> str:
    """An area's name in the reader's language, as the catalogue gives it."""
    for area in catalogue_answer().get("areas") or []:
        if area.get("code") == code and (area.get("names") or {}).get(g.language.code):
            return str(area["names"][g.language.code])
    return _(AREA_LABELS.get(code, code))


# --- figures, the same whether national or from the hub ---------------------------------------
@dataclass(frozen=True)
class Figure:
    indicator: str
    period: str
    cell: tuple[tuple[str, str], ...]
    value: float | None
    numerator: float | None
    denominator: float | None
    suppressed: bool = False

    @property
    def dimension(self) -> str:
        return self.cell[0][0] if len(self.cell) == 1 else ""

    @property
    def category(self) -> str:
        return self.cell[0][1] if len(self.cell) == 1 else ""


def _figure(indicator: str, period: str, row: Mapping[str, Any], suppressed: bool) -> Figure:
    cell = tuple(sorted((str(k), str(v)) for k, v in (row.get("cell") or {}).items()))
    if suppressed:  # its figures never reach the page, so no template can print them
        return Figure(indicator, period, cell, None, None, None, True)
    return Figure(indicator, period, cell, row.get("value"), row.get("numerator"),
                  row.get("denominator"))  # fmt: skip


def national_figures(rows: Iterable[Mapping[str, Any]]) -> list[Figure]:
    """The rows of GET /api/v1/values, with the region's disclosure control applied."""
    return [_figure(r["indicator"], r["period"], r, bool(r.get("regional_suppressed")))
            for r in rows]  # fmt: skip


def regional_figures(answer: Mapping[str, Any], country: str) -> list[Figure]:
    """One country's rows of a GET /api/v1/regional/comparison answer."""
    return [_figure(answer["indicator"], answer["period"], r, bool(r.get("suppressed")))
            for r in answer.get("countries", []) if r.get("country") == country]  # fmt: skip


def totals(figures: Iterable[Figure], indicator: str) -> dict[str, Figure]:
    """An indicator's totals (no breakdown) by period."""
    return {f.period: f for f in figures if f.indicator == indicator and not f.cell}


def series(by_period: Mapping[str, Figure], periods: Sequence[str]) -> list[Figure | None]:
    return [by_period.get(period) for period in periods]


def latest(by_period: Mapping[str, Figure], this_year: int) -> Figure | None:
    """The latest full year's figure (the running year is not over); the running year's only
    if there is nothing else."""
    done = [p for p in by_period if p < str(this_year)]
    chosen = max(done) if done else max(by_period, default=None)
    return by_period[chosen] if chosen is not None else None


def breakdowns(
    figures: Iterable[Figure], indicator: str, period: str, order: Sequence[str]
) -> list[tuple[str, list[Figure]]]:
    """The one-way breakdowns of a period, in the catalogue's order of the indicator's
    disaggregations."""
    found: dict[str, list[Figure]] = {}
    for f in figures:
        if f.indicator == indicator and f.period == period and f.dimension:
            found.setdefault(f.dimension, []).append(f)
    known = [d for d in order if d in found] + sorted(d for d in found if d not in order)
    return [(d, found[d]) for d in known]


def periods_of(figures: Iterable[Figure]) -> list[str]:
    return sorted({f.period for f in figures})


def trimmed(periods: Sequence[str], by_period: Iterable[Mapping[str, Figure]]) -> list[str]:
    """The periods from the first one that has any figure at all."""
    known = [p for p in periods if any(p in figures for figures in by_period)]
    return [p for p in periods if known and p >= known[0]]


# --- reading --------------------------------------------------------------------------------
def catalogue_answer() -> dict[str, Any]:
    if "catalogue" not in g:
        g.catalogue = get("indicators", "/api/v1/catalogue")
    return g.catalogue


def catalogue() -> list[dict[str, Any]]:
    return list(catalogue_answer()["indicators"])


def areas_of(indicators: Iterable[Mapping[str, Any]]) -> list[str]:
    """The areas in the catalogue's order."""
    return list(dict.fromkeys(str(i["area"]) for i in indicators))


def indicator_by_code(code: str) -> dict[str, Any]:
    for indicator in catalogue():
        if indicator["code"] == code:
            return indicator
    raise NotFound()


def reads_national(country: str) -> bool:
    return bool(g.user and g.user.may(NATIONAL_READERS, country))


def chosen_country() -> str:
    countries = user_countries()
    asked = request.args.get("country", "")
    return asked if asked in countries else countries[0]


def hub_years(this_year: int) -> list[str]:
    return [str(year) for year in range(this_year - YEARS_SHOWN + 1, this_year + 1)]


def comparison(indicator: str, period: str, by: str = "") -> dict[str, Any]:
    """The hub's answer for one indicator and year (kept for the request: pages ask again)."""
    cache = g.setdefault("comparisons", {})
    key = (indicator, period, by)
    if key not in cache:
        params = {"indicator": indicator, "period": period, "by": by}
        cache[key] = call("indicators", "GET", "/api/v1/regional/comparison",
                          params=params).body  # fmt: skip
    return cache[key]


def figures_for(country: str, codes: Sequence[str], *, totals_only: bool) -> list[Figure]:
    """The country's figures of these indicators for every year: its own values if the
    reader may see them, else what it published to the hub (totals only; breakdowns of one
    year come from `hub_breakdowns`)."""
    if reads_national(country):
        params: dict[str, str] = {"country": country}
        if totals_only:
            params["by"] = ""  # only the totals: the service reads '' as "no breakdown"
        if len(codes) == 1:
            params["indicator"] = codes[0]
        rows = call("indicators", "GET", "/api/v1/values", params=params).body["values"]
        return [f for f in national_figures(rows) if f.indicator in codes]
    found: list[Figure] = []
    for code in codes:
        for period in hub_years(date.today().year):
            found += regional_figures(comparison(code, period), country)
    return found


def hub_breakdowns(country: str, code: str, period: str, dimensions: Sequence[str]) -> list[Figure]:
    found: list[Figure] = []
    for dimension in dimensions:
        try:
            found += regional_figures(comparison(code, period, dimension), country)
        except ServiceError as error:
            if error.status not in (400, 422):
                raise  # a breakdown the hub does not keep (national only) is left out
    return found


# --- showing --------------------------------------------------------------------------------
def written(value: float | None, unit: str) -> str:
    """A value as the reader's locale writes it, with its unit."""
    fmt = g.formats
    if value is None:
        return ""
    if unit == "EUR":
        return numbers.format_currency(value, "EUR", format="¤#,##0", locale=fmt.locale,
                                       currency_digits=False)  # fmt: skip
    if unit == "percent":
        return _("%(value)s %%", value=fmt.number(value, 1))
    if unit in ("days", "months"):
        noun = _("days") if unit == "days" else _("months")
        return f"{fmt.number(value, 1 if value != int(value) else 0)} {noun}"
    return fmt.number(value, 0 if value == int(value) else 1)


def shown(figure: Figure | None, unit: str) -> str:
    """What a table cell or a chart label says of a figure."""
    if figure is None:
        return _("no figures")
    if figure.suppressed:
        return _("suppressed")
    if figure.value is None:
        return _("not available")
    return written(figure.value, unit)


def count(value: float | None) -> str:
    return "" if value is None else g.formats.number(value, 0 if value == int(value) else 1)


def category_label(dimension: str, category: str) -> str:
    if dimension in ("citizenship", "country_of_exploitation") and len(category) == 2:
        return g.formats.country(category)
    return _(CATEGORY_LABELS.get(category, category))


def _axis_number(tick: Any) -> str:
    return g.formats.number(tick)


def trend_svg(
    indicator: Mapping[str, Any], periods: Sequence[str], figures: Sequence[Figure | None],
    country: str,
) -> Markup:  # fmt: skip
    unit = str(indicator["unit"])
    running = str(date.today().year)
    points = [charts.TrendPoint(p, None if f is None or f.suppressed else f.value, shown(f, unit),
                                provisional=p == running)
              for p, f in zip(periods, figures, strict=True)]  # fmt: skip
    title = _("%(title)s, %(country)s, by year", title=indicator_title(indicator),
              country=g.formats.country(country))  # fmt: skip
    return charts.trend_chart(points, chart_id=f"trend-{indicator['code']}", title=title,
                              x_title=_("Year"), y_title=_(UNIT_AXES.get(unit, unit)),
                              write=_axis_number, whole=unit == "count")  # fmt: skip


def breakdown_svg(
    indicator: Mapping[str, Any], dimension: str, figures: Sequence[Figure], period: str
) -> Markup:
    unit = str(indicator["unit"])
    bars = [charts.Bar(category_label(dimension, f.category), None if f.suppressed else f.value,
                       shown(f, unit)) for f in figures]  # fmt: skip
    title = _(
        "%(title)s by %(dimension)s, %(period)s",
        title=indicator_title(indicator),
        dimension=_(DIMENSION_LABELS.get(dimension, dimension)).lower(),
        period=period,
    )
    return charts.bar_chart(bars, chart_id=f"by-{indicator['code']}-{dimension}", title=title,
                            axis_title=_(UNIT_AXES.get(unit, unit)), write=_axis_number,
                            whole=unit == "count")  # fmt: skip


@dataclass(frozen=True)
class Card:
    """One indicator on the dashboard."""

    indicator: dict[str, Any]
    title: str
    periods: list[str]
    figures: list[Figure | None]
    latest: Figure | None
    chart: Markup


def _card(
    indicator: dict[str, Any], periods: list[str], by_period: dict[str, Figure], country: str
) -> Card:
    figures = series(by_period, periods)
    return Card(indicator, indicator_title(indicator), periods, figures,
                latest(by_period, date.today().year),
                trend_svg(indicator, periods, figures, country))  # fmt: skip


def _common(country: str) -> dict[str, Any]:
    return {"country": country, "countries": user_countries(), "shown": shown, "count": count,
            "this_year": str(date.today().year), "area_name": area_name,
            "national": reads_national(country)}  # fmt: skip


@blp.route("/")
@signed_in(*READERS)
def dashboard() -> str:
    country = chosen_country()
    indicators = catalogue()
    areas = areas_of(indicators)
    area = request.args.get("area", "")
    area = area if area in areas else areas[0]
    in_area = [i for i in indicators if i["area"] == area]
    quantitative = [i for i in in_area if i["kind"] == "quantitative"]
    figures = figures_for(country, [str(i["code"]) for i in quantitative], totals_only=True)
    by_code = {str(i["code"]): totals(figures, str(i["code"])) for i in quantitative}
    periods = trimmed(periods_of(figures), by_code.values())
    cards = [_card(i, periods, by_code[str(i["code"])], country) for i in quantitative]
    qualitative = [i for i in in_area if i["kind"] == "qualitative"]
    return page("indicators/dashboard.html", areas=areas, area=area, cards=cards,
                qualitative=qualitative, title_of=indicator_title, **_common(country))  # fmt: skip


@blp.route("/<code>")
@signed_in(*READERS)
def detail(code: str) -> str:
    country = chosen_country()
    indicator = indicator_by_code(code)
    if indicator["kind"] != "quantitative":
        raise NotFound()
    figures = figures_for(country, [code], totals_only=False)
    by_period = totals(figures, code)
    periods = trimmed(periods_of(figures), [by_period])
    card = _card(indicator, periods, by_period, country)
    period = request.args.get("period", "")
    default = card.latest.period if card.latest else ""
    period = period if period in periods else default
    order = list(indicator.get("disaggregations") or [])
    if not reads_national(country) and period:
        figures = hub_breakdowns(country, code, period, order)
    groups = [(d, fs, breakdown_svg(indicator, d, fs, period))
              for d, fs in breakdowns(figures, code, period, order)]  # fmt: skip
    return page("indicators/detail.html", card=card, period=period, periods=periods,
                groups=groups, dimension_labels=DIMENSION_LABELS, category_label=category_label,
                **_common(country))  # fmt: skip
