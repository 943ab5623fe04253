"""axe-core finds no serious or critical accessibility violation on the pages people use.

A new page is one line in SCREENS: who opens it (None: nobody signed in) and how to get there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.people import sign_in

BLOCKING = ("serious", "critical")


def first_case(page: Page) -> None:
    page.goto("/cases/")
    page.locator("table.data tbody a").first.click()
    page.wait_for_selector("ol.timeline")


def new_case_with_a_mistake(page: Page) -> None:
    page.goto("/cases/new")
    page.get_by_role("button", name="Open the case").click()
    page.wait_for_selector("#error-summary")


@dataclass(frozen=True)
class Screen:
    name: str
    person: str | None
    open: Callable[[Page], Any]


SCREENS = (
    Screen("sign-in", None, lambda page: page.goto("/login")),
    Screen("start", "mk.caseworker", lambda page: page.goto("/")),
    Screen("case list", "mk.caseworker", lambda page: page.goto("/cases/")),
    Screen("case list in Macedonian", "mk.caseworker", lambda page: page.goto("/cases/?lang=mk")),
    Screen("new case", "mk.caseworker", lambda page: page.goto("/cases/new")),
    Screen("new case with errors", "mk.caseworker", new_case_with_a_mistake),
    Screen("case timeline", "mk.caseworker", first_case),
)


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [violation for violation in violations if violation.get("impact") in BLOCKING]


def described(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}: {node['html'][:200]}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


@pytest.mark.parametrize("screen", SCREENS, ids=lambda screen: screen.name)
def test_the_page_has_no_serious_or_critical_accessibility_violation(
    page: Page, axe: Axe, screen: Screen
) -> None:
    if screen.person:
        sign_in(page, screen.person)
    screen.open(page)
    found = blocking(axe.run(page).response["violations"])
    assert not found, f"{screen.name}:\n{described(found)}"
