"""Signed checkpoints: the event log's Merkle root, published so that tampering is detectable.

A checkpoint commits to the log at one size. It is a C2SP signed note (c2sp.org/signed-note)
whose text is a C2SP transparency-log checkpoint (c2sp.org/tlog-checkpoint):

    <origin>
    <tree size in decimal>
    <base64 root hash>

    \u2014 <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>

Using the standard format means transparency-dev witnesses and verifiers (and the Go
`golang.org/x/mod/sumdb/note` package) can check our checkpoints without custom code.

The signing key is an Ed25519 key kept in a PEM file outside the database: someone who can
rewrite the event tables must not also be able to re-sign a rewritten history.

Every problem with a note (bad format, no signature from the expected key, a signature that does
not verify) raises `CheckpointError`, a `ValueError`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.backbone.merkle import HASH_SIZE, MAX_TREE_SIZE

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "CheckpointSigner",
    "NoteSignature",
    "Verifier",
    "key_id",
    "load_or_create_key",
    "open_note",
    "parse_signed",
    "sign",
    "sign_note",
    "verifier_from_string",
    "verifier_string",
    "verify_signed",
]

ED25519_SIGNATURE_TYPE = 0x01  # C2SP signed-note signature type byte for Ed25519
SIGNATURE_LINE_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100  # the spec requires accepting at least 16; Go's note package caps at 100

_KEY_ID_SIZE = 4
_ED25519_SIGNATURE_SIZE = 64
_ED25519_PUBLIC_KEY_SIZE = 32
_TREE_SIZE_PATTERN = re.compile(r"0|[1-9][0-9]*")  # ASCII decimal without leading zeros
_KEY_ID_PATTERN = re.compile(r"[0-9a-f]{8}")


class CheckpointError(ValueError):
    """A checkpoint or signed note that cannot be trusted; the message says why."""


@dataclass(frozen=True)
class Checkpoint:
    """The log's state at one size: who issued it, how many leaves, and their Merkle root."""

    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin or _has_control_character(self.origin):
            raise CheckpointError(
                "checkpoint origin must be a non-empty line without control characters"
            )
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointError(f"checkpoint size {self.size} is outside 0..2^64-1")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise CheckpointError(f"checkpoint root must be a {HASH_SIZE}-byte hash")

    def body(self) -> str:
        """The note text that gets signed: origin, size and base64 root, one per line."""
        return f"{self.origin}\n{self.size}\n{_b64encode(self.root)}\n"

    @classmethod
    def from_body(cls, text: str) -> Checkpoint:
        """Parse a note text produced by `body()`; extension lines are rejected."""
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError("checkpoint text needs origin, size and root lines")
        if len(lines) > 3:
            # We never write extension lines; accepting them would mean returning a Checkpoint
            # that does not represent everything the signature covers.
            raise CheckpointError("checkpoint extension lines are not supported")
        origin, size_line, root_line = lines
        if not _TREE_SIZE_PATTERN.fullmatch(size_line):
            raise CheckpointError(f"checkpoint size {size_line!r} is not a canonical decimal")
        root = _b64decode_strict(root_line, "checkpoint root")
        return cls(origin, int(size_line), root)


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a signed note, decoded but not verified."""

    key_name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        blob = _b64encode(self.key_id + self.signature)
        return f"{SIGNATURE_LINE_PREFIX}{self.key_name} {blob}\n"


@dataclass(frozen=True)
class Verifier:
    """A named Ed25519 public key, as distributed to whoever checks our checkpoints."""

    key_name: str
    public_key: Ed25519PublicKey

    def __post_init__(self) -> None:
        _require_key_name(self.key_name)

    @property
    def key_id(self) -> bytes:
        return key_id(self.key_name, self.public_key)

    def to_string(self) -> str:
        """The C2SP vkey form: `<name>+<hex key id>+<base64(0x01 || public key)>`."""
        encoded_key = _b64encode(bytes([ED25519_SIGNATURE_TYPE]) + _raw_public_key(self.public_key))
        return f"{self.key_name}+{self.key_id.hex()}+{encoded_key}"


class CheckpointSigner:
    """Signs checkpoints with one named Ed25519 key, normally loaded from its key file."""

    def __init__(self, key_name: str, private_key: Ed25519PrivateKey) -> None:
        _require_key_name(key_name)
        self.key_name = key_name
        self._private_key = private_key

    @classmethod
    def from_key_file(cls, key_name: str, path: str | os.PathLike[str]) -> CheckpointSigner:
        """A signer for the key at `path`, generating and saving a new key if there is none."""
        return cls(key_name, load_or_create_key(path))

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._private_key.public_key()

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.key_name, self.public_key)

    def sign(self, checkpoint: Checkpoint) -> str:
        return sign(checkpoint, self.key_name, self._private_key)


def key_id(key_name: str, public_key: Ed25519PublicKey) -> bytes:
    """SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4], per C2SP signed-note."""
    _require_key_name(key_name)
    material = (
        key_name.encode() + b"\n" + bytes([ED25519_SIGNATURE_TYPE]) + _raw_public_key(public_key)
    )
    return hashlib.sha256(material).digest()[:_KEY_ID_SIZE]


def verifier_string(key_name: str, public_key: Ed25519PublicKey) -> str:
    """The C2SP vkey string for `public_key` under `key_name`."""
    return Verifier(key_name, public_key).to_string()


def verifier_from_string(vkey: str) -> Verifier:
    """Parse a C2SP vkey string, checking that its key id matches its name and key."""
    parts = vkey.split("+", 2)  # the base64 key may itself contain '+'
    if len(parts) != 3:
        raise CheckpointError("a verifier key has the form <name>+<hex key id>+<base64 key>")
    name, hex_id, encoded_key = parts
    if not _KEY_ID_PATTERN.fullmatch(hex_id):
        raise CheckpointError(f"verifier key id {hex_id!r} is not 8 lowercase hex digits")
    raw = _b64decode_strict(encoded_key, "verifier key")
    if len(raw) != 1 + _ED25519_PUBLIC_KEY_SIZE or raw[0] != ED25519_SIGNATURE_TYPE:
        raise CheckpointError("verifier key is not an Ed25519 (type 0x01) public key")
    verifier = Verifier(name, Ed25519PublicKey.from_public_bytes(raw[1:]))
    if verifier.key_id.hex() != hex_id:
        raise CheckpointError(f"verifier key id {hex_id} does not match its name and key")
    return verifier


def load_or_create_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file at `path`, creating the file if it is absent.

    A new key is written as unencrypted PKCS8 PEM with mode 0600. The parent directory must
    exist: creating it would hide a wrong path in the configuration.
    """
    key_path = Path(path)
    if not key_path.exists():
        _write_new_key_file(key_path)
    return _read_key_file(key_path)


