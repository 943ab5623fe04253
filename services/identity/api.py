"""The identity service's HTTP contract."""

from __future__ import annotations

from flask import Response, jsonify
from flask_smorest import Blueprint

from services.identity.signing_keys import KeyRing


def jwks_blueprint(key_ring: KeyRing) -> Blueprint:
    blp = Blueprint("keys", __name__, description="Token signing keys")

    @blp.route("/.well-known/jwks.json")
    @blp.doc(summary="The public keys that verify this service's tokens (RFC 7517)")
    def jwks() -> Response:
        response = jsonify(key_ring.jwks())
        # verifiers cache it; a rotation publishes the new key before it signs
        response.headers["Cache-Control"] = "public, max-age=60"
        return response

    return blp
