"""The connection pool hands out working connections without a round trip each time, and
replaces one the server closed (PostgreSQL restarted, the backend terminated) before a request
gets it."""

from __future__ import annotations

import time

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from shared.db import check_if_in_doubt, create_pool


def backend_of(pool: ConnectionPool) -> int:
    with pool.connection() as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()  # the connection works
        assert row is not None
        return int(row[0])


def test_a_connection_the_server_closed_is_replaced_before_it_is_handed_out(
    database_url: str,
) -> None:
    with create_pool(database_url, max_size=1, name="pool-tests") as pool:
        pool.wait()
        before = backend_of(pool)
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (before,))
        time.sleep(0.2)  # the FATAL and the end of file reach the pooled connection's socket
        assert backend_of(pool) != before


def test_only_a_connection_with_something_to_read_gets_the_round_trip_check(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[psycopg.Connection] = []
    monkeypatch.setattr(ConnectionPool, "check_connection", checked.append)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT 1")
        check_if_in_doubt(conn)
        assert checked == []
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
        time.sleep(0.2)
        check_if_in_doubt(conn)
        assert checked == [conn]
