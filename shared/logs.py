"""JSON logs for every process, one object a line, with the request's correlation id when
there is one, so that one action can be followed through the services' logs."""

from __future__ import annotations

import logging
import sys

from flask import g, has_request_context
from pythonjsonlogger.json import JsonFormatter


class CorrelationFilter(logging.Filter):
    """Adds `correlation_id` (the request's, see shared.web) and the service to each record."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        if not hasattr(record, "correlation_id"):
            correlation = g.get("correlation_id") if has_request_context() else None
            record.correlation_id = str(correlation) if correlation else None
        return True


def configure(service: str, level: str = "INFO") -> None:
    """Logs JSON to stderr from the root logger (again: replaces our handler, leaves others
    alone, such as a test runner's)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(
        "{asctime}{levelname}{name}{message}{service}{correlation_id}", style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    ))  # fmt: skip
    handler.addFilter(CorrelationFilter(service))
    handler.set_name("actnow-json")
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if h.get_name() != "actnow-json"] + [handler]
    root.setLevel(level)
