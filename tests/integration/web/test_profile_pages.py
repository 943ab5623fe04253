"""The national profile pages on the running local stack with its demo data."""

from __future__ import annotations

import re
import uuid

from tests.integration.web.local_web import csrf_of, needs_stack, signed_in

pytestmark = needs_stack
CODE = "CD-07"  # an indicator the demo's figures do not depend on


def _etag(html: str) -> str:
    return re.search(r'name="etag" value="([^"]+)"', html).group(1).replace("&#34;", '"')


def _save(client, **fields: str):
    form = client.get(f"/profiles/MK/{CODE}").get_data(as_text=True)
    data = {"csrf_token": csrf_of(form), "etag": _etag(form), **fields}
    return client.post(f"/profiles/MK/{CODE}", data=data)


def test_the_profile_lists_every_core_indicator_with_its_status() -> None:
    html = signed_in("mk.admin").get("/profiles/").get_data(as_text=True)
    rows = re.findall(r'<tr id="row-([A-Z]{2}-\d{2})">', html)
    assert len(rows) > 50 and "ID-01" in rows
    assert "Adopted" in html
    assert "Confirm the profile" in html or "confirmed on" in html


def test_an_edit_of_one_indicator_persists() -> None:
    client = signed_in("mk.admin")
    basis = f"Law on page tests {uuid.uuid4().hex[:6]}"
    try:
        answer = _save(client, status="adapted", legal_basis=basis, institution="Ministry",
                       **{"titles.mk": "Спроведени препораки"})  # fmt: skip
        assert answer.status_code == 302
        html = client.get("/profiles/").get_data(as_text=True)
        row = html.split(f'id="row-{CODE}"')[1].split("</tr>")[0]
        assert "Adapted" in row and basis in row and "Спроведени препораки" in row
    finally:
        _save(client, status="adopted")


def test_an_adapted_indicator_without_its_institution_shows_the_error_at_that_field() -> None:
    answer = _save(signed_in("mk.admin"), status="adapted", legal_basis="Law",
                   **{"titles.mk": "Наслов"})  # fmt: skip
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(r'<label for="field-institution">.*?<p class="error"', html, re.S)


def test_a_monitor_reads_the_profile_but_is_offered_no_edit() -> None:
    html = signed_in("mk.monitor").get("/profiles/").get_data(as_text=True)
    assert "row-ID-01" in html
    assert "Edit<" not in html and "Confirm the profile" not in html
