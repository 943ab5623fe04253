"""The reporting service's background worker: relay to Kafka, checkpoint signer, projections.

Run: `python -m services.reporting.worker`.
"""

from services.registry import REGISTRY
from shared.backbone.worker import run_worker
from shared.settings import Settings

if __name__ == "__main__":
    run_worker(Settings.from_env("reporting"), REGISTRY)
