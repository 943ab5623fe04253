"""The identity service: organisations, users, roles by country, tokens every service trusts."""

from __future__ import annotations

from flask import Flask

from shared.settings import Settings
from shared.web import create_service_app


def create_app(settings: Settings | None = None) -> Flask:
    return create_service_app(settings or Settings.from_env("identity"), "ACT Now identity")
