"""National profiles and qualitative assessments over HTTP, on the real servers: a profile is
adapted, confirmed and changed into its next version; an assessment is scored, returned,
scored again and confirmed by a second person; errors name their fields; If-Match guards
against lost updates; the read models list what was recorded; and who may do what, by role and
country, is checked endpoint by endpoint."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.indicators.app import create_app
from services.indicators.assessment_views import Assessments, NationalProfiles
from services.indicators.catalogue import SEED_PATH, load_catalogue
from services.registry import REGISTRY
from shared.backbone.worker import start_worker
from shared.db import create_pool, migrate, service_migrations
from shared.settings import Settings
from tests.integration.conftest import People, bearer, eventually, settings_for

VERSION = "2025.1-seed"
QUALITATIVE = [i.code for i in load_catalogue(SEED_PATH).indicators if not i.quantitative]
SOP = {"kind": "document", "title": "Standard operating procedures",
       "reference": "https://example.org/sop.pdf", "date": "2023-06-01"}  # fmt: skip
UPLOAD = {"kind": "file", "sha256": "0123456789abcdef" * 4, "name": "greta-report.pdf"}
# (year, indicator) pairs no test has used yet in the authorisation table's country, so that
# each of its calls has an assessment stream of its own
UNUSED = iter(itertools.product(range(2000, 2024), QUALITATIVE))


@pytest.fixture(scope="module")
def app(
    identity_settings: Settings, identity_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The indicators service with the profile and assessment read models in its worker."""
    settings = settings_for(
        "indicators", identity_settings.database_url, identity_settings.kafka_bootstrap,
        Path(tmp_path_factory.mktemp("indicators-assessments-state")),
        identity_settings.topic_prefix, jwks_url=f"{identity_url}/.well-known/jwks.json",
    )  # fmt: skip
    migrate(settings.database_url, "indicators", service_migrations("indicators"))
    app = create_app(settings)
    stop = threading.Event()
    with create_pool(settings.database_url, 4, name="indicators-assessments-tests") as pool:
        topic = settings.events_topic("indicators")
        threads = start_worker(settings, REGISTRY, pool, stop,
                               [NationalProfiles(topic), Assessments(topic)])  # fmt: skip
        yield app
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    app.extensions["actnow.db"].close()


@pytest.fixture
def api(app: Flask) -> FlaskClient:
    return app.test_client()


def as_(people: People, username: str, *grants: tuple[str, str]) -> dict[str, str]:
    return bearer(people.token(username, *grants))


def profile_path(country: str, suffix: str = "") -> str:
    return f"/api/v1/profiles/{country}/{VERSION}{suffix}"


def assessment_path(country: str, year: int, code: str, suffix: str = "") -> str:
    return f"/api/v1/assessments/{country}/{year}/{code}{suffix}"


def is_problem(answer: Any, status: int, *fields: str) -> bool:
    """A problem+json answer of that status whose errors name exactly these fields."""
    body = answer.get_json()
    return (answer.status_code == status and answer.mimetype == "application/problem+json"
            and set(body.get("errors", {})) == set(fields))  # fmt: skip


# --- profiles -----------------------------------------------------------------------------------
ADAPTED = {
    "status": "adapted",
    "titles": {"sr-Cyrl": "Формална идентификација", "sr-Latn": "Formalna identifikacija"},
    "legal_basis": "Zakon o socijalnoj zaštiti, čl. 41",
    "institution": "Centar za zaštitu žrtava trgovine ljudima",
    "mappings": [{"field": "ext_IdentifyingBodyType", "national_code": "CZŽTLJ",
                  "core_code": "IdentificationOffice"}],
    "scale_texts": {"2": {"sr-Latn": "U potpunosti"}},
}  # fmt: skip
ADDITION = {"status": "national_addition", "kind": "quantitative",
            "titles": {"sr-Latn": "Deca smeštena u prihvatilište"}}  # fmt: skip


