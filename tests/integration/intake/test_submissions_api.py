"""Institutions' aggregate submissions: agg_ figures checked against the catalogue, with
provenance; a resubmission supersedes and the history stays."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.conftest import People, bearer, eventually

FIGURES = {
    "agg_cj_InvestigationsOpened": {
        "total": 12, "breakdowns": {"exploitation_type": {"SexualExploitation": 8}},
    },
}  # fmt: skip
DOCUMENT = {"title": "Police annual statistics 2024", "reference": "12-345/2025"}


@pytest.fixture
def api(intake: Flask) -> FlaskClient:
    return intake.test_client()


def provider(people: People, country: str = "MK") -> dict[str, str]:
    return bearer(people.token(f"{country.lower()}.police", ("data_provider", country)))


def test_a_data_provider_submits_figures_with_their_provenance(
    api: FlaskClient, people: People
) -> None:
    organisation = str(uuid.uuid4())
    answer = api.post("/api/v1/submissions", headers=provider(people), json={
        "country": "MK", "organisation_id": organisation, "period": "2024",
        "figures": FIGURES, "document": DOCUMENT,
    })  # fmt: skip
    assert answer.status_code == 201, answer.json
    assert answer.json["version"] == 1 and answer.json["document"]["title"] == DOCUMENT["title"]
    assert answer.json["submitted_by"] == "mk.police"


def test_unknown_fields_bad_numbers_and_breakdowns_are_named(
    api: FlaskClient, people: People
) -> None:
    answer = api.post("/api/v1/submissions", headers=provider(people), json={
        "country": "MK", "organisation_id": str(uuid.uuid4()), "period": "2099",
        "figures": {"agg_made_up": {"total": 1},
                    "agg_cj_InvestigationsOpened": {"total": -3, "breakdowns": {"colour": {}}},
                    "agg_cj_FinalJudgmentRecords": {"records": [{"outcome": "Maybe"}]}},
        "document": {},
    })  # fmt: skip
    assert answer.status_code == 422
    assert set(answer.json["errors"]) >= {
        "period",
        "figures.agg_made_up",
        "figures.agg_cj_InvestigationsOpened.total",
        "figures.agg_cj_InvestigationsOpened.breakdowns.colour",
        "figures.agg_cj_FinalJudgmentRecords.records.0.outcome",
        "figures.agg_cj_FinalJudgmentRecords.records.0.days_indictment_to_final",
        "document.title",
    }


def test_a_resubmission_supersedes_and_the_history_stays(api: FlaskClient, people: People) -> None:
    organisation = str(uuid.uuid4())
    body = {"country": "RS", "organisation_id": organisation, "period": "2023-Q4",
            "figures": FIGURES, "document": DOCUMENT}  # fmt: skip
    headers = provider(people, "RS")
    assert api.post("/api/v1/submissions", headers=headers, json=body).status_code == 201
    corrected = {**body, "figures": {"agg_cj_InvestigationsOpened": {"total": 13}}}
    second = api.post("/api/v1/submissions", headers={**headers, "If-Match": '"1"'},
                      json=corrected)  # fmt: skip
    assert second.status_code == 201 and second.json["version"] == 2
    stale = api.post("/api/v1/submissions", headers={**headers, "If-Match": '"1"'}, json=body)
    assert stale.status_code == 412
    monitor = bearer(people.token("rs.monitor", ("monitor", "RS")))

    def mine(history: bool) -> list[dict]:
        rows = api.get(f"/api/v1/submissions?country=RS&history={str(history).lower()}",
                       headers=monitor).json  # fmt: skip
        return [r for r in rows if r["organisation_id"] == organisation]

    eventually(lambda: len(mine(True)) == 2)
    current = mine(False)
    assert [r["figures"]["agg_cj_InvestigationsOpened"]["total"] for r in current] == [13]


def test_a_provider_of_one_country_cannot_submit_for_another(
    api: FlaskClient, people: People
) -> None:
    answer = api.post("/api/v1/submissions", headers=provider(people, "MK"), json={
        "country": "RS", "organisation_id": str(uuid.uuid4()), "period": "2024",
        "figures": FIGURES, "document": DOCUMENT,
    })  # fmt: skip
    assert answer.status_code == 403
