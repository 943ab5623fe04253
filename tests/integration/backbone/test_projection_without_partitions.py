"""A projection runner that has had no partitions for a while joins its group again.

How the load and fault benchmarks' runner came to have none (bench/RESULTS.md) is a race in
kafka-python 3.0.12, seen again on this machine (2 of 117 consumers started on new topics,
nine at a time, beside two CPU hogs) but not reproducible on demand. The group leader's first
assignment is computed before its client knows the new topic's partitions ("No partition
metadata for topic"), so it is empty; the metadata arrives and the client joins again. If
`poll()`'s timeout runs out after that join has made its assignment (which makes
`need_rejoin()` false) but before the SyncGroup answer, no later `poll()` awaits the join
again: the assignment is never applied, heartbeats stay disabled, the broker drops the member
(`LeaveGroup ... UnknownMemberIdError` at close, as in the load run) and the client never
joins again, whatever the metadata says. Only a new consumer gets out of it.

What this test provokes instead, deterministically and with the real broker, is another way
a runner stays without partitions that its own client does not mend for minutes: two runners
of one projection share a one-partition topic, so one is given nothing; the topic then gains a
partition, which neither client notices before its next metadata refresh (kafka-python's
`metadata_max_age_ms`, 5 min). The idle runner joining again after its patience is what gets
the new partition handed out now; without it the test times out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from shared.backbone import projections
from shared.backbone.projections import ProjectionRunner
from shared.backbone.store import EventStore

from .test_relay_and_projections import append_cases, relay_all, runner, table


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.2)


def partitions_per_member(bootstrap: str, group: str) -> list[list[int]]:
    """The partitions the broker has handed each member of a settled group (none while the
    group is rebalancing, or before the broker has a coordinator for it)."""
    with KafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        try:
            described = admin.describe_groups([group])[group]
        except KafkaError as exc:
            if exc.retriable:
                return []
            raise
    if described["group_state"] != "Stable":
        return []
    return [
        sorted(p for assigned in member["member_assignment"]["assigned_partitions"]
               for p in assigned["partitions"])
        for member in described["members"]
    ]  # fmt: skip


def events_in_read_model(store: EventStore) -> int:
    return sum(row[1] for row in table(store, "case_summary"))


@pytest.fixture
def running() -> Iterator[Callable[[ProjectionRunner], None]]:
    """Runs runners in threads until the test ends; a runner that fails fails the test."""
    stop = threading.Event()
    threads: list[threading.Thread] = []
    errors: list[BaseException] = []

    def run(projection_runner: ProjectionRunner) -> None:
        def target() -> None:
            try:
                projection_runner.run(stop)
            except BaseException as exc:  # reported when the test ends
                errors.append(exc)

        thread = threading.Thread(target=target, name=projection_runner.group_id)
        thread.start()
        threads.append(thread)

    yield run
    stop.set()
    for thread in threads:
        thread.join(30)
    assert not [t for t in threads if t.is_alive()], "a runner did not stop"
    assert not errors, errors


def test_a_projection_left_without_partitions_joins_again_and_catches_up(
    store: EventStore,
    kafka_bootstrap: str,
    topic: str,  # one partition
    running: Callable[[ProjectionRunner], None],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    append_cases(store, cases=3, per_case=2, prefix="before")
    relay_all(store, kafka_bootstrap, topic)
    first, second = runner(store, kafka_bootstrap, topic), runner(store, kafka_bootstrap, topic)
    running(first)
    running(second)
    # the only partition went to one of them; the other was given nothing
    wait_for(lambda: sorted(partitions_per_member(kafka_bootstrap, first.group_id)) == [[], [0]],
             60, "one runner with the partition and one without")  # fmt: skip
    wait_for(lambda: events_in_read_model(store) == 6, 60, "the first 6 events applied")

    with KafkaAdminClient(bootstrap_servers=kafka_bootstrap) as admin:
        admin.create_partitions({topic: 2})
    append_cases(store, cases=20, per_case=3, prefix="after")  # on both partitions
    relay_all(store, kafka_bootstrap, topic)
    # the runners' patience (30 s) cut short only now: had it been short from the start, the
    # idle runner would have joined again before the group settled as above
    monkeypatch.setattr(projections, "UNASSIGNED_PATIENCE", 1.0)

    wait_for(lambda: events_in_read_model(store) == 66, 60, "all 66 events applied")
    assert first.stats.applied + second.stats.applied == 66  # each event once
    assert any("has no partitions" in r.getMessage() for r in caplog.records)
