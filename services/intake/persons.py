"""The person vault (keys and linkage hashes in PostgreSQL) and the commands that use it:
opening a case with identifiers, reading them back, unlinking and erasing a person."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from psycopg import sql
from psycopg_pool import ConnectionPool

from services.intake import linkage
from services.intake.linkage import (
    IDENTIFIER_FIELDS,
    IDENTIFIERS_RECORDED,
    PERSON_ERASED,
    PERSONS_UNLINKED,
)
from services.intake.projections import case_stream
from shared.backbone.envelope import NewEvent, RecordedEvent
from shared.backbone.store import EventStore, ExpectedVersion
from shared.errors import Conflict, NotFound, ValidationProblem


def linkage_secret(path: Path) -> bytes:
    """The national linkage secret: made once per deployment, kept in a file (a secret, like
    the signing keys); without it nobody can recompute a hash from a guessed name."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_bytes()
        with os.fdopen(fd, "wb") as file:
            file.write(os.urandom(32))
    return path.read_bytes()


def checked_identifiers(raw: Any) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise ValidationProblem("identifiers must be an object", {"identifiers": ["An object."]})
    errors = {}
    for name, value in raw.items():
        if name not in IDENTIFIER_FIELDS:
            errors[f"identifiers.{name}"] = ["Unknown; one of: " + ", ".join(IDENTIFIER_FIELDS)]
        elif not isinstance(value, str) or not value.strip() or len(value) > 300:
            errors[f"identifiers.{name}"] = ["Text of 1 to 300 characters."]
    if errors:
        raise ValidationProblem("the identifiers have invalid fields", errors)
    return {name: value.strip() for name, value in raw.items()}


@dataclass(frozen=True)
class Enrolment:
    events: list[NewEvent]
    linked_person_ids: list[str]


