"""Hostile input (issue 10, part 2): schemathesis generates requests from every service's own
OpenAPI document, valid and invalid alike, sends them with the token of a role that may use the
endpoint, and checks each answer: never a 5xx, a status code the document names, the content
type it names, and a body its schema accepts. The full run (1,000 requests an endpoint) is
`make test-slow`; a smoke run of a few endpoints stays in `make test`.

Two things are read from the document differently from how it is served, both on purpose:

- Every operation documents a `default` error response (flask-smorest adds it), which would
  make any status code conform. It is dropped here, so that a 404, 409, 412 or 422 an endpoint
  answers must be named on the endpoint (`alt_response`).
- In its place every operation may answer 401 and 403 with a problem: who may call what is
  the access matrix's business (tests/integration/access/), and a generated path names any
  country, which the caller's grant may not cover.
"""

from __future__ import annotations

import copy
import os
import string
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.access.table import OWN, REGIONAL, TABLE, callers, operation
from tests.integration.conftest import bearer
from tests.integration.hostile.conftest import SERVICES, HostileNode

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip
# /readyz answers 503 while the worker has not started (none runs here): documented, not a fault
NOT_CHECKED = {"GET /readyz": not_a_server_error}
# what any operation may answer besides what it documents (see the module's docstring)
EVERYWHERE = {"401": "Unauthenticated", "403": "Forbidden"}
FULL_EXAMPLES = 1000
# the full run, a part at a time: ACTNOW_HOSTILE_SHARD=2/3 takes every third operation of each
# service from the second on, so that parts can run in separate processes (a full run is hours)
SHARD = os.environ.get("ACTNOW_HOSTILE_SHARD", "1/1")
SMOKE_EXAMPLES = 20
# the smoke run: a read, a write with a body and a state change on a path, in each service
SMOKE = {
    "identity": ("POST /api/v1/users", "GET /api/v1/users"),
    "intake": ("POST /api/v1/cases", "POST /api/v1/cases/{case_id}/events"),
    "indicators": ("GET /api/v1/values",
                   "PUT /api/v1/profiles/{country}/{catalog_version}/indicators/{code}"),
    "reporting": ("POST /api/v1/reports", "PATCH /api/v1/reports/{report_id}/narrative"),
}  # fmt: skip
# every grant of the own country and the region: for operations the access table has no row for
EVERY_GRANT = (*((role, OWN) for role, scope in callers() if scope == OWN),
               *((role, REGIONAL) for role, scope in callers() if scope == REGIONAL))  # fmt: skip
# who runs identity's directory (it has no row in the access table: it is not a data service)
IDENTITY_ADMINS = (("national_admin", OWN), ("platform_admin", REGIONAL))
# a header no endpoint reads: it makes every request differ, also where an endpoint takes no
# input at all (hypothesis stops early when it runs out of distinct inputs). Not a query
# parameter: endpoints with query parameters refuse unknown ones (422), so such noise would
# keep most valid requests from the code behind the validation
NOISE = st.text(alphabet=string.ascii_letters + string.digits, max_size=24)


def strict_document(app: Flask) -> dict[str, Any]:
    """The service's OpenAPI document without `default` responses, 401 and 403 added."""
    document = copy.deepcopy(app.test_client().get("/openapi.json").json)
    problem = document["components"]["responses"]["DEFAULT_ERROR"]
    for item in document["paths"].values():
        for method, spec in item.items():
            if method == "parameters":
                continue
            responses = spec["responses"]
            responses.pop("default", None)
            for status, description in EVERYWHERE.items():
                responses.setdefault(status, {**problem, "description": description})
    return document


def grants_for(service: str, key: str) -> tuple[tuple[str, str], ...]:
    """A role that may use the operation, of the own country where one may."""
    if service == "identity":
        return IDENTITY_ADMINS
    for entry, rule in TABLE.get(service, {}).items():
        if operation(entry) == key and not rule.public:
            entitled = [c for c in callers() if rule.entitles(*c)]
            own = [c for c in entitled if c[1] == OWN]
            return ((own or entitled)[0],)
    return EVERY_GRANT


@dataclass
class Findings:
    """What the generated requests found, by operation: the answers and the failed checks."""

    requests: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    failures: dict[str, dict[str, str]] = field(default_factory=dict)  # unique key -> report

    def record(self, key: str, status: int, failures: list[Failure], report: str) -> None:
        self.requests[key] += 1
        self.statuses.setdefault(key, Counter())[status] += 1
        for failure in failures:
            self.failures.setdefault(key, {}).setdefault(failure._unique_key, report)

    def listing(self) -> str:
        lines = []
        for key, found in sorted(self.failures.items()):
            lines.append(f"{key} ({len(found)} distinct failures):")
            lines += [f"    {report[:1500]}" for report in list(found.values())[:3]]
        return "\n".join(lines)


