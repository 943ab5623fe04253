"""The identity service: organisations, users, roles by country, tokens every service trusts."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from services.identity.api import Identity, auth, jwks_blueprint, people
from services.identity.authentication import Authenticator
from services.identity.credentials import Credentials
from services.identity.sessions import Sessions
from services.identity.signing_keys import KeyRing
from services.identity.throttling import Throttle
from services.registry import REGISTRY
from shared.backbone.store import EventStore
from shared.settings import Settings
from shared.web import create_service_app

TOKEN_LIFETIME = timedelta(minutes=15)
# a rotated key is published this long before it signs: verifiers refetch the JWKS on an
# unknown key id at most every 10 s, and cache it for 5 minutes otherwise
KEY_ACTIVATION_DELAY = timedelta(seconds=30)


def key_ring(settings: Settings) -> KeyRing:
    return KeyRing(settings.state_dir / "keys" / "identity-tokens", TOKEN_LIFETIME,
                   activation_delay=KEY_ACTIVATION_DELAY)  # fmt: skip


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env("identity")
    keys = key_ring(settings)
    app = create_service_app(
        settings, "ACT Now identity", [jwks_blueprint(keys), auth, people],
        token_keys=keys.public_key,
    )  # fmt: skip
    pool = app.extensions["actnow.db"]
    store = EventStore(pool, settings.schema, settings.origin, REGISTRY)
    credentials = Credentials(pool, settings.schema)
    authenticator = Authenticator(store, credentials, Throttle(pool, settings.schema),
                                  Sessions(pool, settings.schema), keys)  # fmt: skip
    app.extensions["actnow.identity"] = Identity(settings, pool, store, credentials,
                                                 authenticator, keys)  # fmt: skip
    app.extensions["actnow.key_ring"] = keys
    return app
