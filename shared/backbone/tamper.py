"""Tamper evidence over a service's event store: signed checkpoints, proofs, and `verify`.

The signer issues a checkpoint (origin, tree size, Merkle root) signed with an Ed25519 key that
lives in a file, outside the database, whenever the log has grown. `verify` recomputes every
leaf from the stored event fields and the tree from the leaves, and checks them against the
stored leaf hashes, the log head and a signed checkpoint: a single changed byte in any stored
event shows up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from threading import Event as StopFlag

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from psycopg import sql

from shared.backbone import merkle
from shared.backbone.checkpoints import (
    Checkpoint,
    CheckpointError,
    CheckpointSigner,
    parse_signed,
    verify_signed,
)
from shared.backbone.metrics import CHECKPOINT_SIZE
from shared.backbone.store import EventStore


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    note: str


def latest_checkpoint(store: EventStore) -> SignedCheckpoint | None:
    """The latest signed checkpoint. Its size and root columns (kept for queries) must say what
    its signed note says: a row that disagrees has been changed, and is refused."""
    query = sql.SQL("SELECT note, size, root FROM {}.checkpoints ORDER BY size DESC LIMIT 1")
    with store.pool.connection() as conn:
        row = conn.execute(query.format(sql.Identifier(store.schema))).fetchone()
    if row is None:
        return None
    note, size, root = row
    checkpoint, _ = parse_signed(note)
    if (checkpoint.size, checkpoint.root) != (size, bytes(root)):
        raise CheckpointError(
            f"the checkpoint row of size {size} disagrees with its signed note: it was changed"
        )
    return SignedCheckpoint(checkpoint, note)


def issue_checkpoint(store: EventStore, signer: CheckpointSigner) -> SignedCheckpoint | None:
    """Signs the current head if the log grew since the last checkpoint; returns it (or None)."""
    head = store.head()
    last = latest_checkpoint(store)
    if head.size == 0 or (last is not None and last.checkpoint.size >= head.size):
        return None
    checkpoint = Checkpoint(store.origin, head.size, head.root)
    note = signer.sign(checkpoint)
    insert = sql.SQL(
        "INSERT INTO {}.checkpoints (size, root, note) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
    )
    with store.pool.connection() as conn:
        conn.execute(insert.format(sql.Identifier(store.schema)), (head.size, head.root, note))
    CHECKPOINT_SIZE.labels(store.origin).set(head.size)
    return SignedCheckpoint(checkpoint, note)


def run_signer(
    store: EventStore, signer: CheckpointSigner, interval: float, stop: StopFlag
) -> None:
    publish_verifier(store, signer.verifier.to_string())
    while not stop.is_set():
        issue_checkpoint(store, signer)
        stop.wait(interval)


def publish_verifier(store: EventStore, verifier: str) -> None:
    with store.pool.connection() as conn:
        conn.execute(
            sql.SQL("INSERT INTO {}.signer_keys (verifier) VALUES (%s) ON CONFLICT DO NOTHING")
            .format(sql.Identifier(store.schema)), (verifier,),
        )  # fmt: skip


def published_verifiers(store: EventStore) -> list[str]:
    with store.pool.connection() as conn:
        rows = conn.execute(
            sql.SQL("SELECT verifier FROM {}.signer_keys ORDER BY first_used")
            .format(sql.Identifier(store.schema))
        ).fetchall()  # fmt: skip
    return [row[0] for row in rows]


def leaf_hashes(store: EventStore, size: int | None = None) -> list[bytes]:
    """The stored leaf hashes in log order (the first `size` of them)."""
    query = sql.SQL("SELECT leaf_hash FROM {}.events WHERE log_index <= %s ORDER BY log_index")
    limit = size if size is not None else store.head().size
    with store.pool.connection() as conn:
        rows = conn.execute(query.format(sql.Identifier(store.schema)), (limit,)).fetchall()
    return [bytes(row[0]) for row in rows]


def inclusion_proof(store: EventStore, log_index: int, size: int) -> list[bytes]:
    """Proof that the event at log_index (1-based) is in the tree of the given size."""
    return merkle.inclusion_proof(log_index - 1, leaf_hashes(store, size))


def consistency_proof(store: EventStore, old_size: int, new_size: int) -> list[bytes]:
    """Proof that the tree of new_size extends the tree of old_size (the log only grew)."""
    return merkle.consistency_proof(old_size, leaf_hashes(store, new_size))


@dataclass
class VerificationReport:
    origin: str
    events_checked: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: str) -> None:
        if len(self.problems) < 50:
            self.problems.append(problem)


def verify(
    store: EventStore,
    signed_note: str | None = None,
    verifier: tuple[str, Ed25519PublicKey] | None = None,
    page: int = 10_000,
) -> VerificationReport:
    """Recomputes the log from the stored events and checks it.

    Checks: log indexes are dense from 1; every stored leaf hash equals the hash recomputed
    from the stored fields; the root of all leaves equals the log head's root; and, given a
    signed checkpoint and the signer's (key name, public key), that the signature holds and the
    root of the first `size` leaves equals the checkpoint's root."""
    started = time.perf_counter()
    report = VerificationReport(store.origin)
    checkpoint = None
    if signed_note is not None:
        checkpoint = _checked_signature(signed_note, verifier, report)
    compact, position, at_checkpoint = merkle.CompactRange.empty(), 0, None
    while True:
        events = store.read_all(after=position, limit=page)
        if not events:
            break
        for event in events:
            position += 1
            if event.log_index != position:
                report.add(f"log index {event.log_index} found where {position} was expected")
                position = event.log_index
            if event.computed_leaf_hash() != event.leaf_hash:
                report.add(f"event at log index {event.log_index} does not match its leaf hash")
            compact = compact.append(event.leaf_hash)
            if checkpoint is not None and compact.size == checkpoint.size:
                at_checkpoint = compact.root()
        report.events_checked = position
    try:
        head = store.head()
    except ValueError as exc:  # a damaged compact range does not even decode
        report.add(f"the log head cannot be read: {exc}")
    else:
        if head.size != compact.size:
            report.add(f"log head says {head.size} events, the log holds {compact.size}")
        elif head.root != compact.root():
            report.add("the Merkle root of the stored events differs from the log head's root")
    if checkpoint is not None:
        if at_checkpoint is None:
            report.add(f"the log holds fewer events than the checkpoint's {checkpoint.size}")
        elif at_checkpoint != checkpoint.root:
            report.add(
                f"the root of the first {checkpoint.size} events differs from the signed checkpoint"
            )
    report.seconds = time.perf_counter() - started
    return report


def _checked_signature(
    note: str, verifier: tuple[str, Ed25519PublicKey] | None, report: VerificationReport
) -> Checkpoint | None:
    try:
        if verifier is None:
            checkpoint, _ = parse_signed(note)
        else:
            key_name, public_key = verifier
            checkpoint = verify_signed(note, key_name, public_key)
    except CheckpointError as exc:
        report.add(f"the checkpoint does not verify: {exc}")
        return None
    if checkpoint.origin != report.origin:
        report.add(f"the checkpoint is for {checkpoint.origin}, not {report.origin}")
    return checkpoint