def sign_note(text: str, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """A C2SP signed note: `text`, a blank line, and one Ed25519 signature line."""
    _require_note_text(text)
    signature = NoteSignature(
        key_name=key_name,
        key_id=key_id(key_name, private_key.public_key()),
        signature=private_key.sign(text.encode()),
    )
    return f"{text}\n{signature.line()}"


def open_note(note_text: str, key_name: str, public_key: Ed25519PublicKey) -> str:
    """The text of a signed note, once a signature by (key_name, public_key) has verified.

    Signatures from other keys are ignored, as the spec requires (they may be witnesses). If any
    signature claiming to be from our key fails, the whole note is rejected.
    """
    text, signatures = _split_note(note_text)
    verifier = Verifier(key_name, public_key)
    ours = [s for s in signatures if (s.key_name, s.key_id) == (key_name, verifier.key_id)]
    if not ours:
        raise CheckpointError(f"note has no signature from key {_key_label(verifier)}")
    for signature in ours:
        if not _signature_verifies(public_key, signature.signature, text.encode()):
            raise CheckpointError(f"invalid signature for key {_key_label(verifier)}")
    return text


def sign(checkpoint: Checkpoint, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """The full signed-note text of `checkpoint`."""
    return sign_note(checkpoint.body(), key_name, private_key)


def parse_signed(note_text: str) -> tuple[Checkpoint, list[NoteSignature]]:
    """Split a signed checkpoint into its checkpoint and signature lines, verifying nothing.

    For display and diagnostics only: trust the result of `verify_signed` instead.
    """
    text, signatures = _split_note(note_text)
    return Checkpoint.from_body(text), signatures


def verify_signed(note_text: str, key_name: str, public_key: Ed25519PublicKey) -> Checkpoint:
    """The checkpoint in `note_text`, if it carries a valid signature by the given key."""
    return Checkpoint.from_body(open_note(note_text, key_name, public_key))


def _split_note(note_text: str) -> tuple[str, list[NoteSignature]]:
    """The text (with its final newline) and the decoded signature lines of a signed note."""
    if _has_control_character(note_text):
        raise CheckpointError("signed note contains a control character other than newline")
    # The text may contain blank lines; the signatures start after the last one.
    separator = note_text.rfind("\n\n")
    if separator < 0:
        raise CheckpointError("signed note has no blank line before its signatures")
    text, block = note_text[: separator + 1], note_text[separator + 2 :]
    if not block.endswith("\n"):
        raise CheckpointError("signed note must end with a newline after its signature lines")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"signed note has more than {MAX_SIGNATURES} signatures")
    return text, [_parse_signature_line(line) for line in lines]


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_LINE_PREFIX):
        raise CheckpointError(f"signature line {line!r:.60} does not start with an em dash")
    fields = line[len(SIGNATURE_LINE_PREFIX) :].split(" ")
    if len(fields) != 2:
        raise CheckpointError(f"signature line {line!r:.60} is not '<name> <base64>'")
    name, blob = fields
    _require_key_name(name)
    raw = _b64decode_strict(blob, "signature")
    if len(raw) <= _KEY_ID_SIZE:
        raise CheckpointError("signature is too short to hold a key id and a signature")
    return NoteSignature(name, raw[:_KEY_ID_SIZE], raw[_KEY_ID_SIZE:])


