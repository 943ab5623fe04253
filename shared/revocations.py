"""Revoked tokens reach every service through the identity service's events.

Each service's worker runs the `Revocations` projection over the identity topic; it keeps, per
subject, the moment before which that subject's tokens no longer count (a deactivation, a revoked
role, a password change). The token verifier asks `not_before(subject)` on every request, one
indexed lookup, so a deactivated user's token stops working as soon as the projection has seen
the event (about a second after the identity service records it).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from shared.auth import NotBefore
from shared.backbone.envelope import RecordedEvent
from shared.backbone.projections import Tables, prepare_generation

# the identity events after which a subject's earlier tokens must not be honoured
REVOKING_EVENTS = frozenset({
    "identity.UserDeactivated", "identity.RoleRevoked", "identity.PasswordChanged",
    "identity.RefreshTokenReused",
})  # fmt: skip


class Revocations:
    name = "token_revocations"
    code_version = 1
    tables = {"token_revocations": "(subject text PRIMARY KEY, not_before timestamptz NOT NULL)"}

    def __init__(self, identity_topic: str) -> None:
        self.topics = [identity_topic]

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        latest: dict[str, datetime] = {}
        for event in events:
            if event.event_type in REVOKING_EVENTS:
                subject = event.payload["username"]
                latest[subject] = max(event.occurred_at, latest.get(subject, event.occurred_at))
        if not latest:
            return
        conn.execute(
            sql.SQL(
                "INSERT INTO {} (subject, not_before)"
                " SELECT * FROM unnest(%s::text[], %s::timestamptz[])"
                " ON CONFLICT (subject) DO UPDATE"
                " SET not_before = greatest({}.not_before, excluded.not_before)"
            ).format(tables["token_revocations"], tables["token_revocations"]),
            (list(latest), list(latest.values())),
        )


REMEMBER_SECONDS = 2.0


def not_before_lookup(
    pool: ConnectionPool, schema: str, projection: Revocations, remember: float = REMEMBER_SECONDS
) -> NotBefore:
    """subject -> the moment before which its tokens are revoked (None: none are). An answer
    is reused for `remember` seconds: a busy client then costs one query every two seconds,
    and a revocation still takes effect within seconds, far inside the minute promised."""
    query = sql.SQL("SELECT not_before FROM {} WHERE subject = %s").format(
        sql.Identifier(schema, "token_revocations")
    )
    recent: dict[str, tuple[float, datetime | None]] = {}

    def not_before(subject: str) -> datetime | None:
        now = time.monotonic()
        hit = recent.get(subject)
        if hit is not None and now - hit[0] < remember:
            return hit[1]
        if len(recent) > 10_000:  # many subjects: start afresh rather than grow without bound
            recent.clear()
        answer = _ask(subject)
        recent[subject] = (now, answer)
        return answer

    def _ask(subject: str) -> datetime | None:
        with pool.connection(timeout=5.0) as conn:
            try:
                row = conn.execute(query, (subject,)).fetchone()
            except psycopg.errors.UndefinedTable:
                # the worker has never run here: nothing can have been revoked through it yet;
                # create the (empty) read model so readiness reports the projection as not live
                prepare_generation(pool, schema, projection)
                return None
        return row[0] if row else None

    return not_before
