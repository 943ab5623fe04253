"""The indicator dashboard, the regional comparison and the assessments on the running local
stack with its demo data."""

from __future__ import annotations

import random
import re
import uuid

import requests

from services.identity.demo import DEMO_PASSWORD
from services.web.pages import comparison as comparison_page
from tests.integration.web.local_web import _stack_env, csrf_of, needs_stack, signed_in

pytestmark = needs_stack
QUALITATIVE = ["ID-06", "ID-07", "ID-08", "RF-03", "AS-09", "AS-10", "CH-05", "CH-06", "NP-01"]


def _token(username: str) -> str:
    answer = requests.post(
        f"{_stack_env()['IDENTITY_URL']}/api/v1/auth/token",
        json={"grant_type": "password", "username": username, "password": DEMO_PASSWORD},
        timeout=60,
    )
    return answer.json()["access_token"]


def test_the_dashboard_shows_an_areas_indicators_each_with_a_chart_and_a_table() -> None:
    answer = signed_in("mk.monitor").get("/indicators/?area=identification")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Victims formally identified" in html and "ID-05" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img"') == 5
    assert html.count("<caption>") == 5 and 'aria-current="page">Identification' in html


def test_an_indicator_shows_its_breakdowns_with_suppressed_cells_named() -> None:
    html = signed_in("mk.monitor").get("/indicators/ID-01?period=2024").get_data(as_text=True)
    assert "By sex, 2024" in html and "By citizenship, 2024" in html
    assert ">suppressed</td>" in html, "small citizenship groups are suppressed, not zero"


def test_a_regional_analyst_sees_a_countrys_dashboard_from_the_hub() -> None:
    html = signed_in("hub.analyst").get("/indicators/?country=RS").get_data(as_text=True)
    assert "Indicators: Serbia" in html and "regional hub" in html


def test_the_comparison_marks_a_non_comparable_country_and_lists_missing_ones(monkeypatch) -> None:
    client = signed_in("hub.analyst")
    real = comparison_page.comparison

    def one_adapted(indicator: str, period: str, by: str = "") -> dict:
        answer = real(indicator, period, by)
        rows = [r for r in answer["countries"] if r["country"] != "BA"]
        for r in rows:
            if r["country"] == "RS":
                r.update(comparable=False, profile_status="adapted_noncomparable")
        return {**answer, "countries": rows}

    monkeypatch.setattr(comparison_page, "comparison", one_adapted)
    html = client.get("/comparison/?indicator=ID-01&period=2024").get_data(as_text=True)
    assert 'fill="url(#comparison-ID-01-hatch)"' in html
    assert "(not comparable)</text>" in html and "adapted in the national profile" in html
    assert re.search(r"not published this indicator.*?<li>Bosnia", html, re.S)


def test_a_national_monitor_is_told_the_comparison_is_for_regional_roles() -> None:
    answer = signed_in("mk.monitor").get("/comparison/")
    assert answer.status_code == 403 and "regional roles" in answer.get_data(as_text=True)


def _free_assessment() -> tuple[int, str]:
    """An indicator and year (before the demo's) nobody has scored in MK yet."""
    token = _token("mk.auditor")
    base = _stack_env()["INDICATORS_URL"]
    for _ in range(50):
        year, code = random.randint(2000, 2019), random.choice(QUALITATIVE)
        found = requests.get(f"{base}/api/v1/assessments/MK/{year}/{code}",
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)  # fmt: skip
        if found.status_code == 404:
            return year, code
    raise AssertionError("no unscored assessment left in 2000-2019")


def _score(client, path: str) -> None:
    html = client.get(f"{path}/score").get_data(as_text=True)
    answer = client.post(f"{path}/score", data={
        "csrf_token": csrf_of(html), "version": "0", "score": "1", "rationale": "Page test",
        "evidence.0.title": "Law on prevention", "evidence.0.date": "2015-06-01"})  # fmt: skip
    assert answer.status_code == 302, answer.get_data(as_text=True)


def test_a_monitor_scores_and_a_reviewer_confirms_with_the_history_shown() -> None:
    year, code = _free_assessment()
    path = f"/assessments/MK/{year}/{code}"
    monitor = signed_in("mk.monitor")
    html = monitor.get(f"{path}/score").get_data(as_text=True)
    missing = monitor.post(f"{path}/score", data={"csrf_token": csrf_of(html), "score": "1"})
    assert missing.status_code == 422
    assert "A score needs at least one evidence item." in missing.get_data(as_text=True)
    _score(monitor, path)
    reviewer = signed_in("mk.reviewer")
    html = reviewer.get(path).get_data(as_text=True)
    assert "Awaiting review" in html
    answer = reviewer.post(f"{path}/review", data={
        "csrf_token": csrf_of(html), "version": "1", "action": "confirm"})  # fmt: skip
    assert answer.status_code == 302
    html = reviewer.get(path).get_data(as_text=True)
    assert "state-confirmed" in html and "mk.monitor" in html and "mk.reviewer" in html
    assert html.count('<th scope="row">') == 2, "scored, then confirmed"


def _monitor_and_reviewer() -> str:
    """A new MK user holding both roles (made through the identity API as mk.admin)."""
    base, token = _stack_env()["IDENTITY_URL"], _token("mk.admin")
    headers = {"Authorization": f"Bearer {token}"}
    organisations = requests.get(f"{base}/api/v1/organisations", headers=headers, timeout=30)
    organisation = next(o for o in organisations.json() if o["country"] == "MK")
    username = f"mk.both{uuid.uuid4().hex[:8]}"
    made = requests.post(
        f"{base}/api/v1/users",
        headers=headers,
        timeout=60,
        json={
            "username": username,
            "display_name": "Monitor and reviewer (page test)",
            "organisation_id": organisation["organisation_id"],
            "password": DEMO_PASSWORD,
            "grants": [{"role": "monitor", "scope": "MK"}, {"role": "reviewer", "scope": "MK"}],
        },
    )
    assert made.status_code in (200, 201), made.text
    return username


def test_the_person_who_scored_may_not_review_and_is_told_why() -> None:
    year, code = _free_assessment()
    path = f"/assessments/MK/{year}/{code}"
    client = signed_in(_monitor_and_reviewer())
    _score(client, path)
    html = client.get(path).get_data(as_text=True)
    answer = client.post(f"{path}/review", data={
        "csrf_token": csrf_of(html), "version": "1", "action": "confirm"})  # fmt: skip
    assert answer.status_code == 403
    assert "another reviewer has to review it" in answer.get_data(as_text=True)
    assert "Awaiting review" in answer.get_data(as_text=True)