def test_a_national_admin_adapts_confirms_and_a_later_change_opens_the_next_version(
    api: FlaskClient, people: People, app: Flask
) -> None:
    admin = as_(people, "rs.admin", ("national_admin", "RS"))
    answer = api.put(profile_path("RS", "/indicators/ID-06"), json=ADAPTED, headers=admin)
    assert answer.status_code == 200, answer.get_json()
    assert answer.json["status"] == "adapted" and answer.json["comparable"] is True
    assert answer.json["mappings"] == ADAPTED["mappings"] and answer.headers["ETag"] == '"1"'
    answer = api.put(profile_path("RS", "/indicators/RS-AS-90"), json=ADDITION, headers=admin)
    assert answer.status_code == 200 and answer.json["national_addition"] is True

    profile = api.get(profile_path("RS"), headers=admin).json
    by_code = {i["code"]: i for i in profile["indicators"]}
    assert len(by_code) == 60 and profile["profile_version"] == 1 and not profile["confirmed"]
    assert by_code["ID-01"]["status"] == "adopted" and not by_code["ID-01"]["explicit"]
    assert by_code["ID-06"]["titles"]["sr-Cyrl"] == "Формална идентификација"
    assert by_code["RS-AS-90"]["comparable"] is False

    confirmed = api.post(profile_path("RS", "/confirm"), headers=admin)
    assert confirmed.status_code == 200 and confirmed.json["confirmed"]
    assert confirmed.json["confirmed_by"] == "rs.admin" and confirmed.json["confirmed_version"] == 1
    assert is_problem(api.post(profile_path("RS", "/confirm"), headers=admin), 409,
                      "profile_version")  # fmt: skip

    dropping = {"status": "dropped", "reason": "There is no state compensation fund."}
    answer = api.put(profile_path("RS", "/indicators/CO-04"), json=dropping, headers=admin)
    assert answer.status_code == 200 and answer.json["profile_version"] == 2
    latest = api.get(profile_path("RS"), headers=admin).json
    assert (latest["profile_version"], latest["confirmed"], latest["confirmed_version"]) == (
        2, False, 1)  # fmt: skip
    first = api.get(profile_path("RS", "/indicators/CO-04"), query_string={"version": 1},
                    headers=admin).json  # fmt: skip
    assert first["status"] == "adopted" and first["confirmed"]  # version 1 as it was confirmed

    def second_version() -> dict[str, str]:
        with app.extensions["actnow.db"].connection() as conn:
            rows = conn.execute(
                "SELECT code, status FROM indicators.profile_indicators WHERE country = 'RS'"
                " AND profile_version = 2 AND explicit").fetchall()  # fmt: skip
        return dict(rows) if len(rows) == 3 else {}

    # the read model's version 2 starts from version 1
    assert eventually(second_version) == {"ID-06": "adapted", "RS-AS-90": "national_addition",
                                          "CO-04": "dropped"}  # fmt: skip


def test_profile_errors_are_problems_that_name_the_field(api: FlaskClient, people: People) -> None:
    admin = as_(people, "me.admin", ("national_admin", "ME"))
    cases = [
        ("/indicators/ID-06", {"status": "adapted"}, 422, ("titles", "legal_basis", "institution")),
        ("/indicators/ID-06", {"status": "dropped"}, 422, ("reason",)),
        ("/indicators/ID-01", {"status": "adopted", "titles": {"de": "Opfer"}}, 422,
         ("titles.de",)),
        ("/indicators/RS-AS-90", ADDITION, 422, ("code",)),  # not ME's prefix
        ("/indicators/ID-01", {"status": "adopted", "colour": "red"}, 422, ("colour",)),
        ("/indicators/ID-01", {"status": "kept"}, 422, ("status",)),
    ]  # fmt: skip
    for suffix, body, status, fields in cases:
        answer = api.put(profile_path("ME", suffix), json=body, headers=admin)
        assert is_problem(answer, status, *fields), (body, answer.get_json())
    other_version = api.put("/api/v1/profiles/ME/2024.1/indicators/ID-01",
                            json={"status": "adopted"}, headers=admin)  # fmt: skip
    assert is_problem(other_version, 404, "catalog_version")
    assert is_problem(api.get("/api/v1/profiles/NL/2025.1-seed", headers=admin), 404, "country")


