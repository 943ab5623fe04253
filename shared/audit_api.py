"""The proof endpoints every service answers (issue 7): its latest signed checkpoint and the
keys that sign them, inclusion proofs for one event and consistency proofs between two tree
sizes, and a full verification of the log. Proofs carry hashes only, never event content."""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import Schema, fields, validate

from shared.auth import authenticated
from shared.backbone.checkpoints import CheckpointError
from shared.backbone.store import EventStore
from shared.backbone.tamper import (
    consistency_proof,
    inclusion_proof,
    latest_checkpoint,
    published_verifiers,
    verify,
)
from shared.blueprint import Blueprint
from shared.errors import Conflict, NotFound, ValidationProblem

AUDITORS = ("auditor", "platform_admin", "national_admin", "monitor", "reviewer",
            "regional_analyst")  # fmt: skip


class CheckpointOut(Schema):
    origin = fields.String()
    size = fields.Integer()
    root = fields.String(metadata={"description": "hex"})
    note = fields.String(metadata={"description": "C2SP signed note"})
    verifiers = fields.List(fields.String())


class ConsistencyQuery(Schema):
    old_size = fields.Integer(required=True, validate=validate.Range(min=1))
    new_size = fields.Integer(required=True, validate=validate.Range(min=1))


class InclusionQuery(Schema):
    log_index = fields.Integer(required=True, validate=validate.Range(min=1))
    size = fields.Integer(required=True, validate=validate.Range(min=1))


class ProofOut(Schema):
    proof = fields.List(fields.String())
    leaf_hash = fields.String(allow_none=True)


class VerificationOut(Schema):
    ok = fields.Boolean()
    events_checked = fields.Integer()
    seconds = fields.Float()
    problems = fields.List(fields.String())


blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Tamper evidence")


def _store() -> EventStore:
    return current_app.extensions["actnow.audit_store"]


def _signed_in() -> None:
    principal = authenticated()
    if not principal.has_role(*AUDITORS):
        raise NotFound("there is nothing here for this role")  # hide the audit surface


@blp.route("/checkpoint")
@blp.response(200, CheckpointOut)
@blp.alt_response(404, description="No checkpoint has been signed yet")
@blp.alt_response(409, description="The latest checkpoint cannot be trusted")
def checkpoint() -> dict[str, Any]:
    """The latest signed checkpoint of this service's log and the keys that sign them."""
    _signed_in()
    store = _store()
    try:
        latest = latest_checkpoint(store)
    except CheckpointError as exc:
        raise Conflict(f"the latest checkpoint cannot be trusted: {exc}") from exc
    if latest is None:
        raise NotFound("no checkpoint has been signed yet")
    c = latest.checkpoint
    return {"origin": c.origin, "size": c.size, "root": c.root.hex(), "note": latest.note,
            "verifiers": published_verifiers(store)}  # fmt: skip


@blp.route("/consistency")
@blp.arguments(ConsistencyQuery, location="query")
@blp.response(200, ProofOut)
def consistency(query: dict[str, int]) -> dict[str, Any]:
    """Proof that the tree of `new_size` extends the tree of `old_size` (RFC 9162)."""
    _signed_in()
    store = _store()
    old, new = query["old_size"], query["new_size"]
    if old > new or new > store.head().size:
        raise ValidationProblem("sizes out of range", {"new_size": [
            f"Between old_size and {store.head().size}."]})  # fmt: skip
    return {"proof": [p.hex() for p in consistency_proof(store, old, new)], "leaf_hash": None}


@blp.route("/inclusion")
@blp.arguments(InclusionQuery, location="query")
@blp.response(200, ProofOut)
def inclusion(query: dict[str, int]) -> dict[str, Any]:
    """Proof that the event at `log_index` is in the tree of `size`."""
    _signed_in()
    store = _store()
    if not 1 <= query["log_index"] <= query["size"] <= store.head().size:
        raise ValidationProblem("log_index and size out of range",
                                {"size": [f"At most {store.head().size}."]})  # fmt: skip
    proof = inclusion_proof(store, query["log_index"], query["size"])
    leaf = store.read_all(after=query["log_index"] - 1, limit=1)[0].leaf_hash
    return {"proof": [p.hex() for p in proof], "leaf_hash": leaf.hex()}


@blp.route("/verification")
@blp.response(200, VerificationOut)
def verification() -> dict[str, Any]:
    """Recomputes every leaf hash from the stored events and the tree head (no signature
    check here: the caller checks the checkpoint against keys it trusts)."""
    _signed_in()
    report = verify(_store())
    return {"ok": report.ok, "events_checked": report.events_checked,
            "seconds": report.seconds, "problems": report.problems}  # fmt: skip
