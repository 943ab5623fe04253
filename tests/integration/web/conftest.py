"""Which running product the page tests use: the developer's stack when it answers (no second
stack on a developer's machine), else the session's own `product` stack with the demo data."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.stack.stack import read_stack_env
from tests.integration.web import local_web


@pytest.fixture(scope="session")
def web_stack(request: pytest.FixtureRequest) -> None:
    if local_web.developer_stack_answers():
        return
    product = request.getfixturevalue("product")
    state = product.env["ACTNOW_STATE_DIR"]
    local_web.use_product({**product.env, **read_stack_env(Path(state) / "stack.env")})
