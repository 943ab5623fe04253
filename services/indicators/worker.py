"""The indicators service's background worker: relay to Kafka (and of the regional events —
values, implementation rates, confirmed assessment scores and the regional checkpoints that
prove them — to `<node>.regional`, the only topic that leaves the country), checkpoint signer,
the intake history read model, the values computer, the publisher of confirmed assessments,
and at the hub the regional read models.

Run: `python -m services.indicators.worker`.
"""

from __future__ import annotations

from services.indicators.assessment_publication import AssessmentsPublisher
from services.indicators.assessment_views import Assessments, NationalProfiles
from services.indicators.catalogue import SEED_PATH, load_catalogue
from services.indicators.computing import ValuesComputer
from services.indicators.cycle_views import Institutions, MonitoringCycles, RequestFollowUp
from services.indicators.events import REGIONAL_EVENTS
from services.indicators.followup import ImplementationRatesInbox, RatesForwarder
from services.indicators.projections import (
    IntakeHistory,
    RegionalAssessments,
    RegionalValues,
    regional_topics,  # not from app.py: the worker needs none of the web app (its memory)
)
from services.indicators.regional_chains import RegionalChains
from services.indicators.regional_checkpoints import RegionalCheckpoints
from services.registry import REGISTRY
from shared.backbone.projections import Projection
from shared.backbone.relay import Relay
from shared.backbone.store import EventStore
from shared.backbone.worker import run_worker
from shared.db import create_pool
from shared.settings import Settings


def regional_topic(settings: Settings) -> str:
    return f"{settings.topic_prefix}{settings.node}.regional"


def projections(settings: Settings) -> list[Projection]:
    """The service's read models (`actnow replay` rebuilds them by name)."""
    catalogue = load_catalogue(SEED_PATH)
    found: list[Projection] = [
        IntakeHistory(settings.events_topic("intake"), settings.schema),
        NationalProfiles(settings.events_topic("indicators")),
        Assessments(settings.events_topic("indicators")),
        MonitoringCycles(settings.events_topic("indicators")),
        Institutions(settings.events_topic("identity")),
        ImplementationRatesInbox(settings.events_topic("reporting")),
    ]
    if settings.regional_sources:
        found.append(RegionalValues(regional_topics(settings), catalogue.disclosure.min_cell,
                                    catalogue.disclosure.k_cross))  # fmt: skip
        found.append(RegionalAssessments(regional_topics(settings)))
        found.append(RegionalChains(regional_topics(settings)))
    return found


def main() -> None:
    settings = Settings.from_env("indicators")
    catalogue = load_catalogue(SEED_PATH)
    pool = create_pool(settings.database_url, 4, name="indicators-tasks")
    store = EventStore(pool, settings.schema, settings.origin, REGISTRY)
    regional_relay = Relay(store, settings.kafka_bootstrap, partitions=1,
                           topic=regional_topic(settings), event_types=REGIONAL_EVENTS)  # fmt: skip
    inbox = ImplementationRatesInbox(settings.events_topic("reporting"))
    follow_up = RequestFollowUp(pool, settings.schema, store,
                                IntakeHistory(settings.events_topic("intake"), settings.schema),
                                MonitoringCycles(settings.events_topic("indicators")))  # fmt: skip
    publisher = AssessmentsPublisher(pool, settings.schema, store, catalogue,
                                     Assessments(settings.events_topic("indicators")))  # fmt: skip
    tasks = {
        "values": ValuesComputer(pool, settings.schema, store, catalogue).run,
        "request follow-up": follow_up.run,
        "implementation rates": RatesForwarder(pool, settings.schema, store, inbox).run,
        "confirmed assessments": publisher.run,
        "regional checkpoints": RegionalCheckpoints(store).run,
        "regional relay": regional_relay.run,
    }
    run_worker(settings, REGISTRY, projections(settings), tasks=tasks)


if __name__ == "__main__":
    main()
