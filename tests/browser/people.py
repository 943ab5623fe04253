"""The demo's people as the browser tests meet them, and signing in as one of them."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page

from services.identity.demo import DEMO_PASSWORD
from shared.auth import REGIONAL, Grant, Principal


@dataclass(frozen=True)
class DemoPerson:
    username: str
    role: str
    scope: str = "MK"

    @property
    def principal(self) -> Principal:
        """Who the services take them for (organisation aside)."""
        return Principal(self.username, "", (Grant(self.role, self.scope),))


# one of each role the demo has (services/identity/demo.py)
PEOPLE = (
    DemoPerson("mk.admin", "national_admin"),
    DemoPerson("mk.monitor", "monitor"),
    DemoPerson("mk.caseworker", "case_worker"),
    DemoPerson("mk.police", "data_provider"),
    DemoPerson("mk.reviewer", "reviewer"),
    DemoPerson("mk.auditor", "auditor"),
    DemoPerson("hub.analyst", "regional_analyst", REGIONAL),
    DemoPerson("hub.auditor", "auditor", REGIONAL),
    DemoPerson("platform.admin", "platform_admin", REGIONAL),
)


def fill_sign_in(page: Page, username: str, password: str) -> None:
    """Opens the sign-in page and sends the form as a person would."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Signs in and waits for the start page."""
    fill_sign_in(page, username, password)
    page.wait_for_selector("main h1:has-text('Welcome')")
