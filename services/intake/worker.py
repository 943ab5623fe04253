"""The intake service's background worker: relay to Kafka, checkpoint signer, the case and
submission read models.

Run: `python -m services.intake.worker`.
"""

from __future__ import annotations

from services.intake.projections import CaseViews, SubmissionViews
from services.registry import REGISTRY
from shared.backbone.projections import Projection
from shared.backbone.worker import run_worker
from shared.settings import Settings


def projections(settings: Settings) -> list[Projection]:
    """The service's read models (`actnow replay` rebuilds them by name)."""
    topic = settings.events_topic("intake")
    return [CaseViews(topic), SubmissionViews(topic)]


def main() -> None:
    settings = Settings.from_env("intake")
    run_worker(settings, REGISTRY, projections(settings))


if __name__ == "__main__":
    main()
