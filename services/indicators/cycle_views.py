"""Read models of monitoring cycles: the country's organisations as the identity service
registered them (the institutions a request can be addressed to), and every cycle and request
as the events recorded them; and the follow-up task that records what the submissions and the
date change in a request's status.

A single cycle is read from its stream (current, with an ETag); these tables serve lists, the
reminders, and the follow-up task's search for requests still open.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from threading import Event as StopFlag

import orjson
import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from services.indicators import cycles
from shared.backbone.envelope import Actor, RecordedEvent
from shared.backbone.projections import Projection, Tables, query_read_model
from shared.backbone.store import ConcurrencyError, EventStore

log = logging.getLogger(__name__)
ORGANISATION_REGISTERED = "identity.OrganisationRegistered"


class Institutions:
    """The organisations of the identity service (name, country, type)."""

    name = "institutions"
    code_version = 1
    tables = {
        "institutions": "(organisation_id uuid PRIMARY KEY, name text NOT NULL,"
        " country text NOT NULL, type text NOT NULL)",
    }

    def __init__(self, identity_topic: str) -> None:
        self.topics = [identity_topic]

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        rows = [(e.payload["organisation_id"], e.payload["name"], e.payload["country"],
                 e.payload["type"]) for e in events
                if e.event_type == ORGANISATION_REGISTERED]  # fmt: skip
        if rows:
            with conn.cursor() as cursor:
                cursor.executemany(
                    sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING")
                    .format(tables["institutions"]), rows)  # fmt: skip


class MonitoringCycles:
    """Each cycle, and each request with the status its events recorded (the live status,
    with the submissions and today's date, is derived by `cycles.request_status`)."""

    name = "monitoring_cycles"
    code_version = 1
    tables = {
        "cycles": "(country text NOT NULL, year integer NOT NULL, catalog_version text NOT NULL,"
        " profile_version integer NOT NULL, requests_due date NOT NULL,"
        " scoring_due date NOT NULL, report_due date NOT NULL, opened_by text NOT NULL,"
        " opened_at timestamptz NOT NULL, version integer NOT NULL,"
        " PRIMARY KEY (country, year))",
        "data_requests": "(request_id uuid PRIMARY KEY, country text NOT NULL,"
        " year integer NOT NULL, organisation_id uuid NOT NULL, organisation_name text NOT NULL,"
        " fields jsonb NOT NULL, indicators jsonb NOT NULL, deadline date NOT NULL,"
        " status text NOT NULL, answered_fields jsonb NOT NULL, refusal_reason text,"
        " sent_at timestamptz NOT NULL, changed_at timestamptz NOT NULL)",
    }

    def __init__(self, topic: str) -> None:
        self.topics = [topic]

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        # a few events per institution and year: one statement per event
        for event in events:
            p = event.payload
            if event.event_type == cycles.CYCLE_OPENED:
                conn.execute(
                    sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                            " ON CONFLICT DO NOTHING").format(tables["cycles"]),
                    (p["country"], p["year"], p["catalog_version"], p["profile_version"],
                     p["requests_due"], p["scoring_due"], p["report_due"], p["opened_by"],
                     event.occurred_at, event.stream_version),
                )  # fmt: skip
                continue
            if event.event_type not in cycles.REQUEST_EVENTS:
                continue
            if event.event_type == cycles.REQUEST_SENT:
                self._sent(conn, tables, event)
            else:
                self._changed(conn, tables, event)
            conn.execute(
                sql.SQL("UPDATE {} SET version = greatest(version, %s) WHERE country = %s"
                        " AND year = %s").format(tables["cycles"]),
                (event.stream_version, p["country"], p["year"]),
            )  # fmt: skip

    @staticmethod
    def _sent(conn: psycopg.Connection, tables: Tables, event: RecordedEvent) -> None:
        p = event.payload
        conn.execute(
            sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, '[]', NULL,"
                    " %s, %s) ON CONFLICT DO NOTHING").format(tables["data_requests"]),
            (p["request_id"], p["country"], p["year"], p["organisation_id"],
             p["organisation_name"], psycopg.types.json.Jsonb(p["fields"]),
             psycopg.types.json.Jsonb(p["indicators"]), p["deadline"], cycles.SENT,
             event.occurred_at, event.occurred_at),
        )  # fmt: skip

    @staticmethod
    def _changed(conn: psycopg.Connection, tables: Tables, event: RecordedEvent) -> None:
        p = event.payload
        status = {cycles.REQUEST_ANSWERED: cycles.ANSWERED,
                  cycles.REQUEST_PARTLY_ANSWERED: cycles.PARTLY_ANSWERED,
                  cycles.REQUEST_REFUSED: cycles.REFUSED,
                  cycles.REQUEST_OVERDUE: cycles.OVERDUE}[event.event_type]  # fmt: skip
        conn.execute(
            sql.SQL("UPDATE {} SET status = %s,"
                    " answered_fields = coalesce(%s, answered_fields),"
                    " refusal_reason = coalesce(%s, refusal_reason), changed_at = %s"
                    " WHERE request_id = %s").format(tables["data_requests"]),
            (status, psycopg.types.json.Jsonb(p["answered_fields"])
             if "answered_fields" in p else None, p.get("reason"), event.occurred_at,
             p["request_id"]),
        )  # fmt: skip


