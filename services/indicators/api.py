"""The indicators service's HTTP contract: the catalogue, a country's values (now or as of a
past date), and the hub's regional comparison of values and confirmed assessment scores."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import orjson
from flask import current_app
from marshmallow import Schema, fields, validate
from psycopg import sql
from psycopg_pool import ConnectionPool

from services.indicators.catalogue import Catalogue
from services.indicators.computing import cell_key, compute_country
from services.indicators.evaluator import Value
from services.indicators.persons import person_from_case
from services.indicators.projections import (
    IntakeHistory,
    RegionalAssessments,
    RegionalValues,
    StoredEvent,
)
from services.indicators.regional_chains import RegionalChains
from services.indicators.translations import CatalogueTranslations
from shared.auth import REGIONAL, Principal, authenticated
from shared.backbone.projections import query_read_model
from shared.blueprint import Blueprint
from shared.db import fetch_dicts
from shared.errors import Forbidden, NotFound
from shared.settings import Settings

# adopted or adapted (still comparable); None: the country has confirmed no profile yet, so
# every core indicator counts as adopted
COMPARABLE_STATUSES = ("adopted", "adapted", None)
NATIONAL_READERS = ("monitor", "reviewer", "national_admin", "auditor", "data_provider")
REGIONAL_READERS = ("regional_analyst", "auditor", "platform_admin")


@dataclass(frozen=True)
class Indicators:
    settings: Settings
    pool: ConnectionPool
    catalogue: Catalogue
    history: IntakeHistory
    regional: RegionalValues
    translations: CatalogueTranslations
    regional_assessments: RegionalAssessments
    chains: RegionalChains


def indicators() -> Indicators:
    return current_app.extensions["actnow.indicators"]


class ScaleLevelOut(Schema):
    score = fields.Integer()
    label = fields.String()
    meaning = fields.String()


class IndicatorOut(Schema):
    code = fields.String()
    area = fields.String()
    kind = fields.String()
    type = fields.String()
    title = fields.String()
    description = fields.String()
    unit = fields.String()
    polarity = fields.String(allow_none=True)
    disaggregations = fields.List(fields.String())
    titles = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "The title by language (BCP 47): en, as `title`, and the region's"
                       " languages"})  # fmt: skip
    scale = fields.List(fields.Nested(ScaleLevelOut), metadata={
        "description": "qualitative: what each score means (a monitor scores on it)"})  # fmt: skip


class AreaOut(Schema):
    code = fields.String()
    names = fields.Dict(keys=fields.String(), values=fields.String(),
                        metadata={"description": "The name by language (BCP 47)"})  # fmt: skip


class CatalogueOut(Schema):
    catalog_id = fields.String()
    catalog_version = fields.String()
    status = fields.String()
    indicators = fields.List(fields.Nested(IndicatorOut))
    areas = fields.List(fields.Nested(AreaOut))


class ValuesQuery(Schema):
    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    indicator = fields.String(validate=validate.Regexp(r"^[A-Z]{2}-\d{2}"))
    period = fields.String(validate=validate.Regexp(r"^\d{4}$"))
    by = fields.String(metadata={"description": "A disaggregation, or '' for totals only"})
    as_of = fields.Date(metadata={"description": "Recompute from the history recorded up to"
                                                 " the end of this day"})  # fmt: skip


class ValueOut(Schema):
    indicator = fields.String()
    period = fields.String()
    cell = fields.Dict(keys=fields.String(), values=fields.String())
    numerator = fields.Float(allow_none=True)
    denominator = fields.Float(allow_none=True)
    value = fields.Float(allow_none=True)
    unit = fields.String()
    statistic = fields.String(allow_none=True)
    contributors = fields.Integer(allow_none=True)
    regional_suppressed = fields.Boolean()


class ValuesOut(Schema):
    country = fields.String()
    as_of = fields.Date(allow_none=True)
    intake_log_size = fields.Integer(allow_none=True)
    values = fields.List(fields.Nested(ValueOut))


class ComparisonQuery(Schema):
    indicator = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}-\d{2}"))
    period = fields.String(required=True, validate=validate.Regexp(r"^\d{4}$"))
    by = fields.String(load_default="")


class CountryAssessment(Schema):
    score = fields.Integer(allow_none=True, metadata={
        "description": "The confirmed score on the indicator's 0-2 scale; null when the"
                       " country did not assess the indicator"})  # fmt: skip
    not_assessed = fields.Boolean()
    evidence_items = fields.Integer(metadata={
        "description": "How many evidence items the score rests on"})  # fmt: skip
    confirmed_on = fields.Date(metadata={"description": "The day a reviewer confirmed it"})


class CountryValue(Schema):
    country = fields.String()
    profile_status = fields.String(allow_none=True)
    cell = fields.Dict(keys=fields.String(), values=fields.String())
    numerator = fields.Float(allow_none=True)
    denominator = fields.Float(allow_none=True)
    value = fields.Float(allow_none=True, metadata={
        "description": "The indicator's value; for a qualitative indicator, the confirmed"
                       " score (as in `assessment`)"})  # fmt: skip
    suppressed = fields.Boolean()
    comparable = fields.Boolean()
    catalog_version = fields.String()
    assessment = fields.Nested(CountryAssessment, allow_none=True, metadata={
        "description": "Qualitative indicators only (else null): the country's confirmed"
                       " assessment for the year, with neither the people who scored and"
                       " reviewed it nor its rationale and evidence, which stay in the"
                       " country"})  # fmt: skip


class ComparisonOut(Schema):
    indicator = fields.String()
    title = fields.String()
    unit = fields.String()
    period = fields.String()
    countries = fields.List(fields.Nested(CountryValue))


blp = Blueprint("indicators", __name__, url_prefix="/api/v1", description="Indicators")


@blp.route("/catalogue")
@blp.response(200, CatalogueOut)
def catalogue() -> dict[str, Any]:
    """The regional core catalogue this service computes (any signed-in user), with its titles
    and area names in English and the region's languages."""
    authenticated()
    cat, names = indicators().catalogue, indicators().translations
    return {"catalog_id": cat.catalog_id, "catalog_version": cat.catalog_version,
            "status": cat.status,
            # each indicator's fields as IndicatorOut reads them, and its titles
            "indicators": [{**vars(indicator), "titles": dict(names.titles[indicator.code])}
                           for indicator in cat.indicators],
            "areas": [{"code": area, "names": dict(names.areas[area])}
                      for area in cat.vocabularies.areas]}  # fmt: skip


