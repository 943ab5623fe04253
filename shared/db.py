"""PostgreSQL access: one connection pool per process, and schema migrations from plain SQL files.

Each service owns one schema. Migrations are `NNN_name.sql` files applied in order inside the
service's schema (search_path), each in its own transaction, and recorded in
`<schema>.schema_migrations` with a checksum so an edited, already-applied file is caught.
The event backbone's own tables come first from `shared/backbone/migrations`.
"""

from __future__ import annotations

import hashlib
import select
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import pq, sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

BACKBONE_MIGRATIONS = Path(__file__).parent / "backbone" / "migrations"


def create_pool(url: str, max_size: int = 8, name: str = "actnow") -> ConnectionPool:
    # open=True connects in the background: a service starts even while the database is down,
    # and /readyz says so until it comes back. Autocommit: one statement is one round trip;
    # code that needs several statements atomically says so with `conn.transaction()`.
    return ConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        open=True,
        name=name,
        timeout=5.0,
        kwargs={"autocommit": True},
        check=check_if_in_doubt,
    )


def check_if_in_doubt(conn: psycopg.Connection) -> None:
    """The pool's check of a connection before it is handed out: a connection the server
    closed (PostgreSQL restarted, the backend terminated) is found and replaced then, not
    handed to a request that answers 500 (the fault benchmark saw such 500s for up to 10 s
    after a restart without a check). Such a server has said so on the socket, a FATAL error
    or end of file, so only a connection with something to read, or already known broken, gets
    the full check, a round trip. Checking every connection cost an intake request two round
    trips, 30 % of its time (bench/RESULTS.md, "Sustained load"). An idle connection in
    autocommit has nothing else to read: pooled connections do not LISTEN."""
    if conn.closed or conn.pgconn.status != pq.ConnStatus.OK or _readable(conn.pgconn.socket):
        ConnectionPool.check_connection(conn)


def _readable(socket: int) -> bool:
    poller = select.poll()  # not select.select: it cannot watch descriptors past 1023
    poller.register(socket, select.POLLIN)
    return bool(poller.poll(0))


class MigrationError(RuntimeError):
    """A migration failed or an applied migration file was changed afterwards."""


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def migrations_in(*folders: Path) -> list[Migration]:
    found: list[Migration] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        prefix = folder.parent.name
        found += [
            Migration(f"{prefix}/{path.name}", path.read_text())
            for path in sorted(folder.glob("*.sql"))
        ]
    return found


def migrate(url: str, schema: str, migrations: Iterable[Migration]) -> list[str]:
    """Applies the migrations not yet recorded in schema; returns the names applied now."""
    applied_now: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        # concurrent migrators (several workers or nodes starting at once) take turns
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"migrate:{schema}",))
        try:
            ident = sql.Identifier(schema)
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident))
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {}.schema_migrations ("
                    " name text PRIMARY KEY, checksum text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())"
                ).format(ident)
            )
            done = dict(
                conn.execute(
                    sql.SQL("SELECT name, checksum FROM {}.schema_migrations").format(ident)
                ).fetchall()
            )
            for migration in migrations:
                if migration.name in done:
                    if done[migration.name] != migration.checksum:
                        raise MigrationError(
                            f"migration {migration.name} in schema {schema} was changed after it "
                            "was applied; add a new migration instead"
                        )
                    continue
                _apply(conn, schema, migration)
                applied_now.append(migration.name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (f"migrate:{schema}",))
    return applied_now


def _apply(conn: psycopg.Connection, schema: str, migration: Migration) -> None:
    ident = sql.Identifier(schema)
    try:
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(ident))
            conn.execute(migration.sql.encode())
            conn.execute(
                sql.SQL("INSERT INTO {}.schema_migrations (name, checksum) VALUES (%s, %s)").format(
                    ident
                ),
                (migration.name, migration.checksum),
            )
    except psycopg.Error as exc:
        raise MigrationError(
            f"migration {migration.name} failed in schema {schema}: {exc}"
        ) from exc


def service_migrations(service: str) -> list[Migration]:
    """The backbone's tables first, then the service's own `services/<name>/migrations`."""
    own = Path(__file__).resolve().parents[1] / "services" / service / "migrations"
    return migrations_in(BACKBONE_MIGRATIONS, own)


def fetch_dicts(
    pool: ConnectionPool, statement: sql.Composable | str, params: Sequence[object] = ()
) -> list[dict[str, Any]]:
    """The rows of a query as dicts by column name."""
    with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()
