"""Proof for the hub: the worker task that follows the regional events with a signed checkpoint
of this node's indicators log and the Merkle proofs that tie them to it.

The hub sees only `<node>.regional`, never the node's log, so it cannot recompute the log's
root. What it can check is a chain: each `indicators.RegionalCheckpointPublished` carries the
latest signed checkpoint (size n, root r), a consistency proof from the previous one's size
(the log only grew) and, for every regional event since the previous one, its inclusion proof
in the tree of size n. An event included in one checkpoint is included in every later one the
chain proves consistent, so the hub — and an auditor replaying the topic — knows every figure
it reads stood in the node's log, unaltered, at the size a regional report pins.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from threading import Event as StopFlag
from typing import Any

from psycopg import sql

from services.indicators.events import REGIONAL_CHECKPOINT, REGIONAL_FIGURES
from shared.backbone import merkle
from shared.backbone.checkpoints import verifier_from_string, verify_signed
from shared.backbone.envelope import Actor, NewEvent
from shared.backbone.store import ConcurrencyError, EventStore, ExpectedVersion
from shared.backbone.tamper import SignedCheckpoint, latest_checkpoint, leaf_hashes
from shared.backbone.tamper import published_verifiers as store_verifiers

log = logging.getLogger(__name__)

STREAM = "regional-checkpoints"


@dataclass(frozen=True)
class Figure:
    """A regional event waiting for its proof: where it sits in the log and its leaf hash."""

    log_index: int
    leaf_hash: bytes


def checkpoint_payload(
    signed: SignedCheckpoint, verifier: str, previous_size: int, hashes: list[bytes],
    figures: list[Figure],
) -> dict[str, Any]:  # fmt: skip
    """The event that proves `figures` (all at or below the checkpoint's size) against the
    signed checkpoint, whose tree has the leaves `hashes`, and that tree consistent with the
    one of `previous_size`."""
    size = signed.checkpoint.size
    if len(hashes) != size:
        raise ValueError(f"a tree of size {size} needs {size} leaf hashes, got {len(hashes)}")
    return {
        "origin": signed.checkpoint.origin, "size": size, "root": signed.checkpoint.root.hex(),
        "note": signed.note, "verifier": verifier, "previous_size": previous_size,
        "consistency": [h.hex() for h in merkle.consistency_proof(previous_size, hashes)],
        "included": [{"log_index": f.log_index, "leaf_hash": f.leaf_hash.hex(),
                      "proof": [h.hex() for h in merkle.inclusion_proof(f.log_index - 1, hashes)]}
                     for f in figures],
    }  # fmt: skip


class RegionalCheckpoints:
    """Publishes a regional checkpoint when regional events have been appended since the last
    one and the signer has signed a checkpoint that covers them (it signs every few seconds)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def run(self, stop: StopFlag, every: float = 2.0) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("publishing a regional checkpoint failed; trying again")
            stop.wait(every)

    def run_once(self) -> bool:
        published = self.store.read_stream(STREAM)
        last = published[-1] if published else None
        previous_size = int(last.payload["size"]) if last is not None else 0
        figures = self._figures_after(previous_size)
        signed = latest_checkpoint(self.store)
        if not figures or signed is None or signed.checkpoint.size < figures[-1].log_index:
            return False  # nothing to prove yet, or the signer has not reached it
        payload = checkpoint_payload(signed, self._verifier(signed), previous_size,
                                     leaf_hashes(self.store, signed.checkpoint.size),
                                     figures)  # fmt: skip
        expected = last.stream_version if last is not None else ExpectedVersion.NO_STREAM
        event = NewEvent(REGIONAL_CHECKPOINT, payload, actor=Actor(user="indicators"))
        try:
            self.store.append(STREAM, expected, [event])
        except ConcurrencyError:  # another worker published first; it reads again next round
            return False
        return True

    def _figures_after(self, size: int) -> list[Figure]:
        query = sql.SQL("SELECT log_index, leaf_hash FROM {}.events WHERE log_index > %s"
                        " AND event_type = ANY(%s) ORDER BY log_index")  # fmt: skip
        with self.store.pool.connection() as conn:
            rows = conn.execute(query.format(sql.Identifier(self.store.schema)),
                                (size, list(REGIONAL_FIGURES))).fetchall()  # fmt: skip
        return [Figure(int(index), bytes(leaf)) for index, leaf in rows]

    def _verifier(self, signed: SignedCheckpoint) -> str:
        """The published key that verifies the note (the signer's key may have been rotated)."""
        for verifier in reversed(store_verifiers(self.store)):
            trusted = verifier_from_string(verifier)
            try:
                verify_signed(signed.note, trusted.key_name, trusted.public_key)
            except ValueError:
                continue
            return verifier
        raise ValueError(f"no published key verifies the checkpoint of size"
                         f" {signed.checkpoint.size}")  # fmt: skip


# --- checking, at the hub and for auditors ------------------------------------------------------
class ChainError(ValueError):
    """A regional checkpoint that does not hold; the message says what."""


@dataclass(frozen=True)
class Link:
    """A regional checkpoint that held: the node's log at `size` had root `root`."""

    origin: str
    size: int
    root: str  # hex
    note: str
    verifier: str


def check_link(payload: Mapping[str, Any], previous: Link | None,
               leaves: Mapping[int, bytes]) -> Link:  # fmt: skip
    """Checks one regional checkpoint against the one before it on the topic (None for the
    first): signed by the same key, saying what its note says, a consistent extension of it,
    and proving exactly the figures after it — `leaves` maps the log index of every figure
    received to its leaf hash (recomputed from the event on receipt). Raises `ChainError`."""
    link = Link(payload["origin"], payload["size"], payload["root"], payload["note"],
                payload["verifier"])  # fmt: skip
    if previous is not None and link.verifier != previous.verifier:
        raise ChainError("it is signed by another key than the checkpoints before it")
    trusted = verifier_from_string(link.verifier)
    try:
        signed = verify_signed(link.note, trusted.key_name, trusted.public_key)
    except ValueError as exc:
        raise ChainError(f"its signature fails ({exc})") from exc
    if (signed.origin, signed.size, signed.root.hex()) != (link.origin, link.size, link.root):
        raise ChainError("it does not say what its signed note says")
    if previous is not None and link.origin != previous.origin:
        raise ChainError(f"it is of {link.origin}, the ones before of {previous.origin}")
    before = previous.size if previous is not None else 0
    if payload["previous_size"] != before:
        raise ChainError(f"it follows a checkpoint of size {payload['previous_size']}, but the"
                         f" one before it on the topic has size {before}")  # fmt: skip
    if previous is not None and not merkle.verify_consistency(
        before, link.size, bytes.fromhex(previous.root), bytes.fromhex(link.root),
        [bytes.fromhex(h) for h in payload["consistency"]],
    ):  # fmt: skip
        raise ChainError(f"the log of size {link.size} is not an extension of the one of size"
                         f" {before}")  # fmt: skip
    proven = {entry["log_index"]: entry for entry in payload["included"]}
    due = {i for i in leaves if before < i <= link.size}
    if set(proven) != due:
        unproven, stray = sorted(due - set(proven)), sorted(set(proven) - due)
        raise ChainError(
            f"it proves log indexes {stray[:5]} that are not regional figures on the topic"
            if stray
            else f"it leaves the figures at log indexes {unproven[:5]} unproven"
        )
    root = bytes.fromhex(link.root)
    for index in sorted(due):
        entry, leaf = proven[index], leaves[index]
        if entry["leaf_hash"] != leaf.hex() or not merkle.verify_inclusion(
            leaf, index - 1, link.size, [bytes.fromhex(h) for h in entry["proof"]], root
        ):  # fmt: skip
            raise ChainError(f"the figure at log index {index} is not the one the node's log of"
                             f" size {link.size} holds")  # fmt: skip
    return link