def test_if_match_keeps_a_profile_change_from_overwriting_one_not_seen(
    api: FlaskClient, people: People
) -> None:
    admin = as_(people, "ba.admin", ("national_admin", "BA"))
    etag = api.get(profile_path("BA"), headers=admin).headers["ETag"]
    first = {"status": "adopted", "titles": {"bs": "Identifikovane žrtve"}}
    answer = api.put(profile_path("BA", "/indicators/ID-01"), json=first,
                     headers={**admin, "If-Match": etag})  # fmt: skip
    assert answer.status_code == 200
    stale = api.put(profile_path("BA", "/indicators/ID-01"),
                    json={**first, "titles": {"hr": "Identificirane žrtve"}},
                    headers={**admin, "If-Match": etag})  # fmt: skip
    assert is_problem(stale, 412, "If-Match")
    confirmed = api.post(profile_path("BA", "/confirm"),
                         headers={**admin, "If-Match": answer.headers["ETag"]})  # fmt: skip
    assert confirmed.status_code == 200


def test_the_read_model_lists_profile_versions_with_every_indicator_once_confirmed(
    api: FlaskClient, people: People, app: Flask
) -> None:
    admin = as_(people, "xk.admin", ("national_admin", "XK"))
    api.put(profile_path("XK", "/indicators/XK-CD-90"), headers=admin,
            json={**ADDITION, "titles": {"sq": "Shtesë kombëtare"}})  # fmt: skip
    assert api.post(profile_path("XK", "/confirm"), headers=admin).status_code == 200

    def listed() -> list[dict]:
        rows = api.get("/api/v1/profiles", query_string={"country": "XK"}, headers=admin).json
        return rows if rows and rows[0]["confirmed_at"] else []

    [row] = eventually(listed)
    assert (row["profile_version"], row["indicators_set"]) == (1, 1)
    with app.extensions["actnow.db"].connection() as conn:
        statuses = dict(conn.execute(
            "SELECT code, status FROM indicators.profile_indicators WHERE country = 'XK'"
            " AND profile_version = 1").fetchall())  # fmt: skip
    assert len(statuses) == 60 and statuses["XK-CD-90"] == "national_addition"
    assert {s for c, s in statuses.items() if c != "XK-CD-90"} == {"adopted"}


# --- assessments ----------------------------------------------------------------------------------
def test_an_assessment_is_scored_returned_scored_again_and_confirmed_by_a_second_person(
    api: FlaskClient, people: People
) -> None:
    monitor = as_(people, "mk.monitor", ("monitor", "MK"))
    both = as_(people, "mk.both", ("monitor", "MK"), ("reviewer", "MK"))
    reviewer = as_(people, "mk.reviewer", ("reviewer", "MK"))
    path = assessment_path("MK", 2024, "ID-06")

    def listed(status: str) -> list[dict]:
        rows = api.get("/api/v1/assessments", query_string={"country": "MK", "year": 2024},
                       headers=reviewer).json  # fmt: skip
        return [r for r in rows if r["code"] == "ID-06" and r["status"] == status]

    answer = api.post(path, json={"score": 2, "evidence": [SOP, UPLOAD]}, headers=both)
    assert answer.status_code == 200, answer.get_json()
    assert answer.json["status"] == "awaiting_review" and answer.headers["ETag"] == '"1"'
    assert answer.json["title"] == "Formal identification procedure in place"
    assert is_problem(api.post(f"{path}/confirm", json={}, headers=both), 403, "reviewed_by")
    assert is_problem(api.post(f"{path}/return", json={}, headers=reviewer), 422, "comment")

    comment = {"comment": "Not applied nationwide."}
    back = api.post(f"{path}/return", json=comment, headers=reviewer)
    assert back.json["status"] == "returned" and back.json["review_comment"] == comment["comment"]
    eventually(lambda: listed("returned"))
    again = api.post(path, json={"score": 1, "evidence": [SOP], "rationale": "Two regions only."},
                     headers=monitor)  # fmt: skip
    assert again.json["status"] == "awaiting_review" and again.json["scored_by"] == "mk.monitor"
    # in the list too, the new scoring awaits review and the earlier review is gone
    [pending] = eventually(lambda: listed("awaiting_review"))
    assert (pending["version"], pending["rounds"], pending["reviewed_by"]) == (3, 2, None)

    stale = api.post(f"{path}/confirm", json={}, headers={**reviewer, "If-Match": '"1"'})
    assert is_problem(stale, 412, "If-Match")
    done = api.post(f"{path}/confirm", json={"comment": "Agreed."},
                    headers={**reviewer, "If-Match": again.headers["ETag"]})  # fmt: skip
    assert done.status_code == 200 and done.json["status"] == "confirmed"
    assert [(s["action"], s["by"]) for s in done.json["history"]] == [
        ("scored", "mk.both"), ("returned", "mk.reviewer"), ("scored", "mk.monitor"),
        ("confirmed", "mk.reviewer")]  # fmt: skip
    assert is_problem(api.post(path, json={"score": 2, "evidence": [SOP]}, headers=monitor), 409,
                      "status")  # fmt: skip

    [row] = eventually(lambda: listed("confirmed"))
    assert (row["score"], row["scored_by"], row["reviewed_by"]) == (1, "mk.monitor", "mk.reviewer")
    assert row["evidence"] == [SOP] and row["review_comment"] == "Agreed."
    assert (row["rounds"], row["version"]) == (2, 4) == (done.json["rounds"], done.json["version"])


