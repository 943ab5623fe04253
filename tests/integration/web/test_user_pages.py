"""The user pages on the running local stack with its demo data."""

from __future__ import annotations

import re
import uuid

from tests.integration.web.local_web import csrf_of, needs_stack, signed_in

pytestmark = needs_stack


def _new_user_form(client) -> tuple[str, str]:
    """The add-a-user form's CSRF token and its first organisation."""
    html = client.get("/users/new").get_data(as_text=True)
    organisation = re.search(r'<option value="([0-9a-f-]{36})"', html)
    assert organisation, "the form offers no organisation"
    return csrf_of(html), organisation.group(1)


def test_a_national_administrator_sees_the_users_of_their_country() -> None:
    html = signed_in("mk.admin").get("/users/").get_data(as_text=True)
    assert "mk.caseworker" in html and "North Macedonia" in html
    assert "al.admin" not in html


def test_adding_a_user_without_a_display_name_shows_the_error_at_that_field() -> None:
    client = signed_in("mk.admin")
    token, organisation = _new_user_form(client)
    answer = client.post("/users/new", data={
        "csrf_token": token, "username": f"mk.t{uuid.uuid4().hex[:8]}",
        "organisation_id": organisation, "password": "Long-enough-pass-42", "role": "monitor",
    })  # fmt: skip
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(r'<label for="field-display_name">.*?</label><p class="error"', html, re.S)
    assert 'value="Long-enough-pass-42"' not in html, "a password is never sent back"


def test_an_added_user_has_the_role_chosen_and_can_be_deactivated() -> None:
    client = signed_in("mk.admin")
    token, organisation = _new_user_form(client)
    username = f"mk.t{uuid.uuid4().hex[:8]}"
    answer = client.post("/users/new", data={
        "csrf_token": token, "username": username, "display_name": "Page test",
        "organisation_id": organisation, "password": "Long-enough-pass-42", "role": "monitor",
    })  # fmt: skip
    assert answer.status_code == 302
    html = client.get(f"/users/{username}").get_data(as_text=True)
    assert "Monitor" in html and "/deactivate" in html
    etag = re.search(r'name="etag" value="([^"]+)"', html).group(1).replace("&#34;", '"')
    answer = client.post(f"/users/{username}/deactivate", data={
        "csrf_token": csrf_of(html), "etag": etag, "reason": "page test"})  # fmt: skip
    assert answer.status_code == 302
    assert "Reactivate" in client.get(f"/users/{username}").get_data(as_text=True)


def test_an_auditor_may_not_open_the_user_pages() -> None:
    assert signed_in("mk.auditor").get("/users/").status_code == 403
