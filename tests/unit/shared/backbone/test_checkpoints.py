"""Signed checkpoints: C2SP signed-note / tlog-checkpoint format, Ed25519 keys in a file.

Published vectors:
- golang.org/x/mod sumdb/note/note_test.go (github.com/golang/mod at commit
  02c991387e35f9e4c0a9b7ce137717055f8d716d): the PeterNeumann signer key, verifier key and signed
  note. Ed25519 is deterministic, so signing the same text with the same key must reproduce the
  published note exactly.
- c2sp.org/tlog-checkpoint (github.com/C2SP/C2SP tlog-checkpoint.md at commit
  2793893976c835db049c194d8f2c4f946dcb70ba): the example checkpoint. Its public key is not
  published, so it is only parsed.
"""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.backbone.checkpoints import (
    Checkpoint,
    CheckpointError,
    CheckpointSigner,
    NoteSignature,
    Verifier,
    key_id,
    load_or_create_key,
    open_note,
    parse_signed,
    sign,
    sign_note,
    verifier_from_string,
    verifier_string,
    verify_signed,
)
from shared.backbone.merkle import EMPTY_ROOT, leaf_hash

EM_DASH = "\u2014"

GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
GO_NOTE = f"{GO_TEXT}\n{EM_DASH} PeterNeumann {GO_SIGNATURE}\n"

C2SP_EXAMPLE_SIGNATURE = (
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8="
)
C2SP_EXAMPLE = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    f"{EM_DASH} example.com/behind-the-sofa {C2SP_EXAMPLE_SIGNATURE}\n"
)

KEY_NAME = "monitoring.example.org/events"
ROOT = leaf_hash(b"some root")
CHECKPOINT = Checkpoint(KEY_NAME, 42, ROOT)


def go_private_key() -> Ed25519PrivateKey:
    # PRIVATE+KEY+<name>+<id>+base64(0x01 || 32-byte seed); the base64 may itself contain '+'.
    seed = base64.b64decode(GO_SIGNER_KEY.split("+", 4)[4])[1:]
    return Ed25519PrivateKey.from_private_bytes(seed)


@pytest.fixture(scope="module")
def private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def note(private_key: Ed25519PrivateKey) -> str:
    return sign(CHECKPOINT, KEY_NAME, private_key)


def replace_line(note_text: str, number: int, new_line: str) -> str:
    lines = note_text.split("\n")
    lines[number] = new_line
    return "\n".join(lines)


def flip_signature_byte(note_text: str, position: int) -> str:
    text, _, signature_line = note_text[:-1].rpartition("\n")
    prefix, _, blob = signature_line.rpartition(" ")
    raw = bytearray(base64.b64decode(blob))
    raw[position] ^= 0x01
    return f"{text}\n{prefix} {base64.b64encode(bytes(raw)).decode()}\n"


# --- the published reference vectors -------------------------------------------------------------


def test_signing_the_go_reference_text_reproduces_the_published_note_byte_for_byte() -> None:
    assert sign_note(GO_TEXT, "PeterNeumann", go_private_key()) == GO_NOTE


def test_the_go_reference_note_opens_with_the_published_verifier_key() -> None:
    verifier = verifier_from_string(GO_VERIFIER_KEY)
    assert open_note(GO_NOTE, verifier.key_name, verifier.public_key) == GO_TEXT


def test_the_go_reference_note_with_one_changed_letter_does_not_open() -> None:
    verifier = verifier_from_string(GO_VERIFIER_KEY)
    with pytest.raises(CheckpointError, match="invalid signature"):
        open_note(
            GO_NOTE.replace("cryptography", "cryptographY"), "PeterNeumann", verifier.public_key
        )


def test_key_id_and_verifier_string_of_the_go_reference_key_match_the_published_ones() -> None:
    public_key = go_private_key().public_key()
    assert key_id("PeterNeumann", public_key).hex() == "c74f20a3"
    assert verifier_string("PeterNeumann", public_key) == GO_VERIFIER_KEY


def test_the_c2sp_example_checkpoint_parses_into_origin_size_root_and_signature() -> None:
    checkpoint, signatures = parse_signed(C2SP_EXAMPLE)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert [(s.key_name, len(s.key_id), len(s.signature)) for s in signatures] == [
        ("example.com/behind-the-sofa", 4, 64)
    ]
    assert checkpoint.body() + "\n" + signatures[0].line() == C2SP_EXAMPLE


# --- signing and verifying -----------------------------------------------------------------------