def operations(app: Flask, only: tuple[str, ...] | None = None, shard: str = "1/1"
               ) -> Iterator[Any]:  # fmt: skip
    part, parts = (int(n) for n in shard.split("/"))
    schema = schemathesis.openapi.from_dict(strict_document(app))
    schema.app = app
    for index, result in enumerate(schema.get_all_operations()):
        found = result.ok()
        if only is not None and f"{found.method.upper()} {found.path}" not in only:
            continue
        if index % parts == part - 1:
            yield found


def strategy(found: Any) -> st.SearchStrategy[Any]:
    """Valid requests and, where there is input to get wrong, invalid ones; half of them
    about the caller's own country (see `own_country`)."""
    positive = found.as_strategy(GenerationMode.POSITIVE)
    has_input = bool(found.body) or any(True for _ in found.iter_parameters())
    if not has_input:
        return positive
    generated = st.one_of(positive, found.as_strategy(GenerationMode.NEGATIVE))
    return st.tuples(generated, st.booleans()).map(
        lambda pair: own_country(pair[0]) if pair[1] else pair[0])  # fmt: skip


def own_country(case: Any) -> Any:
    """The case with every `country` (path, query, top level of a JSON body) set to the grant's
    own: the document allows any country code, so nearly every generated one names a country
    the node does not record (a 422) and the request never reaches the code behind that check."""
    for part in (case.path_parameters, case.query):
        if part and "country" in part:
            part["country"] = OWN
    if isinstance(case.body, dict) and "country" in case.body:
        case.body["country"] = OWN
    return case


def run(service: str, node: HostileNode, examples: int, only: tuple[str, ...] | None = None,
        shard: str = "1/1") -> Findings:  # fmt: skip
    findings = Findings()
    for found in operations(node.apps[service], only, shard):
        key = f"{found.method.upper()} {found.path}"
        headers = bearer(node.people.token(f"hostile-{service}", *grants_for(service, key)))
        checks = [check for check in CHECKS if NOT_CHECKED.get(key) is not check]
        send = _sender(key, headers, checks, findings, node.known)
        test = hypothesis.given(case=strategy(found), noise=NOISE, existing=st.booleans())(send)
        started = time.monotonic()
        hypothesis.settings(
            max_examples=examples, deadline=None, database=None, derandomize=False,
            phases=[Phase.generate], suppress_health_check=list(HealthCheck),
            print_blob=False)(test)()  # fmt: skip
        findings.seconds[key] += time.monotonic() - started
    return findings


def _sender(key: str, headers: dict[str, str], checks: list[Any], findings: Findings,
            known: dict[str, str]) -> Callable[..., None]:  # fmt: skip
    def send(case: Any, noise: str, existing: bool) -> None:
        if existing:  # half the requests name resources that exist, where the path names one
            for name in case.path_parameters or {}:
                if name in known:
                    case.path_parameters[name] = known[name]
        response = case.call(headers={**headers, "X-Hostile-Noise": noise})
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except FailureGroup as group:
            findings.record(key, response.status_code, list(group.exceptions), str(group))
        except Failure as failure:
            findings.record(key, response.status_code, [failure], str(failure))
        else:
            findings.record(key, response.status_code, [], "")

    return send


def summary(service: str, findings: Findings, seconds: float) -> str:
    total = sum(findings.requests.values())
    fewest = min(findings.requests.values())
    codes = Counter[int]()
    for counted in findings.statuses.values():
        codes.update(counted)
    return (f"\n  {service}: {total} requests over {len(findings.requests)} endpoints "
            f"(fewest {fewest}) in {seconds:.0f} s; "
            f"statuses {dict(sorted(codes.items()))}")  # fmt: skip


@pytest.mark.parametrize("service", SERVICES)
def test_a_few_endpoints_of_each_service_answer_generated_requests_as_documented(
    hostile_node: HostileNode, service: str, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    findings = run(service, hostile_node, SMOKE_EXAMPLES, SMOKE[service])
    with capsys.disabled():
        print(summary(service, findings, time.monotonic() - started))
    assert set(findings.requests) == set(SMOKE[service])
    assert findings.failures == {}, findings.listing()


@pytest.mark.slow
@pytest.mark.timeout(7200)
@pytest.mark.parametrize("service", SERVICES)
def test_every_endpoint_answers_a_thousand_generated_requests_as_documented(
    hostile_node: HostileNode, service: str, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    findings = run(service, hostile_node, FULL_EXAMPLES, shard=SHARD)
    with capsys.disabled():
        print(f"{summary(service, findings, time.monotonic() - started)} (part {SHARD})")
        for key, count in sorted(findings.requests.items()):
            print(f"    {count:5d}  {findings.seconds[key]:6.0f} s  {key}  "
                  f"{dict(sorted(findings.statuses[key].items()))}")  # fmt: skip
    assert findings.failures == {}, findings.listing()
    short = {key: n for key, n in findings.requests.items() if n < FULL_EXAMPLES}
    assert short == {}, f"endpoints that got fewer than {FULL_EXAMPLES} requests: {short}"