@blp.route("/values")
@blp.arguments(ValuesQuery, location="query")
@blp.response(200, ValuesOut)
@blp.alt_response(404, description="No such indicator")
def values(query: dict[str, Any]) -> dict[str, Any]:
    """A country's indicator values before disclosure control (`regional_suppressed` says what
    the region will not see), by indicator, period and breakdown; with `as_of`, recomputed from
    the history recorded up to that day."""
    principal = authenticated()
    country = query["country"]
    _require(principal, NATIONAL_READERS, country)
    service = indicators()
    if "indicator" in query:
        try:
            service.catalogue.indicator(query["indicator"])
        except KeyError:
            raise NotFound(f"no indicator {query['indicator']}",
                           {"indicator": ["Not in the catalogue."]}) from None  # fmt: skip
    if "as_of" in query:
        rows, log_size = _as_of(service, country, query["as_of"])
    else:
        rows, log_size = _current(service, country)
    wanted = [r for r in rows if _matches(r, query)]
    return {"country": country, "as_of": query.get("as_of"), "intake_log_size": log_size,
            "values": wanted}  # fmt: skip


@blp.route("/regional/comparison")
@blp.arguments(ComparisonQuery, location="query")
@blp.response(200, ComparisonOut)
@blp.alt_response(404, description="No such indicator")
def comparison(query: dict[str, Any]) -> dict[str, Any]:
    """One indicator for one period across the countries that published it to the hub, after
    their disclosure control — for a qualitative indicator, each country's confirmed score
    (`assessment`, and `value`) for that year; `comparable` is false where a country's
    catalogue version differs from the one most countries use, or its national profile has
    the indicator adapted non-comparably or dropped."""
    principal = authenticated()
    if not any(g.role in REGIONAL_READERS and g.scope == REGIONAL for g in principal.grants):
        raise Forbidden("this needs a regional role: regional_analyst, auditor or platform_admin")
    service = indicators()
    try:
        indicator = service.catalogue.indicator(query["indicator"])
    except KeyError:
        raise NotFound(f"no indicator {query['indicator']}",
                       {"indicator": ["Not in the catalogue."]}) from None  # fmt: skip
    if indicator.quantitative:
        rows = query_read_model(
            service.pool, service.settings.schema, service.regional,
            "SELECT country, cell, numerator, denominator, value, suppressed, catalog_version,"
            " profile_status, NULL AS assessment FROM {schema}.regional_values"
            " WHERE indicator = %s AND period = %s ORDER BY country, cell",
            (query["indicator"], query["period"]),
        )  # fmt: skip
    else:
        rows = _scores(service, query["indicator"], int(query["period"]))
    rows = [r for r in rows if _by_matches(r["cell"], query["by"])]
    versions: dict[str, int] = defaultdict(int)
    for row in rows:
        versions[row["catalog_version"]] += 1
    common = max(versions, key=lambda v: versions[v]) if versions else None
    countries = [{**row, "cell": _cell_dict(row["cell"]),
                  "comparable": row["catalog_version"] == common
                  and row["profile_status"] in COMPARABLE_STATUSES} for row in rows]  # fmt: skip
    return {"indicator": indicator.code, "title": indicator.title, "unit": indicator.unit,
            "period": query["period"], "countries": countries}  # fmt: skip


