"""Switching the language: the page says which language it is in, and CLDR names and dates
come in that language's script (the translated words themselves come with the catalogues)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.people import sign_in

CYRILLIC = re.compile(r"[\u0400-\u04FF]")


def test_choosing_macedonian_marks_the_page_mk_and_names_the_country_in_cyrillic(
    page: Page,
) -> None:
    sign_in(page, "mk.caseworker")
    page.goto("/cases/")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Македонски").click()
    expect(page.locator("html")).to_have_attribute("lang", "mk")
    expect(page.locator("table.data caption")).to_contain_text("Северна Македонија")
    first_contact = page.locator("table.data tbody tr td:nth-child(6)").first
    expect(first_contact).to_have_text(CYRILLIC)  # CLDR's Macedonian month names


def test_the_chosen_language_is_remembered_on_the_next_page(page: Page) -> None:
    sign_in(page, "mk.caseworker")
    page.goto("/?lang=mk")
    page.goto("/cases/")
    expect(page.locator("html")).to_have_attribute("lang", "mk")
