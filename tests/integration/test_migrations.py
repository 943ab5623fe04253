"""Migrations are plain SQL files applied once, in order, inside each service's schema."""

from __future__ import annotations

import psycopg
import pytest

from shared.db import Migration, MigrationError, migrate


def test_migrations_are_applied_once_in_order_and_recorded(database_url: str) -> None:
    steps = [
        Migration("demo/001_cases.sql", "CREATE TABLE cases (id int PRIMARY KEY);"),
        Migration("demo/002_more.sql", "ALTER TABLE cases ADD COLUMN status text;"),
    ]
    assert migrate(database_url, "migration_demo", steps) == [s.name for s in steps]
    assert migrate(database_url, "migration_demo", steps) == []
    with psycopg.connect(database_url) as conn:
        columns = conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'migration_demo' AND table_name = 'cases' ORDER BY 1"
        ).fetchall()
    assert columns == [("id",), ("status",)]


def test_a_failing_migration_leaves_nothing_half_applied(database_url: str) -> None:
    broken = Migration("demo/001_broken.sql", "CREATE TABLE half (id int); SELECT 1/0;")
    with pytest.raises(MigrationError, match=r"demo/001_broken\.sql failed in schema broken_demo"):
        migrate(database_url, "broken_demo", [broken])
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT to_regclass('broken_demo.half')").fetchone() == (None,)
        assert conn.execute("SELECT count(*) FROM broken_demo.schema_migrations").fetchone() == (0,)


def test_an_applied_migration_that_was_edited_is_refused(database_url: str) -> None:
    migrate(database_url, "edited_demo", [Migration("demo/001.sql", "CREATE TABLE t (id int);")])
    with pytest.raises(MigrationError, match="was changed after it was applied"):
        migrate(database_url, "edited_demo", [Migration("demo/001.sql", "CREATE TABLE t (x int);")])
