"""Read models of national profiles and qualitative assessments, from the indicators service's
own topic: each profile version with its indicators (the current profile of a country is its
latest confirmed version), and each assessment as it stands now.

Events are applied one by one in log order, because a profile version starts as a copy of the
one before it and a review updates the scoring it follows; these are people's decisions, a few
a day, so a statement per event costs nothing. Every statement is idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
import psycopg
from psycopg import sql

from services.indicators import assessments, profiles
from shared.backbone.envelope import RecordedEvent
from shared.backbone.projections import Tables


class NationalProfiles:
    name = "national_profiles"
    code_version = 1
    tables = {
        "profiles": "(country text NOT NULL, catalog_version text NOT NULL,"
        " profile_version integer NOT NULL, confirmed_at timestamptz, confirmed_by text,"
        " stream_version integer NOT NULL,"
        " PRIMARY KEY (country, catalog_version, profile_version))",
        # `explicit` is false for a core indicator adopted by default (listed on confirmation)
        "profile_indicators": "(country text NOT NULL, catalog_version text NOT NULL,"
        " profile_version integer NOT NULL, code text NOT NULL, status text NOT NULL,"
        " national_addition boolean NOT NULL, explicit boolean NOT NULL, entry jsonb NOT NULL,"
        " PRIMARY KEY (country, catalog_version, profile_version, code))",
    }

    def __init__(self, topic: str) -> None:
        self.topics = [topic]

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        for event in events:
            if event.event_type == profiles.INDICATOR_SET:
                self._open(conn, tables, event)
                self._set(conn, tables, event)
            elif event.event_type == profiles.PROFILE_CONFIRMED:
                self._open(conn, tables, event)
                self._confirm(conn, tables, event)

    @staticmethod
    def _open(conn: psycopg.Connection, tables: Tables, event: RecordedEvent) -> None:
        """Makes the profile version's row, its indicators copied from the version before."""
        p = event.payload
        key = (p["country"], p["catalog_version"], p["profile_version"])
        conn.execute(
            sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, NULL, NULL, %s)"
                    " ON CONFLICT DO NOTHING").format(tables["profiles"]),
            (*key, event.stream_version),
        )  # fmt: skip
        conn.execute(
            sql.SQL("INSERT INTO {t} SELECT country, catalog_version, %s, code, status,"
                    " national_addition, explicit, entry FROM {t} WHERE country = %s"
                    " AND catalog_version = %s AND profile_version = %s ON CONFLICT DO NOTHING")
            .format(t=tables["profile_indicators"]),
            (key[2], key[0], key[1], key[2] - 1),
        )  # fmt: skip

    @staticmethod
    def _set(conn: psycopg.Connection, tables: Tables, event: RecordedEvent) -> None:
        p = event.payload
        entry = profiles.entry_from_payload(p)
        conn.execute(
            sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, true, %s)"
                    " ON CONFLICT (country, catalog_version, profile_version, code) DO UPDATE"
                    " SET status = excluded.status, explicit = true, entry = excluded.entry")
            .format(tables["profile_indicators"]),
            (p["country"], p["catalog_version"], p["profile_version"], p["code"], p["status"],
             entry.national_addition,
             orjson.dumps(profiles.entry_payload(entry)).decode()),
        )  # fmt: skip
        _touch(conn, tables, event)

    @staticmethod
    def _confirm(conn: psycopg.Connection, tables: Tables, event: RecordedEvent) -> None:
        p = event.payload
        defaults = [
            code for code, status in p["statuses"].items()
            if status == profiles.ADOPTED and not profiles.is_national_code(code)
        ]  # fmt: skip
        with conn.cursor() as cursor:
            cursor.executemany(
                sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, false, false, %s)"
                        " ON CONFLICT DO NOTHING").format(tables["profile_indicators"]),
                [(p["country"], p["catalog_version"], p["profile_version"], code,
                  profiles.ADOPTED, orjson.dumps(profiles.entry_payload(
                      profiles.ProfileEntry(code, profiles.ADOPTED))).decode())
                 for code in defaults],
            )  # fmt: skip
        conn.execute(
            sql.SQL("UPDATE {} SET confirmed_at = %s, confirmed_by = %s WHERE country = %s"
                    " AND catalog_version = %s AND profile_version = %s")
            .format(tables["profiles"]),
            (event.occurred_at, p["confirmed_by"], p["country"], p["catalog_version"],
             p["profile_version"]),
        )  # fmt: skip
        _touch(conn, tables, event)


