"""The indicators service's read models of the intake history: every case event (for views as
of a past date), each case's person record as the evaluator reads it, and institutions'
submissions. Each batch marks the countries it touched for the values to be computed again."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
import psycopg
from psycopg import sql

from services.indicators.events import REGIONAL_ASSESSMENTS, REGIONAL_VALUES
from services.indicators.persons import appended_events, person_from_case, record_to_json
from services.intake.projections import CASE_STREAM_PREFIX, case_id_of, country_of
from services.intake.submissions import SUBMITTED
from shared.backbone.envelope import RecordedEvent
from shared.backbone.projections import Tables
from shared.settings import Settings


class IntakeHistory:
    name = "intake_history"
    code_version = 1
    tables = {
        "case_events": "(case_id text NOT NULL, stream_version integer NOT NULL,"
        " event_id uuid NOT NULL, event_type text NOT NULL, schema_version integer NOT NULL,"
        " occurred_at timestamptz NOT NULL, recorded_at timestamptz NOT NULL,"
        " log_index bigint NOT NULL, payload jsonb NOT NULL,"
        " PRIMARY KEY (case_id, stream_version))",
        "person_records": "(case_id text PRIMARY KEY, country text NOT NULL,"
        " record jsonb NOT NULL, version integer NOT NULL)",
        "submissions": "(submission_id text NOT NULL, version integer NOT NULL,"
        " country text NOT NULL, organisation_id uuid NOT NULL, period text NOT NULL,"
        " figures jsonb NOT NULL, recorded_at timestamptz NOT NULL, log_index bigint NOT NULL,"
        " PRIMARY KEY (submission_id, version))",
    }

    def __init__(self, intake_topic: str, schema: str) -> None:
        self.topics = [intake_topic]
        self.schema = schema  # pending_countries lives in the service's own tables

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        case_events = [e for e in events if e.stream_id.startswith(CASE_STREAM_PREFIX)]
        submitted = [e for e in events if e.event_type == SUBMITTED]
        with conn.cursor() as cursor:
            if case_events:
                cursor.executemany(
                    sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                            " ON CONFLICT DO NOTHING").format(tables["case_events"]),
                    [(case_id_of(e.stream_id), e.stream_version, e.event_id, e.event_type,
                      e.schema_version, e.occurred_at, e.recorded_at, e.log_index,
                      e.payload_bytes.decode()) for e in case_events],
                )  # fmt: skip
            if submitted:
                cursor.executemany(
                    sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                            " ON CONFLICT DO NOTHING").format(tables["submissions"]),
                    [(e.stream_id, e.stream_version, e.payload["country"],
                      e.payload["organisation_id"], e.payload["period"],
                      orjson.dumps(e.payload["figures"]).decode(), e.recorded_at, e.log_index)
                     for e in submitted],
                )  # fmt: skip
        by_case: dict[str, list[RecordedEvent]] = {}
        for event in case_events:
            by_case.setdefault(case_id_of(event.stream_id), []).append(event)
        records = []
        for case_id, mine in by_case.items():
            if mine[0].stream_version > 1 and _appended(conn, tables, case_id, mine):
                continue
            # a case whose whole history is in this batch is folded from it; else from its rows
            history = mine if mine[0].stream_version == 1 else _stored(conn, tables, case_id)
            record = person_from_case(history)
            if record is not None:
                records.append((case_id, country_of(case_id),
                                orjson.dumps(record_to_json(record)).decode(),
                                history[-1].stream_version))  # fmt: skip
        if records:
            with conn.cursor() as cursor:
                cursor.executemany(
                    sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s) ON CONFLICT (case_id)"
                            " DO UPDATE SET record = excluded.record, version = excluded.version")
                    .format(tables["person_records"]), records)  # fmt: skip
        countries = {country_of(c) for c in by_case} | {e.payload["country"] for e in submitted}
        if countries:
            conn.execute(
                sql.SQL("INSERT INTO {}.pending_countries (country) SELECT unnest(%s::text[])"
                        " ON CONFLICT (country) DO UPDATE SET marked_at = clock_timestamp()")
                .format(sql.Identifier(self.schema)),
                (sorted(countries),),
            )  # fmt: skip


class StoredEvent:
    """A case_events row in the shape the intake fold reads."""

    __slots__ = (
        "event_id",
        "event_type",
        "occurred_at",
        "payload",
        "schema_version",
        "stream_version",
    )  # fmt: skip

    def __init__(self, row: tuple) -> None:  # type: ignore[type-arg]
        (self.event_id, self.event_type, self.stream_version, self.occurred_at,
         payload, self.schema_version) = row  # fmt: skip
        self.payload = orjson.loads(payload) if isinstance(payload, str) else payload


def _appended(conn: psycopg.Connection, tables: Tables, case_id: str,
              events: Sequence[RecordedEvent]) -> bool:  # fmt: skip
    """Adds the case's next events to its stored person record where they only add facts (most
    events: services, returns...), without reading and folding its whole history again — that
    grew with every event of the case, and was most of the worker's CPU under a steady load
    (bench/load.py). False, and nothing written, when the record must be folded again: an event
    that changes more than the history, a record that is not at the version just before these
    events (one delivered again, or none yet), or one with links to other persons."""
    versions = [e.stream_version for e in events]
    if versions != list(range(versions[0], versions[0] + len(versions))):
        return False
    added = appended_events(events)
    if added is None:
        return False
    # RETURNING, not rowcount: the runner applies in pipeline mode, where rowcount is not
    # known until the results are fetched
    updated = conn.execute(
        sql.SQL("UPDATE {} SET record = jsonb_set(record, '{{events}}',"
                " (record -> 'events') || %s::jsonb), version = %s"
                " WHERE case_id = %s AND version = %s"
                # the links in force stand last in a record as one event: fold those again
                " AND NOT (record -> 'events') @> '[[\"PersonsLinked\"]]' RETURNING version")
        .format(tables["person_records"]),
        (orjson.dumps(added).decode(), versions[-1], case_id, versions[0] - 1),
    ).fetchone()  # fmt: skip
    return updated is not None


def _stored(conn: psycopg.Connection, tables: Tables, case_id: str) -> list[StoredEvent]:
    rows = conn.execute(
        sql.SQL("SELECT event_id, event_type, stream_version, occurred_at, payload::text,"
                " schema_version FROM {} WHERE case_id = %s ORDER BY stream_version")
        .format(tables["case_events"]),
        (case_id,),
    ).fetchall()  # fmt: skip
    return [StoredEvent(row) for row in rows]


def regional_topics(settings: Settings) -> list[str]:
    """The regional topics the hub reads (as MirrorMaker 2 replicates them, names kept). Here,
    not in app.py, so that the worker does not import the web app for it: WeasyPrint,
    openpyxl and the API modules came with it, 31 MB of the worker's RSS (issue 10)."""
    return [f"{settings.topic_prefix}{node}.regional" for node in settings.regional_sources]


