"""A service's background worker: the relay to Kafka, the checkpoint signer and the service's
projections, each in a thread that restarts after a failure (with back-off), until SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from threading import Event as StopFlag

from psycopg import sql
from psycopg_pool import ConnectionPool

from shared import logs
from shared.backbone.checkpoints import CheckpointSigner
from shared.backbone.projections import Projection, ProjectionRunner, building_generation
from shared.backbone.registry import EventRegistry
from shared.backbone.relay import Relay
from shared.backbone.store import EventStore
from shared.backbone.tamper import run_signer
from shared.db import create_pool
from shared.revocations import Revocations
from shared.settings import Settings

log = logging.getLogger(__name__)

HEARTBEAT_LIMIT_SECONDS = 30.0


def supervised(name: str, body: Callable[[StopFlag], object], stop: StopFlag) -> threading.Thread:
    """Runs body(stop) in a thread; when it fails, logs why and runs it again after a pause."""

    def loop() -> None:
        pause = 1.0
        while not stop.is_set():
            try:
                body(stop)
                pause = 1.0
            except Exception:
                log.exception("%s failed; restarting in %.0f s", name, pause)
                stop.wait(pause)
                pause = min(pause * 2, 30.0)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread


def run_worker(
    settings: Settings,
    registry: EventRegistry,
    projections: Sequence[Projection] = (),
    tasks: Mapping[str, Callable[[StopFlag], object]] | None = None,
) -> None:
    """Runs the relay, the checkpoint signer, the projections and the service's own periodic
    tasks (name -> body(stop)) until SIGTERM."""
    logs.configure(f"{settings.service}-worker", settings.log_level)
    stop = StopFlag()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    pool = create_pool(
        settings.database_url, settings.db_pool_max, name=f"{settings.service}-worker"
    )
    threads = start_worker(settings, registry, pool, stop, projections, tasks)
    stop.wait()
    for thread in threads:
        thread.join(timeout=15)
    pool.close()


def start_worker(
    settings: Settings,
    registry: EventRegistry,
    pool: ConnectionPool,
    stop: StopFlag,
    projections: Sequence[Projection] = (),
    tasks: Mapping[str, Callable[[StopFlag], object]] | None = None,
) -> list[threading.Thread]:
    """Starts the worker's threads (they run until `stop` is set) and returns them."""
    store = EventStore(pool, settings.schema, settings.origin, registry)
    settings.checkpoint_key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    signer = CheckpointSigner.from_key_file(settings.origin, settings.checkpoint_key_file)
    relay = Relay(
        store,
        settings.kafka_bootstrap,
        partitions=settings.kafka_partitions,
        topic=settings.events_topic(),
    )
    threads = [
        supervised("relay", relay.run, stop),
        supervised(
            "signer", lambda s: run_signer(store, signer, settings.checkpoint_interval, s), stop
        ),
    ]
    # every service honours revocations from the identity events (see shared.revocations)
    for projection in [Revocations(settings.events_topic("identity")), *projections]:
        serve = serve_projection(settings, registry, pool, projection)
        threads.append(supervised(f"projection {projection.name}", serve, stop))
    for name, body in (tasks or {}).items():
        threads.append(supervised(name, body, stop))
    log.info(
        "worker for %s running: relay, signer, %d projections, %d tasks",
        settings.origin, len(projections) + 1, len(tasks or {}),
    )  # fmt: skip
    return threads


def serve_projection(
    settings: Settings, registry: EventRegistry, pool: ConnectionPool, projection: Projection
) -> Callable[[StopFlag], None]:
    """Feeds the live generation, and a generation being rebuilt (`actnow replay`) alongside
    it; when the rebuilt one goes live the old runner stops and this one carries on."""

    def runner(generation: int | None) -> ProjectionRunner:
        return ProjectionRunner(projection, pool, settings.schema, settings.kafka_bootstrap,
                                registry, generation=generation,
                                group_prefix=f"{settings.topic_prefix}actnow")  # fmt: skip

    def serve(stop: StopFlag) -> None:
        current = runner(None)
        rebuild: threading.Thread | None = None
        serving = threading.Thread(target=current.run, args=(stop,), daemon=True)
        serving.start()
        while not stop.is_set() and serving.is_alive():
            building = building_generation(pool, settings.schema, projection)
            if building and building != current.generation.number and rebuild is None:
                fresh = runner(building)
                rebuild = threading.Thread(target=fresh.run, args=(stop,), daemon=True)
                rebuild.start()
            stop.wait(5)
        if rebuild is not None and not stop.is_set():
            rebuild.join()  # it is live now and feeds on until the worker stops
        # let the runners finish their last batch before the caller closes the pool
        for thread in (serving, rebuild):
            if thread is not None:
                thread.join(timeout=15)

    return serve


def worker_readiness(pool: ConnectionPool, schema: str) -> dict[str, Callable[[], None]]:
    """Readiness checks for a service whose worker must be alive: a fresh relay heartbeat and
    fresh heartbeats of the projections being served or built."""
    q = sql.Identifier(schema)

    def relay() -> None:
        with pool.connection(timeout=2.0) as conn:
            row = conn.execute(
                sql.SQL("SELECT max(heartbeat_at) FROM {}.relay_position").format(q)
            ).fetchone()
        _fresh("the relay", row[0] if row else None)

    def projections() -> None:
        with pool.connection(timeout=2.0) as conn:
            rows = conn.execute(
                sql.SQL(
                    "SELECT projection, heartbeat_at FROM {}.projection_generations"
                    " WHERE state IN ('live', 'building')"
                ).format(q)
            ).fetchall()
        for name, beat in rows:
            _fresh(f"projection {name}", beat)

    return {"relay": relay, "projections": projections}


def _fresh(what: str, beat: datetime | None) -> None:
    if beat is None:
        raise RuntimeError(f"{what} has not started")
    age = (datetime.now(UTC) - beat).total_seconds()
    if age > HEARTBEAT_LIMIT_SECONDS:
        raise RuntimeError(f"{what} last reported {age:.0f} s ago")
