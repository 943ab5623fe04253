"""The identity service's token signing keys: Ed25519 keys in files (outside the database), a
current key that signs, and the recently retired keys still published in the JWKS until every
token they signed has expired — so a rotation never logs anyone out."""

from __future__ import annotations

import base64
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.auth import AUDIENCE, ISSUER

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey
    created_at: datetime

    def public_jwk(self) -> dict[str, Any]:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        x = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": self.kid, "alg": "EdDSA",
                "use": "sig"}  # fmt: skip


class KeyRing:
    def __init__(
        self,
        folder: Path,
        token_lifetime: timedelta,
        clock: Clock = lambda: datetime.now(UTC),
        activation_delay: timedelta = timedelta(0),
    ) -> None:
        """A rotated key is published at once but signs only after `activation_delay`, so that
        verifiers holding a cached JWKS have fetched it before they meet a token it signed."""
        self.folder, self.token_lifetime, self.clock = Path(folder), token_lifetime, clock
        self.activation_delay = activation_delay

    def keys(self) -> list[SigningKey]:
        """All keys on file, oldest first. The kid starts with the creation time. Parsed again
        only when the files change (a rotation by the worker or another process)."""
        if not self.folder.exists():
            return []
        paths = tuple(sorted(self.folder.glob("*.pem")))
        cached = getattr(self, "_cache", None)
        if cached is not None and cached[0] == paths:
            return cached[1]
        found = []
        for path in paths:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            assert isinstance(key, Ed25519PrivateKey)
            created = datetime.strptime(path.stem.split("-")[0], "%Y%m%dT%H%M%S%fZ")
            found.append(SigningKey(path.stem, key, created.replace(tzinfo=UTC)))
        self._cache = (paths, found)
        return found

    def current(self) -> SigningKey:
        """The newest key whose activation time has come (the first key signs at once)."""
        keys = self.keys()
        if not keys:
            return self.rotate()
        now = self.clock()
        active = [k for k in keys[1:] if k.created_at + self.activation_delay <= now]
        return active[-1] if active else keys[0]

    def rotate_if_older_than(self, age: timedelta) -> SigningKey | None:
        """The rotation schedule: a new key when the newest one is older than `age`."""
        keys = self.keys()
        if keys and self.clock() - keys[-1].created_at < age:
            return None
        return self.rotate()

    def rotate(self) -> SigningKey:
        """A new key signs from now on; the previous ones stay published (see `published`)."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        now = self.clock()
        existing = self.keys()
        if existing and now <= existing[-1].created_at:
            # file names order the keys: a new key must sort after the newest one
            now = existing[-1].created_at + timedelta(microseconds=1)
        kid = f"{now.strftime('%Y%m%dT%H%M%S%fZ')}-{os.urandom(3).hex()}"
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )  # fmt: skip
        path = self.folder / f"{kid}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
        return SigningKey(kid, key, now)

    def published(self) -> list[SigningKey]:
        """The current key, and each retired key until its last token has expired."""
        keys = self.keys()
        now = self.clock()
        live = []
        for key, successor in zip(keys, [*keys[1:], None], strict=True):
            retired_at = successor.created_at + self.activation_delay if successor else None
            if retired_at is None or now - retired_at < self.token_lifetime:
                live.append(key)
        return live

    def public_key(self, kid: str) -> Ed25519PublicKey:
        """The key that verifies tokens naming `kid`, while it is published."""
        for key in self.published():
            if key.kid == kid:
                return key.private_key.public_key()
        raise jwt.InvalidKeyError(f"no published key has the id {kid!r}")

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self.published()]}

    def sign(self, claims: dict[str, Any]) -> str:
        """Signs claims with the current key, adding issuer, audience, issue and expiry time.
        `iat` keeps milliseconds (RFC 7519 allows fractions), rounded down, so that a token
        issued just before a revocation is never mistaken for one issued after it."""
        key = self.current()
        now = self.clock()
        full = {"iss": ISSUER, "aud": AUDIENCE, "iat": math.floor(now.timestamp() * 1000) / 1000,
                "exp": int((now + self.token_lifetime).timestamp()), **claims}  # fmt: skip
        return jwt.encode(full, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})
