"""Recommendations and their follow-up across years (domain README §2: "next year asks what
became of last year's recommendations"), as pure decisions and folds.

A recommendation is either one of a published national report's (its identity is the report's
id and the recommendation's id in it, e.g. `3f2a9c1b7d4e-R2`, so a correction that republishes
R2 changes its text, never its identity) or one a monitor entered from a GRETA evaluation
round. Each names the institutions it is addressed to and the indicators it rests on.

In every later reference year it is due for follow-up until a confirmed assessment closes it
(implemented, or no longer relevant): a monitor of the country assesses it — implemented,
partly, not implemented, no longer relevant — resting on at least one evidence item, and a
reviewer of the country who is not that monitor confirms or returns the assessment. Each step
is an event on `recommendation-<id>`; the whole history stays.

A country's implementation rate for a year counts the due recommendations per confirmed status;
only these counts go to the regional hub.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from services.indicators.assessments import (
    DOCUMENT,
    FILE,
    SHA256,
    Evidence,
    evidence_from_payload,
    evidence_payload,
)
from services.indicators.catalogue import Catalogue
from services.reporting.events import (
    DRAFTED,
    FOLLOW_UP_ASSESSED,
    FOLLOW_UP_CONFIRMED,
    FOLLOW_UP_RETURNED,
    FOLLOW_UP_STATUSES,
    PUBLISHED,
    RATES_PUBLISHED,
    RECOMMENDATION_ENTERED,
)
from shared.auth import Principal
from shared.backbone.envelope import NewEvent
from shared.errors import Conflict, Forbidden, NotFound, ValidationProblem

STREAM_PREFIX = "recommendation-"
REPORT, GRETA = "report", "GRETA"
SOURCES = (REPORT, GRETA)
IMPLEMENTED, PARTLY, NOT_IMPLEMENTED, NO_LONGER_RELEVANT = FOLLOW_UP_STATUSES
NOT_ASSESSED = "not_assessed"  # due, but no confirmed assessment for the year (yet)
STATUSES = (*FOLLOW_UP_STATUSES, NOT_ASSESSED)
# a confirmed assessment with one of these closes the recommendation: no later follow-up
CLOSING = (IMPLEMENTED, NO_LONGER_RELEVANT)
AWAITING_REVIEW, CONFIRMED, RETURNED = "awaiting_review", "confirmed", "returned"
WRITERS, REVIEWERS = ("monitor",), ("reviewer",)
READERS = ("monitor", "reviewer", "national_admin", "auditor", "regional_analyst",
           "platform_admin")  # fmt: skip
FOLLOW_UP_EVENTS = (RECOMMENDATION_ENTERED, FOLLOW_UP_ASSESSED, FOLLOW_UP_CONFIRMED,
                    FOLLOW_UP_RETURNED)  # fmt: skip
FIRST_YEAR = 2000
NOTE_LIMIT, TITLE_LIMIT = 4000, 500


def recommendation_stream(recommendation_id: str) -> str:
    return f"{STREAM_PREFIX}{recommendation_id}"


def rates_stream(country: str, year: int) -> str:
    return f"implementation-rates-{country}-{year}"


def report_recommendation_id(report_id: str, finding_id: str) -> str:
    return f"{report_id}-{finding_id}"


# --- state ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FollowUp:
    """The assessment of one reference year, and where its review stands."""

    year: int
    status: str
    evidence: tuple[Evidence, ...]
    note: str | None
    assessed_by: str
    version: int  # the stream version of its FollowUpAssessed
    state: str = AWAITING_REVIEW
    reviewed_by: str | None = None
    review_comment: str | None = None


@dataclass(frozen=True)
class Step:
    """One line of the history: who assessed, confirmed or returned which year's status."""

    action: str  # assessed confirmed returned
    year: int
    status: str
    by: str
    comment: str | None = None


