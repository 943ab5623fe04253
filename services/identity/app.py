"""The identity service: organisations, users, roles by country, tokens every service trusts."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from services.identity.api import jwks_blueprint
from services.identity.signing_keys import KeyRing
from shared.settings import Settings
from shared.web import create_service_app

TOKEN_LIFETIME = timedelta(minutes=15)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env("identity")
    key_ring = KeyRing(settings.state_dir / "keys" / "identity-tokens", TOKEN_LIFETIME)
    app = create_service_app(settings, "ACT Now identity", [jwks_blueprint(key_ring)])
    app.extensions["actnow.key_ring"] = key_ring
    return app
