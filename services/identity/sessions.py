"""Refresh tokens with rotation. A login starts a family; each refresh uses up the presented
token and issues the next one of the family. A used token presented again means two parties hold
it (one of them a thief), so the whole family is revoked and the reuse recorded."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

REFRESH_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class RefreshToken:
    token: str
    family_id: uuid.UUID
    expires_at: datetime


@dataclass(frozen=True)
class Rotation:
    """The outcome of presenting a refresh token: `next` when it was good, `reused` when it had
    been used already (the family is then revoked)."""

    username: str | None
    family_id: uuid.UUID | None
    family_started_at: datetime | None
    next: RefreshToken | None = None
    reused: bool = False


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Sessions:
    def __init__(self, pool: ConnectionPool, schema: str) -> None:
        self.pool = pool
        q = sql.Identifier(schema)
        self._sql = {
            "insert": sql.SQL(
                "INSERT INTO {}.refresh_tokens (token_digest, family_id, username,"
                " family_started_at, issued_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s)"
            ).format(q),
            "take": sql.SQL(
                "SELECT family_id, username, family_started_at, expires_at, used_at, revoked_at"
                " FROM {}.refresh_tokens WHERE token_digest = %s FOR UPDATE"
            ).format(q),
            "use": sql.SQL("UPDATE {}.refresh_tokens SET used_at = %s WHERE token_digest = %s")
            .format(q),
            "revoke": sql.SQL(
                "UPDATE {}.refresh_tokens SET revoked_at = %s"
                " WHERE family_id = %s AND revoked_at IS NULL"
            ).format(q),
            "end": sql.SQL(
                "UPDATE {0}.refresh_tokens SET revoked_at = %s WHERE revoked_at IS NULL AND"
                " family_id = (SELECT family_id FROM {0}.refresh_tokens WHERE token_digest = %s)"
            ).format(q),
        }  # fmt: skip

    def start(self, username: str, now: datetime) -> RefreshToken:
        """The first refresh token of a new family (a login)."""
        with self.pool.connection() as conn:
            return self._issue(conn, username, uuid.uuid4(), now, now)

    def rotate(self, token: str, now: datetime) -> Rotation:
        with self.pool.connection() as conn, conn.transaction():
            row = conn.execute(self._sql["take"], (digest(token),)).fetchone()
            if row is None:
                return Rotation(None, None, None)
            family_id, username, started, expires_at, used_at, revoked_at = row
            if used_at is not None and revoked_at is None:
                conn.execute(self._sql["revoke"], (now, family_id))
                return Rotation(username, family_id, started, reused=True)
            if used_at is not None or revoked_at is not None or expires_at <= now:
                return Rotation(username, family_id, started)
            conn.execute(self._sql["use"], (now, digest(token)))
            following = self._issue(conn, username, family_id, started, now)
            return Rotation(username, family_id, started, next=following)

    def end(self, token: str, now: datetime) -> None:
        """Signs out: the token's whole family is revoked."""
        with self.pool.connection() as conn:
            conn.execute(self._sql["end"], (now, digest(token)))

    def _issue(
        self,
        conn: psycopg.Connection,
        username: str,
        family_id: uuid.UUID,
        started: datetime,
        now: datetime,
    ) -> RefreshToken:
        token = secrets.token_urlsafe(32)
        expires_at = now + REFRESH_LIFETIME
        conn.execute(self._sql["insert"],
                     (digest(token), family_id, username, started, now, expires_at))  # fmt: skip
        return RefreshToken(token, family_id, expires_at)
