"""The intake service: pseudonymous case records, institutions' submissions, imports, erasure."""

from __future__ import annotations

from flask import Flask

from services.intake.api import Intake, blp, imports, submissions
from services.intake.importing import LIMITS
from services.intake.persons import PersonVault, linkage_secret
from services.registry import REGISTRY
from shared.backbone.store import EventStore
from shared.settings import Settings
from shared.web import create_service_app


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env("intake")
    app = create_service_app(settings, "ACT Now intake", [blp, submissions, imports])
    # uploads above the import limit (20 MB) are refused before they are read
    app.config["MAX_CONTENT_LENGTH"] = LIMITS.max_bytes + 1024 * 1024
    pool = app.extensions["actnow.db"]
    store = EventStore(pool, settings.schema, settings.origin, REGISTRY)
    vault = PersonVault(pool, settings.schema, linkage_secret(settings.linkage_key_file))
    app.extensions["actnow.intake"] = Intake(settings, pool, store, vault)
    return app
