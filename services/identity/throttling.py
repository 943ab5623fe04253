"""Login throttling, per user and per address. After a run of failures the key is locked for a
time that doubles with each further failure, up to a ceiling; a success clears the user's count
(an address's count only fades: an attacker may hold one valid account). While locked, a login is
refused before the password is even checked, which also spares the CPU an argon2 hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from psycopg import sql
from psycopg_pool import ConnectionPool


@dataclass(frozen=True)
class Policy:
    threshold: int  # failures allowed before the first lock
    first_lock: timedelta
    longest_lock: timedelta
    forget_after: timedelta  # failures older than this no longer count

    def lock_for(self, failures: int) -> timedelta | None:
        if failures < self.threshold:
            return None
        doubling = min(failures - self.threshold, 20)
        return min(self.first_lock * (2**doubling), self.longest_lock)


PER_USER = Policy(5, timedelta(minutes=1), timedelta(minutes=15), timedelta(hours=1))
PER_ADDRESS = Policy(20, timedelta(minutes=1), timedelta(minutes=15), timedelta(minutes=15))


def user_key(username: str) -> str:
    return f"user:{username}"


def address_key(address: str) -> str:
    return f"address:{address}"


class Throttle:
    def __init__(self, pool: ConnectionPool, schema: str) -> None:
        self.pool = pool
        q = sql.Identifier(schema)
        self._sql = {
            "locked": sql.SQL(
                "SELECT max(locked_until) FROM {}.login_throttle"
                " WHERE key = ANY(%s) AND locked_until > %s"
            ).format(q),
            "count": sql.SQL(
                "INSERT INTO {}.login_throttle AS t (key, failures, last_failure_at)"
                " VALUES (%s, 1, %s) ON CONFLICT (key) DO UPDATE SET"
                " failures = CASE WHEN t.last_failure_at < %s THEN 1 ELSE t.failures + 1 END,"
                " last_failure_at = excluded.last_failure_at RETURNING failures"
            ).format(q),
            "lock": sql.SQL("UPDATE {}.login_throttle SET locked_until = %s WHERE key = %s").format(
                q
            ),
            "clear": sql.SQL("DELETE FROM {}.login_throttle WHERE key = %s").format(q),
        }

    def locked_until(self, username: str | None, address: str, now: datetime) -> datetime | None:
        keys = [address_key(address)] + ([user_key(username)] if username else [])
        with self.pool.connection() as conn:
            row = conn.execute(self._sql["locked"], (keys, now)).fetchone()
        return row[0] if row else None

    def failed(self, username: str | None, address: str, now: datetime) -> None:
        keyed = [(address_key(address), PER_ADDRESS)]
        if username:
            keyed.append((user_key(username), PER_USER))
        with self.pool.connection() as conn, conn.transaction():
            for key, policy in keyed:
                row = conn.execute(
                    self._sql["count"], (key, now, now - policy.forget_after)
                ).fetchone()
                lock = policy.lock_for(int(row[0])) if row else None
                if lock is not None:
                    conn.execute(self._sql["lock"], (now + lock, key))

    def succeeded(self, username: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(self._sql["clear"], (user_key(username),))
