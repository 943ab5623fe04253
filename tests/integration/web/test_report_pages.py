"""The report pages on the running local stack with its demo data."""

from __future__ import annotations

import re

from tests.integration.web.local_web import csrf_of, needs_stack, signed_in

pytestmark = needs_stack
DEMO_COUNTRIES = ("Albania", "Bosnia", "Montenegro", "North Macedonia", "Serbia")


def _report_links(html: str) -> dict[str, str]:
    """Report title -> its page, from the report list."""
    return {title: href for href, title in
            re.findall(r'<a href="(/reports/[0-9a-f]+)">([^<]+)</a>', html)}  # fmt: skip


def _national_report(client, country: str = "North Macedonia") -> str:
    links = _report_links(client.get("/reports/").get_data(as_text=True))
    return next(href for title, href in links.items() if title.startswith(country))


def test_the_report_list_shows_the_demo_published_reports() -> None:
    html = signed_in("mk.auditor").get("/reports/").get_data(as_text=True)
    titles = list(_report_links(html))
    for country in DEMO_COUNTRIES:
        assert any(title.startswith(country) for title in titles), country
    assert any("regional" in title for title in titles)
    assert "Published" in html


def test_opening_a_report_shows_its_basis_and_output_links() -> None:
    client = signed_in("mk.monitor")
    href = _national_report(client)
    html = client.get(href).get_data(as_text=True)
    assert "Pinned logs" in html and "mk.intake" in html
    assert re.search(r'class="mono hash">[0-9a-f]{64}<', html), "the pinned root is shown"
    for fmt in ("html", "pdf", "csv", "xlsx", "json"):
        assert f'{href}/versions/1/{fmt}"' in html


def test_an_output_link_streams_the_published_bytes_with_their_type() -> None:
    client = signed_in("mk.monitor")
    href = _national_report(client)
    pdf = client.get(f"{href}/versions/1/pdf")
    assert pdf.status_code == 200 and pdf.content_type == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    page = client.get(f"{href}/versions/1/html")
    assert page.content_type.startswith("text/html") and b"<html" in page.data


def test_an_auditor_sees_no_workflow_buttons() -> None:
    client = signed_in("mk.auditor")
    html = client.get(_national_report(client)).get_data(as_text=True)
    assert "/steps/" not in html and "Workflow" not in html


def test_the_monitor_of_the_country_may_start_a_correction_of_its_published_report() -> None:
    client = signed_in("mk.monitor")
    html = client.get(_national_report(client)).get_data(as_text=True)
    assert "/steps/correct" in html and "/steps/approve" not in html


def test_the_verification_shows_each_step_and_the_verdict_verified() -> None:
    client = signed_in("mk.auditor")
    href = _national_report(client)
    form = client.get(f"{href}/verification").get_data(as_text=True)
    html = client.post(f"{href}/verification", data={"csrf_token": csrf_of(form)}).get_data(
        as_text=True
    )
    assert "Verdict: verified" in html, "the verification did not verify the demo report"
    steps = re.findall(r'<th scope="row">([^<]+)</th>\s*<td><span class="status-ok">', html)
    assert "The publication&#39;s signature" in steps or "The publication's signature" in steps
    assert any("mk.intake" in step for step in steps)
    assert "failed" not in html
