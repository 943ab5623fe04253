"""What a new case does to the figures, and an auditor re-deriving a published report."""

from __future__ import annotations

import re
import time
from datetime import date

from playwright.sync_api import Browser, Page, expect

from tests.browser.people import sign_in
from tests.product import Product

YEAR = str(date.today().year)


def presumed_this_year(page: Page) -> int:
    """The dashboard's figure of ID-02 (presumed victims newly registered) for this year."""
    page.goto("/indicators/?area=identification&country=MK")
    section = page.locator("section.indicator", has=page.locator("#indicator-ID-02"))
    row = section.locator("tbody tr", has=page.locator("th", has_text=YEAR))
    text = row.locator("td").first.inner_text().strip().replace(",", "")
    return int(text) if text.isdigit() else 0


def test_a_new_case_changes_the_indicator_on_the_monitors_dashboard(
    page: Page, browser: Browser, product: Product
) -> None:
    sign_in(page, "mk.monitor")
    before = presumed_this_year(page)

    worker = browser.new_context(base_url=product.web, locale="en-GB").new_page()
    sign_in(worker, "mk.caseworker")
    worker.goto("/cases/new")
    for name in ("prs_Gender", "vic_TraffickingStatus", "cas_Status"):
        worker.locator(f"#field-{name}").select_option(index=1)
    worker.locator("#field-ext_FirstContactDate").fill(date.today().isoformat())
    worker.locator("#field-ext_EstimatedAge").fill("24")
    worker.get_by_role("button", name="Open the case").click()
    expect(worker).to_have_url(re.compile(r"\?opened=1$"))
    worker.context.close()

    # the indicators service learns of the case through Kafka: a few seconds
    deadline, now = time.monotonic() + 120, before
    while time.monotonic() < deadline and now == before:
        time.sleep(2)
        now = presumed_this_year(page)
    assert now == before + 1


def test_an_auditor_opens_a_published_report_and_sees_it_verified_step_by_step(
    page: Page,
) -> None:
    sign_in(page, "hub.auditor")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.get_by_role("link", name=re.compile("regional comparative report")).first.click()
    expect(page.locator("main h1")).to_contain_text("regional comparative report")
    page.get_by_role("link", name="Verify the published report").click()
    # the page answers when the verification is done: do not wait for it in the click
    page.get_by_role("button", name="Run the verification").click(no_wait_after=True)
    # the reporting service replays the pinned logs from Kafka: tens of seconds
    expect(page.locator("#verdict")).to_have_text("✔ Verdict: verified", timeout=300_000)
    steps = page.get_by_role("table", name="Steps of the verification").locator("tbody tr")
    assert steps.count() >= 5
    expect(steps.filter(has_text="failed")).to_have_count(0)
