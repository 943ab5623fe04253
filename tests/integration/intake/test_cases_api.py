"""Case records over HTTP: opened and extended by case workers of their country, validated field
by field with nothing stored on error, protected by If-Match, listed from the read model, and
every read recorded in the access log."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.conftest import People, bearer, eventually

OPENING = {
    "prs_Gender": "Feminine",
    "prs_Birthdate": "1999-04-02",
    "vic_TraffickingStatus": "ActualVictimOfTrafficking",
    "ext_FirstContactDate": "2025-01-10",
    "ext_IdentificationDate": "2025-02-20",
    "ext_IdentifyingBodyType": "Police",
    "vic_TypeOfExploitation": ["SexualExploitation"],
    "prs_Citizenship": ["MK"],
    "cas_Status": "Active",
}
REFERRAL = {"type": "ReferralMade", "date": "2025-02-21", "direction": "Outgoing",
            "scope": "Domestic", "reason": "AdditionalServicesRequired"}  # fmt: skip


@pytest.fixture
def api(intake: Flask) -> FlaskClient:
    return intake.test_client()


def worker(people: People, country: str = "MK") -> dict[str, str]:
    return bearer(people.token(f"{country.lower()}.worker", ("case_worker", country)))


def open_case(api: FlaskClient, headers: dict[str, str], **changes: Any) -> Any:
    return api.post("/api/v1/cases", json={**OPENING, **changes}, headers=headers)


def test_a_case_worker_opens_a_case_and_adds_a_referral(api: FlaskClient, people: People) -> None:
    headers = worker(people)
    opened = open_case(api, headers, country="MK")
    assert opened.status_code == 201, opened.json
    case_id = opened.json["case_id"]
    assert case_id.startswith("MK-") and opened.headers["ETag"] == '"1"'
    assert opened.json["fields"]["vic_TraffickingStatusDecisionMakingOrg"]  # from the body type
    added = api.post(f"/api/v1/cases/{case_id}/events", json=REFERRAL,
                     headers={**headers, "If-Match": opened.headers["ETag"]})  # fmt: skip
    assert added.status_code == 201, added.json
    assert [e["type"] for e in added.json["recorded"]] == ["ReferralMade"]
    assert added.headers["ETag"] == '"2"'
    whole = api.get(f"/api/v1/cases/{case_id}", headers=headers).json
    assert [e["type"] for e in whole["events"]] == ["CaseOpened", "ReferralMade"]


def test_an_invalid_case_names_every_bad_field_and_stores_nothing(
    api: FlaskClient, people: People
) -> None:
    headers = worker(people)
    answer = open_case(api, headers, country="MK", prs_Gender="Female",
                       ext_IdentificationDate="2025-01-01", prs_FirstName="Ana")  # fmt: skip
    assert answer.status_code == 422
    errors = answer.json["errors"]
    assert "prs_Gender" in errors and "Feminine" in " ".join(errors["prs_Gender"])
    assert "prs_FirstName" in errors
    listed = api.get("/api/v1/cases?country=MK&limit=1000", headers=headers).json["cases"]
    assert all(c["events"] >= 1 for c in listed)  # nothing half-written shows up


def test_an_invalid_event_is_refused_and_the_case_is_unchanged(
    api: FlaskClient, people: People
) -> None:
    headers = worker(people)
    case_id = open_case(api, headers, country="MK").json["case_id"]
    bad = api.post(f"/api/v1/cases/{case_id}/events", headers=headers,
                   json={**REFERRAL, "date": "2025-01-01", "reason": "Because"})  # fmt: skip
    assert bad.status_code == 422 and {"date", "reason"} <= set(bad.json["errors"])
    unknown = api.post(f"/api/v1/cases/{case_id}/events", headers=headers,
                       json={"type": "SomethingElse"})  # fmt: skip
    assert unknown.status_code == 422 and "event_type" in unknown.json["errors"]
    assert api.get(f"/api/v1/cases/{case_id}", headers=headers).json["version"] == 1


def test_a_stale_if_match_is_refused_with_412(api: FlaskClient, people: People) -> None:
    headers = worker(people)
    case_id = open_case(api, headers, country="MK").json["case_id"]
    assert api.post(f"/api/v1/cases/{case_id}/events", json=REFERRAL,
                    headers={**headers, "If-Match": '"1"'}).status_code == 201  # fmt: skip
    stale = api.post(f"/api/v1/cases/{case_id}/events", json=REFERRAL,
                     headers={**headers, "If-Match": '"1"'})  # fmt: skip
    assert stale.status_code == 412


def test_a_case_worker_in_mk_can_neither_read_nor_write_an_rs_case(
    api: FlaskClient, people: People
) -> None:
    rs_case = open_case(api, worker(people, "RS"), country="RS").json["case_id"]
    mk = worker(people, "MK")
    assert api.get(f"/api/v1/cases/{rs_case}", headers=mk).status_code == 403
    assert api.post(f"/api/v1/cases/{rs_case}/events", json=REFERRAL, headers=mk).status_code == 403
    assert api.get("/api/v1/cases?country=RS", headers=mk).status_code == 403
    assert open_case(api, mk, country="RS").status_code == 403


def test_roles_without_case_access_are_refused(api: FlaskClient, people: People) -> None:
    case_id = open_case(api, worker(people), country="MK").json["case_id"]
    for role, scope in (("data_provider", "MK"), ("auditor", "MK"), ("regional_analyst",
                        "regional"), ("reviewer", "MK")):  # fmt: skip
        headers = bearer(people.token("someone", (role, scope)))
        assert api.get(f"/api/v1/cases/{case_id}", headers=headers).status_code == 403, role
    assert api.get(f"/api/v1/cases/{case_id}").status_code == 401


def test_a_correction_supersedes_and_keeps_the_original(api: FlaskClient, people: People) -> None:
    headers = worker(people)
    case = open_case(api, headers, country="MK").json
    opened_id = case["events"][0]["event_id"]
    corrected = api.post(f"/api/v1/cases/{case['case_id']}/events", headers=headers, json={
        "type": "CaseCorrected", "superseded_event_ids": [opened_id],
        "corrected_event_type": "intake.CaseOpened",
        "corrected_fields": {"vic_TypeOfExploitation": ["ForcedLabour"]},
        "reason": "DataEntryError",
    })  # fmt: skip
    assert corrected.status_code == 201, corrected.json
    assert corrected.json["fields"]["vic_TypeOfExploitation"] == ["ForcedLabour"]
    body = api.get(f"/api/v1/cases/{case['case_id']}", headers=headers).json
    assert body["fields"]["vic_TypeOfExploitation"] == ["ForcedLabour"]
    assert body["events"][0]["superseded"] is True and len(body["events"]) == 2
    assert body["events"][0]["fields"]["vic_TypeOfExploitation"] == ["SexualExploitation"]


def test_the_case_list_comes_from_the_read_model_with_filters_and_pages(
    api: FlaskClient, people: People
) -> None:
    headers = worker(people, "AL")
    ids = [open_case(api, headers, country="AL").json["case_id"] for _ in range(3)]
    child = open_case(api, headers, country="AL", prs_Birthdate="2010-01-01",
                      ext_IsChild=True).json["case_id"]  # fmt: skip

    def listed() -> list[str]:
        page = api.get("/api/v1/cases?country=AL&limit=1000", headers=headers).json
        return [c["case_id"] for c in page["cases"]]

    eventually(lambda: {*ids, child} <= set(listed()))
    children = api.get("/api/v1/cases?country=AL&is_child=true", headers=headers).json["cases"]
    assert child in [c["case_id"] for c in children]
    assert not set(ids) & {c["case_id"] for c in children}
    first = api.get("/api/v1/cases?country=AL&limit=2", headers=headers).json
    second = api.get(f"/api/v1/cases?country=AL&limit=2&after={first['next_after']}",
                     headers=headers).json  # fmt: skip
    assert not {c["case_id"] for c in first["cases"]} & {c["case_id"] for c in second["cases"]}


def test_every_read_of_a_case_is_in_the_access_log_for_the_national_admin(
    api: FlaskClient, people: People
) -> None:
    headers = worker(people)
    case_id = open_case(api, headers, country="MK").json["case_id"]
    monitor = bearer(people.token("mk.the-monitor", ("monitor", "MK")))
    assert api.get(f"/api/v1/cases/{case_id}", headers=monitor).status_code == 200
    admin = bearer(people.token("mk.admin", ("national_admin", "MK")))
    log = api.get(f"/api/v1/access-log?country=MK&case_id={case_id}", headers=admin)
    assert log.status_code == 200
    assert [(r["username"], r["action"]) for r in log.json] == [("mk.the-monitor", "read")]
    assert api.get("/api/v1/access-log?country=MK", headers=monitor).status_code == 403


def test_the_list_follows_later_events_and_corrections(api: FlaskClient, people: People) -> None:
    headers = worker(people, "AL")
    case = open_case(api, headers, country="AL").json
    case_id = case["case_id"]
    api.post(f"/api/v1/cases/{case_id}/events", json=REFERRAL, headers=headers)
    closing = {"type": "CaseClosed", "ext_CaseClosedDate": "2025-06-01", "cas_Status": "Closed"}
    closed = api.post(f"/api/v1/cases/{case_id}/events", headers=headers, json=closing)
    assert closed.status_code == 201, closed.json

    def row() -> dict:
        page = api.get("/api/v1/cases?country=AL&limit=1000", headers=headers).json["cases"]
        return next((c for c in page if c["case_id"] == case_id), {})

    eventually(lambda: row().get("version") == 3)
    assert (row()["status"], row()["closed_date"], row()["events"]) == ("Closed", "2025-06-01", 3)
    fix = {"type": "CaseCorrected", "superseded_event_ids": [case["events"][0]["event_id"]],
           "corrected_event_type": "intake.CaseOpened", "corrected_fields": {"prs_Gender":
           "Masculine"}, "reason": "DataEntryError"}  # fmt: skip
    assert api.post(f"/api/v1/cases/{case_id}/events", json=fix, headers=headers).status_code == 201
    eventually(lambda: row().get("gender") == "Masculine")
    assert row()["version"] == 4 and row()["events"] == 4


def test_a_batch_of_events_is_recorded_in_order_all_or_none(
    api: FlaskClient, people: People
) -> None:
    headers = worker(people)
    case_id = open_case(api, headers, country="MK").json["case_id"]
    service = {"type": "ServiceDelivered", "start_date": "2025-03-01", "service_type": "Medical"}
    closing = {"type": "CaseClosed", "ext_CaseClosedDate": "2025-06-01", "cas_Status": "Closed"}
    late = {**service, "start_date": "2025-07-01"}  # after the closure the batch just made
    refused = api.post(f"/api/v1/cases/{case_id}/events/batch", headers=headers,
                       json={"events": [REFERRAL, closing, late]})  # fmt: skip
    assert refused.status_code == 422 and any(k.startswith("events.2.") for k in
                                              refused.json["errors"])  # fmt: skip
    assert api.get(f"/api/v1/cases/{case_id}", headers=headers).json["version"] == 1
    done = api.post(f"/api/v1/cases/{case_id}/events/batch", headers=headers,
                    json={"events": [REFERRAL, service, closing]})  # fmt: skip
    assert done.status_code == 201, done.json
    assert [e["type"] for e in done.json["recorded"]] == [
        "ReferralMade", "ServiceDelivered", "CaseClosed"]  # fmt: skip
    assert done.json["status"] == "Closed" and done.headers["ETag"] == '"4"'
