"""A monitoring cycle over HTTP, on the real servers: the national admin confirms a profile and
opens the cycle, the monitor generates requests from the profile, the police answer through the
request's workbook and the intake submission API, the court refuses, the others let the
deadline pass; the follow-up records it all as events, and the cycle says, indicator by
indicator, what has data and what is missing and why. Who may see and do what is checked by
role, organisation and country."""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from services.identity.directory import Organisation
from services.indicators.computing import ValuesComputer
from services.indicators.cycle_views import Institutions, MonitoringCycles, RequestFollowUp
from services.registry import REGISTRY
from shared.backbone.projections import query_read_model
from shared.backbone.store import EventStore
from shared.backbone.worker import start_worker
from shared.db import create_pool
from tests.integration.conftest import People, bearer, eventually

COUNTRY, YEAR = "MK", 2025
VERSION = "2025.1-seed"
TODAY = date.today()
DEADLINE = TODAY + timedelta(days=14)
LATER = TODAY + timedelta(days=30)  # the deadline has passed
PROSECUTOR = f"Public Prosecutor's Office {uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def cycle_node(
    node: tuple[Flask, ValuesComputer], identity_worker: None
) -> Iterator[tuple[Flask, RequestFollowUp]]:
    """The indicators node, with the cycle and institution read models in a worker of their
    own and the follow-up task to run by hand."""
    app, _ = node
    service = app.extensions["actnow.indicators"]
    settings = service.settings
    stop = threading.Event()
    with create_pool(settings.database_url, 4, name="indicators-cycles-tests") as pool:
        views = MonitoringCycles(settings.events_topic("indicators"))
        institutions = Institutions(settings.events_topic("identity"))
        threads = start_worker(settings, REGISTRY, pool, stop, [views, institutions])
        store = EventStore(pool, settings.schema, settings.origin, REGISTRY)
        yield app, RequestFollowUp(pool, settings.schema, store, service.history, views)
        stop.set()
        for thread in threads:
            thread.join(timeout=15)


@pytest.fixture(scope="module")
def institutions(people: People, cycle_node: tuple[Flask, RequestFollowUp]) -> dict[str, Any]:
    """The institutions of the country, as the indicators service has seen them registered."""
    made = {
        "police": people.operator.organisation(f"Police {uuid.uuid4().hex[:6]}", COUNTRY,
                                               "police"),
        "courts": people.operator.organisation(f"Basic Court {uuid.uuid4().hex[:6]}", COUNTRY,
                                               "court"),
        "national_coordinator": people.operator.organisation(
            f"National Commission {uuid.uuid4().hex[:6]}", COUNTRY, "national_coordinator"),
        "prosecutor": people.operator.organisation(PROSECUTOR, COUNTRY, "prosecution"),
    }  # fmt: skip
    app, _ = cycle_node
    service = app.extensions["actnow.indicators"]
    wanted = {str(o.organisation_id) for o in made.values()}

    def seen() -> bool:
        rows = query_read_model(service.pool, service.settings.schema,
                                Institutions(service.settings.events_topic("identity")),
                                "SELECT organisation_id::text AS id FROM {schema}.institutions",
                                ())  # fmt: skip
        return wanted <= {r["id"] for r in rows}

    eventually(seen)
    return made


@pytest.fixture
def api(cycle_node: tuple[Flask, RequestFollowUp]) -> FlaskClient:
    return cycle_node[0].test_client()


def as_(people: People, *grants: tuple[str, str], org: Organisation | None = None) -> dict:
    return bearer(people.token(f"u{uuid.uuid4().hex[:8]}", *grants,
                               org=str(org.organisation_id) if org else ""))  # fmt: skip


def path(suffix: str = "", year: int = YEAR, country: str = COUNTRY) -> str:
    return f"/api/v1/cycles/{country}/{year}{suffix}"


def is_problem(answer: Any, status: int, *fields: str) -> bool:
    body = answer.get_json()
    return (answer.status_code == status and answer.mimetype == "application/problem+json"
            and set(body.get("errors", {})) >= set(fields))  # fmt: skip