def test_scoring_errors_are_problems_that_name_the_field(api: FlaskClient, people: People) -> None:
    monitor = as_(people, "mk.monitor", ("monitor", "MK"))
    path = assessment_path("MK", 2023, "ID-07")
    cases = [
        ({"score": 3, "evidence": [SOP]}, 422, ("score",)),
        ({"score": 1, "evidence": []}, 422, ("evidence",)),
        ({"score": 1}, 422, ("evidence",)),
        ({"score": 1, "evidence": [{**SOP, "title": ""}]}, 422, ("evidence.0.title", "evidence")),
        ({"score": 1, "evidence": [{"kind": "file", "name": "x.pdf", "sha256": "12"}]}, 422,
         ("evidence.0.sha256", "evidence")),
        ({"evidence": [SOP]}, 422, ("score",)),
        ({"score": "2", "evidence": [SOP]}, 422, ("score",)),
    ]  # fmt: skip
    for body, status, fields in cases:
        assert is_problem(api.post(path, json=body, headers=monitor), status, *fields), body
    quantitative = api.post(assessment_path("MK", 2023, "ID-01"), json={"score": 1,
                            "evidence": [SOP]}, headers=monitor)  # fmt: skip
    assert is_problem(quantitative, 422, "code")
    unknown = api.post(assessment_path("MK", 2023, "ID-99"), json={"score": 1, "evidence": [SOP]},
                       headers=monitor)  # fmt: skip
    assert is_problem(unknown, 404, "code")
    assert is_problem(api.get(path, headers=monitor), 404, "code")  # nothing was recorded


def test_an_indicator_not_assessed_is_recorded_with_its_reason(
    api: FlaskClient, people: People
) -> None:
    monitor = as_(people, "mk.monitor", ("monitor", "MK"))
    body = {"score": None, "not_assessed_reason": "The ministry did not answer our request."}
    answer = api.post(assessment_path("MK", 2023, "CD-06"), json=body, headers=monitor)
    assert answer.status_code == 200, answer.get_json()
    assert answer.json["score"] is None and answer.json["evidence"] == []
    assert answer.json["not_assessed_reason"] == body["not_assessed_reason"]


# --- who may do what, by role and country -------------------------------------------------------
OWN, OTHER, REGIONAL = "AL", "BA", "regional"
NATIONAL_ROLES = ("national_admin", "monitor", "reviewer", "auditor", "data_provider",
                  "case_worker")  # fmt: skip
REGIONAL_ROLES = ("regional_analyst", "auditor", "platform_admin")
READERS = {"national_admin", "monitor", "reviewer", "auditor", "data_provider",
           "regional:regional_analyst", "regional:auditor", "regional:platform_admin"}  # fmt: skip
MAY = {
    "read a profile": READERS,
    "read a profile indicator": READERS,
    "list profiles": READERS,
    "set a profile indicator": {"national_admin", "regional:platform_admin"},
    "confirm a profile": {"national_admin", "regional:platform_admin"},
    "score": {"monitor"},
    "confirm an assessment": {"reviewer"},
    "return an assessment": {"reviewer"},
    "read an assessment": READERS,
    "list assessments": READERS,
}
WHO = [(role, OWN) for role in NATIONAL_ROLES] + [(role, OTHER) for role in NATIONAL_ROLES] + [
    (role, REGIONAL) for role in REGIONAL_ROLES]  # fmt: skip


def may(action: str, role: str, scope: str) -> bool:
    if scope == REGIONAL:
        return f"regional:{role}" in MAY[action]
    return scope == OWN and role in MAY[action]


