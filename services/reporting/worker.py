"""The reporting service's background worker: relay to Kafka, checkpoint signer, projections
(the recommendations and their follow-up; at the hub, the implementation rates each country
published on its regional topic).

Run: `python -m services.reporting.worker`.
"""

from __future__ import annotations

from services.registry import REGISTRY
from services.reporting.projections import Recommendations, RegionalImplementationRates
from shared.backbone.projections import Projection
from shared.backbone.worker import run_worker
from shared.settings import Settings


def projections(settings: Settings) -> list[Projection]:
    """The service's read models (`actnow replay` rebuilds them by name)."""
    found: list[Projection] = [Recommendations(settings.events_topic("reporting"))]
    if settings.regional_sources:
        found.append(RegionalImplementationRates(regional_topics(settings)))
    return found


def regional_topics(settings: Settings) -> list[str]:
    """The regional topics the hub reads (as MirrorMaker 2 replicates them, names kept)."""
    return [f"{settings.topic_prefix}{node}.regional" for node in settings.regional_sources]


if __name__ == "__main__":
    settings = Settings.from_env("reporting")
    run_worker(settings, REGISTRY, projections(settings))
