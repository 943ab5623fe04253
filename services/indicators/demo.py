"""The demo's qualitative assessments: for the last two demo years, each country's monitor
scores most qualitative indicators through the indicators API (a score with a short rationale
and one evidence document, a few left not assessed) and the country's reviewer confirms most
of them, returns a few with a comment, and leaves the rest awaiting review.

Scores are pseudo-random but fixed (drawn from a hash of country, year and code), so loading
again finds the same plan; whatever is already there is left as it is.

The demo's monitoring cycle: each country's cycle of the last complete year, opened on the
confirmed national profile, with its requests sent to the institutions (`load_cycles`).
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

YEARS = (2024, 2025)  # the last two years of the demo cases (services/intake/demo.py)
EVIDENCE = (
    "National action plan against trafficking in human beings",
    "Standard operating procedures for the national referral mechanism",
    "Annual report of the national anti-trafficking coordinator",
    "GRETA evaluation report",
    "Law on prevention of trafficking and protection of victims",
    "Minutes of the national anti-trafficking commission",
)
RATIONALES = {
    0: "No written provision or practice was found for the year.",
    1: "Provided for in law or by-laws, but applied unevenly in practice.",
    2: "In place in law and in practice across the country.",
}


def draw(country: str, year: int, code: str, salt: str) -> int:
    """A fixed number in 0..99 for this assessment and purpose."""
    digest = hashlib.sha256(f"{salt}:{country}:{year}:{code}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100


def scoring_for(country: str, year: int, code: str) -> dict[str, Any] | None:
    """What the demo monitor sends for one indicator, or None: not scored (one in ten)."""
    roll = draw(country, year, code, "scored")
    if roll < 10:
        return None
    document = EVIDENCE[draw(country, year, code, "evidence") % len(EVIDENCE)]
    evidence = [{"kind": "document", "title": f"{document} ({country})",
                 "reference": f"Section {1 + roll % 9}",
                 "date": f"{year}-{1 + roll % 12:02d}-15"}]  # fmt: skip
    if roll < 14:
        return {"score": None, "not_assessed_reason": "The responsible institution did not answer"
                " the request for information in time.", "evidence": evidence}  # fmt: skip
    score = (0, 1, 1, 2, 2)[draw(country, year, code, "score") % 5]
    return {"score": score, "rationale": RATIONALES[score], "evidence": evidence}


def review_for(country: str, year: int, code: str) -> str | None:
    """confirm (eight in ten), return (one in ten) or None (left awaiting review)."""
    roll = draw(country, year, code, "review")
    return "confirm" if roll < 80 else "return" if roll < 90 else None


def _call(method: str, url: str, token: str | None = None, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.load(answer)


def sign_in(identity: str, username: str, password: str) -> str:
    body = {"grant_type": "password", "username": username, "password": password}
    return _call("POST", f"{identity}/api/v1/auth/token", body=body)["access_token"]


def load_assessments(
    identity_url: str,
    indicators_url: str,
    countries: list[str],
    password: str,
    echo: Callable[[str], None] = print,
) -> int:
    """Scores and reviews what is not there yet; returns how many steps it recorded."""
    steps = 0
    for country in countries:
        cc = country.lower()
        monitor = sign_in(identity_url, f"{cc}.monitor", password)
        reviewer = sign_in(identity_url, f"{cc}.reviewer", password)
        listed = _call("GET", f"{indicators_url}/api/v1/catalogue", monitor)["indicators"]
        codes = [i["code"] for i in listed if i["kind"] == "qualitative"]
        done = 0
        for year in YEARS:
            there = {a["code"] for a in _call(
                "GET", f"{indicators_url}/api/v1/assessments?country={country}&year={year}",
                monitor)}  # fmt: skip
            for code in codes:
                if code not in there:
                    done += _assess(indicators_url, monitor, reviewer, country, year, code)
        steps += done
        echo(f"  {country}: {done} assessment steps recorded" if done
             else f"  {country}: the assessments were already there")  # fmt: skip
    return steps


def _assess(url: str, monitor: str, reviewer: str, country: str, year: int, code: str) -> int:
    scoring = scoring_for(country, year, code)
    if scoring is None:
        return 0
    base = f"{url}/api/v1/assessments/{country}/{year}/{code}"
    try:
        _call("POST", base, monitor, scoring)
    except urllib.error.HTTPError as error:
        if error.code == 409:  # scored and confirmed meanwhile: final as it is
            return 0
        raise
    action = review_for(country, year, code)
    if action is None:
        return 1
    comment = ("Checked against the evidence." if action == "confirm"
               else "Please add the by-law that implements it.")  # fmt: skip
    _call("POST", f"{base}/{action}", reviewer, {"comment": comment})
    return 2


# --- the monitoring cycle -------------------------------------------------------------------
def cycle_deadlines(today: date) -> dict[str, str]:
    """The demo cycle's deadlines: the institutions answer within a month, the scores follow a
    month later, the report a month after that."""
    requests_due = today + timedelta(days=30)
    return {"requests_due": requests_due.isoformat(),
            "scoring_due": (requests_due + timedelta(days=30)).isoformat(),
            "report_due": (requests_due + timedelta(days=60)).isoformat()}  # fmt: skip


def load_cycles(
    identity_url: str,
    indicators_url: str,
    countries: list[str],
    password: str,
    echo: Callable[[str], None] = print,
    today: date | None = None,
) -> dict[str, int]:
    """Opens each country's cycle of the last complete year on its confirmed national profile
    (the administrator confirms the profile first if no version is confirmed) and sends the
    requests to the institutions; what is there already is left as it is. Returns the number
    of requests sent now, by country."""
    today = today or date.today()
    year = today.year - 1
    sent: dict[str, int] = {}
    for country in countries:
        cc = country.lower()
        admin = sign_in(identity_url, f"{cc}.admin", password)
        monitor = sign_in(identity_url, f"{cc}.monitor", password)
        _confirm_profile(indicators_url, admin, country)
        base = f"{indicators_url}/api/v1/cycles/{country}/{year}"
        if _found(base, monitor) is None:
            _call("POST", base, monitor, cycle_deadlines(today))
        generated = _call("POST", f"{base}/requests", monitor, {})
        sent[country] = len(generated["requests"])
    total = sum(sent.values())
    echo(f"demo cycles: {year} open for {', '.join(countries)}; {total} data requests sent now"
         if total else f"demo cycles: {year} open for {', '.join(countries)}; the requests"
         " were already there")  # fmt: skip
    return sent


def _confirm_profile(url: str, admin: str, country: str) -> None:
    catalog_version = _call("GET", f"{url}/api/v1/catalogue", admin)["catalog_version"]
    profile = f"{url}/api/v1/profiles/{country}/{catalog_version}"
    if _call("GET", profile, admin).get("confirmed_version") is None:
        _call("POST", f"{profile}/confirm", admin, {})


def _found(url: str, token: str) -> Any:
    try:
        return _call("GET", url, token)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise
