"""The reporting service's background worker: relay to Kafka, checkpoint signer, projections.

Run: `python -m services.reporting.worker`.
"""

from __future__ import annotations

from services.registry import REGISTRY
from shared.backbone.projections import Projection
from shared.backbone.worker import run_worker
from shared.settings import Settings


def projections(settings: Settings) -> list[Projection]:
    """The service's read models (`actnow replay` rebuilds them by name)."""
    return []


if __name__ == "__main__":
    run_worker(Settings.from_env("reporting"), REGISTRY)
