"""The identity read models: organisations, users and their grants, as lists to browse. Commands
never read them (they rebuild what they need from the streams); they may lag by about a second."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql

from shared.backbone.envelope import RecordedEvent
from shared.backbone.projections import Tables


class Directory:
    name = "directory"
    code_version = 1
    tables = {
        "organisations": "(organisation_id uuid PRIMARY KEY, name text NOT NULL,"
        " country text NOT NULL, type text NOT NULL, registered_at timestamptz NOT NULL)",
        "users": "(username text PRIMARY KEY, display_name text NOT NULL,"
        " organisation_id uuid NOT NULL, country text NOT NULL, active boolean NOT NULL,"
        " registered_at timestamptz NOT NULL, last_login_at timestamptz)",
        "grants": "(username text NOT NULL, role text NOT NULL, scope text NOT NULL,"
        " granted_at timestamptz NOT NULL, PRIMARY KEY (username, role, scope))",
    }

    def __init__(self, identity_topic: str) -> None:
        self.topics = [identity_topic]

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        # a handful of events a day: one statement per event keeps each rule readable
        for event in events:
            statement = STATEMENTS.get(event.event_type)
            if statement is not None:
                query, params = statement
                conn.execute(sql.SQL(query).format(**tables), params(event.payload, event))


STATEMENTS = {
    "identity.OrganisationRegistered": (
        "INSERT INTO {organisations} VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        lambda p, e: (p["organisation_id"], p["name"], p["country"], p["type"], e.occurred_at),
    ),
    "identity.UserRegistered": (
        "INSERT INTO {users} VALUES (%s, %s, %s, %s, true, %s, NULL) ON CONFLICT DO NOTHING",
        lambda p, e: (p["username"], p["display_name"], p["organisation_id"], p["country"],
                      e.occurred_at),
    ),
    "identity.RoleGranted": (
        "INSERT INTO {grants} VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
        lambda p, e: (p["username"], p["role"], p["scope"], e.occurred_at),
    ),
    "identity.RoleRevoked": (
        "DELETE FROM {grants} WHERE username = %s AND role = %s AND scope = %s",
        lambda p, e: (p["username"], p["role"], p["scope"]),
    ),
    "identity.UserDeactivated": (
        "UPDATE {users} SET active = false WHERE username = %s",
        lambda p, e: (p["username"],),
    ),
    "identity.UserReactivated": (
        "UPDATE {users} SET active = true WHERE username = %s",
        lambda p, e: (p["username"],),
    ),
    "identity.LoginSucceeded": (
        "UPDATE {users} SET last_login_at = greatest(last_login_at, %s) WHERE username = %s",
        lambda p, e: (e.occurred_at, p["username"]),
    ),
}  # fmt: skip