@dataclass(frozen=True)
class Recommendation:
    recommendation_id: str
    country: str
    source: str  # report GRETA
    issued_year: int  # the report's reference year, or the year of the GRETA report
    reference: str  # for people: "Montenegro: monitoring report 2024, R1", "GRETA round 3, §112"
    text: str
    addressees: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    report_id: str | None = None
    follow_ups: tuple[FollowUp, ...] = ()  # one per reference year, oldest first
    history: tuple[Step, ...] = ()
    version: int = 0  # of its stream (0: nothing recorded on it yet)

    def follow_up(self, year: int) -> FollowUp | None:
        return next((f for f in self.follow_ups if f.year == year), None)

    def closed_before(self, year: int) -> FollowUp | None:
        """The confirmed assessment of an earlier year that closed it, if one did."""
        return next((f for f in self.follow_ups if f.year < year and f.state == CONFIRMED
                     and f.status in CLOSING), None)  # fmt: skip

    def due_in(self, year: int) -> bool:
        """Whether the cycle of reference year `year` follows it up."""
        return self.issued_year < year and self.closed_before(year) is None

    def status_in(self, year: int) -> str:
        found = self.follow_up(year)
        return found.status if found is not None and found.state == CONFIRMED else NOT_ASSESSED

    @property
    def status(self) -> str:
        """The latest confirmed status, or not_assessed."""
        confirmed = [f for f in self.follow_ups if f.state == CONFIRMED]
        return confirmed[-1].status if confirmed else NOT_ASSESSED


# --- folds ----------------------------------------------------------------------------------
def issued_in(report_id: str, header: Mapping[str, Any] | None,
              published: Mapping[str, Any]) -> list[Recommendation]:  # fmt: skip
    """The recommendations a published version of a national report makes (a regional report
    addresses the region, not a country's institutions: it is not followed up here)."""
    if header is None or header["kind"] != "national" or not header["country"]:
        return []
    return [
        Recommendation(
            report_recommendation_id(report_id, r["id"]), header["country"], REPORT,
            int(header["period"]), f"{header['title']}, {r['id']}", r["text"],
            tuple(r.get("addressees") or ()), tuple(r["indicators"]), report_id,
        )
        for r in published["narrative"].get("recommendations", [])
    ]  # fmt: skip


def evolve(current: Recommendation | None, event_type: str, payload: Mapping[str, Any],
           version: int) -> Recommendation | None:  # fmt: skip
    """One event of a recommendation's stream applied to it."""
    p = payload
    if event_type == RECOMMENDATION_ENTERED:
        return Recommendation(
            p["recommendation_id"], p["country"], p["source"], p["year"],
            f"{p['source']} round {p['round']}, paragraph {p['paragraph']}", p["text"],
            tuple(p["addressees"]), tuple(p["indicators"]), version=version,
        )  # fmt: skip
    if current is None:
        return None
    if event_type == FOLLOW_UP_ASSESSED:
        done = FollowUp(p["year"], p["status"], tuple(map(evidence_from_payload, p["evidence"])),
                        p["note"], p["assessed_by"], version)  # fmt: skip
        others = [f for f in current.follow_ups if f.year != p["year"]]
        step = Step("assessed", p["year"], p["status"], p["assessed_by"], p["note"])
        return replace(current, follow_ups=tuple(sorted([*others, done], key=lambda f: f.year)),
                       history=(*current.history, step), version=version)  # fmt: skip
    if event_type in (FOLLOW_UP_CONFIRMED, FOLLOW_UP_RETURNED):
        state = CONFIRMED if event_type == FOLLOW_UP_CONFIRMED else RETURNED
        follow_ups = tuple(
            replace(f, state=state, reviewed_by=p["reviewed_by"], review_comment=p["comment"])
            if f.year == p["year"] else f for f in current.follow_ups
        )  # fmt: skip
        step = Step(state, p["year"], p["status"], p["reviewed_by"], p["comment"])
        return replace(current, follow_ups=follow_ups, history=(*current.history, step),
                       version=version)  # fmt: skip
    return current


def ledger_from(events: Iterable[Any]) -> dict[str, Recommendation]:
    """Every recommendation the reporting log knows, with its follow-up, from its events in log
    order: the live log for commands, the pinned replay for a report's follow-up table."""
    headers: dict[str, dict[str, Any]] = {}
    found: dict[str, Recommendation] = {}
    for event in events:
        p = event.payload
        if event.event_type == DRAFTED:
            headers[p["report_id"]] = p
        elif event.event_type == PUBLISHED:
            report_id = event.stream_id.removeprefix("report-")
            for issued in issued_in(report_id, headers.get(report_id), p):
                found[issued.recommendation_id] = republished(
                    found.get(issued.recommendation_id), issued
                )
        elif event.event_type in FOLLOW_UP_EVENTS:
            rid = p["recommendation_id"]
            changed = evolve(found.get(rid), event.event_type, p, event.stream_version)
            if changed is not None:
                found[rid] = changed
    return found


