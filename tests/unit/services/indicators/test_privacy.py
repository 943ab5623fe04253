"""The privacy scan of the hub's topics finds every kind of record that must not be there."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

import services.registry  # noqa: F401 - registers every event type
from services.indicators.events import REGIONAL_ASSESSMENTS, REGIONAL_VALUES
from services.indicators.privacy import case_level_keys, scan
from shared.backbone.registry import REGISTRY


def value(cell: list, numerator: float | None, suppressed: bool = False) -> dict[str, Any]:
    persons = None if numerator is None else int(numerator)
    return {"indicator": "ID-01", "cell": cell, "numerator": numerator, "denominator": None,
            "value": numerator, "unit": "count", "suppressed": suppressed,
            "statistic": "count", "contributors": persons}  # fmt: skip


def envelope(payload: dict, event_type: str = REGIONAL_VALUES, user: str = "indicators") -> bytes:
    now = datetime(2026, 1, 1, tzinfo=UTC).isoformat().replace("+00:00", "Z")
    return orjson.dumps({
        "event_id": str(uuid.uuid4()), "event_type": event_type, "schema_version": 1,
        "stream_id": "regional-MK-2025", "stream_version": 1, "origin": "mk.indicators",
        "log_index": 1, "occurred_at": now, "recorded_at": now,
        "actor": {"user": user, "organisation": None}, "correlation_id": None,
        "causation_id": None, "payload": payload, "leaf_hash": "00" * 32,
    })  # fmt: skip


def published(values: list[dict], **extra: Any) -> dict[str, Any]:
    return {"country": "MK", "period": "2025", "catalog_version": "2025.1-seed",
            "intake_log_size": 10, "content_hash": "a" * 64, "values": values,
            "profile_version": None, "profile": {}, **extra}  # fmt: skip


def scores(**extra: Any) -> dict[str, Any]:
    score = {"code": "ID-06", "score": 1, "not_assessed": False, "evidence_items": 2,
             "confirmed_on": "2025-03-14", **extra}  # fmt: skip
    return {"country": "MK", "year": 2025, "catalog_version": "2025.1-seed",
            "content_hash": "b" * 64, "scores": [score], "profile_version": 1,
            "profile": {"ID-06": "adopted"}}  # fmt: skip


def findings(*records: bytes, topic: str = "mk.regional") -> list[str]:
    result = scan(((topic, i, r) for i, r in enumerate(records)), REGISTRY, 5, 11)
    return [f.rule for f in result.findings]


def test_disclosure_controlled_values_pass() -> None:
    clean = published([value([], 70), value([["sex", "female"]], 47),
                       value([["sex", "male"]], None, suppressed=True)])  # fmt: skip
    assert findings(envelope(clean)) == []


def test_an_unsuppressed_cell_of_three_is_found() -> None:
    assert findings(envelope(published([value([["sex", "male"]], 3)]))) == [
        "below the disclosure threshold"
    ]


def test_a_two_way_cell_needs_eleven() -> None:
    cell = [["sex", "male"], ["age_group", "child"]]
    assert findings(envelope(published([value(cell, 9)]))) == ["below the disclosure threshold"]
    assert findings(envelope(published([value(cell, 11)]))) == []


def test_a_case_level_field_anywhere_in_the_payload_is_found() -> None:
    leaked = published([value([], 70)], prs_Gender="Feminine")
    assert "case-level field" in findings(envelope(leaked))
    assert list(case_level_keys({"values": [{"person_id": "x"}]})) == ["values[0].person_id"]


def test_fields_the_schema_does_not_define_are_found() -> None:
    assert findings(envelope(published([value([], 70)], note="extra"))) == ["outside its schema"]


def test_a_case_event_on_a_regional_topic_is_found() -> None:
    rules = findings(envelope({"date": "2025-01-01"}, "intake.GuardianAppointed"))
    assert rules == ["not a regional event"]


def test_a_person_named_as_the_actor_is_found() -> None:
    assert findings(envelope(published([value([], 70)]), user="mk.monitor")) == ["names a person"]


def test_a_record_that_is_not_an_envelope_is_found() -> None:
    assert findings(b"\x00garbage") == ["unreadable"]


def test_mirrormakers_own_topics_are_not_records_about_anyone() -> None:
    result = scan([("mm2-offsets.mk.internal", 0, b"x"), ("heartbeats", 0, b"y")], REGISTRY, 5, 11)
    assert result.records == 0 and result.clean


def test_confirmed_assessment_scores_pass() -> None:
    assert findings(envelope(scores(), REGIONAL_ASSESSMENTS)) == []


def test_a_reviewer_or_a_rationale_in_the_scores_is_outside_their_schema() -> None:
    assert findings(envelope(scores(reviewed_by="mk.reviewer"), REGIONAL_ASSESSMENTS)) == [
        "outside its schema"
    ]
    assert findings(envelope(scores(rationale="As Ana told us"), REGIONAL_ASSESSMENTS)) == [
        "outside its schema"
    ]