def _signature_verifies(public_key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    if len(signature) != _ED25519_SIGNATURE_SIZE:
        return False
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _write_new_key_file(path: Path) -> None:
    """Write a fresh key so that no reader ever sees a partial file or a clobbered key.

    The PEM goes to a private temporary file (mkstemp creates it 0600) that is then hard-linked
    into place: linking never overwrites, so if another process created the key first we keep
    theirs and `load_or_create_key` reads it back.
    """
    pem = Ed25519PrivateKey.generate().private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(pem)
            tmp.flush()
            os.fsync(tmp.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp_name, path)
    finally:
        os.unlink(tmp_name)


def _read_key_file(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"{path} is not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def _raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _require_key_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() or ord(ch) < 0x20 for ch in name):
        raise CheckpointError(f"key name {name!r} must be non-empty, without spaces or '+'")


def _require_note_text(text: str) -> None:
    if not text.endswith("\n") or _has_control_character(text):
        raise CheckpointError("note text must end with a newline and have no control characters")


def _has_control_character(text: str) -> bool:
    return any(ord(ch) < 0x20 and ch != "\n" for ch in text)


def _key_label(verifier: Verifier) -> str:
    return f"{verifier.key_name}+{verifier.key_id.hex()}"


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode_strict(text: str, what: str) -> bytes:
    """Standard padded base64 with one canonical spelling per value.

    Rejecting alternative spellings (stray characters, non-zero padding bits) means a signed
    checkpoint has exactly one textual form, so text comparisons between copies are meaningful.
    """
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise CheckpointError(f"{what} is not valid base64") from exc
    if _b64encode(data) != text:
        raise CheckpointError(f"{what} is not canonical base64")
    return data