class PersonVault:
    def __init__(self, pool: ConnectionPool, schema: str, secret: bytes) -> None:
        self.pool, self.secret = pool, secret
        q = sql.Identifier(schema)
        self._sql = {
            "key": sql.SQL("INSERT INTO {}.person_keys (person_id, case_id, key)"
                           " VALUES (%s, %s, %s)").format(q),
            "link": sql.SQL("INSERT INTO {}.person_links (link_hash, person_id, case_id)"
                            " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING").format(q),
            "matches": sql.SQL("SELECT DISTINCT person_id::text FROM {}.person_links"
                               " WHERE link_hash = ANY(%s) AND person_id <> %s"
                               " ORDER BY 1").format(q),
            "get_key": sql.SQL("SELECT key, case_id FROM {}.person_keys WHERE person_id = %s")
            .format(q),
            "forget_key": sql.SQL("DELETE FROM {}.person_keys WHERE person_id = %s").format(q),
            "forget_links": sql.SQL("DELETE FROM {}.person_links WHERE person_id = %s").format(q),
            "erased": sql.SQL("INSERT INTO {}.erased_persons (person_id, erased_by)"
                              " VALUES (%s, %s) ON CONFLICT DO NOTHING").format(q),
            "was_erased": sql.SQL("SELECT 1 FROM {}.erased_persons WHERE person_id = %s")
            .format(q),
        }  # fmt: skip

    def enrol(
        self, person_id: str, case_id: str, identifiers: Mapping[str, str], on: date,
        **context: Any,
    ) -> Enrolment:  # fmt: skip
        """Keeps the person's key and linkage hashes; returns the events for the case stream:
        the sealed identifiers, and a link to every person whose hashes match."""
        key = linkage.new_person_key()
        hashes = linkage.link_hashes(self.secret, identifiers)
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(self._sql["key"], (person_id, case_id, key))
            matches = [row[0] for row in conn.execute(self._sql["matches"], (hashes, person_id))]
            for digest in hashes:
                conn.execute(self._sql["link"], (digest, person_id, case_id))
        nonce, sealed = linkage.seal(key, person_id, orjson.dumps(dict(identifiers)))
        events = [NewEvent(IDENTIFIERS_RECORDED, {"person_id": person_id, "nonce": nonce,
                                                  "sealed": sealed}, **context)]  # fmt: skip
        if matches:
            events.append(NewEvent("intake.PersonsLinked", {
                "date": on.isoformat(), "linked_person_ids": matches, "basis": "KeyedHashMatch",
            }, **context))  # fmt: skip
        return Enrolment(events, matches)

    def forget(self, person_id: str) -> None:
        """Deletes the key and the linkage hashes (erasure, or undoing an enrolment whose
        events could not be recorded)."""
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(self._sql["forget_key"], (person_id,))
            conn.execute(self._sql["forget_links"], (person_id,))

    def identifiers(self, person_id: str, events: Sequence[RecordedEvent]) -> dict[str, str]:
        with self.pool.connection() as conn:
            row = conn.execute(self._sql["get_key"], (person_id,)).fetchone()
            erased = conn.execute(self._sql["was_erased"], (person_id,)).fetchone()
        if erased:
            raise Gone("this person was erased: their identifiers can no longer be read")
        sealed = [e for e in events if e.event_type == IDENTIFIERS_RECORDED]
        if row is None or not sealed:
            raise NotFound("no identifiers are held for this person", {"person_id": ["None."]})
        try:
            plain = linkage.unseal(row[0], person_id, sealed[-1].payload["nonce"],
                                   sealed[-1].payload["sealed"])  # fmt: skip
        except InvalidTag as exc:  # tampered ciphertext or a key that does not belong
            raise Conflict("the sealed identifiers do not open with this person's key") from exc
        return orjson.loads(plain)

    def case_of(self, person_id: str) -> str | None:
        with self.pool.connection() as conn:
            row = conn.execute(self._sql["get_key"], (person_id,)).fetchone()
        return row[1] if row else None

    def erase(
        self, store: EventStore, person_id: str, case_id: str, reason: str, by: str,
        **context: Any,
    ) -> None:  # fmt: skip
        """Records the erasure on the case, then deletes the key and hashes. Run again after a
        failure it completes what is left (the event is not recorded twice)."""
        stream = case_stream(case_id)
        already = any(e.event_type == PERSON_ERASED and e.payload["person_id"] == person_id
                      for e in store.read_stream(stream))  # fmt: skip
        if not already:
            store.append(stream, ExpectedVersion.STREAM_EXISTS, [NewEvent(
                PERSON_ERASED, {"person_id": person_id, "reason": reason}, **context)])  # fmt: skip
        self.forget(person_id)
        with self.pool.connection() as conn:
            conn.execute(self._sql["erased"], (person_id, by))


def unlink(case_person: str, linked: Sequence[str], person_ids: Sequence[str], reason: str,
           on: date, **context: Any) -> NewEvent:  # fmt: skip
    """Reverses links of the case's person; each named person must be linked to it now."""
    not_linked = [p for p in person_ids if p not in linked]
    if not_linked:
        raise ValidationProblem(
            "these persons are not linked to the case's person",
            {"person_ids": [f"Not linked: {', '.join(not_linked)}."]},
        )
    payload = {"date": on.isoformat(), "unlinked_person_ids": list(person_ids), "reason": reason}
    return NewEvent(PERSONS_UNLINKED, payload, **context)


def current_links(events: Sequence[RecordedEvent]) -> list[str]:
    """The persons linked to a case's person now: links minus unlinks, in order."""
    linked: dict[str, None] = {}
    for event in events:
        if event.event_type == "intake.PersonsLinked":
            linked.update(dict.fromkeys(str(p) for p in event.payload["linked_person_ids"]))
        elif event.event_type == PERSONS_UNLINKED:
            for person in event.payload["unlinked_person_ids"]:
                linked.pop(str(person), None)
    return list(linked)


class Gone(NotFound):
    status = 410
    title = "Gone"
    type_slug = "gone"
