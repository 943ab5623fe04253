"""A blue/green rebuild while the worker runs: the new generation is built beside the live one
and switches in when it has caught up; the old one stops and readiness stays green."""

from __future__ import annotations

from flask import Flask
from psycopg import sql

from services.intake.projections import CaseViews
from shared.backbone.projections import start_rebuild
from shared.backbone.worker import worker_readiness
from tests.integration.conftest import eventually


def states(intake: Flask) -> dict[int, str]:
    service = intake.extensions["actnow.intake"]
    with service.pool.connection() as conn:
        rows = conn.execute(sql.SQL(
            "SELECT generation, state FROM {}.projection_generations WHERE projection = 'cases'"
        ).format(sql.Identifier(service.settings.schema))).fetchall()  # fmt: skip
    return dict(rows)


def test_a_rebuild_goes_live_beside_the_running_worker(intake: Flask, loaded: object) -> None:
    service = intake.extensions["actnow.intake"]
    views = CaseViews(service.settings.events_topic("intake"))
    eventually(lambda: "live" in states(intake).values())
    new = start_rebuild(service.pool, service.settings.schema, views).number
    eventually(lambda: states(intake).get(new) == "live", timeout=90, every=0.5)
    assert all(state == "retired" for generation, state in states(intake).items()
               if generation < new)  # fmt: skip
    checks = worker_readiness(service.pool, service.settings.schema)
    eventually(lambda: _passes(checks["projections"]), timeout=30)


def _passes(check: object) -> bool:
    try:
        check()  # type: ignore[operator]
    except RuntimeError:
        return False
    return True
