"""A browser for the whole product: Playwright driving the system Chromium (Debian's `chromium`
package), headless, against the session's `product` stack. Every test's page is photographed
when the test ends, into test-artefacts/screenshots/ (named `...-failed.png` when it failed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from shared.stack.stack import ROOT
from tests.product import Product

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artefacts" / "screenshots"
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()

# a loaded machine runs the stack slower than a person would wait
expect.set_options(timeout=15_000)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (.ci/run does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser, product: Product) -> Iterator[BrowserContext]:
    """A fresh browser profile per test: no cookies, English, the product's address."""
    opened = browser.new_context(base_url=product.web, locale="en-GB",
                                 viewport={"width": 1280, "height": 900})  # fmt: skip
    opened.set_default_timeout(30_000)
    yield opened
    opened.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    opened = context.new_page()
    yield opened
    failed = any(report.failed for report in request.node.stash.get(REPORTS, {}).values())
    screenshot(opened, request.node, failed)


def screenshot(page: Page, item: pytest.Item, failed: bool) -> None:
    name = re.sub(r"[^\w.-]+", "_", f"{Path(item.path).stem}-{item.name}").strip("_")[:150]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob(f"{name}*.png"):
        old.unlink()
    try:
        page.screenshot(path=SCREENSHOTS / f"{name}{'-failed' if failed else ''}.png",
                        full_page=True)  # fmt: skip
    except Exception as error:  # a crashed page must not hide the test's own outcome
        print(f"no screenshot of {item.nodeid}: {error}")