@pytest.fixture(scope="module")
def opened(
    cycle_node: tuple[Flask, RequestFollowUp], people: People, institutions: dict[str, Any]
) -> dict[str, Any]:
    """The profile adapted (CJ-02 held by a named prosecutor's office), CJ-07 dropped,
    confirmed; the cycle opened and its requests generated."""
    api = cycle_node[0].test_client()
    admin = as_(people, ("national_admin", COUNTRY))
    profile = f"/api/v1/profiles/{COUNTRY}/{VERSION}"
    adapted = {"status": "adapted", "titles": {"mk": "Лица обвинети за трговија"},
               "legal_basis": "Criminal Code, art. 418-a", "institution": PROSECUTOR}  # fmt: skip
    assert api.put(f"{profile}/indicators/CJ-02", json=adapted, headers=admin).status_code == 200
    dropped = {"status": "dropped", "reason": "Cases concluded under other offences are not"
                                              " counted"}  # fmt: skip
    assert api.put(f"{profile}/indicators/CJ-07", json=dropped, headers=admin).status_code == 200
    assert api.post(f"{profile}/confirm", headers=admin).status_code == 200

    deadlines = {"requests_due": (TODAY + timedelta(days=20)).isoformat(),
                 "scoring_due": (TODAY + timedelta(days=60)).isoformat(),
                 "report_due": (TODAY + timedelta(days=120)).isoformat()}  # fmt: skip
    answer = api.post(path(), json=deadlines, headers=admin)
    assert answer.status_code == 201, answer.get_json()
    assert answer.json["profile_version"] >= 1 and answer.headers["ETag"] == '"1"'

    monitor = as_(people, ("monitor", COUNTRY))
    chosen = {key: str(institutions[key].organisation_id)
              for key in ("police", "courts", "national_coordinator")}  # fmt: skip
    body = {"deadline": DEADLINE.isoformat(), "organisations": chosen}
    answer = api.post(path("/requests"), json=body, headers=monitor)
    assert answer.status_code == 201, answer.get_json()
    by_org = {r["organisation_id"]: r for r in answer.json["requests"]}
    return {key: by_org[str(o.organisation_id)] for key, o in institutions.items()} | {
        "unaddressed": answer.json["unaddressed"]}  # fmt: skip


def test_requests_are_generated_from_the_profile_one_per_institution(opened: dict) -> None:
    assert opened["police"]["fields"] == ["agg_cj_InvestigationsOpened"]
    assert opened["police"]["indicators"] == ["CJ-01"]
    assert opened["prosecutor"]["fields"] == ["agg_cj_PersonsIndicted"]
    assert opened["prosecutor"]["institution"] == PROSECUTOR
    assert "agg_cj_THBCasesConcludedOtherOffence" not in opened["courts"]["fields"]
    assert "agg_cj_FinalSentenceRecords" in opened["courts"]["fields"]
    assert opened["national_coordinator"]["fields"] == ["agg_fin_AssistanceFundingEUR"]
    assert {r["status"] for k, r in opened.items() if k != "unaddressed"} == {"sent"}
    assert {r["language"] for k, r in opened.items() if k != "unaddressed"} == {"mk"}
    assert opened["unaddressed"] == []


