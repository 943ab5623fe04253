"""Passwords: argon2id hashes (argon2-cffi's RFC 9106 low-memory profile) in the credentials
table, never in an event. A new password gets a new row; the user's stream names the current
one, so a row whose event never got recorded is never used."""

from __future__ import annotations

import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg import sql
from psycopg_pool import ConnectionPool

from shared.errors import ValidationProblem

MIN_LENGTH, MAX_LENGTH = 12, 256
HASHER = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4: about 0.1 s per hash here
# verified against when the username is unknown, so that a miss costs as long as a wrong password
# (the response time must not tell which usernames exist)
_DECOY_HASH = HASHER.hash(uuid.uuid4().hex)


def check_strength(password: str, username: str, field: str = "password") -> None:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"At least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"At most {MAX_LENGTH} characters.")
    if username and username.lower() in password.lower():
        problems.append("Must not contain the username.")
    if len(set(password)) < 5:
        problems.append("Too repetitive: use at least 5 different characters.")
    if problems:
        raise ValidationProblem("the password is too weak", {field: problems})


class Credentials:
    def __init__(self, pool: ConnectionPool, schema: str) -> None:
        self.pool = pool
        q = sql.Identifier(schema)
        self._insert = sql.SQL(
            "INSERT INTO {}.credentials (credential_id, username, hash) VALUES (%s, %s, %s)"
        ).format(q)
        self._select = sql.SQL(
            "SELECT hash FROM {}.credentials WHERE credential_id = %s AND username = %s"
        ).format(q)

    def store(self, username: str, password: str) -> uuid.UUID:
        """Hashes and stores a password; returns the id the user's event will name."""
        credential_id = uuid.uuid4()
        with self.pool.connection() as conn:
            conn.execute(self._insert, (credential_id, username, HASHER.hash(password)))
        return credential_id

    def verify(self, username: str | None, credential_id: uuid.UUID | None, password: str) -> bool:
        stored = None
        if username and credential_id:
            with self.pool.connection() as conn:
                row = conn.execute(self._select, (credential_id, username)).fetchone()
            stored = row[0] if row else None
        try:
            return HASHER.verify(stored or _DECOY_HASH, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False
