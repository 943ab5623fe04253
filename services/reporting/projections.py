"""The reporting service's read models: a node's recommendations with their follow-up (folded by
`recommendations.evolve`, one row per recommendation), and at the hub the implementation rates
each country published for the region."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
import psycopg
from psycopg import sql

from services.indicators.events import RATES_RELAYED
from services.reporting import recommendations
from services.reporting.events import DRAFTED, PUBLISHED
from services.reporting.recommendations import FOLLOW_UP_EVENTS, Recommendation
from shared.backbone.envelope import RecordedEvent
from shared.backbone.projections import Tables


class Recommendations:
    name = "recommendations"
    code_version = 1
    tables = {
        "report_headers": "(report_id text PRIMARY KEY, header jsonb NOT NULL)",
        "recommendations": "(recommendation_id text PRIMARY KEY, country text NOT NULL,"
        " source text NOT NULL, issued_year integer NOT NULL, state jsonb NOT NULL)",
    }

    def __init__(self, reporting_topic: str) -> None:
        self.topics = [reporting_topic]

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        # in log order, one event at a time: a batch may publish a report and assess its
        # recommendations
        for event in events:
            if event.event_type == DRAFTED:
                conn.execute(
                    sql.SQL("INSERT INTO {} VALUES (%s, %s) ON CONFLICT (report_id) DO UPDATE"
                            " SET header = excluded.header").format(tables["report_headers"]),
                    (event.payload["report_id"], orjson.dumps(event.payload).decode()),
                )  # fmt: skip
            elif event.event_type == PUBLISHED:
                report_id = event.stream_id.removeprefix("report-")
                row = conn.execute(
                    sql.SQL("SELECT header FROM {} WHERE report_id = %s")
                    .format(tables["report_headers"]), (report_id,)).fetchone()  # fmt: skip
                for issued in recommendations.issued_in(report_id, row and row[0], event.payload):
                    before = _load(conn, tables, issued.recommendation_id)
                    _save(conn, tables, recommendations.republished(before, issued))
            elif event.event_type in FOLLOW_UP_EVENTS:
                rid = event.payload["recommendation_id"]
                changed = recommendations.evolve(_load(conn, tables, rid), event.event_type,
                                                 event.payload, event.stream_version)  # fmt: skip
                if changed is not None:
                    _save(conn, tables, changed)


def _load(conn: psycopg.Connection, tables: Tables, rid: str) -> Recommendation | None:
    row = conn.execute(
        sql.SQL("SELECT state FROM {} WHERE recommendation_id = %s")
        .format(tables["recommendations"]), (rid,)).fetchone()  # fmt: skip
    return recommendations.from_json(row[0]) if row else None


def _save(conn: psycopg.Connection, tables: Tables, r: Recommendation) -> None:
    conn.execute(
        sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s) ON CONFLICT (recommendation_id)"
                " DO UPDATE SET state = excluded.state").format(tables["recommendations"]),
        (r.recommendation_id, r.country, r.source, r.issued_year,
         orjson.dumps(recommendations.to_json(r)).decode()),
    )  # fmt: skip


class RegionalImplementationRates:
    """The hub's read model of the follow-up: per country and reference year, the counts per
    status a national node published on its regional topic (the latest it published wins; a
    copy MirrorMaker delivers again changes nothing)."""

    name = "regional_implementation_rates"
    code_version = 1
    tables = {
        "regional_implementation_rates": "(country text NOT NULL, year integer NOT NULL,"
        " total integer NOT NULL, implemented integer NOT NULL,"
        " partly_implemented integer NOT NULL, not_implemented integer NOT NULL,"
        " no_longer_relevant integer NOT NULL, not_assessed integer NOT NULL,"
        " implementation_rate double precision, source_log_index bigint NOT NULL,"
        " received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (country, year))",
    }

    def __init__(self, topics: Sequence[str]) -> None:
        self.topics = list(topics)

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        for event in events:
            if event.event_type != RATES_RELAYED:
                continue
            p, counts = event.payload, event.payload["counts"]
            conn.execute(
                sql.SQL("INSERT INTO {} AS known VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT (country, year) DO UPDATE SET total = excluded.total,"
                        " implemented = excluded.implemented,"
                        " partly_implemented = excluded.partly_implemented,"
                        " not_implemented = excluded.not_implemented,"
                        " no_longer_relevant = excluded.no_longer_relevant,"
                        " not_assessed = excluded.not_assessed,"
                        " implementation_rate = excluded.implementation_rate,"
                        " source_log_index = excluded.source_log_index, received_at = now()"
                        " WHERE known.source_log_index < excluded.source_log_index")
                .format(tables["regional_implementation_rates"]),
                (p["country"], p["year"], p["total"], counts["implemented"],
                 counts["partly_implemented"], counts["not_implemented"],
                 counts["no_longer_relevant"], counts["not_assessed"],
                 p["implementation_rate"], p["source_log_index"]),
            )  # fmt: skip