def test_a_full_cycle_one_answered_one_refused_the_others_overdue(
    api: FlaskClient, people: People, opened: dict, institutions: dict,
    cycle_node: tuple[Flask, RequestFollowUp], intake: Flask,
) -> None:  # fmt: skip
    police, court = institutions["police"], institutions["courts"]
    police_provider = as_(people, ("data_provider", COUNTRY), org=police)
    request = opened["police"]["request_id"]
    # the police fill in the workbook generated for their request...
    answer = api.get(path(f"/requests/{request}/workbook"), headers=police_provider)
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(answer.data))
    for row in book["Request"].iter_rows(min_row=2):
        if row[0].value == "document_title":
            row[1].value = "Annual crime statistics 2025"
    for row in book["Figures"].iter_rows(min_row=2):
        if row[0].value == "agg_cj_InvestigationsOpened" and not row[1].value:
            row[3].value = 12
        if row[2].value == "SexualExploitation":
            row[3].value = 8
    filled = io.BytesIO()
    book.save(filled)
    answer = api.post(path(f"/requests/{request}/workbook"), data=filled.getvalue(),
                      headers=police_provider)  # fmt: skip
    assert answer.status_code == 200, answer.get_json()
    submission = answer.json
    assert submission["figures"]["agg_cj_InvestigationsOpened"]["total"] == 12
    # ... and submit it through the intake service
    answer = intake.test_client().post("/api/v1/submissions", json=submission,
                                       headers=police_provider)  # fmt: skip
    assert answer.status_code == 201, answer.get_json()

    # the court refuses, through its own data_provider
    court_provider = as_(people, ("data_provider", COUNTRY), org=court)
    refused = api.post(path(f"/requests/{opened['courts']['request_id']}/refusal"),
                       json={"reason": "Court statistics are published only annually in June"},
                       headers=court_provider)  # fmt: skip
    assert refused.status_code == 200, refused.get_json()
    assert refused.json["status"] == "refused" and refused.json["refused_by"]

    monitor = as_(people, ("monitor", COUNTRY))

    def statuses(as_of: date) -> dict[str, str]:
        rows = api.get(path("/requests"), query_string={"as_of": as_of.isoformat()},
                       headers=monitor).json  # fmt: skip
        return {r["organisation_id"]: r["status"] for r in rows}

    answered = eventually(lambda: statuses(TODAY).get(str(police.organisation_id)) == "answered")
    assert answered
    later = statuses(LATER)
    assert later[str(court.organisation_id)] == "refused"
    assert later[str(institutions["prosecutor"].organisation_id)] == "overdue"
    assert later[str(institutions["national_coordinator"].organisation_id)] == "overdue"

    reminders = api.get(path("/reminders"), query_string={"as_of": LATER.isoformat()},
                        headers=monitor).json  # fmt: skip
    assert {r["organisation_id"] for r in reminders} == {
        str(institutions["prosecutor"].organisation_id),
        str(institutions["national_coordinator"].organisation_id)}  # fmt: skip
    assert all(r["days_overdue"] == 16 and r["missing_fields"] for r in reminders)

    # the follow-up records what the submissions and the date changed, once
    _, follow_up = cycle_node
    # (once the read model lists the cycle's requests still open)
    assert eventually(lambda: follow_up.run_once(LATER)) == 3  # police answered; two overdue
    assert follow_up.run_once(LATER) == 0

    def listed() -> dict | None:
        rows = api.get("/api/v1/cycles", query_string={"country": COUNTRY}, headers=monitor).json
        row = next((r for r in rows if r["year"] == YEAR), None)
        return row if row and row["overdue"] == 2 else None

    row = eventually(listed)
    assert (row["requests"], row["answered"], row["refused"]) == (4, 1, 1)

    # the cycle at a glance
    state = api.get(path(), query_string={"as_of": LATER.isoformat()}, headers=monitor)
    assert state.status_code == 200 and state.headers["ETag"] == f'"{state.json["version"]}"'
    by_code = {i["code"]: i for i in state.json["indicators"]}
    assert by_code["CJ-01"]["state"] == "data"
    assert (by_code["CJ-03"]["state"], by_code["CJ-03"]["reason"]) == ("missing", "request_refused")
    assert "published only annually" in by_code["CJ-03"]["detail"]
    assert by_code["CJ-02"]["reason"] == "request_overdue"
    assert by_code["AS-08"]["reason"] == "request_overdue"
    assert by_code["CJ-07"]["reason"] == "dropped"
    assert by_code["CD-07"]["reason"] == "no_data_source"
    assert by_code["CD-04"]["reason"] == "not_scored"
    assert by_code["ID-01"]["reason"] == "no_case_data"
    assert state.json["requests_by_status"]["answered"] == 1
    assert {r["status"] for r in state.json["reminders"]} == {"overdue"}
    suggestions = state.json["evidence_suggestions"]
    assert {s["status"] for s in suggestions} == {"refused", "overdue"}
    assert all(s["indicators"] == ["CD-04"] for s in suggestions)
    # a suggestion is an evidence item the assessment takes as it is
    evidence = next(s["evidence"] for s in suggestions if s["status"] == "refused")
    scored = api.post(f"/api/v1/assessments/{COUNTRY}/{YEAR}/CD-04",
                      json={"score": 1, "evidence": [evidence]}, headers=monitor)  # fmt: skip
    assert scored.status_code == 200, scored.get_json()


