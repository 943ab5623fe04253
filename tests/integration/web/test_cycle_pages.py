"""The monitoring cycle and recommendation pages on the running local stack with its demo data
(`actnow demo load` opens each country's cycle of the last complete year, enters a GRETA
recommendation and follows up the 2024 reports' recommendations of MK and AL)."""

from __future__ import annotations

import re
from datetime import date

from tests.integration.web.local_web import csrf_of, needs_stack, signed_in

pytestmark = needs_stack
YEAR = date.today().year - 1  # the demo's cycle


def test_the_cycle_at_a_glance_lists_every_indicator_with_its_state() -> None:
    answer = signed_in("mk.monitor").get(f"/cycles/MK/{YEAR}")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert len(re.findall(r'<tr id="indicator-[A-Z]{2}-\d{2}">', html)) > 50
    assert 'class="state-data">Has data<' in html and 'class="state-scored">Scored<' in html
    assert "Requests to institutions" in html and "Police anti-trafficking unit" in html


def test_a_monitor_opening_a_cycle_with_a_deadline_in_its_reference_year_sees_the_error() -> None:
    client = signed_in("mk.monitor")
    form = client.get("/cycles/").get_data(as_text=True)
    answer = client.post("/cycles/MK", data={
        "csrf_token": csrf_of(form), "year": str(YEAR - 4), "requests_due": f"{YEAR - 4}-06-30",
        "scoring_due": f"{YEAR - 3}-01-31", "report_due": f"{YEAR - 3}-03-31"})  # fmt: skip
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(r'<label for="field-requests_due">.*?<p class="error"', html, re.S)


def test_a_data_provider_sees_only_its_own_organisations_request() -> None:
    monitor_page = signed_in("mk.monitor").get(f"/cycles/MK/{YEAR}").get_data(as_text=True)
    everyone = re.findall(r'<tr id="request-([0-9a-f-]+)">', monitor_page)
    police = signed_in("mk.police")
    html = police.get(f"/cycles/MK/{YEAR}").get_data(as_text=True)
    own = re.findall(r'<section class="request" id="request-([0-9a-f-]+)">', html)
    assert len(own) == 1 and len(everyone) > 1
    assert "Police anti-trafficking unit" in html and "Basic court" not in html
    assert "/submissions/new" in html
    other = next(rid for rid in everyone if rid != own[0])
    assert police.get(f"/cycles/MK/{YEAR}/requests/{other}/workbook").status_code == 404


def test_a_requests_workbook_and_letter_come_with_their_type_and_name() -> None:
    police = signed_in("mk.police")
    html = police.get(f"/cycles/MK/{YEAR}").get_data(as_text=True)
    rid = re.search(r'id="request-([0-9a-f-]+)"', html).group(1)
    workbook = police.get(f"/cycles/MK/{YEAR}/requests/{rid}/workbook")
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"
    assert "spreadsheetml" in workbook.headers["Content-Type"]
    letter = police.get(f"/cycles/MK/{YEAR}/requests/{rid}/letter?language=sq")
    assert letter.data[:5] == b"%PDF-" and letter.headers["Content-Type"] == "application/pdf"
    assert f"request-MK-{YEAR}-sq.pdf" in letter.headers["Content-Disposition"]


def test_the_recommendations_page_lists_the_demos_recommendations_with_the_national_rate() -> None:
    html = signed_in("mk.monitor").get(f"/recommendations/?year={YEAR}").get_data(as_text=True)
    assert "North Macedonia: monitoring report 2024, R1" in html and ">GRETA<" in html
    assert f"Implementation rate {YEAR}" in html and "Confirmed: " in html


def test_the_hub_analyst_sees_the_implementation_rate_of_each_country_as_chart_and_table() -> None:
    html = signed_in("hub.analyst").get("/recommendations/").get_data(as_text=True)
    assert 'id="hub-rates"' in html and '<tr id="hub-MK">' in html
    assert 'role="img"' in html and "Implementation rate of recommendations by country" in html
    assert 'id="recommendations"' not in html  # the hub sees counts, not the national list
