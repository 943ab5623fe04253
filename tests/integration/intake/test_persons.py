"""One person reported by the police and by a shelter is linked and counted once; a link can be
reversed; an erased person's identifiers become unreadable while the log still verifies."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shared.backbone.checkpoints import CheckpointSigner
from shared.backbone.tamper import issue_checkpoint, verify
from tests.integration.conftest import People, bearer
from tests.integration.intake.test_cases_api import OPENING


@pytest.fixture
def api(intake: Flask) -> FlaskClient:
    return intake.test_client()


def caseworker(people: People) -> dict[str, str]:
    return bearer(people.token("mk.shelter", ("case_worker", "MK")))


def report(api: FlaskClient, people: People, **identifiers: str) -> dict[str, Any]:
    answer = api.post("/api/v1/cases", headers=caseworker(people),
                      json={**OPENING, "country": "MK", "identifiers": identifiers})  # fmt: skip
    assert answer.status_code == 201, answer.json
    return answer.json


def test_one_person_reported_by_the_police_and_a_shelter_is_linked(
    api: FlaskClient, people: People
) -> None:
    police = report(api, people, given_name="Марија", family_name="Стојановска",
                    birth_date="2003-07-09")  # fmt: skip
    shelter = report(api, people, given_name="Marija", family_name="Stojanovska",
                     birth_date="2003-07-09", phone="+389 70 000 000")  # fmt: skip
    assert shelter["linked_person_ids"] == [police["person_id"]]
    assert [e["type"] for e in shelter["events"]] == [
        "CaseOpened", "IdentifiersRecorded", "PersonsLinked"]  # fmt: skip
    stranger = report(api, people, given_name="Marija", family_name="Stojanovska",
                      birth_date="2003-07-10")  # fmt: skip
    assert stranger["linked_person_ids"] == []


def test_no_identifier_is_recorded_in_the_clear(
    api: FlaskClient, people: People, intake: Flask
) -> None:
    case = report(api, people, given_name="Elira", family_name="Dervishi", birth_date="2000-02-02",
                  document_number="AL1234567")  # fmt: skip
    store = intake.extensions["actnow.intake"].store
    recorded = b"".join(e.payload_bytes for e in store.read_stream(f"case-{case['case_id']}"))
    for secret in (b"Elira", b"Dervishi", b"AL1234567", b"2000-02-02"):
        assert secret not in recorded
    shown = api.get(f"/api/v1/cases/{case['case_id']}/identifiers", headers=caseworker(people))
    assert shown.json["identifiers"]["family_name"] == "Dervishi"


def test_a_wrong_link_is_reversed_by_an_event(api: FlaskClient, people: People) -> None:
    first = report(api, people, document_number="MK-99-123")
    second = report(api, people, document_number="mk99123")
    assert second["linked_person_ids"] == [first["person_id"]]
    body = {"person_ids": [first["person_id"]], "reason": "DifferentPersons"}
    undone = api.post(f"/api/v1/cases/{second['case_id']}/unlink", headers=caseworker(people),
                      json=body)  # fmt: skip
    assert undone.status_code == 200, undone.json
    assert undone.json["linked_person_ids"] == []
    assert undone.json["events"][-1]["type"] == "PersonsUnlinked"


def test_bad_identifiers_are_named_and_nothing_is_kept(api: FlaskClient, people: People) -> None:
    bad = {"nickname": "x", "given_name": ""}
    answer = api.post("/api/v1/cases", headers=caseworker(people),
                      json={**OPENING, "country": "MK", "identifiers": bad})  # fmt: skip
    assert answer.status_code == 422
    assert {"identifiers.nickname", "identifiers.given_name"} <= set(answer.json["errors"])
    invalid_case = api.post("/api/v1/cases", headers=caseworker(people), json={
        **OPENING, "country": "MK", "prs_Gender": "?",
        "identifiers": {"document_number": "NEVER-KEPT-1"}})  # fmt: skip
    assert invalid_case.status_code == 422
    later = report(api, people, document_number="NEVER-KEPT-1")
    assert later["linked_person_ids"] == []  # the refused case left no hash behind


def test_erasure_makes_the_identifiers_unreadable_and_the_log_still_verifies(
    api: FlaskClient, people: People, intake: Flask, tmp_path
) -> None:
    case = report(api, people, given_name="Ana", family_name="Erased", birth_date="1990-01-01")
    person = case["person_id"]
    store = intake.extensions["actnow.intake"].store
    signer = CheckpointSigner.from_key_file(store.origin, tmp_path / "checkpoint.key")
    issue_checkpoint(store, signer)
    monitor_only = bearer(people.token("mk.monitor", ("monitor", "MK")))
    refused = api.post(f"/api/v1/persons/{person}/erasure", headers=monitor_only,
                       json={"reason": "DataSubjectRequest"})  # fmt: skip
    assert refused.status_code == 403
    admin = bearer(people.token("mk.admin", ("national_admin", "MK")))
    erased = api.post(f"/api/v1/persons/{person}/erasure", headers=admin,
                      json={"reason": "DataSubjectRequest"})  # fmt: skip
    assert erased.status_code == 204, erased.json
    gone = api.get(f"/api/v1/cases/{case['case_id']}/identifiers", headers=caseworker(people))
    assert gone.status_code == 410
    events = api.get(f"/api/v1/cases/{case['case_id']}", headers=caseworker(people)).json["events"]
    assert events[-1]["type"] == "PersonErased"
    latest = issue_checkpoint(store, signer)
    assert latest is not None
    report_ = verify(store, latest.note, (signer.verifier.key_name, signer.verifier.public_key))
    assert report_.ok, report_.problems
