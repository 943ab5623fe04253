"""The metric names a PromQL expression reads: what is left once label matchers, strings,
durations, grouping clauses, functions and keywords are taken out. Enough for the expressions
in deploy/ (alert rules, the dashboard), not a PromQL parser."""

from __future__ import annotations

import re

KEYWORDS = {
    "and", "or", "unless", "offset", "bool", "by", "without", "on", "ignoring",
    "group_left", "group_right", "inf", "nan", "atan2", "le",
}  # fmt: skip
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
MATCHERS = re.compile(r"\{[^{}]*\}")
RANGE = re.compile(r"\[[^\]]*\]")
GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
FUNCTION = re.compile(r"\b[a-zA-Z_][a-zA-Z0-9_]*\s*\(")
IDENTIFIER = re.compile(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*(?![\w.])")
# Grafana's own variables ($__rate_interval, ${DS}) are filled in before Prometheus sees them
GRAFANA_VARIABLE = re.compile(r"\$\{?\w+\}?")


def metric_names(expr: str) -> set[str]:
    text = GRAFANA_VARIABLE.sub("1m", expr)
    for pattern in (STRING, MATCHERS, RANGE, GROUPING, FUNCTION):
        text = pattern.sub(" ", text)
    return {name for name in IDENTIFIER.findall(text) if name.lower() not in KEYWORDS}
