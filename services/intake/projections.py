"""The intake read models: each case's timeline, and the case list to search.

The timeline keeps every event as recorded; a case's row in the list is folded from its whole
timeline with the same `state_from` the commands use, so corrections count exactly as they do
when deciding (a correction can change any earlier fact, so the row is recomputed, not patched).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import psycopg
from psycopg import sql

from services.intake import cases
from services.intake.submissions import SUBMITTED
from shared.backbone.envelope import RecordedEvent
from shared.backbone.projections import Tables

CASE_STREAM_PREFIX = "case-"
# events after which a case's row in the list is folded again from its whole timeline
REFOLDING = frozenset({
    cases.CASE_OPENED, cases.CASE_CORRECTED, cases.STATUS_DECIDED, cases.PRESUMED,
})  # fmt: skip


def case_id_of(stream_id: str) -> str:
    return stream_id.removeprefix(CASE_STREAM_PREFIX)


def case_stream(case_id: str) -> str:
    return f"{CASE_STREAM_PREFIX}{case_id}"


def country_of(case_id: str) -> str:
    """Case ids start with their country (`MK-<uuid>`): access is decided before reading."""
    return case_id.split("-", 1)[0]


@dataclass(frozen=True)
class TimelineEvent:
    """A timeline row in the shape `cases.state_from` folds."""

    event_id: uuid.UUID
    event_type: str
    stream_version: int
    occurred_at: datetime
    payload: dict[str, Any]
    schema_version: int


class CaseViews:
    name = "cases"
    code_version = 1
    tables = {
        "timeline": "(case_id text NOT NULL, stream_version integer NOT NULL,"
        " event_id uuid NOT NULL, event_type text NOT NULL, schema_version integer NOT NULL,"
        " occurred_at timestamptz NOT NULL, recorded_at timestamptz NOT NULL, actor text,"
        " payload jsonb NOT NULL, PRIMARY KEY (case_id, stream_version))",
        "case_list": "(case_id text PRIMARY KEY, country text NOT NULL, person_id uuid NOT NULL,"
        " status text NOT NULL, trafficking_status text NOT NULL, gender text,"
        " is_child boolean, age integer, first_contact_date date, identification_date date,"
        " closed_date date, exploitation text[] NOT NULL, events integer NOT NULL,"
        " version integer NOT NULL, opened_at timestamptz NOT NULL,"
        " updated_at timestamptz NOT NULL)",
    }

    def __init__(self, intake_topic: str) -> None:
        self.topics = [intake_topic]

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        case_events = [e for e in events if e.stream_id.startswith(CASE_STREAM_PREFIX)]
        if not case_events:
            return
        with conn.cursor() as cursor:
            cursor.executemany(
                sql.SQL(
                    "INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING"
                ).format(tables["timeline"]),
                [
                    (
                        case_id_of(e.stream_id),
                        e.stream_version,
                        e.event_id,
                        e.event_type,
                        e.schema_version,
                        e.occurred_at,
                        e.recorded_at,
                        e.actor.user,
                        e.payload_bytes.decode(),
                    )
                    for e in case_events
                ],
            )
        refold, advance = self._plan(case_events)
        for case_id in refold:
            self._refold(conn, tables, case_id)
        if advance:
            self._advance(conn, tables, advance)

    def _plan(
        self, events: Sequence[RecordedEvent]
    ) -> tuple[list[str], dict[str, list[RecordedEvent]]]:
        """Which cases must be folded again from their timelines (new ones, and those whose
        identification or whose history changed), and which only move on: most events
        (services, referrals, closure) change nothing in the list but the case's version."""
        by_case: dict[str, list[RecordedEvent]] = {}
        for event in events:
            by_case.setdefault(case_id_of(event.stream_id), []).append(event)
        refold = [case_id for case_id, mine in by_case.items()
                  if any(e.event_type in REFOLDING for e in mine)]  # fmt: skip
        return refold, {c: mine for c, mine in by_case.items() if c not in refold}

    def _advance(
        self, conn: psycopg.Connection, tables: Tables, by_case: dict[str, list[RecordedEvent]]
    ) -> None:
        rows = []
        for case_id, mine in by_case.items():
            closed = [e.payload for e in mine if e.event_type == cases.CASE_CLOSED]
            rows.append((case_id, max(e.stream_version for e in mine), len(mine),
                         max(e.occurred_at for e in mine),
                         closed[-1]["cas_Status"] if closed else None,
                         closed[-1]["ext_CaseClosedDate"] if closed else None))  # fmt: skip
        ids, versions, counts, times, statuses, closed_dates = map(list, zip(*rows, strict=True))
        conn.execute(
            sql.SQL(
                "UPDATE {0} c SET version = greatest(c.version, u.version),"
                " events = c.events + u.n, updated_at = greatest(c.updated_at, u.at),"
                " status = coalesce(u.status, c.status),"
                " closed_date = coalesce(u.closed::date, c.closed_date)"
                " FROM unnest(%s::text[], %s::int[], %s::int[], %s::timestamptz[], %s::text[],"
                " %s::text[]) AS u(case_id, version, n, at, status, closed)"
                " WHERE c.case_id = u.case_id AND c.version < u.version"
            ).format(tables["case_list"]),
            (ids, versions, counts, times, statuses, closed_dates),
        )

    def _refold(self, conn: psycopg.Connection, tables: Tables, case_id: str) -> None:
        rows = conn.execute(
            sql.SQL(
                "SELECT event_id, event_type, stream_version, occurred_at, payload::text,"
                " schema_version FROM {} WHERE case_id = %s ORDER BY stream_version"
            ).format(tables["timeline"]),
            (case_id,),
        ).fetchall()
        timeline = [TimelineEvent(r[0], r[1], r[2], r[3], orjson.loads(r[4]), r[5]) for r in rows]
        case = cases.state_from(timeline)
        if case is None:
            return
        opening = case.history[0].payload
        conn.execute(
            sql.SQL(
                "INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                " %s, %s) ON CONFLICT (case_id) DO UPDATE SET status = excluded.status,"
                " trafficking_status = excluded.trafficking_status, gender = excluded.gender,"
                " is_child = excluded.is_child, age = excluded.age,"
                " first_contact_date = excluded.first_contact_date,"
                " identification_date = excluded.identification_date,"
                " closed_date = excluded.closed_date, exploitation = excluded.exploitation,"
                " events = excluded.events, version = excluded.version,"
                " updated_at = excluded.updated_at"
            ).format(tables["case_list"]),
            (case_id, country_of(case_id), case.person_id, case.status,
             case.trafficking_status, opening.get("prs_Gender"), case.is_child, case.age,
             case.first_contact_date, case.identification_date, case.closed_date,
             list(opening.get("vic_TypeOfExploitation") or []), len(timeline), case.version,
             timeline[0].occurred_at, timeline[-1].occurred_at),
        )  # fmt: skip


class SubmissionViews:
    """Institutions' aggregate submissions: the current version of each, and its history."""

    name = "submissions"
    code_version = 1
    tables = {
        "submission_versions": "(submission_id text NOT NULL, version integer NOT NULL,"
        " country text NOT NULL, organisation_id uuid NOT NULL, period text NOT NULL,"
        " figures jsonb NOT NULL, document jsonb NOT NULL, submitted_by text,"
        " submitted_at timestamptz NOT NULL, PRIMARY KEY (submission_id, version))",
    }

    def __init__(self, intake_topic: str) -> None:
        self.topics = [intake_topic]

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        rows = []
        for e in events:
            if e.event_type != SUBMITTED:
                continue
            p = e.payload
            figures, document = orjson.dumps(p["figures"]), orjson.dumps(p["document"])
            rows.append((e.stream_id, e.stream_version, p["country"], p["organisation_id"],
                         p["period"], figures.decode(), document.decode(), e.actor.user,
                         e.occurred_at))  # fmt: skip
        if rows:
            with conn.cursor() as cursor:
                cursor.executemany(
                    sql.SQL(
                        "INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING"
                    ).format(tables["submission_versions"]),
                    rows,
                )
