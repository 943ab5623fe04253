"""Qualitative assessments (domain README §5.4): a monitor of the country scores a qualitative
indicator of the catalogue for a reference year — a level of the indicator's 0-2 scale resting
on at least one evidence item, or `not_assessed` with the reason — and a reviewer of the
country, never the person who scored it, confirms the score or returns it with a comment. A
returned assessment is scored again; every step stays in the stream, which is the history.

Stream: `assessment-<CC>-<year>-<code>`. Evidence is a document reference (title, reference or
URL, date) or an uploaded file named by its SHA-256; the file itself is kept elsewhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from services.indicators.catalogue import QUALITATIVE, Catalogue, Indicator
from shared.auth import Principal
from shared.backbone.envelope import NewEvent, RecordedEvent
from shared.errors import Conflict, Forbidden, NotFound, ValidationProblem

STREAM_PREFIX = "assessment-"
SCORED = "indicators.AssessmentScored"
CONFIRMED = "indicators.AssessmentConfirmed"
RETURNED = "indicators.AssessmentReturned"

# where an assessment stands
AWAITING_REVIEW, ACCEPTED, SENT_BACK = "awaiting_review", "confirmed", "returned"
STATES = (AWAITING_REVIEW, ACCEPTED, SENT_BACK)
ACTIONS = {SCORED: "scored", CONFIRMED: "confirmed", RETURNED: "returned"}
SCORERS, REVIEWERS = ("monitor",), ("reviewer",)
DOCUMENT, FILE = "document", "file"
EVIDENCE_KINDS = (DOCUMENT, FILE)
SHA256 = re.compile(r"^[0-9a-f]{64}\Z")
FIRST_YEAR = 2000  # no monitoring cycle of the tool reaches further back
TITLE_LIMIT, TEXT_LIMIT = 500, 4000


def assessment_stream(country: str, year: int, code: str) -> str:
    return f"{STREAM_PREFIX}{country}-{year}-{code}"


# --- state ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Evidence:
    kind: str  # document or file
    title: str | None = None
    reference: str | None = None  # a citation or a URL
    date: date | None = None
    sha256: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Scoring:
    score: int | None  # None: not assessed
    not_assessed_reason: str | None
    rationale: str | None
    evidence: tuple[Evidence, ...]
    scored_by: str
    scored_at: datetime
    version: int  # the stream version of the AssessmentScored event


@dataclass(frozen=True)
class Step:
    """One line of the history: who scored, confirmed or returned, when, and with what."""

    action: str  # scored confirmed returned
    by: str
    at: datetime
    version: int
    score: int | None = None
    not_assessed_reason: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class Assessment:
    country: str
    year: int
    code: str
    catalog_version: str
    status: str
    scoring: Scoring
    history: tuple[Step, ...]
    version: int
    reviewed_by: str | None = None  # the review of the current scoring, if there is one
    reviewed_at: datetime | None = None
    review_comment: str | None = None


def assessment_from(events: Sequence[RecordedEvent]) -> Assessment | None:
    assessment: Assessment | None = None
    for event in events:
        p = event.payload
        if event.event_type == SCORED:
            scoring = Scoring(p["score"], p["not_assessed_reason"], p.get("rationale"),
                              tuple(evidence_from_payload(e) for e in p["evidence"]),
                              p["scored_by"], event.occurred_at, event.stream_version)  # fmt: skip
            step = Step("scored", p["scored_by"], event.occurred_at, event.stream_version,
                        p["score"], p["not_assessed_reason"], p.get("rationale"))  # fmt: skip
            history = (assessment.history if assessment else ()) + (step,)
            assessment = Assessment(
                p["country"], p["year"], p["code"], p["catalog_version"], AWAITING_REVIEW,
                scoring, history, event.stream_version,
            )  # fmt: skip
        elif assessment is not None and event.event_type in (CONFIRMED, RETURNED):
            step = Step(ACTIONS[event.event_type], p["reviewed_by"], event.occurred_at,
                        event.stream_version, comment=p.get("comment"))  # fmt: skip
            assessment = replace(
                assessment, history=(*assessment.history, step), version=event.stream_version,
                status=ACCEPTED if event.event_type == CONFIRMED else SENT_BACK,
                reviewed_by=p["reviewed_by"], reviewed_at=event.occurred_at,
                review_comment=p.get("comment"),
            )  # fmt: skip
    return assessment


def evidence_payload(item: Evidence) -> dict[str, Any]:
    if item.kind == FILE:
        return {"kind": FILE, "sha256": item.sha256, "name": item.name}
    return {"kind": DOCUMENT, "title": item.title, "reference": item.reference,
            "date": item.date.isoformat() if item.date else None}  # fmt: skip


def evidence_from_payload(p: Mapping[str, Any]) -> Evidence:
    if p["kind"] == FILE:
        return Evidence(FILE, sha256=p["sha256"], name=p["name"])
    return Evidence(DOCUMENT, title=p["title"], reference=p["reference"],
                    date=date.fromisoformat(p["date"]))  # fmt: skip


# --- commands -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScoreCommand:
    score: int | None = None
    not_assessed_reason: str | None = None
    rationale: str | None = None
    evidence: Sequence[Mapping[str, Any]] = ()  # {kind, title, reference, date} or {kind, ...}


def qualitative_indicator(catalogue: Catalogue, code: str) -> Indicator:
    """The catalogue's qualitative indicator `code`: only these are scored (the others are
    computed from data)."""
    try:
        indicator = catalogue.indicator(code)
    except KeyError:
        raise NotFound(f"{code} is not in catalogue {catalogue.catalog_version}",
                       {"code": ["Not in the catalogue."]}) from None  # fmt: skip
    if indicator.kind != QUALITATIVE:
        raise ValidationProblem(
            f"{code} is {indicator.kind}: its values are computed, not scored",
            {"code": ["Not a qualitative indicator."]},
        )
    return indicator


def score(
    principal: Principal,
    catalogue: Catalogue,
    current: Assessment | None,
    country: str,
    year: int,
    code: str,
    command: ScoreCommand,
    today: date,
    **context: Any,
) -> list[NewEvent]:
    """Scores (or scores again, before review or after a return) one indicator for a year."""
    if not principal.may(SCORERS, country):
        raise Forbidden(f"this needs the role monitor for {country}")
    indicator = qualitative_indicator(catalogue, code)
    if not FIRST_YEAR <= year <= today.year:
        raise ValidationProblem(f"{year} is not a reference year that can be assessed",
                                {"year": [f"From {FIRST_YEAR} to {today.year}."]})  # fmt: skip
    if current is not None and current.status == ACCEPTED:
        raise Conflict(
            f"the assessment of {code} for {country} {year} is confirmed: it is final",
            {"status": ["Confirmed."]},
        )
    scoring = checked_scoring(indicator, command, today)
    payload = {"country": country, "year": year, "code": code,
               "catalog_version": catalogue.catalog_version, **scoring,
               "scored_by": principal.user}  # fmt: skip
    if current is not None and current.status == AWAITING_REVIEW and _same(current, payload):
        return []  # sent again as it stands: nothing new for the reviewer
    return [NewEvent(SCORED, payload, **context)]


def confirm(
    principal: Principal, current: Assessment | None, comment: str | None, **context: Any
) -> list[NewEvent]:
    assessment = _reviewable(principal, current)
    return [NewEvent(CONFIRMED, _review_payload(principal, assessment, comment), **context)]


def return_for_rework(
    principal: Principal, current: Assessment | None, comment: str | None, **context: Any
) -> list[NewEvent]:
    """Sends the scoring back to the monitors; the comment says what to change."""
    assessment = _reviewable(principal, current)
    if not _clean(comment):
        raise ValidationProblem(
            "a returned assessment says why", {"comment": ["Required when returning it."]}
        )
    return [NewEvent(RETURNED, _review_payload(principal, assessment, comment), **context)]


def _reviewable(principal: Principal, current: Assessment | None) -> Assessment:
    if current is None:
        raise NotFound("nothing has been scored here yet")
    if not principal.may(REVIEWERS, current.country):
        raise Forbidden(f"this needs the role reviewer for {current.country}")
    # the four-eyes rule of README §5.4: a score needs a second person
    if principal.user == current.scoring.scored_by:
        raise Forbidden(
            "the person who scored an assessment may not review it",
            {"reviewed_by": ["Must not be the person who scored it."]},
        )
    if current.status != AWAITING_REVIEW:
        raise Conflict(
            f"the assessment is {current.status}: only one awaiting review is reviewed",
            {"status": [f"Is {current.status}."]},
        )
    return current


def _review_payload(
    principal: Principal, assessment: Assessment, comment: str | None
) -> dict[str, Any]:
    text = _clean(comment)
    if text is not None and len(text) > TEXT_LIMIT:
        raise ValidationProblem("the comment is too long",
                                {"comment": [f"At most {TEXT_LIMIT} characters."]})  # fmt: skip
    return {"country": assessment.country, "year": assessment.year, "code": assessment.code,
            "score_version": assessment.scoring.version, "score": assessment.scoring.score,
            "reviewed_by": principal.user, "comment": text}  # fmt: skip


def _same(current: Assessment, payload: Mapping[str, Any]) -> bool:
    s = current.scoring
    return (s.scored_by, s.score, s.not_assessed_reason, s.rationale,
            [evidence_payload(e) for e in s.evidence]) == (
        payload["scored_by"], payload["score"], payload["not_assessed_reason"],
        payload["rationale"], payload["evidence"])  # fmt: skip


# --- validation of a scoring ----------------------------------------------------------------
def checked_scoring(indicator: Indicator, command: ScoreCommand, today: date) -> dict[str, Any]:
    """The scoring part of the payload; every problem is named by its field before one
    ValidationProblem is raised."""
    errors: dict[str, list[str]] = {}
    reason = _clean(command.not_assessed_reason)
    scale = [level.score for level in indicator.scale]
    if command.score is not None and reason is not None:
        _add(errors, "score", "Give a score or a not_assessed_reason, not both.")
    elif command.score is None and reason is None:
        _add(errors, "score", "Required, unless the indicator is not assessed (give the reason"
                              " in not_assessed_reason).")  # fmt: skip
    elif command.score is not None and (
        isinstance(command.score, bool) or command.score not in scale
    ):
        _add(errors, "score", f"Not a level of the scale of {indicator.code}: "
                              f"{', '.join(map(str, scale))}.")  # fmt: skip
    evidence = _evidence(errors, command.evidence, today)
    # a score rests on evidence; not assessing needs only the reason (there may be nothing)
    if command.score is not None and not evidence and "evidence" not in errors:
        _add(errors, "evidence", "A score needs at least one evidence item.")
    rationale = _clean(command.rationale)
    for name, text in (("not_assessed_reason", reason), ("rationale", rationale)):
        if text is not None and len(text) > TEXT_LIMIT:
            _add(errors, name, f"At most {TEXT_LIMIT} characters.")
    if errors:
        raise ValidationProblem(
            f"the scoring of {indicator.code} has invalid fields: {', '.join(sorted(errors))}",
            errors,
        )
    return {"score": command.score, "not_assessed_reason": reason, "rationale": rationale,
            "evidence": [evidence_payload(e) for e in evidence]}  # fmt: skip


def _evidence(
    errors: dict[str, list[str]], items: Sequence[Mapping[str, Any]], today: date
) -> list[Evidence]:
    found: list[Evidence] = []
    for n, item in enumerate(items):
        checked = _evidence_item(errors, f"evidence.{n}", item, today)
        if checked is None:
            continue
        if checked in found:
            _add(errors, f"evidence.{n}", "Listed twice.")
            continue
        found.append(checked)
    return found


def _evidence_item(
    errors: dict[str, list[str]], path: str, item: Mapping[str, Any], today: date
) -> Evidence | None:
    kind = item.get("kind")
    if kind == FILE:
        return _file(errors, path, item)
    if kind == DOCUMENT:
        return _document(errors, path, item, today)
    _add(errors, f"{path}.kind", f"One of {', '.join(EVIDENCE_KINDS)}.")
    return None


def _document(
    errors: dict[str, list[str]], path: str, item: Mapping[str, Any], today: date
) -> Evidence | None:
    title = _required_text(errors, f"{path}.title", item.get("title"), TITLE_LIMIT)
    reference = _required_text(errors, f"{path}.reference", item.get("reference"), TITLE_LIMIT)
    day = item.get("date")
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            day = None
    if not isinstance(day, date):
        _add(errors, f"{path}.date", "Required: the document's date (YYYY-MM-DD).")
        return None
    if day > today:
        _add(errors, f"{path}.date", "Must not be in the future.")
        return None
    if title is None or reference is None:
        return None
    return Evidence(DOCUMENT, title=title, reference=reference, date=day)


def _file(errors: dict[str, list[str]], path: str, item: Mapping[str, Any]) -> Evidence | None:
    digest = item.get("sha256")
    digest = digest.strip().lower() if isinstance(digest, str) else None
    if digest is None or not SHA256.match(digest):
        _add(errors, f"{path}.sha256", "The file's SHA-256: 64 hexadecimal digits.")
        digest = None
    name = _required_text(errors, f"{path}.name", item.get("name"), TITLE_LIMIT)
    if digest is None or name is None:
        return None
    return Evidence(FILE, sha256=digest, name=name)


def _required_text(errors: dict[str, list[str]], path: str, value: Any, limit: int) -> str | None:
    text = _clean(value) if isinstance(value, str) else None
    if text is None:
        _add(errors, path, "Required.")
    elif len(text) > limit:
        _add(errors, path, f"At most {limit} characters.")
        return None
    return text


def _clean(value: str | None) -> str | None:
    """Trimmed and in Unicode NFC (README §3: Montenegrin letters combine); None if empty."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", value.strip())
    return text or None


def _add(errors: dict[str, list[str]], path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)