def follow_up_basis(events: Iterable[Any], country: str) -> int:
    """The log index of the last event a national report of `country` must rest on for its
    follow-up table (0: none): the country's recommendation events and the publications of its
    national reports."""
    countries: dict[str, str | None] = {}
    last = 0
    for event in events:
        p = event.payload
        if event.event_type == DRAFTED:
            countries[p["report_id"]] = p["country"] if p["kind"] == "national" else None
        elif event.event_type == PUBLISHED:
            if countries.get(event.stream_id.removeprefix("report-")) == country:
                last = event.log_index
        elif event.event_type in FOLLOW_UP_EVENTS and p["country"] == country:
            last = event.log_index
    return last


def republished(before: Recommendation | None, issued: Recommendation) -> Recommendation:
    """A corrected version's wording, keeping the follow-up recorded so far."""
    if before is None:
        return issued
    return replace(issued, follow_ups=before.follow_ups, history=before.history,
                   version=before.version)  # fmt: skip


def due_in(recommendations: Iterable[Recommendation], country: str,
           year: int) -> list[Recommendation]:  # fmt: skip
    """The country's recommendations the cycle of `year` follows up, in a stable order: oldest
    first, report before GRETA, then by id (R2 before R10)."""
    due = [r for r in recommendations if r.country == country and r.due_in(year)]
    return sorted(due, key=lambda r: (r.issued_year, SOURCES.index(r.source),
                                      _natural(r.recommendation_id)))  # fmt: skip


def rates(recommendations: Iterable[Recommendation], country: str, year: int) -> dict[str, Any]:
    """The implementation rate of a country's cycle: the due recommendations counted per
    confirmed status; the rate is the implemented share of those assessed as still relevant
    (None while none is)."""
    counts = dict.fromkeys(STATUSES, 0)
    due = due_in(recommendations, country, year)
    for recommendation in due:
        counts[recommendation.status_in(year)] += 1
    relevant = counts[IMPLEMENTED] + counts[PARTLY] + counts[NOT_IMPLEMENTED]
    rate = round(counts[IMPLEMENTED] / relevant, 4) if relevant else None
    return {"country": country, "year": year, "total": len(due), "counts": counts,
            "implementation_rate": rate}  # fmt: skip


# --- decisions ------------------------------------------------------------------------------
@dataclass(frozen=True)
class GretaCommand:
    round: str
    paragraph: str
    year: int
    text: str
    addressees: Sequence[str] = ()
    indicators: Sequence[str] = ()


def enter(principal: Principal, catalogue: Catalogue, country: str, recommendation_id: str,
          command: GretaCommand, today: date, **context: Any) -> list[NewEvent]:  # fmt: skip
    """Enters a GRETA recommendation for the country (a monitor of it)."""
    _require(principal, WRITERS, country)
    errors: dict[str, list[str]] = {}
    if not FIRST_YEAR <= command.year <= today.year:
        _add(errors, "year", f"From {FIRST_YEAR} to {today.year}.")
    for code in command.indicators:
        if code not in catalogue.codes:
            _add(errors, "indicators", f"{code} is not in catalogue {catalogue.catalog_version}.")
    texts = {name: _clean(getattr(command, name)) for name in ("round", "paragraph", "text")}
    for name, text in texts.items():
        if text is None:
            _add(errors, name, "Required.")
    addressees = _addressees(errors, command.addressees)
    if errors:
        raise ValidationProblem(
            f"the recommendation has invalid fields: {', '.join(sorted(errors))}", errors
        )
    payload = {"recommendation_id": recommendation_id, "country": country, "source": GRETA,
               **texts, "year": command.year, "addressees": addressees,
               "indicators": list(dict.fromkeys(command.indicators)),
               "entered_by": principal.user}  # fmt: skip
    return [NewEvent(RECOMMENDATION_ENTERED, payload, **context)]


