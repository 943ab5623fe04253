"""`actnow doctor` says what is wrong in words an operator can act on: a stopped broker is named
as the broker, an unreachable database as the database."""

from __future__ import annotations

from shared.doctor import diagnose
from shared.stack.processes import free_port


def findings_by_name(env: dict[str, str]) -> dict[str, object]:
    return {finding.what: finding for finding in diagnose(env)}


def test_with_the_servers_up_the_broker_and_database_are_fine(
    database_url: str, kafka_bootstrap: str
) -> None:
    found = findings_by_name({"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP": kafka_bootstrap})
    assert found["Kafka broker"].ok and found["PostgreSQL"].ok and found["clock"].ok


def test_a_stopped_broker_is_named_with_what_to_do(database_url: str) -> None:
    dead = f"127.0.0.1:{free_port()}"
    found = findings_by_name({"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP": dead})
    broker = found["Kafka broker"]
    assert not broker.ok and dead in broker.detail and "start the broker" in broker.fix
    assert found["PostgreSQL"].ok


def test_an_unreachable_database_is_named(kafka_bootstrap: str) -> None:
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    found = findings_by_name({"DATABASE_URL": url, "KAFKA_BOOTSTRAP": kafka_bootstrap})
    assert not found["PostgreSQL"].ok and "DATABASE_URL" in found["PostgreSQL"].fix


def test_a_missing_setting_is_named() -> None:
    found = diagnose({"KAFKA_BOOTSTRAP": "127.0.0.1:9"})
    assert any(not f.ok and "DATABASE_URL" in f.detail for f in found)
