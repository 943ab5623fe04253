"""The demo's published reports: one national report per country for the last full year and
the regional report, each drafted, reviewed by someone else, approved and published through the
reporting API of the running stack, as the people of the demo would."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

COUNTRY_NAMES = {"AL": "Albania", "BA": "Bosnia and Herzegovina", "ME": "Montenegro",
                 "MK": "North Macedonia", "RS": "Serbia"}  # fmt: skip
PERIOD = "2024"


def _call(method: str, url: str, token: str | None = None, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.load(answer)


def sign_in(identity: str, username: str, password: str) -> str:
    body = {"grant_type": "password", "username": username, "password": password}
    return _call("POST", f"{identity}/api/v1/auth/token", body=body)["access_token"]


def publish(reporting: str, author: str, reviewer: str, report: dict[str, Any],
            narrative: dict[str, Any]) -> str:  # fmt: skip
    drafted = _call("POST", f"{reporting}/api/v1/reports", author, report)
    base = f"{reporting}/api/v1/reports/{drafted['report_id']}"
    _call("PATCH", f"{base}/narrative", author, narrative)
    _call("POST", f"{base}/submission", author)
    _call("POST", f"{base}/approval", reviewer)
    _call("POST", f"{base}/publication", author)
    return drafted["report_id"]


def narrative_for(scope: str) -> dict[str, Any]:
    return {
        "summary": f"Demo report for {scope}: generated data, not real figures.",
        "conclusions": "Identification rests mostly on the police.\n\nChildren wait for"
                       " guardians longer than the law allows.",
        "recommendations": [
            {"id": "R1", "text": "Train labour inspectors to identify victims.",
             "indicators": ["ID-01"]},
            {"id": "R2", "text": "Appoint guardians within three days.",
             "indicators": ["CH-01"]},
        ],
        "good_practices": ["Multi-agency identification teams meet weekly."],
    }  # fmt: skip


def load_reports(identity: str, reporting: str, countries: list[str], password: str,
                 echo: Callable[[str], None] = print) -> list[str]:  # fmt: skip
    published = []
    analyst = sign_in(identity, "hub.analyst", password)
    existing = {(r["kind"], r["country"]) for r in _call("GET", f"{reporting}/api/v1/reports",
                                                         analyst) if r["published"]}  # fmt: skip
    for country in countries:
        if ("national", country) in existing:
            continue
        cc = country.lower()
        author = sign_in(identity, f"{cc}.monitor", password)
        reviewer = sign_in(identity, f"{cc}.reviewer", password)
        name = COUNTRY_NAMES.get(country, country)
        published.append(publish(reporting, author, reviewer, {
            "kind": "national", "country": country, "period": PERIOD,
            "title": f"{name}: monitoring report {PERIOD}"}, narrative_for(name)))  # fmt: skip
        echo(f"  published the national report of {country}")
    if ("regional", None) not in existing:
        reviewer = sign_in(identity, "platform.admin", password)
        published.append(publish(reporting, analyst, reviewer, {
            "kind": "regional", "period": PERIOD,
            "title": f"Western Balkans: regional comparative report {PERIOD}"},
            narrative_for("the region")))  # fmt: skip
        echo("  published the regional report")
    return published
