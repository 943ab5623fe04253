"""Logs are JSON lines that carry the service and, within a request, its correlation id."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from flask import Flask, g

from shared import logs


def test_a_log_line_in_a_request_carries_the_correlation_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.configure("intake")
    app = Flask("t")
    correlation = uuid.uuid4()
    with app.test_request_context("/"):
        g.correlation_id = correlation
        logging.getLogger("services.intake").warning("case %s refused", "MK-1")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["message"] == "case MK-1 refused" and line["level"] == "WARNING"
    assert line["service"] == "intake" and line["correlation_id"] == str(correlation)


def test_outside_a_request_there_is_no_correlation_id(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("intake-worker")
    logging.getLogger("x").warning("relay restarted")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["service"] == "intake-worker" and line["correlation_id"] is None


def test_configuring_twice_leaves_one_handler() -> None:
    logs.configure("a")
    logs.configure("b")
    names = [h.get_name() for h in logging.getLogger().handlers]
    assert names.count("actnow-json") == 1
