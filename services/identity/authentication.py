"""Signing in: password logins (throttled, every outcome recorded as an event), access tokens,
refresh-token rotation and signing out.

Login events go to `logins-<username>` (or `logins-unknown` for a name no one has), not to the
user's own stream: a login must not change the version an administrator's If-Match refers to.
"""

from __future__ import annotations

import math
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.identity.credentials import Credentials
from services.identity.directory import User, user_from, user_stream
from services.identity.sessions import RefreshToken, Sessions
from services.identity.signing_keys import KeyRing
from services.identity.throttling import Throttle
from shared.backbone.envelope import Actor, NewEvent, utc_now
from shared.backbone.store import EventStore, ExpectedVersion
from shared.errors import TooManyRequests, Unauthenticated

USERNAME_SHAPE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
WRONG_CREDENTIALS = "the username or password is wrong"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_in: int
    refresh: RefreshToken
    csrf: str
    user: User


class Authenticator:
    def __init__(
        self,
        store: EventStore,
        credentials: Credentials,
        throttle: Throttle,
        sessions: Sessions,
        key_ring: KeyRing,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store, self.credentials, self.throttle = store, credentials, throttle
        self.sessions, self.key_ring, self.clock = sessions, key_ring, clock

    def user(self, username: str) -> User | None:
        return user_from(self.store.read_stream(user_stream(username)))

    def login(self, typed_username: str, password: str, address: str, method: str) -> Tokens:
        now = self.clock()
        typed = typed_username.strip().lower()
        username = typed if USERNAME_SHAPE.match(typed) else None
        user = self.user(username) if username else None
        locked_until = self.throttle.locked_until(username, address, now)
        if locked_until is not None:
            self._failed(username, user, address, "throttled")
            raise TooManyRequests(
                "too many failed sign-ins: try again later",
                retry_after=max(1, math.ceil((locked_until - now).total_seconds())),
            )
        right = self.credentials.verify(
            user.username if user else None, user.credential_id if user else None, password
        )
        reason = (
            "unknown_user" if user is None
            else "wrong_password" if not right
            else "deactivated" if not user.active
            else None
        )  # fmt: skip
        if reason is not None:
            self.throttle.failed(username, address, now)
            self._failed(username, user, address, reason)
            if reason == "deactivated":
                raise Unauthenticated("this account is deactivated")
            raise Unauthenticated(WRONG_CREDENTIALS, {"password": ["Wrong, or unknown username."]})
        assert user is not None
        self.throttle.succeeded(user.username)
        self._record(user, "identity.LoginSucceeded",
                     {"username": user.username, "address": address, "method": method})  # fmt: skip
        return self._tokens(user, self.sessions.start(user.username, now))

    def refresh(self, token: str, address: str) -> Tokens:
        now = self.clock()
        rotation = self.sessions.rotate(token, now)
        if rotation.reused and rotation.username and rotation.family_id:
            user = self.user(rotation.username)
            self._record(user, "identity.RefreshTokenReused", {
                "username": rotation.username, "family_id": str(rotation.family_id),
                "address": address,
            })  # fmt: skip
            raise Unauthenticated(
                "this refresh token was already used, so the session has been ended: sign in again"
            )
        if rotation.next is None or rotation.username is None:
            raise Unauthenticated("the refresh token is unknown, expired or revoked")
        user = self.user(rotation.username)
        ended = user is None or not user.active or (
            user.sessions_not_before is not None
            and rotation.family_started_at is not None
            and rotation.family_started_at < user.sessions_not_before
        )  # fmt: skip
        if ended or user is None:
            self.sessions.end(rotation.next.token, now)
            raise Unauthenticated(
                "the session has ended (account deactivated or password changed): sign in again"
            )
        return self._tokens(user, rotation.next)

    def logout(self, refresh_token: str) -> None:
        self.sessions.end(refresh_token, self.clock())

    def _tokens(self, user: User, refresh: RefreshToken) -> Tokens:
        csrf = secrets.token_urlsafe(24)
        claims = {
            "sub": user.username,
            "org": str(user.organisation_id),
            "name": user.display_name,
            "grants": [{"role": g.role, "scope": g.scope} for g in sorted(
                user.grants, key=lambda g: (g.scope, g.role))],
            "csrf": csrf,
            "jti": str(uuid.uuid4()),
        }  # fmt: skip
        lifetime = int(self.key_ring.token_lifetime.total_seconds())
        return Tokens(self.key_ring.sign(claims), lifetime, refresh, csrf, user)

    def _failed(self, username: str | None, user: User | None, address: str, reason: str) -> None:
        payload = {"username": username, "address": address, "reason": reason}
        self._record(user, "identity.LoginFailed", payload)

    def _record(self, user: User | None, event_type: str, payload: dict[str, object]) -> None:
        if user is None:
            stream, actor = "logins-unknown", Actor()
        else:
            stream = f"logins-{user.username}"
            actor = Actor(user=user.username, organisation=str(user.organisation_id))
        self.store.append(stream, ExpectedVersion.ANY, [NewEvent(event_type, payload, actor=actor)])
