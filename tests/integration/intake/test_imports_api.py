"""Imports over HTTP: a dry run reports every row's errors; a commit imports all rows or none,
with identifiers sealed and persons linked as for cases entered one by one."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.conftest import People, bearer, eventually
from tests.unit.services.intake.test_imports import presumed, template


@pytest.fixture
def api(intake: Flask) -> FlaskClient:
    return intake.test_client()


def upload(api: FlaskClient, people: People, data: bytes, commit: bool) -> object:
    headers = bearer(people.token("al.importer", ("case_worker", "AL")))
    return api.post(f"/api/v1/imports?country=AL&commit={str(commit).lower()}", headers=headers,
                    data={"file": (io.BytesIO(data), "cases.xlsx")},
                    content_type="multipart/form-data")  # fmt: skip


def case_count(api: FlaskClient, people: People) -> int:
    headers = bearer(people.token("al.reader", ("case_worker", "AL")))
    return len(api.get("/api/v1/cases?country=AL&limit=1000", headers=headers).json["cases"])


def test_a_dry_run_reports_each_broken_row_and_records_nothing(
    api: FlaskClient, people: People
) -> None:
    workbook = template(presumed(), presumed(Gender="Purple"), presumed(**{"Birthdate": "soon"}))
    before = case_count(api, people)
    answer = upload(api, people, workbook, commit=False)
    assert answer.status_code == 200, answer.json
    assert answer.json["rows"] == 3 and answer.json["committed"] is False
    assert [r["row"] for r in answer.json["rows_with_errors"]] == [4, 5]
    assert any("Gender" in key for key in answer.json["rows_with_errors"][0]["errors"])
    refused = upload(api, people, workbook, commit=True)
    assert refused.status_code == 422 and "nothing was imported" in refused.json["detail"]
    assert case_count(api, people) == before


def test_a_clean_file_is_imported_whole_with_its_people_linked(
    api: FlaskClient, people: People
) -> None:
    rows = [presumed(**{"First Name": "Besa", "Second Name": "Kola"}),
            presumed(**{"First Name": "Беса", "Second Name": "Кола"})]  # fmt: skip
    answer = upload(api, people, template(*rows), commit=True)
    assert answer.status_code == 201, answer.json
    assert len(answer.json["case_ids"]) == 2 and answer.json["linked"] == 1
    headers = bearer(people.token("al.reader", ("case_worker", "AL")))
    second = api.get(f"/api/v1/cases/{answer.json['case_ids'][1]}", headers=headers).json
    assert len(second["linked_person_ids"]) == 1
    assert "Besa" not in str(second)  # the name stays sealed
    eventually(lambda: case_count(api, people) >= 2)


def test_a_file_that_is_not_a_workbook_is_refused_naming_the_file(
    api: FlaskClient, people: People
) -> None:
    answer = upload(api, people, b"%PDF-1.7 not a spreadsheet", commit=False)
    assert answer.status_code == 422 and "file" in answer.json["errors"]


def test_only_case_workers_of_the_country_import(api: FlaskClient, people: People) -> None:
    headers = bearer(people.token("mk.worker", ("case_worker", "MK")))
    answer = api.post("/api/v1/imports?country=AL", headers=headers, data=template(presumed()))
    assert answer.status_code == 403
