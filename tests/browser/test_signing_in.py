"""Signing in: each role lands on the start page with its own menu; a wrong password does not."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from services.web import pages
from services.web.pages.home import TASKS
from tests.browser.people import PEOPLE, DemoPerson, fill_sign_in, sign_in

# what each role must find in its menu today (more entries appear as pages are written)
AT_LEAST = {
    "case_worker": ["Cases", "New case"],
    "monitor": ["Cases"],
    "national_admin": ["Cases"],
}
# what a role must never be offered
NEVER = {
    "data_provider": ["Cases", "New case", "Users"],
    "reviewer": ["Cases", "New case", "Users"],
    "auditor": ["Cases", "New case", "Users"],
    "regional_analyst": ["Cases", "New case", "Users"],
    "monitor": ["New case", "Users"],
    "case_worker": ["Users", "Indicators"],
}


def written_pages() -> set[str]:
    """The endpoints of the page modules that exist so far."""
    app = Flask("menu-check")
    for blueprint in pages.blueprints():
        app.register_blueprint(blueprint)
    return set(app.view_functions)


def menu_of(person: DemoPerson) -> list[str]:
    """The start page's rule: the written pages open to one of the person's grants."""
    written = written_pages()
    return [task.title for task in TASKS
            if task.endpoint in written and task.open_to(person.principal)]  # fmt: skip


@pytest.mark.parametrize("person", PEOPLE, ids=lambda person: person.username)
def test_each_role_signs_in_and_sees_the_start_page_with_its_menu(
    page: Page, person: DemoPerson
) -> None:
    sign_in(page, person.username)
    expect(page.locator("main h1")).to_contain_text("Welcome")
    shown = page.locator("nav.menu a").all_inner_texts()
    assert shown == menu_of(person)
    assert set(AT_LEAST.get(person.role, [])) <= set(shown)
    assert not set(NEVER.get(person.role, [])) & set(shown)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_wrong_password_shows_the_error_and_signs_nobody_in(page: Page) -> None:
    fill_sign_in(page, "mk.auditor", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password.")
    expect(page.get_by_label("Username")).to_have_value("mk.auditor")
    expect(page.locator("nav.menu")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
