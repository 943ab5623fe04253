"""Counting a person once, and forgetting them: keyed linkage hashes and per-person encryption.

Linkage: the police and a shelter may each report the same victim. Their records are linked when
a keyed hash (HMAC-SHA256 with a secret only the national deployment holds) of the same
normalised identifying attributes matches: the name with the birth date, or an identity document
number. Normalising strips accents, transliterates Cyrillic to Latin and folds case, so "Јована
Петровић" and "Jovana Petrovic" match. Without the secret the hashes cannot be recomputed from a
guessed name. A link is an `intake.PersonsLinked` event; `intake.PersonsUnlinked` reverses it.

Encryption: identifiers are sealed with AES-256-GCM under a key of the person's own; the sealed
bytes go into `intake.IdentifiersRecorded`, the key into the vault table. `intake.PersonErased`
records an erasure whose effect is the key's deletion.
"""

# ruff: noqa: RUF001  (the transliteration tables hold Cyrillic letters that look Latin)
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from collections.abc import Mapping

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from marshmallow import Schema, fields, validate

from shared.backbone.registry import REGISTRY

IDENTIFIERS_RECORDED = "intake.IdentifiersRecorded"
PERSONS_UNLINKED = "intake.PersonsUnlinked"
PERSON_ERASED = "intake.PersonErased"
# the direct identifiers a record may carry (HTCDS prs_ name and document fields, contact data)
IDENTIFIER_FIELDS = ("given_name", "family_name", "birth_date", "document_number",
                     "place_of_birth", "address", "phone")  # fmt: skip

CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "dj", "ѓ": "gj", "е": "e", "ж": "z",
    "з": "z", "ѕ": "dz", "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n",
    "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "c", "ќ": "kj", "у": "u",
    "ф": "f", "х": "h", "ц": "c", "ч": "c", "џ": "dz", "ш": "s", "й": "j", "ы": "y", "э": "e",
    "ю": "ju", "я": "ja", "ь": "", "ъ": "", "щ": "sc", "ё": "e", "є": "je", "і": "i", "ї": "ji",
}  # fmt: skip
# Latin letters that NFKD does not decompose, folded as the Cyrillic ones above are
LATIN = {"đ": "dj", "ð": "dj", "ł": "l", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"}


@REGISTRY.event(IDENTIFIERS_RECORDED, version=1)
class IdentifiersRecorded(Schema):
    """Sealed identifiers (AES-256-GCM, the person's key, the person id as associated data)."""

    person_id = fields.UUID(required=True)
    nonce = fields.String(required=True, validate=validate.Length(equal=16))
    sealed = fields.String(required=True, validate=validate.Length(min=24, max=20000))


@REGISTRY.event(PERSONS_UNLINKED, version=1)
class PersonsUnlinked(Schema):
    """A link found or confirmed earlier was wrong: these persons count separately again."""

    date = fields.Date(required=True)
    unlinked_person_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1))
    reason = fields.String(required=True, validate=validate.OneOf(
        ("DifferentPersons", "HashCollision", "DataEntryError", "Other")))  # fmt: skip


@REGISTRY.event(PERSON_ERASED, version=1)
class PersonErased(Schema):
    person_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(
        ("DataSubjectRequest", "RetentionExpired", "RecordedInError", "Other")))  # fmt: skip


def normalised(text: str) -> str:
    """Accents stripped, Cyrillic transliterated, case folded, spaces and hyphens collapsed."""
    lowered = text.strip().lower()
    transliterated = "".join(CYRILLIC.get(ch, LATIN.get(ch, ch)) for ch in lowered)
    decomposed = unicodedata.normalize("NFKD", transliterated)
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(letters.replace("-", " ").split())


def link_hashes(secret: bytes, identifiers: Mapping[str, str]) -> list[bytes]:
    """The keyed hashes of each identifying combination the identifiers allow."""
    combos = []
    names = [identifiers.get("given_name"), identifiers.get("family_name")]
    if all(names) and identifiers.get("birth_date"):
        name_key = " ".join(sorted(normalised(n) for n in names if n))  # order-insensitive
        combos.append(f"name+birth:{name_key}|{identifiers['birth_date'].strip()}")
    if identifiers.get("document_number"):
        document = "".join(ch for ch in identifiers["document_number"].upper() if ch.isalnum())
        combos.append(f"document:{document}")
    return [hmac.new(secret, combo.encode(), hashlib.sha256).digest() for combo in combos]


def new_person_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(key: bytes, person_id: str, plaintext: bytes) -> tuple[str, str]:
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext, person_id.encode())
    return _b64(nonce), _b64(sealed)


def unseal(key: bytes, person_id: str, nonce: str, sealed: str) -> bytes:
    return AESGCM(key).decrypt(
        base64.b64decode(nonce), base64.b64decode(sealed), person_id.encode()
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
