"""A case worker opens a case: a mistake is shown next to its field, the fixed form opens it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from services.intake.events import MAX_AGE
from tests.browser.people import sign_in

AGE = "#field-ext_EstimatedAge"


def fill_required(page: Page) -> None:
    """The first offered answer of each required choice, and the first contact's day (which
    the first trafficking status needs)."""
    for name in ("prs_Gender", "vic_TraffickingStatus", "cas_Status"):
        page.locator(f"#field-{name}").select_option(index=1)
    page.locator("#field-ext_FirstContactDate").fill("2025-03-12")


def test_a_case_with_an_impossible_age_shows_the_error_beside_the_age_then_opens_fixed(
    page: Page,
) -> None:
    sign_in(page, "mk.caseworker")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New case").click()
    expect(page.locator("main h1")).to_have_text("New case")
    fill_required(page)
    page.locator(AGE).fill("300")
    page.get_by_role("button", name="Open the case").click()

    error = page.locator(f"{AGE}-error")
    expect(error).to_contain_text(str(MAX_AGE))
    field = page.locator(".field.invalid", has=page.locator(AGE))
    expect(field).to_contain_text(error.inner_text())
    expect(page.locator(AGE)).to_have_attribute("aria-invalid", "true")
    expect(page.locator(AGE)).to_have_value("300")
    expect(page.get_by_role("alert").locator("li")).to_have_count(1)  # only the age was wrong

    page.locator(AGE).fill("30")
    page.get_by_role("button", name="Open the case").click()
    expect(page).to_have_url(re.compile(r"/cases/MK-[0-9a-f-]{36}\?opened=1$"))
    expect(page.get_by_role("status")).to_have_text("The case has been opened.")
    expect(page.locator("dl.facts")).to_contain_text("age 30")
