"""The institutions' pages on the running local stack with its demo data: the submission form
generated from the catalogue's agg_ fields, its errors next to the fields, a resubmission that
supersedes, and the case-file import with its dry run and commit."""

from __future__ import annotations

import io
import re
import time
import uuid

from flask.testing import FlaskClient

from tests.integration.web.local_web import csrf_of, needs_stack, signed_in
from tests.unit.services.intake.test_imports import presumed, template

pytestmark = needs_stack
PROVIDER, CASE_WORKER, MONITOR = "mk.police", "mk.caseworker", "mk.monitor"
INPUT = re.compile(
    r'<input type="(?:number|text|date|hidden)" [^>]*?name="([^"]+)" value="([^"]*)"'
)
SELECTED = re.compile(r'<select [^>]*?name="([^"]+)"[^>]*>(?:(?!</select>).)*?'
                      r'<option value="([^"]*)" selected>', re.S)  # fmt: skip


def _html(answer) -> str:
    return answer.get_data(as_text=True)


def _form_values(html: str) -> dict[str, str]:
    """What a filled-in form would send back as it stands."""
    values = {name: value for name, value in INPUT.findall(html) if value}
    values.update(dict(SELECTED.findall(html)))
    return values


def _latest_own_period(client: FlaskClient) -> str:
    periods = re.findall(r'/submissions/new\?country=MK&amp;period=([0-9Q-]+)"',
                         _html(client.get("/submissions/")))  # fmt: skip
    assert periods, "the demo police organisation has submitted figures"
    return periods[0]


def test_the_form_asks_for_the_catalogues_figures_with_their_units_and_provenance() -> None:
    html = _html(signed_in(PROVIDER).get("/submissions/new"))
    assert "Investigations opened" in html and "(defendants)" in html
    assert 'name="figures.agg_cj_PersonsIndicted.breakdowns.defendant_sex.female"' in html
    assert 'name="figures.agg_cj_FinalSentenceRecords.records.0.prison_months"' in html
    for name in ("period", "document.title", "document.reference", "document.dated"):
        assert f'name="{name}"' in html
    assert "Your organisation" in html


def test_a_wrong_value_is_shown_next_to_its_field_and_what_was_typed_stays() -> None:
    client = signed_in(PROVIDER)
    csrf = csrf_of(_html(client.get("/submissions/new")))
    answer = client.post("/submissions/new", data={
        "csrf_token": csrf, "country": "MK", "version": "0", "period": "2091",
        "document.title": "Typed title", "figures.agg_cj_PersonsIndicted.total": "seven",
        "figures.agg_cj_PersonsIndicted.breakdowns.defendant_sex.male": "4",
    })  # fmt: skip
    html = _html(answer)
    assert answer.status_code == 422
    assert re.search(r'id="field-figures.agg_cj_PersonsIndicted.total-error">A whole number', html)
    assert re.search(r'id="field-period-error">Must not be in the future', html)
    assert 'value="seven"' in html and 'value="Typed title"' in html and 'value="4"' in html
    assert '<a href="#field-period">Reference period</a>' in html  # the summary above the form


def test_a_resubmission_starts_from_the_figures_sent_before_and_supersedes_them() -> None:
    client = signed_in(PROVIDER)
    period = _latest_own_period(client)
    form = _html(client.get(f"/submissions/new?country=MK&period={period}"))
    values = _form_values(form)
    version = int(values["version"])
    assert version >= 1 and values["seen_period"] == period
    reference = f"web-test-{uuid.uuid4().hex[:8]}"
    sent = client.post("/submissions/new", data={**values, "document.reference": reference})
    assert sent.status_code == 302, _html(sent)
    assert f"sent={period}&version={version + 1}" in sent.headers["Location"]
    deadline = time.monotonic() + 10  # the list is a read model: it follows within a second
    while reference not in (listed := _html(client.get(sent.headers["Location"]))):
        assert time.monotonic() < deadline, "the new version never reached the list"
        time.sleep(0.3)
    assert f"recorded as version {version + 1}" in listed
    history = re.search(r'href="(/submissions/[^/"]+/' + period + r'\?country=MK)"', listed)
    assert history, "a superseded submission links to its history"
    shown = _html(client.get(history.group(1).replace("&amp;", "&")))
    assert f"superseded by version {version + 1}" in shown and reference in shown


def test_a_monitor_reads_the_figures_but_the_form_is_not_for_them_to_resubmit_others() -> None:
    html = _html(signed_in(MONITOR).get("/submissions/"))
    assert "Current figures in North Macedonia" in html
    assert "Resubmit" not in html  # the demo figures are the institutions', not the monitor's


def test_an_import_dry_run_lists_each_rows_errors_and_records_nothing() -> None:
    client = signed_in(CASE_WORKER)
    csrf = csrf_of(_html(client.get("/submissions/import")))
    workbook = template(presumed(), presumed(Gender="Purple"), presumed(Birthdate="soon"))
    answer = client.post("/submissions/import", content_type="multipart/form-data", data={
        "csrf_token": csrf, "step": "check", "country": "MK",
        "file": (io.BytesIO(workbook), "cases.xlsx"),
    })  # fmt: skip
    html = _html(answer)
    assert answer.status_code == 200
    assert "2 of 3 rows have errors" in html
    assert re.search(
        r'<th scope="row" class="num">4</th><td class="mono">Sheet1!4</td>\s*'
        r"<td>Gender \(prs_Gender\)</td><td>&#39;Purple&#39; is not an option",
        html,
    )
    assert 'value="commit"' not in html  # no way to record a file with errors


def test_an_import_records_the_checked_file_when_asked() -> None:
    client = signed_in(CASE_WORKER)
    csrf = csrf_of(_html(client.get("/submissions/import")))
    workbook = template(presumed(**{"First Name": "Web", "Second Name": f"T{uuid.uuid4().hex}"}))
    report = _html(client.post("/submissions/import", content_type="multipart/form-data", data={
        "csrf_token": csrf, "step": "check", "country": "MK",
        "file": (io.BytesIO(workbook), "one-case.xlsx"),
    }))  # fmt: skip
    assert "Record this row" in report and 'data-busy-text="Importing…"' in report
    values = _form_values(report.split('value="commit"')[1])
    committed = client.post("/submissions/import", content_type="multipart/form-data",
                            data={**values, "csrf_token": csrf, "step": "commit"})  # fmt: skip
    assert committed.status_code == 302, _html(committed)
    assert "recorded=1" in committed.headers["Location"]
    done = _html(client.get(committed.headers["Location"]))
    assert "The file has been recorded. Cases: 1;" in done


def test_a_data_provider_may_import_the_institutions_case_file_too() -> None:
    html = _html(signed_in(PROVIDER).get("/submissions/import"))
    assert "Importing case records is for case workers" not in html
    assert 'type="file"' in html


def test_a_monitor_is_told_that_case_files_are_imported_by_others() -> None:
    client = signed_in(MONITOR)
    response = client.get("/submissions/import")
    assert response.status_code == 403 or 'type="file"' not in _html(response)