# --- the follow-up task ---------------------------------------------------------------------
def submitted_fields(
    pool: ConnectionPool, schema: str, history: Projection, country: str, year: int
) -> dict[str, set[str]]:
    """The `agg_` fields each organisation submitted for a year (its current submissions, a
    year's or a quarter's), from the intake history read model."""
    rows = query_read_model(
        pool, schema, history,
        "SELECT DISTINCT ON (submission_id) organisation_id::text AS organisation_id, figures"
        " FROM {schema}.submissions WHERE country = %s AND (period = %s OR period LIKE %s)"
        " ORDER BY submission_id, version DESC",
        (country, str(year), f"{year}-Q%"),
    )  # fmt: skip
    found: dict[str, set[str]] = {}
    for row in rows:
        figures = row["figures"]
        names = orjson.loads(figures) if isinstance(figures, str | bytes) else figures
        found.setdefault(str(row["organisation_id"]), set()).update(names)  # type: ignore[arg-type]
    return found


class RequestFollowUp:
    """The worker task that keeps requests' recorded statuses current: for each cycle with a
    request not yet answered or refused, it records what the submissions and the date changed
    (see `cycles.follow_up`). A cycle changed meanwhile by someone else is taken up again on
    the next round (the append expects the version it read)."""

    def __init__(self, pool: ConnectionPool, schema: str, store: EventStore,
                 history: Projection, views: MonitoringCycles) -> None:  # fmt: skip
        self.pool, self.schema, self.store = pool, schema, store
        self.history, self.views = history, views

    def run(self, stop: StopFlag, every: float = 30.0) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("following up data requests failed; trying again")
            stop.wait(every)

    def run_once(self, today: date | None = None) -> int:
        """Records the changes as of `today`; returns how many events it recorded."""
        today = today or date.today()
        recorded = 0
        open_cycles = query_read_model(
            self.pool, self.schema, self.views,
            "SELECT DISTINCT country, year FROM {schema}.data_requests"
            " WHERE status NOT IN (%s, %s) ORDER BY country, year",
            (cycles.ANSWERED, cycles.REFUSED),
        )  # fmt: skip
        for row in open_cycles:
            country, year = str(row["country"]), int(row["year"])  # type: ignore[call-overload]
            stream = cycles.cycle_stream(country, year)
            cycle = cycles.cycle_from(self.store.read_stream(stream))
            if cycle is None:
                continue
            submitted = submitted_fields(self.pool, self.schema, self.history, country, year)
            events = cycles.follow_up(cycle, submitted, today, actor=Actor(user="indicators"))
            if not events:
                continue
            try:
                self.store.append(stream, cycle.version, events)
            except ConcurrencyError:
                continue
            recorded += len(events)
        return recorded
