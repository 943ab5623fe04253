"""The intake service's background worker: relay to Kafka, checkpoint signer, the case and
submission read models.

Run: `python -m services.intake.worker`.
"""

from __future__ import annotations

from services.intake.projections import CaseViews, SubmissionViews
from services.registry import REGISTRY
from shared.backbone.worker import run_worker
from shared.settings import Settings


def main() -> None:
    settings = Settings.from_env("intake")
    topic = settings.events_topic("intake")
    run_worker(settings, REGISTRY, [CaseViews(topic), SubmissionViews(topic)])


if __name__ == "__main__":
    main()
