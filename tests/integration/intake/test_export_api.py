"""Exports over HTTP: a case worker or monitor of a country downloads its case records as CSV,
XLSX or an HTCDS workbook the import reads back, never with the sealed identifiers; other
countries' workers are refused, and every exported case is in the access log."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.intake.importing import read_htcds_excel
from tests.integration.conftest import People, bearer, eventually
from tests.integration.intake.test_cases_api import OPENING

SEALED = {"given_name": "Elena", "family_name": "Trajkovska", "document_number": "EXPORT-0001"}


@pytest.fixture
def api(intake: Flask) -> FlaskClient:
    return intake.test_client()


def exporter(people: People) -> dict[str, str]:
    return bearer(people.token("mk.exporter", ("case_worker", "MK")))


def opened(api: FlaskClient, people: People, **changes: Any) -> str:
    body = {**OPENING, "country": "MK", "identifiers": SEALED, **changes}
    answer = api.post("/api/v1/cases", json=body, headers=exporter(people))
    assert answer.status_code == 201, answer.json
    return str(answer.json["case_id"])


def export(api: FlaskClient, headers: dict[str, str], format_: str) -> Any:
    return api.get(f"/api/v1/cases/export?country=MK&format={format_}", headers=headers)


@pytest.fixture
def mk_cases(api: FlaskClient, people: People) -> list[str]:
    """Two MK cases with sealed identifiers, once the case list shows them."""
    ids = [opened(api, people), opened(api, people, vic_TypeOfExploitation=["ForcedLabour"])]
    headers = exporter(people)

    def listed() -> set[str]:
        page = api.get("/api/v1/cases?country=MK&limit=1000", headers=headers).json
        return {case["case_id"] for case in page["cases"]}

    eventually(lambda: set(ids) <= listed())
    return ids


def test_an_mk_case_worker_exports_mk_cases_as_csv(
    api: FlaskClient, people: People, mk_cases: list[str]
) -> None:
    answer = export(api, exporter(people), "csv")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="cases-MK-')
    rows = {row["case_id"]: row for row in csv.DictReader(io.StringIO(answer.get_data(True)))}
    assert set(mk_cases) <= set(rows) and all(case_id.startswith("MK-") for case_id in rows)
    assert rows[mk_cases[0]]["vic_TypeOfExploitation"] == "SexualExploitation"
    assert rows[mk_cases[1]]["vic_TypeOfExploitation"] == "ForcedLabour"
    assert not any(secret in answer.get_data(True) for secret in SEALED.values())


def test_an_mk_case_worker_exports_mk_cases_as_xlsx(
    api: FlaskClient, people: People, mk_cases: list[str]
) -> None:
    answer = export(api, exporter(people), "xlsx")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].endswith('.xlsx"')
    header, *rows = openpyxl.load_workbook(io.BytesIO(answer.data)).active.values
    assert header[0] == "case_id" and set(mk_cases) <= {row[0] for row in rows}
    assert not any(secret in str(rows) for secret in SEALED.values())


def test_an_htcds_export_of_mk_cases_reads_back_with_their_codes(
    api: FlaskClient, people: People, mk_cases: list[str]
) -> None:
    answer = export(api, exporter(people), "htcds")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].endswith('.htcds.xlsx"')
    cells = list(openpyxl.load_workbook(io.BytesIO(answer.data)).active.values)
    mine = {row[0]: number for number, row in enumerate(cells, 1) if row[0] in mk_cases}
    batch = read_htcds_excel(answer.data)
    commands = {row.number: row.command for row in batch.rows}
    assert len(mine) == 2 and not any(row.identifiers for row in batch.rows)
    for number in mine.values():
        command = commands[number]
        assert command is not None
        assert command["prs_Gender"] == OPENING["prs_Gender"]
        assert command["vic_TraffickingStatus"] == OPENING["vic_TraffickingStatus"]
        assert command["ext_IdentificationDate"] == OPENING["ext_IdentificationDate"]
    assert commands[mine[mk_cases[0]]]["vic_TypeOfExploitation"] == ["SexualExploitation"]
    assert commands[mine[mk_cases[1]]]["vic_TypeOfExploitation"] == ["ForcedLabour"]


def test_a_monitor_of_the_country_may_export_too(
    api: FlaskClient, people: People, mk_cases: list[str]
) -> None:
    monitor = bearer(people.token("mk.export-monitor", ("monitor", "MK")))
    assert export(api, monitor, "csv").status_code == 200


def test_an_rs_case_worker_may_not_export_mk_cases(api: FlaskClient, people: People) -> None:
    rs = bearer(people.token("rs.worker", ("case_worker", "RS")))
    for format_ in ("csv", "xlsx", "htcds"):
        assert export(api, rs, format_).status_code == 403
    provider = bearer(people.token("mk.provider", ("data_provider", "MK")))
    assert export(api, provider, "csv").status_code == 403
    assert api.get("/api/v1/cases/export?country=MK").status_code == 401


def test_an_unknown_format_is_refused_naming_the_format(api: FlaskClient, people: People) -> None:
    answer = export(api, exporter(people), "pdf")
    assert answer.status_code == 422 and "format" in str(answer.json["errors"])


def test_every_exported_case_is_in_the_access_log_as_an_export(
    api: FlaskClient, people: People, mk_cases: list[str]
) -> None:
    worker = bearer(people.token("mk.logged-exporter", ("case_worker", "MK")))
    assert export(api, worker, "csv").status_code == 200
    assert export(api, worker, "htcds").status_code == 200
    admin = bearer(people.token("mk.admin", ("national_admin", "MK")))
    for case_id in mk_cases:
        log = api.get(f"/api/v1/access-log?country=MK&case_id={case_id}&username="
                      "mk.logged-exporter", headers=admin).json  # fmt: skip
        assert [row["action"] for row in log] == ["export", "export"]
