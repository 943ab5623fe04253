"""The demo's published reports: one national report per country for the last full year and
the regional report, each drafted, reviewed by someone else, approved and published through the
reporting API of the running stack, as the people of the demo would; then a GRETA
recommendation per country and the next year's follow-up of the reports' recommendations for
two countries, so the hub has implementation rates to show."""

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
    # publishing replays the whole intake log: minutes on a busy machine
    with urllib.request.urlopen(request, timeout=600) as answer:
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


# --- recommendations and their follow-up ----------------------------------------------------
GRETA = {"round": "3", "year": 2023, "addressees": ["Ministry of Interior", "Ministry of Social"
         " Policy"], "indicators": ["AS-06"], "text": "Ensure that all foreign presumed victims"
         " are offered a recovery and reflection period of at least 30 days."}  # fmt: skip
PARAGRAPHS = {"AL": "121", "BA": "134", "ME": "98", "MK": "112", "RS": "127"}
# what became of the national reports' recommendations by the end of the next year, by country
FOLLOW_UPS = {
    "MK": {"R1": "partly_implemented", "R2": "implemented"},
    "AL": {"R1": "not_implemented", "R2": "implemented"},
}


def load_follow_ups(identity: str, reporting: str, countries: list[str], password: str,
                    echo: Callable[[str], None] = print) -> tuple[int, int]:  # fmt: skip
    """One GRETA recommendation per country (entered by its monitor), and for the countries of
    FOLLOW_UPS the next year's follow-up of the published report's recommendations, assessed
    by the monitor and confirmed by the reviewer, so the hub has implementation rates to show.
    What is there already is left as it is. Returns (entered, follow-up steps) done now."""
    entered = steps = 0
    year = int(PERIOD) + 1
    for country in countries:
        cc = country.lower()
        monitor = sign_in(identity, f"{cc}.monitor", password)
        listed = f"{reporting}/api/v1/recommendations?country={country}"
        if not _call("GET", f"{listed}&source=GRETA", monitor):
            paragraph = PARAGRAPHS.get(country, "100")
            _call("POST", f"{reporting}/api/v1/recommendations", monitor,
                  {**GRETA, "country": country, "paragraph": paragraph})  # fmt: skip
            entered += 1
        if country in FOLLOW_UPS:
            reviewer = sign_in(identity, f"{cc}.reviewer", password)
            due = _call("GET", f"{listed}&source=report&year={year}", monitor)
            for recommendation in due:
                steps += _follow_up(reporting, monitor, reviewer, recommendation, year,
                                    FOLLOW_UPS[country])  # fmt: skip
    done = [c for c in FOLLOW_UPS if c in countries]
    echo(f"demo recommendations: {entered} GRETA recommendations entered now; follow-up {year}"
         f" of the reports' recommendations for {', '.join(done) or 'none'}"
         f" ({steps} steps now)")  # fmt: skip
    return entered, steps


def _follow_up(reporting: str, monitor: str, reviewer: str, recommendation: dict[str, Any],
               year: int, plan: dict[str, str]) -> int:  # fmt: skip
    finding = recommendation["recommendation_id"].rpartition("-")[2]
    status = plan.get(finding)
    if status is None:
        return 0
    base = f"{reporting}/api/v1/recommendations/{recommendation['recommendation_id']}"
    found = next((f for f in recommendation["follow_ups"] if f["year"] == year), None)
    steps = 0
    if found is None or found["state"] == "returned":
        _call("PUT", f"{base}/follow-ups/{year}", monitor, {
            "status": status, "note": "Checked with the institutions it is addressed to.",
            "evidence": [{"kind": "document", "title": "Annual report of the national"
                          " anti-trafficking coordinator", "reference": "Chapter 3",
                          "date": f"{year}-12-15"}]})  # fmt: skip
        steps += 1
    elif found["state"] == "confirmed":
        return 0
    _call("POST", f"{base}/follow-ups/{year}/confirmation", reviewer,
          {"comment": "Confirmed against the evidence."})  # fmt: skip
    return steps + 1
