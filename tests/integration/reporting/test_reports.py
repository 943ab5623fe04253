"""A national report from draft to publication on the real servers, and its verification: it
re-derives from the pinned basis, still does after more events arrive, and fails naming what
when a byte of the stored report, the publication record or the pinned checkpoint changes; a
correction is a new version that leaves the published one as it was."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from psycopg import sql

from services.intake import demo
from services.intake.projections import case_stream
from services.registry import REGISTRY
from services.reporting.app import create_app
from services.reporting.signing import signature_holds
from services.reporting.verification import stored_outputs_differ
from shared.backbone.checkpoints import CheckpointSigner
from shared.backbone.envelope import canonical_json
from shared.backbone.store import EventStore, ExpectedVersion
from shared.backbone.tamper import issue_checkpoint, publish_verifier
from shared.backbone.worker import start_worker
from shared.db import create_pool, migrate, service_migrations
from shared.settings import Settings
from tests.integration.conftest import DEMO_DAY, People, bearer, settings_for


@pytest.fixture(scope="module")
def signed_intake(intake: Flask, loaded: EventStore) -> CheckpointSigner:
    """The intake log with a signed checkpoint over the demo cases (its signer publishes its
    key, as the worker's does when it starts)."""
    settings = intake.extensions["actnow.intake"].settings
    signer = CheckpointSigner.from_key_file(settings.origin, settings.checkpoint_key_file)
    publish_verifier(loaded, signer.verifier.to_string())
    issue_checkpoint(loaded, signer)
    return signer


@pytest.fixture(scope="module")
def reporting(
    identity_settings: Settings, identity_url: str, intake_url: str, intake: Flask,
    signed_intake: CheckpointSigner, tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Flask]:  # fmt: skip
    settings = settings_for(
        "reporting", identity_settings.database_url, identity_settings.kafka_bootstrap,
        Path(tmp_path_factory.mktemp("reporting-state")), identity_settings.topic_prefix,
        jwks_url=f"{identity_url}/.well-known/jwks.json", countries=("ME",),
        service_urls=(("intake", intake_url),),
    )  # fmt: skip
    migrate(settings.database_url, "reporting", service_migrations("reporting"))
    app = create_app(settings)
    stop = threading.Event()
    with create_pool(settings.database_url, 4, name="reporting-worker-tests") as pool:
        threads = start_worker(settings, REGISTRY, pool, stop)  # intake's worker runs already
        yield app
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    app.extensions["actnow.db"].close()


def as_(people: People, name: str, role: str) -> dict[str, str]:
    return bearer(people.token(name, (role, "ME")))


@pytest.fixture(scope="module")
def published(reporting: Flask, people: People) -> dict:
    api = reporting.test_client()
    monitor, reviewer = as_(people, "me.monitor", "monitor"), as_(people, "me.reviewer", "reviewer")
    drafted = api.post("/api/v1/reports", headers=monitor, json={
        "kind": "national", "country": "ME", "period": "2024",
        "title": "Montenegro: monitoring report 2024"})  # fmt: skip
    assert drafted.status_code == 201, drafted.json
    report_id = drafted.json["report_id"]
    edited = api.patch(f"/api/v1/reports/{report_id}/narrative", headers=monitor, json={
        "summary": "Fewer victims were identified than in 2023 <script>alert(1)</script>.",
        "conclusions": "Identification depends on the police.\n\nChildren wait for guardians.",
        "recommendations": [{"id": "R1", "text": "Train labour inspectors.",
                             "indicators": ["ID-01"]}],
        "good_practices": ["Multi-agency identification teams in Podgorica."]})  # fmt: skip
    assert edited.status_code == 200, edited.json
    assert api.post(f"/api/v1/reports/{report_id}/submission", headers=monitor).status_code == 200
    own = api.post(f"/api/v1/reports/{report_id}/approval", headers=as_(people, "me.monitor",
                                                                          "reviewer"))  # fmt: skip
    assert own.status_code == 403  # the drafter cannot approve
    assert api.post(f"/api/v1/reports/{report_id}/approval", headers=reviewer).status_code == 200
    done = api.post(f"/api/v1/reports/{report_id}/publication", headers=monitor)
    assert done.status_code == 200, done.json
    return done.json


def verify(reporting: Flask, people: People, report_id: str) -> dict:
    answer = reporting.test_client().get(f"/api/v1/reports/{report_id}/verification",
                                         headers=as_(people, "me.auditor", "auditor"))  # fmt: skip
    assert answer.status_code == 200, answer.json
    return answer.json


def failed(result: dict) -> list[str]:
    return [step["name"] for step in result["steps"] if not step["ok"]]


def test_a_published_report_verifies_step_by_step(
    reporting: Flask, people: People, published: dict
) -> None:
    assert published["status"] == "published"
    result = verify(reporting, people, published["report_id"])
    assert result["ok"], result["steps"]
    names = [step["name"] for step in result["steps"]]
    assert {"signature", "re-render", "stored outputs"} <= set(names)
    assert any(name.startswith("replay ") for name in names)


def test_the_outputs_are_served_as_published_and_escape_the_narrative(
    reporting: Flask, people: People, published: dict
) -> None:
    api = reporting.test_client()
    base = f"/api/v1/reports/{published['report_id']}/versions/1"
    html = api.get(f"{base}/html", headers=as_(people, "me.monitor", "monitor"))
    assert html.status_code == 200 and b"<script>alert(1)" not in html.data
    assert api.get(f"{base}/pdf", headers=as_(people, "me.monitor", "monitor")).data[:4] == b"%PDF"
    other = bearer(people.token("mk.monitor", ("monitor", "MK")))
    assert api.get(f"{base}/html", headers=other).status_code == 403


def test_the_report_still_re_derives_after_more_events_arrive(
    reporting: Flask, people: People, published: dict, loaded: EventStore,
    signed_intake: CheckpointSigner,
) -> None:  # fmt: skip
    for case_id, builder in list(demo.generate("ME", 2025, DEMO_DAY))[:5]:
        loaded.append(case_stream(case_id), ExpectedVersion.NO_STREAM, builder.events)
    issue_checkpoint(loaded, signed_intake)
    result = verify(reporting, people, published["report_id"])
    assert result["ok"], result["steps"]


@pytest.mark.parametrize("target", ["stored report", "publication record"])
def test_one_changed_byte_makes_verification_fail_naming_what(
    reporting: Flask, people: People, published: dict, target: str
) -> None:
    pool = reporting.extensions["actnow.reporting"].pool
    report_id = published["report_id"]
    if target == "stored report":
        change = sql.SQL("UPDATE reporting.report_outputs SET content = overlay(content placing"
                         " '\\x58'::bytea from 200 for 1) WHERE report_id = %s AND format = 'html'"
                         " RETURNING 1")  # fmt: skip
        expected = "stored outputs"
    else:  # the signed hashes in the recorded ReportPublished event
        change = sql.SQL("UPDATE reporting.events SET payload = convert_to(replace("
                         "convert_from(payload, 'UTF8'), '\"html\":\"', '\"html\":\"0'), 'UTF8')"
                         " WHERE stream_id = 'report-' || %s"
                         " AND event_type = 'reporting.ReportPublished' RETURNING 1")  # fmt: skip
        expected = "signature"
    with pool.connection() as conn:
        saved = conn.execute(
            sql.SQL("SELECT content FROM reporting.report_outputs WHERE report_id = %s"
                    " AND format = 'html'"), (report_id,)).fetchone()[0]  # fmt: skip
        events = conn.execute(
            sql.SQL("SELECT event_id, payload FROM reporting.events WHERE stream_id ="
                    " 'report-' || %s"), (report_id,)).fetchall()  # fmt: skip
        assert conn.execute(change, (report_id,)).fetchone()
    try:
        result = verify(reporting, people, report_id)
        assert not result["ok"] and expected in failed(result), result["steps"]
    finally:
        with pool.connection() as conn:
            conn.execute("UPDATE reporting.report_outputs SET content = %s WHERE report_id = %s"
                         " AND format = 'html'", (saved, report_id))  # fmt: skip
            for event_id, payload in events:
                conn.execute("UPDATE reporting.events SET payload = %s WHERE event_id = %s",
                             (payload, event_id))  # fmt: skip
    assert verify(reporting, people, report_id)["ok"]


def test_a_correction_is_a_new_version_and_the_published_one_stays(
    reporting: Flask, people: People, published: dict
) -> None:
    api: FlaskClient = reporting.test_client()
    monitor = as_(people, "me.monitor", "monitor")
    report_id = published["report_id"]
    before = api.get(f"/api/v1/reports/{report_id}/versions/1/html", headers=monitor).data
    corrected = api.post(f"/api/v1/reports/{report_id}/corrections", headers=monitor,
                         json={"reason": "The 2024 police figures were revised."})  # fmt: skip
    assert corrected.status_code == 200, corrected.json
    assert (corrected.json["version"], corrected.json["status"]) == (2, "draft")
    assert corrected.json["supersedes_version"] == 1
    assert corrected.json["narrative"]["summary"].startswith("Fewer victims")
    after = api.get(f"/api/v1/reports/{report_id}/versions/1/html", headers=monitor).data
    assert after == before
    assert api.post(f"/api/v1/reports/{report_id}/publication", headers=monitor).status_code == 409


def test_hundreds_of_random_byte_changes_to_a_published_report_are_each_detected(
    reporting: Flask, published: dict
) -> None:
    service = reporting.extensions["actnow.reporting"]
    report_id = published["report_id"]
    record = published["published"][-1]
    unsigned = {k: v for k, v in record.items() if k != "signature"}
    rng = random.Random(7)
    with service.pool.connection() as conn:
        stored = dict(conn.execute(
            "SELECT format, content FROM reporting.report_outputs WHERE report_id = %s",
            (report_id,)).fetchall())  # fmt: skip
    missed = []
    for _ in range(300):  # the stored bytes of every format
        fmt = rng.choice(sorted(stored))
        data = bytearray(stored[fmt])
        data[rng.randrange(len(data))] ^= rng.randint(1, 255)
        with service.pool.connection() as conn:
            conn.execute("UPDATE reporting.report_outputs SET content = %s WHERE report_id = %s"
                         " AND format = %s", (bytes(data), report_id, fmt))  # fmt: skip
        if fmt not in stored_outputs_differ(service, report_id, 1, record["hashes"]):
            missed.append(fmt)
        with service.pool.connection() as conn:
            conn.execute("UPDATE reporting.report_outputs SET content = %s WHERE report_id = %s"
                         " AND format = %s", (stored[fmt], report_id, fmt))  # fmt: skip
    text = canonical_json(unsigned)
    for _ in range(200):  # the signed publication record
        data = bytearray(text)
        data[rng.randrange(len(data))] ^= rng.randint(1, 255)
        try:
            changed = orjson.loads(bytes(data))
        except orjson.JSONDecodeError:
            continue  # a record that no longer parses is refused before any check
        if changed != unsigned and signature_holds(changed, record["signer"], record["signature"]):
            missed.append("publication record")
    assert missed == []
    assert stored_outputs_differ(service, report_id, 1, record["hashes"]) == []
