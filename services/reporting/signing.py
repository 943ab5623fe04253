"""The reporting service's signature on what it publishes: Ed25519, its key in a file outside
the database (as the checkpoint keys), the signed message the canonical JSON of the publication
record without the signature."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.backbone.checkpoints import Verifier, load_or_create_key, verifier_from_string
from shared.backbone.envelope import canonical_json


class ReportSigner:
    def __init__(self, key_name: str, key_file: Path) -> None:
        self.key_name = key_name
        key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._key: Ed25519PrivateKey = load_or_create_key(key_file)

    @property
    def verifier(self) -> str:
        return Verifier(self.key_name, self._key.public_key()).to_string()

    def sign(self, record: dict[str, Any]) -> str:
        return base64.b64encode(self._key.sign(canonical_json(record))).decode()


def signature_holds(record: dict[str, Any], signer: str, signature: str) -> bool:
    """`record`: the publication record without its signature."""
    verifier = verifier_from_string(signer)
    try:
        verifier.public_key.verify(base64.b64decode(signature), canonical_json(record))
    except (InvalidSignature, ValueError):
        return False
    return True