def test_a_signed_checkpoint_verifies_and_yields_the_same_checkpoint(
    note: str, private_key: Ed25519PrivateKey
) -> None:
    assert verify_signed(note, KEY_NAME, private_key.public_key()) == CHECKPOINT


def test_a_signed_checkpoint_is_the_body_a_blank_line_and_one_signature_line(
    note: str, private_key: Ed25519PrivateKey
) -> None:
    body = f"{KEY_NAME}\n42\n{base64.b64encode(ROOT).decode()}\n"
    assert CHECKPOINT.body() == body
    assert note.startswith(body + "\n" + EM_DASH + " " + KEY_NAME + " ")
    assert note.endswith("\n") and note.count("\n") == 5
    _, signatures = parse_signed(note)
    assert signatures[0].key_id == key_id(KEY_NAME, private_key.public_key())
    assert len(signatures[0].signature) == 64


def test_an_empty_tree_checkpoint_round_trips(private_key: Ed25519PrivateKey) -> None:
    empty = Checkpoint(KEY_NAME, 0, EMPTY_ROOT)
    note = sign(empty, KEY_NAME, private_key)
    assert verify_signed(note, KEY_NAME, private_key.public_key()) == empty


@pytest.mark.parametrize(
    ("description", "tamper"),
    [
        ("size", lambda note: replace_line(note, 1, "43")),
        ("root", lambda note: replace_line(note, 2, base64.b64encode(EMPTY_ROOT).decode())),
        ("origin", lambda note: replace_line(note, 0, "monitoring.example.org/other")),
    ],
)
def test_a_changed_checkpoint_field_fails_verification(
    note: str, private_key: Ed25519PrivateKey, description: str, tamper: Callable[[str], str]
) -> None:
    with pytest.raises(CheckpointError, match="invalid signature"):
        verify_signed(tamper(note), KEY_NAME, private_key.public_key())


@pytest.mark.parametrize("position", [4, 20, 67])
def test_a_changed_signature_byte_fails_verification(
    note: str, private_key: Ed25519PrivateKey, position: int
) -> None:
    with pytest.raises(CheckpointError, match="invalid signature"):
        verify_signed(flip_signature_byte(note, position), KEY_NAME, private_key.public_key())


def test_a_changed_key_id_byte_leaves_no_signature_from_the_key(
    note: str, private_key: Ed25519PrivateKey
) -> None:
    with pytest.raises(CheckpointError, match="no signature from key"):
        verify_signed(flip_signature_byte(note, 0), KEY_NAME, private_key.public_key())


def test_verifying_with_a_different_key_fails(note: str) -> None:
    other_key = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(CheckpointError, match="no signature from key"):
        verify_signed(note, KEY_NAME, other_key)


def test_verifying_under_a_different_key_name_fails(
    note: str, private_key: Ed25519PrivateKey
) -> None:
    with pytest.raises(CheckpointError, match="no signature from key"):
        verify_signed(note, "someone.else.example/log", private_key.public_key())


def test_signatures_from_other_keys_are_ignored(note: str, private_key: Ed25519PrivateKey) -> None:
    witness_key = Ed25519PrivateKey.generate()
    witness_line = sign_note(CHECKPOINT.body(), "witness.example", witness_key).split("\n\n")[1]
    cosigned = note + witness_line
    assert verify_signed(cosigned, KEY_NAME, private_key.public_key()) == CHECKPOINT
    assert verify_signed(cosigned, "witness.example", witness_key.public_key()) == CHECKPOINT


def test_a_second_signature_from_the_key_that_does_not_verify_rejects_the_note(
    note: str, private_key: Ed25519PrivateKey
) -> None:
    bad_line = flip_signature_byte(note, 30).split("\n\n")[1]
    with pytest.raises(CheckpointError, match="invalid signature"):
        verify_signed(note + bad_line, KEY_NAME, private_key.public_key())