def assess(principal: Principal, current: Recommendation | None, year: int, status: str,
           evidence: Sequence[Mapping[str, Any]], note: str | None, today: date,
           **context: Any) -> list[NewEvent]:  # fmt: skip
    """Assesses what became of a recommendation by the end of reference year `year` (again,
    while awaiting review or after a return)."""
    recommendation = _known(current)
    _require(principal, WRITERS, recommendation.country)
    errors: dict[str, list[str]] = {}
    if not recommendation.issued_year < year <= today.year:
        _add(errors, "year", f"A later reference year than {recommendation.issued_year}, at"
                             f" most {today.year}.")  # fmt: skip
    if status not in FOLLOW_UP_STATUSES:
        _add(errors, "status", f"One of {', '.join(FOLLOW_UP_STATUSES)}.")
    items = _evidence(errors, evidence, today)
    if not items and "evidence" not in errors:
        _add(errors, "evidence", "An assessment rests on at least one evidence item.")
    text = _clean(note)
    if text is not None and len(text) > NOTE_LIMIT:
        _add(errors, "note", f"At most {NOTE_LIMIT} characters.")
    if errors:
        raise ValidationProblem(
            f"the assessment has invalid fields: {', '.join(sorted(errors))}", errors
        )
    closed = recommendation.closed_before(year)
    if closed is not None:
        raise Conflict(
            f"the recommendation was closed in {closed.year} ({closed.status}):"
            " it is no longer followed up",
            {"year": [f"Closed in {closed.year}."]},
        )
    found = recommendation.follow_up(year)
    if found is not None and found.state == CONFIRMED:
        raise Conflict(f"the assessment for {year} is confirmed: it is final",
                       {"status": ["Confirmed."]})  # fmt: skip
    payload = {"recommendation_id": recommendation.recommendation_id,
               "country": recommendation.country, "year": year, "status": status,
               "evidence": [evidence_payload(e) for e in items], "note": text,
               "assessed_by": principal.user}  # fmt: skip
    return [NewEvent(FOLLOW_UP_ASSESSED, payload, **context)]


def confirm(principal: Principal, current: Recommendation | None, year: int,
            comment: str | None, **context: Any) -> list[NewEvent]:  # fmt: skip
    recommendation, found = _reviewable(principal, current, year)
    payload = _review(principal, recommendation, found, comment)
    return [NewEvent(FOLLOW_UP_CONFIRMED, payload, **context)]


def send_back(principal: Principal, current: Recommendation | None, year: int,
              comment: str | None, **context: Any) -> list[NewEvent]:  # fmt: skip
    recommendation, found = _reviewable(principal, current, year)
    if _clean(comment) is None:
        raise ValidationProblem("a returned assessment says why",
                                {"comment": ["Required when returning it."]})  # fmt: skip
    payload = _review(principal, recommendation, found, comment)
    return [NewEvent(FOLLOW_UP_RETURNED, payload, **context)]


def rates_changed(recommendations: Iterable[Recommendation], country: str, year: int,
                  last: Mapping[str, Any] | None, **context: Any) -> list[NewEvent]:  # fmt: skip
    """The country-year's rates as an event, unless they are what was last published."""
    now = rates(recommendations, country, year)
    if last is not None and dict(last) == now:
        return []
    return [NewEvent(RATES_PUBLISHED, now, **context)]


def _reviewable(principal: Principal, current: Recommendation | None,
                year: int) -> tuple[Recommendation, FollowUp]:  # fmt: skip
    recommendation = _known(current)
    _require(principal, REVIEWERS, recommendation.country)
    found = recommendation.follow_up(year)
    if found is None:
        raise NotFound(f"nothing has been assessed for {year} yet", {"year": ["Not assessed."]})
    # four eyes: the person who assessed it never confirms it
    if principal.user == found.assessed_by:
        raise Forbidden(
            "the person who assessed a recommendation may not review it",
            {"reviewed_by": ["Must not be the person who assessed it."]},
        )
    if found.state != AWAITING_REVIEW:
        raise Conflict(f"the assessment for {year} is {found.state}: only one awaiting review is"
                       " reviewed", {"status": [f"Is {found.state}."]})  # fmt: skip
    return recommendation, found


def _review(principal: Principal, recommendation: Recommendation, found: FollowUp,
            comment: str | None) -> dict[str, Any]:  # fmt: skip
    text = _clean(comment)
    if text is not None and len(text) > NOTE_LIMIT:
        raise ValidationProblem("the comment is too long",
                                {"comment": [f"At most {NOTE_LIMIT} characters."]})  # fmt: skip
    return {"recommendation_id": recommendation.recommendation_id,
            "country": recommendation.country, "year": found.year, "status": found.status,
            "assessed_version": found.version, "reviewed_by": principal.user,
            "comment": text}  # fmt: skip


def _known(current: Recommendation | None) -> Recommendation:
    if current is None:
        raise NotFound("there is no such recommendation", {"recommendation_id": ["Unknown."]})
    return current


