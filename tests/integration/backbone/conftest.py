"""Fixtures for the backbone's integration tests: a fresh event-store schema per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from marshmallow import Schema, fields
from psycopg_pool import ConnectionPool

from shared.backbone.registry import EventRegistry
from shared.backbone.store import EventStore
from shared.db import BACKBONE_MIGRATIONS, create_pool, migrate, migrations_in


def example_registry() -> EventRegistry:
    """Two event types shaped like the intake service's, for exercising the backbone."""
    registry = EventRegistry()

    @registry.event("intake.CaseOpened")
    class CaseOpened(Schema):
        country = fields.String(required=True)
        gender = fields.String(required=True)

    @registry.event("intake.ReferralMade")
    class ReferralMade(Schema):
        to_organisation = fields.String(required=True)
        days_after_identification = fields.Integer(required=True)

    return registry


@pytest.fixture(scope="session")
def pool(database_url: str) -> Iterator[ConnectionPool]:
    with create_pool(database_url, max_size=12, name="tests") as pool:
        yield pool


@pytest.fixture
def schema(database_url: str) -> str:
    name = f"es_{uuid.uuid4().hex[:12]}"
    migrate(database_url, name, migrations_in(BACKBONE_MIGRATIONS))
    return name


@pytest.fixture
def store(pool: ConnectionPool, schema: str) -> EventStore:
    return EventStore(pool, schema, "mk.intake", example_registry())
