"""The identity service's background worker: relay to Kafka, checkpoint signer, the directory
read model, and the token key rotation schedule.

Run: `python -m services.identity.worker`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from threading import Event as StopFlag

from services.identity.app import key_ring
from services.identity.projections import Directory
from services.registry import REGISTRY
from shared.backbone.projections import Projection
from shared.backbone.worker import run_worker
from shared.settings import Settings

log = logging.getLogger(__name__)


def rotate_keys_on_schedule(settings: Settings, stop: StopFlag) -> None:
    keys = key_ring(settings)
    while not stop.is_set():
        new = keys.rotate_if_older_than(timedelta(days=settings.key_rotation_days))
        if new is not None:
            log.info("token signing key rotated: %s signs from %s", new.kid,
                     new.created_at + keys.activation_delay)  # fmt: skip
        stop.wait(3600)


def projections(settings: Settings) -> list[Projection]:
    """The service's read models (`actnow replay` rebuilds them by name)."""
    return [Directory(settings.events_topic("identity"))]


def main() -> None:
    settings = Settings.from_env("identity")
    rotation = {"key rotation": lambda stop: rotate_keys_on_schedule(settings, stop)}
    run_worker(settings, REGISTRY, projections(settings), tasks=rotation)


if __name__ == "__main__":
    main()