def _touch(conn: psycopg.Connection, tables: Tables, event: RecordedEvent) -> None:
    p = event.payload
    conn.execute(
        sql.SQL("UPDATE {} SET stream_version = greatest(stream_version, %s) WHERE country = %s"
                " AND catalog_version = %s AND profile_version = %s").format(tables["profiles"]),
        (event.stream_version, p["country"], p["catalog_version"], p["profile_version"]),
    )  # fmt: skip


class Assessments:
    name = "assessments"
    code_version = 1
    tables = {
        "assessments": "(country text NOT NULL, year integer NOT NULL, code text NOT NULL,"
        " catalog_version text NOT NULL, status text NOT NULL, score integer,"
        " not_assessed_reason text, rationale text, evidence jsonb NOT NULL,"
        " scored_by text NOT NULL, scored_at timestamptz NOT NULL, reviewed_by text,"
        " reviewed_at timestamptz, review_comment text, rounds integer NOT NULL,"
        " version integer NOT NULL, PRIMARY KEY (country, year, code))",
    }

    def __init__(self, topic: str) -> None:
        self.topics = [topic]

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        for event in events:
            if event.event_type == assessments.SCORED:
                self._scored(conn, tables, event)
            elif event.event_type in (assessments.CONFIRMED, assessments.RETURNED):
                self._reviewed(conn, tables, event)

    @staticmethod
    def _scored(conn: psycopg.Connection, tables: Tables, event: RecordedEvent) -> None:
        p = event.payload
        # a new scoring clears the review of the one before; `rounds` counts the scorings
        conn.execute(
            sql.SQL("INSERT INTO {t} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                    " NULL, NULL, NULL, 1, %s) ON CONFLICT (country, year, code) DO UPDATE SET"
                    " catalog_version = excluded.catalog_version, status = excluded.status,"
                    " score = excluded.score, not_assessed_reason = excluded.not_assessed_reason,"
                    " rationale = excluded.rationale, evidence = excluded.evidence,"
                    " scored_by = excluded.scored_by, scored_at = excluded.scored_at,"
                    " reviewed_by = NULL, reviewed_at = NULL, review_comment = NULL,"
                    " rounds = {t}.rounds + 1, version = excluded.version"
                    " WHERE {t}.version < excluded.version").format(t=tables["assessments"]),
            (p["country"], p["year"], p["code"], p["catalog_version"],
             assessments.AWAITING_REVIEW, p["score"], p["not_assessed_reason"],
             p.get("rationale"), orjson.dumps(p["evidence"]).decode(), p["scored_by"],
             event.occurred_at, event.stream_version),
        )  # fmt: skip

    @staticmethod
    def _reviewed(conn: psycopg.Connection, tables: Tables, event: RecordedEvent) -> None:
        p = event.payload
        status = (assessments.ACCEPTED if event.event_type == assessments.CONFIRMED
                  else assessments.SENT_BACK)  # fmt: skip
        conn.execute(
            sql.SQL("UPDATE {} SET status = %s, reviewed_by = %s, reviewed_at = %s,"
                    " review_comment = %s, version = %s WHERE country = %s AND year = %s"
                    " AND code = %s AND version < %s").format(tables["assessments"]),
            (status, p["reviewed_by"], event.occurred_at, p.get("comment"),
             event.stream_version, p["country"], p["year"], p["code"], event.stream_version),
        )  # fmt: skip
