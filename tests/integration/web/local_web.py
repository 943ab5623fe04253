"""The web pages on a running product with the demo data, through a Flask test client of the
front service signed in as one of the demo people: the developer's local stack when one
answers (`make demo`), else the session's `product` stack of its own (tests/product.py)."""

from __future__ import annotations

import re

import pytest
import requests
from flask.testing import FlaskClient

from services.identity.demo import DEMO_PASSWORD
from services.web.app import create_app
from shared.settings import Settings
from shared.stack.stack import with_stack_defaults

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


_PRODUCT_ENV: dict[str, str] = {}


def use_product(env: dict[str, str]) -> None:
    """Points the page tests at the session's own product stack."""
    _PRODUCT_ENV.clear()
    _PRODUCT_ENV.update(env)


def _stack_env() -> dict[str, str]:
    return {**(_PRODUCT_ENV or with_stack_defaults()), "COOKIE_SECURE": "false"}


def _answers(url: str | None) -> bool:
    if not url:
        return False
    try:
        return requests.get(f"{url}/healthz", timeout=2).ok
    except requests.RequestException:
        return False


def developer_stack_answers() -> bool:
    env = with_stack_defaults()
    return all(_answers(env.get(f"{name}_URL")) for name in
               ("IDENTITY", "INTAKE", "INDICATORS", "REPORTING", "WEB"))  # fmt: skip


# the page tests need a running product: tests/integration/web/conftest.py provides one
needs_stack = pytest.mark.usefixtures("web_stack")


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def signed_in(username: str) -> FlaskClient:
    """A test client of the web front, signed in as a demo user."""
    app = create_app(Settings.from_env("web", _stack_env()))
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    answer = client.post("/login", data={"csrf_token": csrf_of(form), "username": username,
                                         "password": DEMO_PASSWORD})  # fmt: skip
    assert answer.status_code == 302, f"{username} could not sign in"
    return client
