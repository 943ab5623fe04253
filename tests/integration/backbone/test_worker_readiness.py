"""A service is ready only while its worker's relay and projections keep reporting."""

from __future__ import annotations

import pytest
from psycopg import sql

from shared.backbone.store import EventStore
from shared.backbone.worker import worker_readiness


def run(store: EventStore, statement: str) -> None:
    with store.pool.connection() as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(store.schema)))


def test_a_relay_that_never_started_makes_the_service_unready(store: EventStore) -> None:
    checks = worker_readiness(store.pool, store.schema)
    with pytest.raises(RuntimeError, match="the relay has not started"):
        checks["relay"]()


def test_a_fresh_relay_heartbeat_is_ready_and_a_stale_one_is_not(store: EventStore) -> None:
    checks = worker_readiness(store.pool, store.schema)
    run(store, "INSERT INTO {}.relay_position VALUES ('t', 0, now())")
    checks["relay"]()
    run(store, "UPDATE {}.relay_position SET heartbeat_at = now() - interval '5 minutes'")
    with pytest.raises(RuntimeError, match="the relay last reported 300 s ago"):
        checks["relay"]()


def test_a_projection_that_stopped_reporting_makes_the_service_unready(store: EventStore) -> None:
    checks = worker_readiness(store.pool, store.schema)
    checks["projections"]()  # no projections: nothing to wait for
    run(
        store,
        "INSERT INTO {}.projection_generations (projection, generation, code_version, state,"
        " heartbeat_at) VALUES ('cases', 1, 1, 'live', now() - interval '1 hour')",
    )
    with pytest.raises(RuntimeError, match="projection cases last reported 3600 s ago"):
        checks["projections"]()