class RegionalValues:
    """The hub's comparison read model: the values each country published for the region, as
    replicated by MirrorMaker 2 (at least once: a copy seen before changes nothing). Each
    publication is checked again on receipt: one that carries an unsuppressed small cell is
    refused and recorded, never shown."""

    name = "regional_values"
    code_version = 2
    tables = {
        "regional_values": "(country text NOT NULL, period text NOT NULL,"
        " indicator text NOT NULL, cell text NOT NULL, numerator double precision,"
        " denominator double precision, value double precision, unit text NOT NULL,"
        " suppressed boolean NOT NULL, statistic text, contributors integer,"
        " catalog_version text NOT NULL, intake_log_size bigint NOT NULL,"
        " content_hash text NOT NULL, profile_status text,"
        " received_at timestamptz NOT NULL DEFAULT now(),"
        " PRIMARY KEY (country, period, indicator, cell))",
        "refused_publications": "(event_id uuid PRIMARY KEY, country text NOT NULL,"
        " period text NOT NULL, reason text NOT NULL, received_at timestamptz NOT NULL"
        " DEFAULT now())",
    }

    def __init__(self, topics: Sequence[str], min_cell: int, k_cross: int) -> None:
        self.topics = list(topics)
        self.min_cell, self.k_cross = min_cell, k_cross

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        for event in events:
            if event.event_type != REGIONAL_VALUES:
                continue
            p = event.payload
            reason = disclosure_breach(p["values"], self.min_cell, self.k_cross)
            if reason:
                conn.execute(
                    sql.SQL("INSERT INTO {} (event_id, country, period, reason)"
                            " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING")
                    .format(tables["refused_publications"]),
                    (event.event_id, p["country"], p["period"], reason),
                )  # fmt: skip
                continue
            current = conn.execute(
                sql.SQL("SELECT max(intake_log_size) FROM {} WHERE country = %s AND period = %s")
                .format(tables["regional_values"]), (p["country"], p["period"]),
            ).fetchone()  # fmt: skip
            if current and current[0] is not None and current[0] > p["intake_log_size"]:
                continue  # an older publication arriving late
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE country = %s AND period = %s")
                .format(tables["regional_values"]), (p["country"], p["period"]),
            )  # fmt: skip
            with conn.cursor() as cursor:
                cursor.executemany(
                    sql.SQL("INSERT INTO {} (country, period, indicator, cell, numerator,"
                            " denominator, value, unit, suppressed, statistic, contributors,"
                            " catalog_version, intake_log_size, content_hash, profile_status)"
                            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
                    .format(tables["regional_values"]),
                    [(p["country"], p["period"], v["indicator"],
                      ";".join(f"{d}={c}" for d, c in v["cell"]), v["numerator"],
                      v["denominator"], v["value"], v["unit"], v["suppressed"], v["statistic"],
                      v["contributors"], p["catalog_version"], p["intake_log_size"],
                      p["content_hash"], (p.get("profile") or {}).get(v["indicator"]))
                     for v in p["values"]],
                )  # fmt: skip


class RegionalAssessments:
    """The hub's read model of confirmed qualitative assessments: the latest publication of
    each country and reference year, as replicated by MirrorMaker 2. Delivery is at least
    once and a copy may arrive after a newer one, so a publication replaces what is kept only
    when its stream version is higher than the one kept (the country-year's stream is written
    under an expected version, so a higher version is a newer publication)."""

    name = "regional_assessments"
    code_version = 1
    tables = {
        "regional_assessment_publications": "(country text NOT NULL, year integer NOT NULL,"
        " stream_version integer NOT NULL, catalog_version text NOT NULL,"
        " content_hash text NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),"
        " PRIMARY KEY (country, year))",
        "regional_assessments": "(country text NOT NULL, year integer NOT NULL,"
        " code text NOT NULL, score integer, not_assessed boolean NOT NULL,"
        " evidence_items integer NOT NULL, confirmed_on date NOT NULL,"
        " catalog_version text NOT NULL, profile_status text, stream_version integer NOT NULL,"
        " PRIMARY KEY (country, year, code))",
    }

    def __init__(self, topics: Sequence[str]) -> None:
        self.topics = list(topics)

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        for event in events:
            if event.event_type != REGIONAL_ASSESSMENTS:
                continue
            p = event.payload
            newer = conn.execute(
                sql.SQL("INSERT INTO {} AS kept (country, year, stream_version, catalog_version,"
                        " content_hash) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (country, year)"
                        " DO UPDATE SET stream_version = excluded.stream_version,"
                        " catalog_version = excluded.catalog_version,"
                        " content_hash = excluded.content_hash, received_at = now()"
                        " WHERE kept.stream_version < excluded.stream_version RETURNING 1")
                .format(tables["regional_assessment_publications"]),
                (p["country"], p["year"], event.stream_version, p["catalog_version"],
                 p["content_hash"]),
            ).fetchone()  # fmt: skip
            if newer is None:
                continue  # a copy seen before, or an older publication arriving late
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE country = %s AND year = %s")
                .format(tables["regional_assessments"]), (p["country"], p["year"]),
            )  # fmt: skip
            with conn.cursor() as cursor:
                cursor.executemany(
                    sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
                    .format(tables["regional_assessments"]),
                    [(p["country"], p["year"], s["code"], s["score"], s["not_assessed"],
                      s["evidence_items"], s["confirmed_on"], p["catalog_version"],
                      (p.get("profile") or {}).get(s["code"]), event.stream_version)
                     for s in p["scores"]],
                )  # fmt: skip


def disclosure_breach(values: Sequence[dict], min_cell: int, k_cross: int) -> str | None:
    """Why a publication must not be shown at the hub, if it must not (the rules of
    `evaluator.disclosure_control`, checked again on receipt): an unsuppressed count cell (not
    a total) with between 1 and threshold - 1 persons in its numerator, denominator or the
    difference; an unsuppressed sum or median, total included, resting on fewer persons."""
    for v in values:
        if v["suppressed"] or v["statistic"] == "aggregate":
            continue
        threshold = k_cross if len(v["cell"]) > 1 else min_cell
        if v["statistic"] in ("sum", "median"):
            if v["contributors"] is not None and 0 < v["contributors"] < threshold:
                return f"{v['indicator']} {v['cell']}: rests on {v['contributors']} persons"
            continue
        if not v["cell"]:
            continue  # a count total is published whatever its size
        n, d = v["numerator"], v["denominator"]
        small = [x for x in (n, d, d - n if n is not None and d is not None else None)
                 if x is not None and 0 < x < threshold]  # fmt: skip
        if small:
            return f"{v['indicator']} {v['cell']}: a count of {small[0]:g} below {threshold}"
    return None
