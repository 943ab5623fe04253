"""Tamper evidence: signed checkpoints, proofs against them, and `verify` catching any changed
byte of a stored event."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from shared.backbone import merkle
from shared.backbone.checkpoints import CheckpointSigner
from shared.backbone.envelope import NewEvent
from shared.backbone.store import EventStore, ExpectedVersion
from shared.backbone.tamper import (
    consistency_proof,
    inclusion_proof,
    issue_checkpoint,
    latest_checkpoint,
    verify,
)


@pytest.fixture
def signer(tmp_path: Path) -> CheckpointSigner:
    return CheckpointSigner.from_key_file("mk.intake", tmp_path / "checkpoint.key")


def fill(store: EventStore, cases: int) -> None:
    for n in range(cases):
        referral = {"to_organisation": "shelter", "days_after_identification": n}
        store.append(f"case-{uuid.uuid4().hex[:8]}", ExpectedVersion.NO_STREAM, [
            NewEvent("intake.CaseOpened", {"country": "MK", "gender": "f"}),
            NewEvent("intake.ReferralMade", referral),
        ])  # fmt: skip


def test_a_checkpoint_is_signed_only_when_the_log_has_grown(
    store: EventStore, signer: CheckpointSigner
) -> None:
    assert issue_checkpoint(store, signer) is None
    fill(store, 3)
    first = issue_checkpoint(store, signer)
    assert first is not None and first.checkpoint.size == 6
    assert first.checkpoint.origin == "mk.intake"
    assert issue_checkpoint(store, signer) is None
    fill(store, 1)
    assert issue_checkpoint(store, signer).checkpoint.size == 8  # type: ignore[union-attr]
    assert latest_checkpoint(store).checkpoint.size == 8  # type: ignore[union-attr]


def test_an_untouched_log_verifies_against_its_signed_checkpoint(
    store: EventStore, signer: CheckpointSigner
) -> None:
    fill(store, 10)
    signed = issue_checkpoint(store, signer)
    fill(store, 2)  # the log goes on growing after the checkpoint
    report = verify(store, signed.note, ("mk.intake", signer.public_key))  # type: ignore[union-attr]
    assert report.ok, report.problems
    assert report.events_checked == 24


def test_inclusion_and_consistency_proofs_verify_against_checkpoint_roots(
    store: EventStore, signer: CheckpointSigner
) -> None:
    fill(store, 5)
    old = issue_checkpoint(store, signer).checkpoint  # type: ignore[union-attr]
    fill(store, 7)
    new = issue_checkpoint(store, signer).checkpoint  # type: ignore[union-attr]
    event = store.read_all(after=6, limit=1)[0]
    proof = inclusion_proof(store, event.log_index, new.size)
    assert merkle.verify_inclusion(event.leaf_hash, event.log_index - 1, new.size, proof, new.root)
    proof = consistency_proof(store, old.size, new.size)
    assert merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)


COLUMN_CHANGES = {
    "payload": "payload = set_byte(payload, 2, get_byte(payload, 2) # 1)",
    "stream_id": "stream_id = stream_id || 'x'",
    "stream_version": "stream_version = stream_version + 100",
    "event_type": "event_type = 'intake.ReferralWithdrawn'",
    "occurred_at": "occurred_at = occurred_at + interval '1 microsecond'",
    "actor_user": "actor_user = 'someone else'",
}


@pytest.mark.parametrize("column", sorted(COLUMN_CHANGES))
def test_one_changed_stored_field_fails_verify(
    store: EventStore, signer: CheckpointSigner, database_url: str, column: str
) -> None:
    fill(store, 4)
    signed = issue_checkpoint(store, signer)
    tamper(store, database_url, COLUMN_CHANGES[column], log_index=5)
    report = verify(store, signed.note, ("mk.intake", signer.public_key))  # type: ignore[union-attr]
    assert not report.ok
    assert "event at log index 5 does not match its leaf hash" in report.problems


def test_rewriting_an_event_and_its_leaf_hash_still_fails_against_the_checkpoint(
    store: EventStore, signer: CheckpointSigner, database_url: str
) -> None:
    fill(store, 4)
    signed = issue_checkpoint(store, signer)
    tamper(store, database_url, "payload = set_byte(payload, 2, 65)", log_index=3)
    forged = store.read_all(after=2, limit=1)[0]
    tamper(store, database_url, "leaf_hash = %s", log_index=3, args=(forged.computed_leaf_hash(),))
    report = verify(store, signed.note, ("mk.intake", signer.public_key))  # type: ignore[union-attr]
    assert "the root of the first 8 events differs from the signed checkpoint" in report.problems


def test_a_checkpoint_signed_with_another_key_is_refused(
    store: EventStore, signer: CheckpointSigner, tmp_path: Path
) -> None:
    fill(store, 2)
    signed = issue_checkpoint(store, signer)
    stranger = CheckpointSigner.from_key_file("mk.intake", tmp_path / "other.key")
    report = verify(store, signed.note, ("mk.intake", stranger.public_key))  # type: ignore[union-attr]
    assert not report.ok and report.problems[0].startswith("the checkpoint does not verify")


def tamper(
    store: EventStore, database_url: str, assignment: str, log_index: int, args: tuple = ()
) -> None:
    query = sql.SQL("UPDATE {}.events SET " + assignment + " WHERE log_index = %s")
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(query.format(sql.Identifier(store.schema)), (*args, log_index))