def test_the_request_letter_is_a_pdf_in_the_national_language_or_another(
    api: FlaskClient, people: People, opened: dict
) -> None:
    monitor = as_(people, ("monitor", COUNTRY))
    request = opened["prosecutor"]["request_id"]
    for language in ("mk", "sq", "en"):
        answer = api.get(path(f"/requests/{request}/letter"), query_string={"language": language},
                         headers=monitor)  # fmt: skip
        assert answer.status_code == 200 and answer.mimetype == "application/pdf"
        assert answer.data.startswith(b"%PDF-")
    answer = api.get(path(f"/requests/{request}/letter"), query_string={"language": "de"},
                     headers=monitor)  # fmt: skip
    assert is_problem(answer, 422, "query.language")


def test_a_data_provider_sees_only_its_own_organisations_requests(
    api: FlaskClient, people: People, opened: dict, institutions: dict
) -> None:
    police = as_(people, ("data_provider", COUNTRY), org=institutions["police"])
    rows = api.get(path("/requests"), headers=police).json
    assert [r["request_id"] for r in rows] == [opened["police"]["request_id"]]
    court_request = opened["courts"]["request_id"]
    assert is_problem(api.get(path(f"/requests/{court_request}"), headers=police), 404)
    assert is_problem(api.get(path(f"/requests/{court_request}/letter"), headers=police), 404)
    refusal = api.post(path(f"/requests/{opened['prosecutor']['request_id']}/refusal"),
                       json={"reason": "Not ours"}, headers=police)  # fmt: skip
    assert is_problem(refusal, 404)
    assert is_problem(api.get(path(), headers=police), 403)
    assert is_problem(api.get(path("/reminders"), headers=police), 403)


def test_other_countries_and_roles_are_refused(
    api: FlaskClient, people: People, opened: dict
) -> None:
    rs_monitor = as_(people, ("monitor", "RS"))
    assert is_problem(api.get(path(), headers=rs_monitor), 403)
    assert is_problem(api.get(path("/requests"), headers=rs_monitor), 403)
    request = opened["police"]["request_id"]
    assert is_problem(api.get(path(f"/requests/{request}/workbook"), headers=rs_monitor), 403)
    rs_provider = as_(people, ("data_provider", "RS"))
    assert is_problem(api.get(path(f"/requests/{request}"), headers=rs_provider), 403)
    case_worker = as_(people, ("case_worker", COUNTRY))
    deadlines = {"requests_due": "2025-03-31", "scoring_due": "2025-05-31",
                 "report_due": "2025-09-30"}  # fmt: skip
    assert is_problem(api.post(path(year=2024), json=deadlines, headers=case_worker), 403)
    assert is_problem(api.post(path("/requests"), json={}, headers=case_worker), 403)
    assert is_problem(api.get(path(country="DE"), headers=rs_monitor), 404, "country")
    assert is_problem(api.get(path(year=2019), headers=as_(people, ("monitor", COUNTRY))), 404)
    assert api.get(path()).status_code == 401


def test_errors_name_their_fields(api: FlaskClient, people: People, opened: dict) -> None:
    admin = as_(people, ("national_admin", COUNTRY))
    wrong = {"requests_due": "2024-06-01", "scoring_due": "2024-05-01",
             "report_due": "2024-09-01", "profile_version": 99}  # fmt: skip
    assert is_problem(api.post(path(year=2024), json=wrong, headers=admin), 422,
                      "requests_due", "scoring_due", "profile_version")  # fmt: skip
    assert is_problem(api.post(path(year=2024), json={}, headers=admin), 422,
                      "requests_due", "scoring_due", "report_due")  # fmt: skip
    again = {"requests_due": (TODAY + timedelta(days=1)).isoformat(),
             "scoring_due": (TODAY + timedelta(days=2)).isoformat(),
             "report_due": (TODAY + timedelta(days=3)).isoformat()}  # fmt: skip
    assert is_problem(api.post(path(), json=again, headers=admin), 409, "year")
    monitor = as_(people, ("monitor", COUNTRY))
    past = api.post(path("/requests"), json={"deadline": "2020-01-01"}, headers=monitor)
    assert is_problem(past, 422, "deadline")
    refusal = api.post(path(f"/requests/{opened['prosecutor']['request_id']}/refusal"),
                       json={"reason": " "}, headers=monitor)  # fmt: skip
    assert is_problem(refusal, 422, "reason")
    stale = api.post(path("/requests"), json={}, headers={**monitor, "If-Match": '"1"'})
    assert is_problem(stale, 412, "If-Match")
