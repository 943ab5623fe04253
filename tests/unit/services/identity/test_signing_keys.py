"""The identity service signs tokens with keys kept in files and publishes them as a JWKS that
every other service's verifier trusts; a rotation never invalidates a token before it expires."""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from werkzeug.serving import make_server

from services.identity.app import create_app
from services.identity.signing_keys import KeyRing
from shared.auth import TokenVerifier, Unauthenticated
from shared.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def identity(tmp_path: Path) -> Iterator[tuple[str, KeyRing]]:
    """The identity app served on loopback (its database is unreachable: not needed here)."""
    settings = Settings(service="identity", node="mk", state_dir=tmp_path,
                        database_url="postgresql://x@127.0.0.1:9/none?connect_timeout=1",
                        kafka_bootstrap="127.0.0.1:9")  # fmt: skip
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield (
        f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json",
        app.extensions["actnow.key_ring"],
    )
    server.shutdown()
    app.extensions["actnow.db"].close()


def test_a_token_signed_by_identity_verifies_in_another_service(
    identity: tuple[str, KeyRing],
) -> None:
    url, ring = identity
    token = ring.sign({"sub": "user-7", "org": "org-2",
                       "grants": [{"role": "monitor", "scope": "AL"}]})  # fmt: skip
    principal = TokenVerifier(url).verify(token)
    assert principal.user == "user-7" and principal.may(["monitor"], "AL")


def test_a_token_signed_before_a_rotation_verifies_until_it_expires(
    identity: tuple[str, KeyRing],
) -> None:
    url, ring = identity
    before = ring.sign({"sub": "user-7"})
    ring.rotate()
    after = ring.sign({"sub": "user-8"})
    verifier = TokenVerifier(url, refetch_cooldown=0)
    assert verifier.verify(before).user == "user-7"
    assert verifier.verify(after).user == "user-8"
    assert len(ring.published()) == 2


def test_a_retired_key_leaves_the_jwks_once_its_tokens_have_expired(tmp_path: Path) -> None:
    clock = Clock()
    ring = KeyRing(tmp_path, timedelta(minutes=15), clock)
    old = ring.current()
    clock.now += timedelta(minutes=1)
    new = ring.rotate()
    assert [k.kid for k in ring.published()] == [old.kid, new.kid]
    clock.now += timedelta(minutes=14, seconds=59)
    assert len(ring.published()) == 2
    clock.now += timedelta(seconds=2)
    assert [k.kid for k in ring.published()] == [new.kid]
    assert ring.jwks()["keys"][0]["kid"] == new.kid


def test_an_expired_token_is_refused_even_while_its_key_is_published(
    identity: tuple[str, KeyRing], tmp_path: Path
) -> None:
    url, ring = identity
    stale = KeyRing(ring.folder, timedelta(minutes=15),
                    lambda: datetime.now(UTC) - timedelta(hours=1))  # fmt: skip
    with pytest.raises(Unauthenticated, match="Signature has expired"):
        TokenVerifier(url).verify(stale.sign({"sub": "user-7"}))


def test_key_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys", timedelta(minutes=15))
    key = ring.current()
    mode = (tmp_path / "keys" / f"{key.kid}.pem").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert ring.current().kid == key.kid  # reused, not regenerated


def test_across_a_rotation_an_old_token_verifies_until_its_expiry_and_not_after(
    tmp_path: Path,
) -> None:
    clock = Clock()
    clock.now = datetime.now(UTC) - timedelta(seconds=5)  # tokens may not be issued in future
    ring = KeyRing(tmp_path, timedelta(minutes=15), clock)
    verifier = TokenVerifier(keys=ring.public_key)
    before = ring.sign({"sub": "user-7"})
    clock.now += timedelta(seconds=1)
    ring.rotate()
    after = ring.sign({"sub": "user-8"})
    assert jwt.get_unverified_header(before)["kid"] != jwt.get_unverified_header(after)["kid"]
    clock.now += timedelta(minutes=14, seconds=58)
    assert verifier.verify(before).user == "user-7"
    clock.now += timedelta(seconds=2)  # the old key's last token has expired: it is withdrawn
    # (the ring's clock runs ahead of the real one, so a verifier that has not seen the token
    # meets it here as it would after its expiry)
    with pytest.raises(Unauthenticated, match="no published key"):
        TokenVerifier(keys=ring.public_key).verify(before)
    assert verifier.verify(after).user == "user-8"


def test_a_rotated_key_is_published_before_it_signs(tmp_path: Path) -> None:
    clock = Clock()
    ring = KeyRing(tmp_path, timedelta(minutes=15), clock, activation_delay=timedelta(seconds=30))
    old = ring.current()
    clock.now += timedelta(seconds=1)
    new = ring.rotate()
    assert [k.kid for k in ring.published()] == [old.kid, new.kid]
    assert ring.current().kid == old.kid
    clock.now += timedelta(seconds=30)
    assert ring.current().kid == new.kid


def test_the_schedule_rotates_only_an_old_key(tmp_path: Path) -> None:
    clock = Clock()
    ring = KeyRing(tmp_path, timedelta(minutes=15), clock)
    first = ring.rotate_if_older_than(timedelta(days=30))
    assert first is not None
    clock.now += timedelta(days=29)
    assert ring.rotate_if_older_than(timedelta(days=30)) is None
    clock.now += timedelta(days=2)
    assert ring.rotate_if_older_than(timedelta(days=30)) is not None
