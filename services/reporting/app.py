"""The reporting service: audit-trailed national and regional reports that auditors re-derive."""

from __future__ import annotations

from flask import Flask

from services.indicators.catalogue import SEED_PATH, load_catalogue
from services.registry import REGISTRY
from services.reporting.api import Reporting, blp
from services.reporting.recommendation_api import recommendations_blp
from services.reporting.signing import ReportSigner
from shared.backbone.store import EventStore
from shared.settings import Settings
from shared.web import create_service_app


def report_signer(settings: Settings) -> ReportSigner:
    """The key that signs published reports: a file, like the checkpoint keys."""
    return ReportSigner(f"{settings.node}.reports",
                        settings.state_dir / "keys" / f"{settings.node}.reports.key")  # fmt: skip


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env("reporting")
    app = create_service_app(settings, "ACT Now reporting", [blp, recommendations_blp])
    pool = app.extensions["actnow.db"]
    app.extensions["actnow.reporting"] = Reporting(
        settings, pool, EventStore(pool, settings.schema, settings.origin, REGISTRY),
        load_catalogue(SEED_PATH), report_signer(settings), REGISTRY,
    )  # fmt: skip
    return app