def scored_in_own_country(api: FlaskClient, people: People) -> str:
    year, code = next(UNUSED)
    path = assessment_path(OWN, year, code)
    monitor = as_(people, "al.monitor", ("monitor", OWN))
    assert api.post(path, json={"score": 1, "evidence": [SOP]}, headers=monitor).status_code == 200
    return path


def a_draft_in_own_country(api: FlaskClient, people: People) -> None:
    """A change (so there is a draft version to confirm), made by a platform admin."""
    root = as_(people, "root", ("platform_admin", REGIONAL))
    body = {"status": "adopted", "titles": {"sq": f"Viktima {uuid.uuid4().hex[:6]}"}}
    assert api.put(profile_path(OWN, "/indicators/ID-02"), json=body,
                   headers=root).status_code == 200  # fmt: skip


Call = Callable[[FlaskClient, People, dict[str, str]], Any]


def _set_indicator(api: FlaskClient, people: People, who: dict[str, str]) -> Any:
    body = {"status": "adopted", "titles": {"sq": f"Viktima {uuid.uuid4().hex[:6]}"}}
    return api.put(profile_path(OWN, "/indicators/ID-01"), json=body, headers=who)


def _confirm_profile(api: FlaskClient, people: People, who: dict[str, str]) -> Any:
    a_draft_in_own_country(api, people)
    return api.post(profile_path(OWN, "/confirm"), headers=who)


def _score(api: FlaskClient, people: People, who: dict[str, str]) -> Any:
    year, code = next(UNUSED)
    return api.post(assessment_path(OWN, year, code), json={"score": 2, "evidence": [UPLOAD]},
                    headers=who)  # fmt: skip


CALLS: dict[str, Call] = {
    "read a profile": lambda api, people, who: api.get(profile_path(OWN), headers=who),
    "read a profile indicator": lambda api, people, who: api.get(
        profile_path(OWN, "/indicators/ID-01"), headers=who),
    "list profiles": lambda api, people, who: api.get(
        "/api/v1/profiles", query_string={"country": OWN}, headers=who),
    "set a profile indicator": _set_indicator,
    "confirm a profile": _confirm_profile,
    "score": _score,
    "confirm an assessment": lambda api, people, who: api.post(
        f"{scored_in_own_country(api, people)}/confirm", json={}, headers=who),
    "return an assessment": lambda api, people, who: api.post(
        f"{scored_in_own_country(api, people)}/return", json={"comment": "Check."}, headers=who),
    "read an assessment": lambda api, people, who: api.get(
        scored_in_own_country(api, people), headers=who),
    "list assessments": lambda api, people, who: api.get(
        "/api/v1/assessments", query_string={"country": OWN}, headers=who),
}  # fmt: skip


@pytest.mark.parametrize("action", list(MAY))
def test_who_may_do_what_by_role_and_country(api: FlaskClient, people: People, action: str) -> None:
    outcomes = {}
    for role, scope in WHO:
        who = as_(people, f"{role}.{scope.lower()}", (role, scope))
        outcomes[(role, scope)] = CALLS[action](api, people, who).status_code
    expected = {(role, scope): 200 if may(action, role, scope) else 403 for role, scope in WHO}
    assert outcomes == expected


def test_a_request_without_a_token_is_unauthenticated(api: FlaskClient) -> None:
    assert api.get(profile_path(OWN)).status_code == 401
    assert api.post(assessment_path(OWN, 2024, "ID-06"), json={"score": 1}).status_code == 401


def test_the_openapi_document_describes_the_profile_and_assessment_endpoints(
    api: FlaskClient,
) -> None:
    paths = api.get("/openapi.json").json["paths"]
    for path, method in [
        ("/api/v1/profiles/{country}/{catalog_version}", "get"),
        ("/api/v1/profiles/{country}/{catalog_version}/indicators/{code}", "put"),
        ("/api/v1/profiles/{country}/{catalog_version}/confirm", "post"),
        ("/api/v1/assessments/{country}/{year}/{code}", "post"),
        ("/api/v1/assessments/{country}/{year}/{code}/return", "post"),
        ("/api/v1/assessments", "get"),
    ]:
        assert method in paths[path], path
    body = paths["/api/v1/assessments/{country}/{year}/{code}"]["post"]["requestBody"]
    assert "ScoreIn" in str(body)