class ChainProblemOut(Schema):
    log_index = fields.Integer()
    problem = fields.String()


class ChainOut(Schema):
    origin = fields.String()
    size = fields.Integer(allow_none=True)
    root = fields.String(allow_none=True)
    checkpoints = fields.Integer()
    accepted_at = fields.DateTime(allow_none=True)
    proven_figures = fields.Integer()
    unproven_figures = fields.Integer()
    problems = fields.List(fields.Nested(ChainProblemOut))


class ChainsOut(Schema):
    nodes = fields.List(fields.Nested(ChainOut))


@blp.route("/regional/checkpoints")
@blp.response(200, ChainsOut)
def regional_checkpoints() -> dict[str, Any]:
    """At the hub: how far each node's regional figures are proven — its last regional
    checkpoint the hub accepted (each checked against the one before), the figures it proves
    and those still waiting for the next one, and every checkpoint the hub refused, and why."""
    principal = authenticated()
    if not any(g.role in REGIONAL_READERS and g.scope == REGIONAL for g in principal.grants):
        raise Forbidden("this needs a regional role: regional_analyst, auditor or platform_admin")
    service = indicators()
    rows = query_read_model(
        service.pool, service.settings.schema, service.chains,
        "SELECT f.origin, c.size, c.root, coalesce(c.checkpoints, 0) AS checkpoints,"
        " c.accepted_at, count(*) FILTER (WHERE f.log_index <= coalesce(c.size, 0))"
        " AS proven_figures, count(*) FILTER (WHERE f.log_index > coalesce(c.size, 0))"
        " AS unproven_figures FROM {schema}.regional_chain_figures f"
        " LEFT JOIN {schema}.regional_chains c USING (origin)"
        " GROUP BY f.origin, c.size, c.root, c.checkpoints, c.accepted_at ORDER BY f.origin",
        (),
    )  # fmt: skip
    problems = query_read_model(
        service.pool, service.settings.schema, service.chains,
        "SELECT origin, log_index, problem FROM {schema}.regional_chain_problems"
        " ORDER BY origin, log_index", (),
    )  # fmt: skip
    return {"nodes": [{**row, "problems": [p for p in problems if p["origin"] == row["origin"]]}
                      for row in rows]}  # fmt: skip


