"""Tampering shows (issue 10): a thousand random single-byte changes to stored events, the log
head and checkpoints, each one made, verified and undone in turn — every one is detected by
`verify` against the signed checkpoint (or refused before it)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from psycopg import sql
from psycopg_pool import ConnectionPool

from shared.backbone.checkpoints import CheckpointError, CheckpointSigner
from shared.backbone.envelope import NewEvent
from shared.backbone.store import EventStore, ExpectedVersion
from shared.backbone.tamper import issue_checkpoint, latest_checkpoint, verify

MUTATIONS = 1000
EVENTS = 60


@dataclass(frozen=True)
class Change:
    what: str
    forward: sql.Composable
    back: sql.Composable
    params: tuple[object, ...]
    undo: tuple[object, ...]


@pytest.fixture
def signed_log(store: EventStore, tmp_path) -> tuple[EventStore, CheckpointSigner]:
    for n in range(EVENTS):
        store.append(f"case-{n % 7}", ExpectedVersion.ANY, [NewEvent(
            "intake.CaseOpened", {"country": "MK", "gender": "Feminine" if n % 2 else "Masculine"},
            correlation_id=uuid.uuid4())])  # fmt: skip
    signer = CheckpointSigner.from_key_file(store.origin, tmp_path / "checkpoint.key")
    issue_checkpoint(store, signer)
    return store, signer


def detected(store: EventStore, signer: CheckpointSigner) -> bool:
    """Refused (a checkpoint that cannot be read) or reported by verify."""
    try:
        latest = latest_checkpoint(store)
    except (CheckpointError, ValueError, UnicodeError):
        return True
    if latest is None:
        return True
    report = verify(store, latest.note, (signer.verifier.key_name, signer.verifier.public_key))
    return not report.ok


def row(pool: ConnectionPool, query: sql.Composable, params: tuple[object, ...]) -> tuple:  # type: ignore[type-arg]
    with pool.connection() as conn:
        found = conn.execute(query, params).fetchone()
    assert found is not None
    return found


def random_change(rng: random.Random, store: EventStore) -> Change:
    q = sql.Identifier(store.schema)
    index = rng.randint(1, EVENTS)
    kind = rng.choice(["payload", "leaf_hash", "event_type", "stream_id", "origin",
                       "actor_user", "occurred_at", "recorded_at", "schema_version",
                       "stream_version", "event_id", "correlation_id", "log_head", "note",
                       "checkpoint_root"])  # fmt: skip
    if kind in ("payload", "leaf_hash"):
        (value,) = row(store.pool, sql.SQL("SELECT {} FROM {}.events WHERE log_index = %s")
                       .format(sql.Identifier(kind), q), (index,))  # fmt: skip
        changed = _flip_byte(rng, bytes(value))
        update = sql.SQL("UPDATE {}.events SET {} = %s WHERE log_index = %s").format(
            q, sql.Identifier(kind)
        )
        return Change(kind, update, update, (changed, index), (bytes(value), index))
    if kind in ("event_type", "stream_id", "origin", "actor_user"):
        (value,) = row(store.pool, sql.SQL("SELECT {} FROM {}.events WHERE log_index = %s")
                       .format(sql.Identifier(kind), q), (index,))  # fmt: skip
        changed = _flip_char(rng, value or "system")
        update = sql.SQL("UPDATE {}.events SET {} = %s WHERE log_index = %s").format(
            q, sql.Identifier(kind)
        )
        return Change(kind, update, update, (changed, index), (value, index))
    if kind in ("occurred_at", "recorded_at", "schema_version", "stream_version", "event_id",
                "correlation_id"):  # fmt: skip
        (value,) = row(store.pool, sql.SQL("SELECT {} FROM {}.events WHERE log_index = %s")
                       .format(sql.Identifier(kind), q), (index,))  # fmt: skip
        changed = _nudge(rng, kind, value)
        update = sql.SQL("UPDATE {}.events SET {} = %s WHERE log_index = %s").format(
            q, sql.Identifier(kind)
        )
        return Change(kind, update, update, (changed, index), (value, index))
    if kind == "log_head":
        (value,) = row(store.pool, sql.SQL("SELECT compact_range FROM {}.log_head").format(q), ())
        update = sql.SQL("UPDATE {}.log_head SET compact_range = %s").format(q)
        return Change(kind, update, update, (_flip_byte(rng, bytes(value)),), (bytes(value),))
    if kind == "note":
        latest = sql.SQL("SELECT size, note FROM {}.checkpoints ORDER BY size DESC LIMIT 1")
        size, note = row(store.pool, latest.format(q), ())
        update = sql.SQL("UPDATE {}.checkpoints SET note = %s WHERE size = %s").format(q)
        return Change(kind, update, update, (_flip_char(rng, note), size), (note, size))
    size, root = row(store.pool, sql.SQL("SELECT size, root FROM {}.checkpoints ORDER BY size"
                                         " DESC LIMIT 1").format(q), ())  # fmt: skip
    update = sql.SQL("UPDATE {}.checkpoints SET root = %s WHERE size = %s").format(q)
    return Change(kind, update, update, (_flip_byte(rng, bytes(root)), size), (bytes(root), size))


def _flip_byte(rng: random.Random, value: bytes) -> bytes:
    data = bytearray(value)
    data[rng.randrange(len(data))] ^= rng.randint(1, 255)
    return bytes(data)


def _flip_char(rng: random.Random, value: str) -> str:
    at = rng.randrange(len(value))
    replacement = rng.choice(
        [c for c in "abcdefghijklmnopqrstuvwxyz0123456789-." if c != value[at]]
    )
    return value[:at] + replacement + value[at + 1 :]


def _nudge(rng: random.Random, kind: str, value: object) -> object:
    if kind in ("occurred_at", "recorded_at"):
        return value + timedelta(microseconds=rng.randint(1, 10**6))  # type: ignore[operator]
    if kind in ("schema_version", "stream_version"):
        return int(value) + rng.randint(1000, 100_000)  # type: ignore[call-overload]
    return uuid.uuid4()  # event_id, correlation_id


def apply(pool: ConnectionPool, statement: sql.Composable, params: tuple[object, ...]) -> None:
    with pool.connection() as conn:
        conn.execute(statement, params)


def test_a_thousand_single_changes_are_each_detected(
    signed_log: tuple[EventStore, CheckpointSigner],
) -> None:
    store, signer = signed_log
    assert not detected(store, signer)  # the untouched log verifies
    rng = random.Random(20261130)
    missed: list[str] = []
    kinds: dict[str, int] = {}
    for _ in range(MUTATIONS):
        change = random_change(rng, store)
        kinds[change.what] = kinds.get(change.what, 0) + 1
        apply(store.pool, change.forward, change.params)
        try:
            if not detected(store, signer):
                missed.append(f"{change.what} {change.params!r}")
        finally:
            apply(store.pool, change.back, change.undo)
    assert missed == []
    assert not detected(store, signer)  # every change was undone
    assert len(kinds) == 15, kinds  # every kind of change was tried
