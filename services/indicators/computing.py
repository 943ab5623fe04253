"""Computing the indicator values of a country from its person records and submissions, and
publishing what may leave the country.

National values (before disclosure control) are kept in `indicator_values`; the values after
disclosure control go out as `indicators.RegionalValuesPublished`, one event per country and
period, only when their content changed (the content hash says so).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from threading import Event as StopFlag
from typing import Any

import orjson
from psycopg import sql
from psycopg_pool import ConnectionPool

from services.indicators.catalogue import Catalogue
from services.indicators.evaluator import (
    Evaluation,
    Period,
    PersonRecord,
    Value,
    as_date,
    disclosure_control,
)
from services.indicators.events import REGIONAL_VALUES
from services.indicators.persons import record_from_json
from services.indicators.profiles import for_hub, profile_from, profile_stream
from shared.backbone.envelope import Actor, NewEvent, utc_now
from shared.backbone.store import EventStore, ExpectedVersion

log = logging.getLogger(__name__)
DATE_FIELDS = ("ext_IdentificationDate", "ext_FirstContactDate", "ext_CaseClosedDate")


@dataclass(frozen=True)
class PeriodValues:
    period: str
    national: list[Value]
    regional: list[Value]


def cell_key(cell: Sequence[tuple[str, str]]) -> str:
    return ";".join(f"{dim}={category}" for dim, category in cell)


def periods_of(records: Iterable[PersonRecord], submitted_periods: Iterable[str],
               today: date) -> list[str]:  # fmt: skip
    """The calendar years the data speak of, up to this one."""
    years = {int(p[:4]) for p in submitted_periods}
    for record in records:
        for name in DATE_FIELDS:
            day = as_date(record.fields.get(name))
            if day:
                years.add(day.year)
    return [str(y) for y in sorted(years) if 2000 <= y <= today.year]


def aggregates_for(
    catalogue: Catalogue, submitted: Sequence[Mapping[str, Any]], country: str
) -> dict[str, Any]:
    """Institutions' current figures for one period, as the evaluator takes them. Where two
    institutions submitted the same field, the later submission counts (not their sum: police
    and prosecution both report investigations of the same cases)."""
    found: dict[str, Any] = {}
    for submission in sorted(submitted, key=lambda s: s["recorded_at"]):
        for name, figure in submission["figures"].items():
            if "records" in figure:
                found[name] = list(figure["records"])
                continue
            cells: dict[tuple[tuple[str, str], ...], float] = {(): figure.get("total")}
            for dim, counts in (figure.get("breakdowns") or {}).items():
                disaggregation = catalogue.disaggregations.get(dim)
                for code, amount in counts.items():
                    category = (disaggregation.categorise(code, country)[0]
                                if disaggregation else code)  # fmt: skip
                    key = ((dim, category),)
                    cells[key] = cells.get(key, 0) + amount
            found[name] = cells
    return found


def compute_country(
    catalogue: Catalogue,
    records: Sequence[PersonRecord],
    submissions: Sequence[Mapping[str, Any]],
    country: str,
    today: date,
) -> list[PeriodValues]:
    by_period: dict[str, list[Mapping[str, Any]]] = {}
    for submission in submissions:
        by_period.setdefault(submission["period"][:4], []).append(submission)
    computed = []
    for period in periods_of(records, by_period, today):
        aggregates = aggregates_for(catalogue, by_period.get(period, []), country)
        year = Period.calendar_year(int(period))
        evaluation = Evaluation(catalogue, records, year, country, aggregates)
        national: list[Value] = []
        regional: list[Value] = []
        for indicator in catalogue.indicators:
            if not indicator.quantitative:
                continue
            table = evaluation.table(indicator.code)
            national += table
            regional += disclosure_control(table, catalogue.disclosure)
        computed.append(PeriodValues(period, national, regional))
    return computed


def regional_payload(country: str, period: PeriodValues, catalogue: Catalogue,
                     log_size: int, profile: tuple[int | None, dict[str, str]] = (None, {})
                     ) -> dict[str, Any]:  # fmt: skip
    values = [{
        "indicator": v.indicator, "cell": [list(pair) for pair in v.cell],
        "numerator": _num(v.numerator), "denominator": _num(v.denominator),
        "value": _num(v.value), "unit": v.unit, "suppressed": v.suppressed,
        "statistic": v.statistic, "contributors": v.contributors,
    } for v in period.regional]  # fmt: skip
    version, statuses = profile
    content = orjson.dumps([values, version, statuses], option=orjson.OPT_SORT_KEYS)
    return {"country": country, "period": period.period,
            "catalog_version": catalogue.catalog_version, "intake_log_size": log_size,
            "content_hash": hashlib.sha256(content).hexdigest(), "values": values,
            "profile_version": version, "profile": statuses}  # fmt: skip


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def next_computation(started: float, took: float, min_interval: float, max_share: float) -> float:
    """When a country may be computed again after a computation that started at `started` and
    took `took` seconds: not within `min_interval` of the start, and not before the computer
    has rested long enough to spend at most `max_share` of its time computing. A computation
    costs time in proportion to the country's whole history, so without the second bound a
    large country under a steady stream of cases would keep a core busy recomputing."""
    return started + max(min_interval, took / max_share)


class ValuesComputer:
    """The worker task that keeps the values current: it computes again each country the
    intake projection marked, then publishes what changed for the region."""

    def __init__(self, pool: ConnectionPool, schema: str, store: EventStore,
                 catalogue: Catalogue, min_interval: float = 15.0,
                 max_share: float = 0.1) -> None:  # fmt: skip
        """A country is computed at most every `min_interval` seconds, and at most a
        `max_share` of the time (see next_computation): while cases keep coming in, its values
        trail them by that much rather than taking a core to chase every event (a
        country-year takes about a second for a thousand persons)."""
        self.pool, self.schema, self.store, self.catalogue = pool, schema, store, catalogue
        self.q = sql.Identifier(schema)
        self.min_interval, self.max_share = min_interval, max_share
        self._next: dict[str, float] = {}

    def run(self, stop: StopFlag, every: float = 2.0) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("computing indicator values failed; trying again")
            stop.wait(every)

    def run_once(self, today: date | None = None) -> list[str]:
        with self.pool.connection() as conn:
            pending = conn.execute(
                sql.SQL("SELECT country, marked_at FROM {}.pending_countries").format(self.q)
            ).fetchall()
        done = []
        for country, marked_at in pending:
            started = time.monotonic()
            if started < self._next.get(country, started):
                continue
            try:
                self.compute(country, marked_at, today or date.today())
            finally:
                took = time.monotonic() - started
                self._next[country] = next_computation(started, took, self.min_interval,
                                                       self.max_share)  # fmt: skip
            done.append(country)
        return done

    def compute(self, country: str, marked_at: datetime | None, today: date) -> None:
        records, submissions, log_size = self._inputs(country)
        computed = compute_country(self.catalogue, records, submissions, country, today)
        now = utc_now()
        rows = [(country, p.period, nat.indicator, cell_key(nat.cell), _num(nat.numerator),
                 _num(nat.denominator), _num(nat.value), nat.unit, nat.statistic,
                 nat.contributors, reg.suppressed, now, log_size)
                for p in computed
                for nat, reg in zip(p.national, p.regional, strict=True)]  # fmt: skip
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(sql.SQL("DELETE FROM {}.indicator_values WHERE country = %s")
                         .format(self.q), (country,))  # fmt: skip
            with conn.cursor() as cursor:
                cursor.executemany(
                    sql.SQL("INSERT INTO {}.indicator_values VALUES"
                            " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
                    .format(self.q), rows)  # fmt: skip
            if marked_at is not None:
                done = sql.SQL("DELETE FROM {}.pending_countries WHERE country = %s"
                               " AND marked_at <= %s").format(self.q)  # fmt: skip
                conn.execute(done, (country, marked_at))
        self._publish(country, computed, log_size)

    def _publish(self, country: str, computed: Sequence[PeriodValues], log_size: int) -> None:
        with self.pool.connection() as conn:
            published = dict(conn.execute(
                sql.SQL("SELECT period, content_hash FROM {}.regional_publications"
                        " WHERE country = %s").format(self.q), (country,)).fetchall())  # fmt: skip
        profile = self._profile(country)
        for period in computed:
            payload = regional_payload(country, period, self.catalogue, log_size, profile)
            if published.get(period.period) == payload["content_hash"]:
                continue
            event = NewEvent(REGIONAL_VALUES, payload, actor=Actor(user="indicators"))
            self.store.append(f"regional-{country}-{period.period}", ExpectedVersion.ANY, [event])
            with self.pool.connection() as conn:
                conn.execute(
                    sql.SQL("INSERT INTO {}.regional_publications (country, period, content_hash)"
                            " VALUES (%s, %s, %s) ON CONFLICT (country, period) DO UPDATE"
                            " SET content_hash = excluded.content_hash, published_at = now()")
                    .format(self.q), (country, period.period, payload["content_hash"]))  # fmt: skip

    def _profile(self, country: str) -> tuple[int | None, dict[str, str]]:
        """The country's confirmed national profile as the hub may see it (none confirmed:
        every core indicator counts as adopted)."""
        stream = profile_stream(country, self.catalogue.catalog_version)
        confirmed = profile_from(country, self.catalogue.catalog_version,
                                 self.store.read_stream(stream)).confirmed_version  # fmt: skip
        return (confirmed.number if confirmed else None), for_hub(self.catalogue, confirmed)

    def _inputs(self, country: str) -> tuple[list[PersonRecord], list[dict[str, Any]], int]:
        # every record of the country with every event is held at once, so: read a page of
        # rows at a time (a server-side cursor, not the text of every record at once), and
        # share equal codes, dates and attributes between events (see record_from_json).
        # A page is parsed whole before its records are read: 20 rows, not psycopg's 100
        # (a record of 300 events parses to ~170 KB of dicts and lists)
        shared: dict[Any, Any] = {}
        with self.pool.connection() as conn:
            with conn.transaction(), conn.cursor(name="person_records") as cursor:
                cursor.itersize = 20
                cursor.execute(sql.SQL("SELECT record FROM {}.person_records WHERE country = %s")
                               .format(self.q), (country,))  # fmt: skip
                records = [record_from_json(row[0], shared) for row in cursor]
            submissions = [
                {"period": period, "figures": figures, "recorded_at": recorded_at}
                for period, figures, recorded_at in conn.execute(
                    sql.SQL("SELECT DISTINCT ON (submission_id) period, figures, recorded_at"
                            " FROM {}.submissions WHERE country = %s"
                            " ORDER BY submission_id, version DESC").format(self.q), (country,))
            ]  # fmt: skip
            row = conn.execute(
                sql.SQL("SELECT greatest((SELECT max(log_index) FROM {0}.case_events),"
                        " (SELECT max(log_index) FROM {0}.submissions))").format(self.q)
            ).fetchone()  # fmt: skip
        return records, submissions, int(row[0] or 0) if row else 0