def _scores(service: Indicators, code: str, year: int) -> list[dict[str, Any]]:
    """The confirmed scores of a qualitative indicator, in the rows of the comparison (one
    total cell per country: an assessment has no breakdown)."""
    rows = query_read_model(
        service.pool, service.settings.schema, service.regional_assessments,
        "SELECT country, score, not_assessed, evidence_items, confirmed_on, catalog_version,"
        " profile_status FROM {schema}.regional_assessments WHERE code = %s AND year = %s"
        " ORDER BY country",
        (code, year),
    )  # fmt: skip
    return [{"country": r["country"], "cell": "", "numerator": None, "denominator": None,
             "value": r["score"], "suppressed": False, "catalog_version": r["catalog_version"],
             "profile_status": r["profile_status"],
             "assessment": {name: r[name] for name in
                            ("score", "not_assessed", "evidence_items", "confirmed_on")}}
            for r in rows]  # fmt: skip


def _require(principal: Principal, roles: tuple[str, ...], country: str) -> None:
    if not principal.may(roles, country):
        raise Forbidden(f"this needs the role {' or '.join(roles)} for {country}")


def _current(service: Indicators, country: str) -> tuple[list[dict[str, Any]], int | None]:
    statement = sql.SQL(
        "SELECT indicator, period, cell, numerator, denominator, value, unit, statistic,"
        " contributors, regional_suppressed, intake_log_size FROM {}.indicator_values"
        " WHERE country = %s ORDER BY period, indicator, cell"
    ).format(sql.Identifier(service.settings.schema))
    rows = fetch_dicts(service.pool, statement, (country,))
    log_size = rows[0]["intake_log_size"] if rows else None
    return [{**row, "cell": _cell_dict(row["cell"])} for row in rows], log_size


def _as_of(service: Indicators, country: str, day: date) -> tuple[list[dict[str, Any]], int]:
    """Recomputed from the case events and submissions recorded up to the end of `day`."""
    until = datetime.combine(day, time.max, tzinfo=UTC)
    schema, view = service.settings.schema, service.history
    events = query_read_model(
        service.pool, schema, view,
        "SELECT case_id, event_id, event_type, stream_version, occurred_at, payload::text AS p,"
        " schema_version, log_index FROM {schema}.case_events WHERE case_id LIKE %s"
        " AND recorded_at <= %s ORDER BY case_id, stream_version",
        (f"{country}-%", until),
    )  # fmt: skip
    by_case: dict[str, list[StoredEvent]] = defaultdict(list)
    for e in events:
        by_case[e["case_id"]].append(StoredEvent((e["event_id"], e["event_type"],
                                                  e["stream_version"], e["occurred_at"],
                                                  e["p"], e["schema_version"])))  # fmt: skip
    records = [r for r in (person_from_case(evs) for evs in by_case.values()) if r is not None]
    submissions = query_read_model(
        service.pool, schema, view,
        "SELECT DISTINCT ON (submission_id) period, figures, recorded_at, log_index"
        " FROM {schema}.submissions WHERE country = %s AND recorded_at <= %s"
        " ORDER BY submission_id, version DESC",
        (country, until),
    )  # fmt: skip
    for s in submissions:
        if isinstance(s["figures"], str):
            s["figures"] = orjson.loads(s["figures"])
    log_size = max([e["log_index"] for e in events] + [s["log_index"] for s in submissions],
                   default=0)  # fmt: skip
    computed = compute_country(service.catalogue, records, submissions, country, day)
    rows = [_value_row(national, regional.suppressed, p.period)
            for p in computed
            for national, regional in zip(p.national, p.regional, strict=True)]  # fmt: skip
    return rows, log_size


def _value_row(value: Value, suppressed: bool, period: str) -> dict[str, Any]:
    return {"indicator": value.indicator, "period": period, "cell": dict(value.cell),
            "numerator": value.numerator, "denominator": value.denominator,
            "value": value.value, "unit": value.unit, "statistic": value.statistic,
            "contributors": value.contributors, "regional_suppressed": suppressed}  # fmt: skip


def _matches(row: dict[str, Any], query: dict[str, Any]) -> bool:
    if "indicator" in query and row["indicator"] != query["indicator"]:
        return False
    if "period" in query and row["period"] != query["period"]:
        return False
    if "by" in query:
        return _by_matches(cell_key(sorted(row["cell"].items())), query["by"])
    return True


def _by_matches(cell: str, by: str) -> bool:
    dims = [part.split("=", 1)[0] for part in cell.split(";") if part]
    return dims == ([by] if by else [])


def _cell_dict(cell: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in cell.split(";") if part)