def _require(principal: Principal, roles: tuple[str, ...], country: str) -> None:
    if not principal.may(roles, country):
        raise Forbidden(f"this needs the role {' or '.join(roles)} for {country}")


# --- validation -----------------------------------------------------------------------------
def _addressees(errors: dict[str, list[str]], names: Sequence[str]) -> list[str]:
    found = []
    for n, name in enumerate(names):
        text = _clean(name) if isinstance(name, str) else None
        if text is None or len(text) > 300:
            _add(errors, f"addressees.{n}", "An institution's name, 1 to 300 characters.")
        elif text not in found:
            found.append(text)
    return found


def _evidence(errors: dict[str, list[str]], items: Sequence[Mapping[str, Any]],
              today: date) -> list[Evidence]:  # fmt: skip
    found: list[Evidence] = []
    for n, item in enumerate(items):
        path = f"evidence.{n}"
        kind = item.get("kind")
        checked = (_file(errors, path, item) if kind == FILE
                   else _document(errors, path, item, today) if kind == DOCUMENT
                   else _add(errors, f"{path}.kind", f"One of {DOCUMENT}, {FILE}."))  # fmt: skip
        if checked is not None and checked in found:
            _add(errors, path, "Listed twice.")
        elif checked is not None:
            found.append(checked)
    return found


def _document(errors: dict[str, list[str]], path: str, item: Mapping[str, Any],
              today: date) -> Evidence | None:  # fmt: skip
    title = _text(errors, f"{path}.title", item.get("title"))
    reference = _text(errors, f"{path}.reference", item.get("reference"))
    try:
        day = date.fromisoformat(str(item.get("date")))
    except ValueError:
        _add(errors, f"{path}.date", "Required: the document's date (YYYY-MM-DD).")
        return None
    if day > today:
        _add(errors, f"{path}.date", "Must not be in the future.")
        return None
    if title is None or reference is None:
        return None
    return Evidence(DOCUMENT, title=title, reference=reference, date=day)


def _file(errors: dict[str, list[str]], path: str, item: Mapping[str, Any]) -> Evidence | None:
    digest = str(item.get("sha256") or "").strip().lower()
    if not SHA256.match(digest):
        _add(errors, f"{path}.sha256", "The file's SHA-256: 64 hexadecimal digits.")
    name = _text(errors, f"{path}.name", item.get("name"))
    if not SHA256.match(digest) or name is None:
        return None
    return Evidence(FILE, sha256=digest, name=name)


def _text(errors: dict[str, list[str]], path: str, value: Any) -> str | None:
    text = _clean(value) if isinstance(value, str) else None
    if text is None or len(text) > TITLE_LIMIT:
        _add(errors, path, f"Required, at most {TITLE_LIMIT} characters.")
        return None
    return text


def _clean(value: str | None) -> str | None:
    """Trimmed and in Unicode NFC (README §3); None if empty."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", value.strip())
    return text or None


def _add(errors: dict[str, list[str]], path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


# --- as stored in the read model ------------------------------------------------------------
def to_json(r: Recommendation) -> dict[str, Any]:
    return {
        "recommendation_id": r.recommendation_id, "country": r.country, "source": r.source,
        "issued_year": r.issued_year, "reference": r.reference, "text": r.text,
        "addressees": list(r.addressees), "indicators": list(r.indicators),
        "report_id": r.report_id, "version": r.version,
        "follow_ups": [{"year": f.year, "status": f.status, "note": f.note,
                        "evidence": [evidence_payload(e) for e in f.evidence],
                        "assessed_by": f.assessed_by, "version": f.version, "state": f.state,
                        "reviewed_by": f.reviewed_by, "review_comment": f.review_comment}
                       for f in r.follow_ups],
        "history": [s.__dict__ for s in r.history],
    }  # fmt: skip


def from_json(d: Mapping[str, Any]) -> Recommendation:
    follow_ups = tuple(
        FollowUp(f["year"], f["status"], tuple(map(evidence_from_payload, f["evidence"])),
                 f["note"], f["assessed_by"], f["version"], f["state"], f["reviewed_by"],
                 f["review_comment"]) for f in d["follow_ups"]
    )  # fmt: skip
    return Recommendation(
        d["recommendation_id"], d["country"], d["source"], d["issued_year"], d["reference"],
        d["text"], tuple(d["addressees"]), tuple(d["indicators"]), d["report_id"], follow_ups,
        tuple(Step(**s) for s in d["history"]), d["version"],
    )  # fmt: skip
