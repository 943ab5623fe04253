"""The indicators service: catalogue, national values and assessments, the regional hub."""

from __future__ import annotations

from flask import Flask

from services.indicators.api import Indicators, blp
from services.indicators.assessment_api import assessments_blp
from services.indicators.catalogue import SEED_PATH, load_catalogue
from services.indicators.cycle_api import cycles_blp
from services.indicators.projections import (
    IntakeHistory,
    RegionalAssessments,
    RegionalValues,
    regional_topics,
)
from services.indicators.regional_chains import RegionalChains
from services.indicators.translations import load_translations
from shared.settings import Settings
from shared.web import create_service_app


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env("indicators")
    app = create_service_app(settings, "ACT Now indicators", [blp, assessments_blp, cycles_blp])
    catalogue = load_catalogue(SEED_PATH)
    history = IntakeHistory(settings.events_topic("intake"), settings.schema)
    regional = RegionalValues(regional_topics(settings), catalogue.disclosure.min_cell,
                              catalogue.disclosure.k_cross)  # fmt: skip
    translations = load_translations(catalogue)
    scores = RegionalAssessments(regional_topics(settings))
    app.extensions["actnow.indicators"] = Indicators(
        settings, app.extensions["actnow.db"], catalogue, history, regional, translations, scores,
        RegionalChains(regional_topics(settings)),
    )  # fmt: skip
    return app