@pytest.mark.parametrize(
    ("description", "mangle"),
    [
        ("no trailing newline", lambda note: note[:-1]),
        ("no blank line", lambda note: note.replace("\n\n", "\n")),
        ("no signature lines", lambda note: note.split("\n\n")[0] + "\n\n"),
        ("carriage return", lambda note: note.replace("\n", "\r\n", 1)),
        ("hyphen instead of em dash", lambda note: note.replace(EM_DASH, "-")),
        ("extra field on signature line", lambda note: note[:-1] + " extra\n"),
        ("signature not base64", lambda note: note[:-5] + "!!!!\n"),
        ("signature unpadded", lambda note: note.rstrip("=\n") + "\n"),
        ("size with leading zero", lambda note: replace_line(note, 1, "042")),
        ("size with a sign", lambda note: replace_line(note, 1, "+42")),
        ("size not decimal", lambda note: replace_line(note, 1, "0x2a")),
        ("root too short", lambda note: replace_line(note, 2, "AAAA")),
        ("extension line", lambda note: note.replace("\n\n", "\nextension\n\n")),
        ("missing root line", lambda note: note.replace(note.split("\n")[2] + "\n", "")),
    ],
)
def test_a_malformed_note_is_rejected(
    note: str, private_key: Ed25519PrivateKey, description: str, mangle: Callable[[str], str]
) -> None:
    with pytest.raises(CheckpointError):
        verify_signed(mangle(note), KEY_NAME, private_key.public_key())


def test_checkpoint_error_is_a_value_error() -> None:
    assert issubclass(CheckpointError, ValueError)


@pytest.mark.parametrize(
    ("origin", "size", "root"),
    [
        ("", 1, ROOT),
        ("two\nlines", 1, ROOT),
        ("origin", -1, ROOT),
        ("origin", 2**64, ROOT),
        ("origin", 1, b"short"),
    ],
)
def test_a_checkpoint_cannot_be_built_from_invalid_fields(
    origin: str, size: int, root: bytes
) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint(origin, size, root)


@pytest.mark.parametrize("name", ["", "has space", "has+plus", "tab\tname"])
def test_signing_refuses_an_invalid_key_name(private_key: Ed25519PrivateKey, name: str) -> None:
    with pytest.raises(CheckpointError):
        sign(CHECKPOINT, name, private_key)


def test_a_note_signature_line_round_trips_through_parsing(note: str) -> None:
    _, [signature] = parse_signed(note)
    assert isinstance(signature, NoteSignature)
    assert note.endswith("\n\n" + signature.line())


# --- the key file --------------------------------------------------------------------------------


def test_a_missing_key_file_is_created_as_pkcs8_pem_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.key"
    load_or_create_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")


def test_an_existing_key_file_is_reused_on_the_second_load(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.key"
    first = load_or_create_key(path)
    contents = path.read_bytes()
    second = load_or_create_key(str(path))
    assert raw_public_key(first) == raw_public_key(second)
    assert path.read_bytes() == contents


def test_creating_a_key_file_leaves_no_temporary_files_behind(tmp_path: Path) -> None:
    load_or_create_key(tmp_path / "checkpoint.key")
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.key"]


def test_a_key_file_that_is_not_a_pem_key_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.key"
    path.write_text("not a key\n")
    with pytest.raises(CheckpointError, match="not an unencrypted PEM private key"):
        load_or_create_key(path)


def test_a_key_file_holding_another_kind_of_key_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.key"
    path.write_bytes(
        generate_private_key(SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(CheckpointError, match="not an Ed25519 key"):
        load_or_create_key(path)


def test_a_signer_from_a_key_file_signs_checkpoints_its_verifier_accepts(tmp_path: Path) -> None:
    signer = CheckpointSigner.from_key_file(KEY_NAME, tmp_path / "checkpoint.key")
    verifier = verifier_from_string(signer.verifier.to_string())
    assert verify_signed(signer.sign(CHECKPOINT), verifier.key_name, verifier.public_key) == (
        CHECKPOINT
    )


def raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


# --- verifier strings ----------------------------------------------------------------------------


def test_a_verifier_string_round_trips(private_key: Ed25519PrivateKey) -> None:
    vkey = verifier_string(KEY_NAME, private_key.public_key())
    verifier = verifier_from_string(vkey)
    assert verifier == Verifier(KEY_NAME, private_key.public_key())
    assert verifier.to_string() == vkey
    assert vkey.split("+")[1] == key_id(KEY_NAME, private_key.public_key()).hex()


@pytest.mark.parametrize(
    ("description", "vkey"),
    [
        ("wrong key id", "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        ("wrong name", "PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        ("upper-case id", "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        # From the Go tests: an unknown algorithm byte, with a key id adjusted to match it.
        ("unknown type", "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        # From the Go tests: a key of the wrong length, with a key id adjusted to match it.
        (
            "wrong length",
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        ),
        ("missing key", "PeterNeumann+c74f20a3"),
        ("not base64", "PeterNeumann+c74f20a3+!Rpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
    ],
)
def test_a_malformed_verifier_string_is_rejected(description: str, vkey: str) -> None:
    with pytest.raises(CheckpointError):
        verifier_from_string(vkey)
