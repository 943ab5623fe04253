"""Fetching the Kafka jars fails with a sentence that says what to do."""

from __future__ import annotations

import pytest

from shared.stack.kafka import fetch_jars
from shared.stack.processes import StackError


def test_a_missing_java_is_reported_with_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(StackError, match="Java is not installed: install OpenJDK 17"):
        fetch_jars()


def test_a_failed_maven_fetch_is_reported_with_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("KAFKA_VERSION", "0.0.0-does-not-exist")
    monkeypatch.setenv("KAFKA_LIB", str(tmp_path / "lib"))
    monkeypatch.setenv("MAVEN_OPTS", "-Dmaven.repo.local=" + str(tmp_path / "m2"))
    expected = r"Fetching the Kafka 0\.0\.0-does-not-exist jars from Maven Central failed"
    with pytest.raises(StackError, match=expected):
        fetch_jars()
