"""Case state and command deciders of the intake service: pure functions, no I/O.

`state_from(events)` folds a case stream into a `Case`. `open_case` and `record_event` check a
command against the case and return the events to append; if anything is wrong they raise
`ValidationProblem` naming every bad field at once, and decide nothing.

A correction never edits an event: `intake.CaseCorrected` names the events it supersedes and
carries the corrected fields, and the state is folded from the *effective* history (each
superseded payload with the corrections merged in, in order). A correction is accepted only if
every event from the first superseded one on still passes its rules with the corrected values.

Where the case-level fields that indicators read come from (later events win):
- vic_TraffickingStatus, vic_TraffickingStatusDecisionMakingOrg: CaseOpened, then each
  TraffickingStatusDecided (`status`; `body_type` through the fixed mapping of codes.py);
- ext_FirstContactDate, ext_DetectingAgencyType: CaseOpened, or PresumedVictimRegistered;
- ext_IdentificationDate: CaseOpened, or the first ActualVictimOfTrafficking decision;
- ext_AgeAtIdentification: `Case.age`; ext_CaseClosedDate: CaseClosed.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from marshmallow import Schema, fields

from services.intake import codes
from services.intake.events import CASE_CORRECTED, INTAKE_TYPES
from shared.backbone.envelope import SYSTEM, Actor, NewEvent
from shared.backbone.registry import REGISTRY
from shared.errors import ValidationProblem

CASE_OPENED = "intake.CaseOpened"
PRESUMED = "intake.PresumedVictimRegistered"
STATUS_DECIDED = "intake.TraffickingStatusDecided"
REFERRAL = "intake.ReferralMade"
SERVICE = "intake.ServiceDelivered"
REFLECTION = "intake.ReflectionPeriodDecided"
PERMIT = "intake.ResidencePermitDecided"
GUARDIAN = "intake.GuardianAppointed"
CHILD_INTERVIEW = "intake.ChildInterviewConducted"
TESTIFIED = "intake.VictimTestified"
CLAIM_FILED = "intake.CompensationClaimFiled"
DECIDED = "intake.CompensationDecided"
PAID = "intake.CompensationPaid"
RETURN = "intake.ReturnCompleted"
REINTEGRATION = "intake.ReintegrationOutcomeRecorded"
CASE_CLOSED = "intake.CaseClosed"
PERSONS_LINKED = "intake.PersonsLinked"

RECORDABLE = tuple(name for name in INTAKE_TYPES if name != CASE_OPENED)
# Corrections and links fix the record rather than add to the victim's story, so they are
# the only events a closed case still takes (persons are linked across years of cases).
ALLOWED_ON_CLOSED_CASE = (CASE_CORRECTED, PERSONS_LINKED)
ADULT_AGE = 18

# Assistance and child-protection steps follow the first contact with the referral mechanism.
# Criminal-justice, compensation and penalisation events may precede it (a victim is often
# fined or prosecuted before anyone recognises them), so they are not held to it.
AFTER_FIRST_CONTACT = {
    STATUS_DECIDED: ("date",),
    REFERRAL: ("date",),
    SERVICE: ("start_date",),
    REFLECTION: ("date", "start_date"),
    PERMIT: ("date",),
    GUARDIAN: ("date",),
    CHILD_INTERVIEW: ("date",),
    RETURN: ("date",),
    REINTEGRATION: ("date",),
}

# Fields that tie events and persons together; changing one would move history elsewhere.
NOT_CORRECTABLE = {
    "person_id": "link persons with intake.PersonsLinked instead",
    "claim_id": "file the claim again instead",
    "award_final_date": "it follows from the claim's final award",
}

Errors = dict[str, list[str]]
Payload = dict[str, Any]


class Recorded(Protocol):
    """What folding needs of a recorded event (shared.backbone.envelope.RecordedEvent)."""

    @property
    def event_id(self) -> uuid.UUID: ...
    @property
    def event_type(self) -> str: ...
    @property
    def stream_version(self) -> int: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def payload(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Fact:
    """One event of the case as it counts now: its JSON payload with corrections merged in."""

    event_id: uuid.UUID
    event_type: str
    payload: Mapping[str, Any]
    stream_version: int
    occurred_at: datetime


@dataclass(frozen=True)
class Claim:
    """A compensation claim and where it stands: its latest decision and what was paid."""

    claim_id: str
    forum: str
    filed_on: date
    decided_on: date | None = None
    outcome: str | None = None
    final: bool = False
    awarded_eur: Decimal | None = None
    final_award_date: date | None = None
    paid_eur: Decimal = Decimal(0)

    @property
    def payable(self) -> bool:
        return self.outcome in codes.PAYABLE_OUTCOMES and self.awarded_eur is not None


@dataclass(frozen=True)
class Case:
    """What the rules need to know of a case, folded from its effective history. Read models
    for the API are projections; this is for deciding only."""

    person_id: str
    status: str  # cas_Status
    trafficking_status: str  # vic_TraffickingStatus
    version: int = 0  # stream version of the last event read: the ETag
    decision_making_org: str | None = None
    first_contact_date: date | None = None
    detecting_agency_type: str | None = None
    identification_date: date | None = None
    last_decision_date: date | None = None
    birth_date: date | None = None
    estimated_age: int | None = None
    child_flag: bool | None = None
    closed_date: date | None = None
    latest_date: date | None = None  # the latest date any event of the case names
    outgoing_referrals: int = 0
    claims: Mapping[str, Claim] = field(default_factory=dict)
    linked_person_ids: frozenset[str] = frozenset()
    history: tuple[Fact, ...] = ()
    # facts left out of `history` after the opening (see `summary`); 0: the history is whole
    elided: int = 0

    @property
    def is_open(self) -> bool:
        return self.status in codes.OPEN_CASE_STATUS

    @property
    def age(self) -> int | None:
        """Whole years at the identification date, else at first contact (README §4.2)."""
        reference = self.identification_date or self.first_contact_date
        if self.birth_date and reference:
            return age_on(self.birth_date, reference)
        return self.estimated_age

    @property
    def is_child(self) -> bool | None:
        age = self.age
        return self.child_flag if age is None else age < ADULT_AGE


def summary(case: Case) -> Case:
    """The case with its history cut to the opening: everything but a correction is decided
    on the folded fields, so a summary is what a process keeps of a case it decides on
    often. Its size stays the same however long the history grows (bench/load.py: whole
    histories of 300 busy cases outgrew a 150 MB worker within minutes)."""
    if len(case.history) <= 1:
        return case
    return replace(case, history=case.history[:1],
                   elided=case.elided + len(case.history) - 1)  # fmt: skip


def _whole(case: Case) -> Case:
    if case.elided:
        raise ValueError("a correction is decided on the whole history; fold the stream")
    return case


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# --- Checking one command ----------------------------------------------------------------------


@dataclass
class Check:
    """A command being checked: its valid fields (typed) and every error found so far. A
    rule about a field that already failed its own validation stays silent: one clear message
    per field is enough, and the value it would compare is unknown."""

    p: Payload
    errors: Errors
    today: date
    bad: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.bad = frozenset(self.errors)

    def get(self, name: str) -> Any:
        return self.p.get(name)

    def knows(self, name: str) -> bool:
        return name not in self.bad

    def add(self, name: str, message: str) -> None:
        if self.knows(name):
            self.errors.setdefault(name, []).append(message)

    def require(self, name: str, when: str) -> None:
        if name not in self.p:
            self.add(name, f"Required when {when}.")

    def forbid(self, name: str, when: str) -> None:
        if name in self.p:
            self.add(name, f"Only allowed when {when}.")

    def not_before(self, name: str, earlier_name: str, earlier: date | None) -> None:
        value = self.get(name)
        if value is not None and earlier is not None and value < earlier:
            self.add(name, f"Must not be before {earlier_name} ({earlier.isoformat()}).")

    def not_after(self, name: str, later_name: str, later: date | None) -> None:
        value = self.get(name)
        if value is not None and later is not None and value > later:
            self.add(name, f"Must not be after {later_name} ({later.isoformat()}).")


def schema_of(event_type: str) -> Schema:
    return REGISTRY.schemas[(event_type, REGISTRY.current_version(event_type))]


Converter = Callable[[Any], Any]


@functools.cache
def _converters(event_type: str) -> dict[str, Converter]:
    converters: dict[str, Converter] = {}
    for name, field_ in schema_of(event_type).fields.items():
        if isinstance(field_, fields.Date):
            converters[name] = date.fromisoformat
        elif isinstance(field_, fields.UUID):
            converters[name] = lambda value: uuid.UUID(str(value))
    return converters


def typed(event_type: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """A payload already checked (recorded, or just decided) with its dates and ids as the
    schema loads them; folding a history does not validate every event again (it was, once,
    before it was recorded), which makes folds and rebuilds several times faster."""
    converters = _converters(event_type)
    return {name: converters[name](value) if name in converters and value is not None else value
            for name, value in payload.items()}  # fmt: skip


def parse(event_type: str, payload: Any, today: date) -> Check:
    """Validates each field alone (codes, ranges, types) and loads the valid ones."""
    if not isinstance(payload, Mapping):
        return Check({}, {"payload": ["Must be a JSON object."]}, today)
    schema = schema_of(event_type)
    errors = {name: _messages(found) for name, found in schema.validate(payload).items()}
    valid = {name: value for name, value in payload.items() if name not in errors}
    return Check(schema.load(valid, partial=True), errors, today)


def _messages(found: Any) -> list[str]:
    """marshmallow nests messages of list items and dict values; flatten them to strings."""
    if isinstance(found, dict):
        return [f"{key}: {text}" for key, inner in found.items() for text in _messages(inner)]
    if isinstance(found, list):
        return [text for inner in found for text in _messages(inner)]
    return [str(found)]


def _date_fields(event_type: str, p: Payload) -> dict[str, date]:
    schema = schema_of(event_type)
    return {
        name: p[name]
        for name, kind in schema.fields.items()
        if isinstance(kind, fields.Date) and p.get(name) is not None
    }


def checked(case: Case | None, event_type: str, payload: Any, today: date) -> Check:
    """Every rule for one event: its fields, then the rules across fields and the case."""
    c = parse(event_type, payload, today)
    for name, value in _date_fields(event_type, c.p).items():
        if value > today:
            c.add(name, f"Must not be in the future (today is {today.isoformat()}).")
    if event_type == CASE_OPENED:
        _check_opening(c)
    elif case is not None:
        _check_on_case(case, event_type, c)
    return c


# --- Rules for opening a case ------------------------------------------------------------------


def _check_opening(c: Check) -> None:
    _check_status_at_opening(c)
    c.not_before("ext_IdentificationDate", "ext_FirstContactDate", c.get("ext_FirstContactDate"))
    c.not_before("ext_FirstContactDate", "prs_Birthdate", c.get("prs_Birthdate"))
    c.not_before("ext_IdentificationDate", "prs_Birthdate", c.get("prs_Birthdate"))
    _check_age(c)
    _check_exploitation_details(c)


def _check_status_at_opening(c: Check) -> None:
    status = c.get("vic_TraffickingStatus")
    if status == codes.ACTUAL_VICTIM:
        c.require("ext_IdentificationDate", f"vic_TraffickingStatus is {status}")
    elif status is not None:
        # Only an identified victim has an identification date; anyone else is known to the
        # referral mechanism from a first contact.
        c.require("ext_FirstContactDate", f"vic_TraffickingStatus is {status}")
        c.forbid("ext_IdentificationDate", f"vic_TraffickingStatus is {codes.ACTUAL_VICTIM}")
    if c.get("ext_DetectingAgencyType") is not None:
        c.require("ext_FirstContactDate", "ext_DetectingAgencyType is given")
    _check_decider_at_opening(c, status)


def _check_decider_at_opening(c: Check, status: str | None) -> None:
    body_name, org_name = "ext_IdentifyingBodyType", "vic_TraffickingStatusDecisionMakingOrg"
    body, org = c.get(body_name), c.get(org_name)
    unknown = body is None and org is None and c.knows(body_name) and c.knows(org_name)
    if status in codes.DECIDED_STATUSES and unknown:
        c.add(body_name, f"Required (or {org_name}) when vic_TraffickingStatus is {status}.")
    if body is not None and org is not None:
        expected = codes.IDENTIFYING_BODY_TO_DECISION_ORG[body]
        if org != expected:
            c.add(
                org_name,
                f"Must be {expected} when {body_name} is {body} "
                "(the fixed mapping of identifying bodies to HTCDS codes).",
            )


def _check_age(c: Check) -> None:
    if c.get("prs_Birthdate") is not None and c.get("ext_EstimatedAge") is not None:
        c.add(
            "ext_EstimatedAge", "Only allowed when prs_Birthdate is unknown: give one or the other."
        )
    age, basis = _age_at_opening(c)
    flag = c.get("ext_IsChild")
    if age is not None and flag is not None and flag != (age < ADULT_AGE):
        c.add(
            "ext_IsChild",
            f"Must be {str(age < ADULT_AGE).lower()}: the person was {age} {basis}, "
            f"and a child is under {ADULT_AGE}.",
        )
    trafficked_at = c.get("vic_AgeWhenTrafficked")
    if age is not None and trafficked_at is not None and trafficked_at > age:
        c.add("vic_AgeWhenTrafficked", f"Must not be above the person's age {basis} ({age}).")
    if (flag if age is None else age < ADULT_AGE) is False:
        for name in ("ext_Unaccompanied", "ext_GuardianRequired"):
            if c.get(name) is True:
                c.add(name, f"Only true for a child (under {ADULT_AGE}); this is an adult.")


def _age_at_opening(c: Check) -> tuple[int | None, str]:
    """Whole years at the identification date, else at first contact, and how it is known."""
    birth, estimate = c.get("prs_Birthdate"), c.get("ext_EstimatedAge")
    # A reference date that broke a rule (e.g. in the future) would give a wrong age.
    usable = [
        name
        for name in ("ext_IdentificationDate", "ext_FirstContactDate")
        if c.get(name) is not None and name not in c.errors
    ]
    if birth is not None and usable and birth <= c.get(usable[0]):
        name, reference = usable[0], c.get(usable[0])
        return age_on(birth, reference), f"on {name} ({reference.isoformat()})"
    if birth is None and estimate is not None:
        return estimate, "by ext_EstimatedAge"
    return None, ""


def _check_exploitation_details(c: Check) -> None:
    if not c.knows("vic_TypeOfExploitation"):
        return
    types = set(c.get("vic_TypeOfExploitation") or ())
    if c.get("vic_TypeOfSexExploitation") and "SexualExploitation" not in types:
        c.add(
            "vic_TypeOfSexExploitation",
            "Only allowed when vic_TypeOfExploitation has SexualExploitation.",
        )
    if c.get("vic_ForcedLabourIndustry") and not types & set(codes.LABOUR_EXPLOITATION):
        c.add(
            "vic_ForcedLabourIndustry",
            "Only allowed when vic_TypeOfExploitation has any of: "
            + ", ".join(codes.LABOUR_EXPLOITATION)
            + ".",
        )


# --- Rules for events on an open case ----------------------------------------------------------


def _check_on_case(case: Case, event_type: str, c: Check) -> None:
    if event_type not in ALLOWED_ON_CLOSED_CASE and not case.is_open:
        c.add(
            "cas_Status",
            f"The case is {case.status} since {case.closed_date}; a closed case only takes "
            + " and ".join(ALLOWED_ON_CLOSED_CASE)
            + ".",
        )
    for name in _date_fields(event_type, c.p):
        c.not_before(name, "prs_Birthdate", case.birth_date)
    for name in AFTER_FIRST_CONTACT.get(event_type, ()):
        c.not_before(name, "ext_FirstContactDate", case.first_contact_date)
    rule = _RULES.get(event_type)
    if rule is not None:
        rule(case, c)


def _check_presumed(case: Case, c: Check) -> None:
    if case.first_contact_date is not None:
        c.add(
            "date",
            f"ext_FirstContactDate is already {case.first_contact_date.isoformat()}; "
            "correct it with intake.CaseCorrected instead.",
        )
    c.not_after("date", "ext_IdentificationDate", case.identification_date)


def _check_status_decided(case: Case, c: Check) -> None:
    c.not_before("date", "the previous trafficking status decision", case.last_decision_date)


def _check_referral(case: Case, c: Check) -> None:
    scope = c.get("scope")
    if scope == "Transnational" and c.knows("country"):
        c.require("country", "scope is Transnational")
    elif scope == "Domestic":
        c.forbid("country", "scope is Transnational")


def _check_service(case: Case, c: Check) -> None:
    c.not_before("end_date", "start_date", c.get("start_date"))


def _check_reflection(case: Case, c: Check) -> None:
    decision = c.get("decision")
    if decision == "Granted":
        c.require("length_days", "decision is Granted")
    elif decision is not None:
        c.forbid("length_days", "decision is Granted")
        c.forbid("start_date", "decision is Granted")


def _check_permit(case: Case, c: Check) -> None:
    if c.get("decision") == "Granted":
        c.require("basis", "decision is Granted")
        c.require("valid_days", "decision is Granted")
    elif c.get("decision") == "Refused":
        c.forbid("valid_days", "decision is Granted")


def _check_child_measure(case: Case, c: Check) -> None:
    if case.is_child is False:
        c.add(
            "ext_IsChild",
            f"Guardians and child interviews are for children (under {ADULT_AGE}); "
            f"this case records an adult (age {case.age}).",
        )


def _check_testimony(case: Case, c: Check) -> None:
    measures = c.get("protective_measures") or []
    if codes.NO_PROTECTIVE_MEASURE in measures and len(measures) > 1:
        c.add("protective_measures", "None means no measure: it cannot be combined with others.")


def _check_original_amount(c: Check, eur_name: str) -> None:
    """The euro amount is what indicators add up; the original is kept for the audit trail."""
    amount, currency = "original_amount", "original_currency"
    if c.get(amount) is not None and c.knows(currency):
        c.require(currency, f"{amount} is given")
        c.require(eur_name, f"{amount} is given (converted at the decision date's rate)")
    if c.get(currency) is not None and c.knows(amount):
        c.require(amount, f"{currency} is given")
    if c.get(currency) == "EUR":
        c.add(currency, "Leave out for amounts in EUR: it keeps the amount before conversion.")


def _claim(case: Case, c: Check) -> Claim | None:
    claim_id = c.get("claim_id")
    if claim_id is None:
        return None
    claim = case.claims.get(str(claim_id))
    if claim is None:
        c.add("claim_id", f"No claim with this id on the case: record {CLAIM_FILED} first.")
    return claim


def _check_claim_filed(case: Case, c: Check) -> None:
    if c.get("claim_id") is not None and str(c.get("claim_id")) in case.claims:
        c.add("claim_id", "A claim with this id is already filed on the case.")
    _check_original_amount(c, "amount_claimed_eur")


def _check_compensation_decided(case: Case, c: Check) -> None:
    _check_original_amount(c, "amount_awarded_eur")
    outcome = c.get("outcome")
    if outcome == "Awarded":
        c.require("amount_awarded_eur", "outcome is Awarded")
    elif outcome in ("Rejected", "ReferredToCivil"):
        c.forbid("amount_awarded_eur", "outcome is Awarded or Settled")
    claim = _claim(case, c)
    if claim is None:
        return
    c.not_before("date", "the claim's filing date", claim.filed_on)
    c.not_before("date", "the claim's previous decision", claim.decided_on)
    if claim.final:
        c.add("claim_id", f"The claim was finally decided on {claim.decided_on}; it is closed.")
    if c.get("forum") is not None and c.get("forum") != claim.forum:
        c.add("forum", f"Must be {claim.forum}, the forum the claim was filed in.")
    if outcome == "ReferredToCivil" and claim.forum != "CriminalAdhesion":
        c.add("outcome", "ReferredToCivil is only an outcome of a CriminalAdhesion claim.")
    awarded = c.get("amount_awarded_eur")
    if awarded is not None and euro(awarded) < claim.paid_eur:
        c.add("amount_awarded_eur", f"Must not be below the {claim.paid_eur:.2f} EUR already paid.")


def _check_compensation_paid(case: Case, c: Check) -> None:
    _check_original_amount(c, "amount_eur")
    claim = _claim(case, c)
    if claim is None:
        return
    if not claim.payable:
        c.add(
            "claim_id",
            f"The claim has no award to pay: its latest decision is {claim.outcome or 'not taken'}"
            " (payable: " + ", ".join(codes.PAYABLE_OUTCOMES) + " with amount_awarded_eur).",
        )
        return
    c.not_before("date", "the award's date", claim.decided_on)
    amount, awarded = c.get("amount_eur"), claim.awarded_eur or Decimal(0)
    if amount is not None and euro(amount) > awarded - claim.paid_eur:
        c.add(
            "amount_eur",
            f"Must not exceed the {awarded - claim.paid_eur:.2f} EUR still due "
            f"({awarded:.2f} EUR awarded, {claim.paid_eur:.2f} EUR already paid).",
        )


def _check_closing(case: Case, c: Check) -> None:
    c.not_before("ext_CaseClosedDate", "the latest date recorded on the case", case.latest_date)
    if c.get("cas_Status") == "ClosedReferred" and not case.outgoing_referrals:
        c.add(
            "cas_Status",
            f"ClosedReferred needs an outgoing {REFERRAL} on the case; otherwise use Closed.",
        )


def _check_link(case: Case, c: Check) -> None:
    linked = [str(person) for person in c.get("linked_person_ids") or ()]
    if case.person_id in linked:
        c.add("linked_person_ids", "Must not name the case's own person_id.")
    if len(set(linked)) != len(linked):
        c.add("linked_person_ids", "Must not name a person twice.")
    already = sorted(set(linked) & case.linked_person_ids)
    if already:
        c.add("linked_person_ids", "Already linked: " + ", ".join(already) + ".")


_RULES: dict[str, Callable[[Case, Check], None]] = {
    PRESUMED: _check_presumed,
    STATUS_DECIDED: _check_status_decided,
    REFERRAL: _check_referral,
    SERVICE: _check_service,
    REFLECTION: _check_reflection,
    PERMIT: _check_permit,
    GUARDIAN: _check_child_measure,
    CHILD_INTERVIEW: _check_child_measure,
    TESTIFIED: _check_testimony,
    CLAIM_FILED: _check_claim_filed,
    DECIDED: _check_compensation_decided,
    PAID: _check_compensation_paid,
    CASE_CLOSED: _check_closing,
    PERSONS_LINKED: _check_link,
}


def euro(amount: float) -> Decimal:
    # Through str: Decimal(0.1) would carry the binary float's error into sums of payments.
    return Decimal(str(amount))


# --- Folding the stream into a Case ------------------------------------------------------------


def state_from(events: Iterable[Recorded]) -> Case | None:
    """The case as its effective history says, or None for an empty stream."""
    facts, version = _effective(events)
    case = fold(facts)
    return None if case is None else replace(case, version=version)


def state_after(case: Case, new_events: Iterable[Recorded]) -> Case | None:
    """The case after events recorded since `case` was folded, without folding its whole
    history again; None when one of them is a correction (which can change any earlier fact,
    so the caller folds the whole stream)."""
    for event in new_events:
        if event.event_type == CASE_CORRECTED:
            return None
        if event.event_type in INTAKE_TYPES:
            fact = Fact(event.event_id, event.event_type, _current_payload(event),
                        event.stream_version, event.occurred_at)  # fmt: skip
            case = apply(case, fact)
        case = replace(case, version=event.stream_version)
    return case


def history_fact(event: Recorded) -> Fact | None:
    """The fact an event adds to its case when it changes nothing else about the case (a
    service delivered, a reflection period, a return...); None for one that may change the
    case's identification, status, referrals, compensation, links or earlier facts, or is not
    a fact about the case at all: after those the case must be folded again."""
    kind = event.event_type
    if kind not in INTAKE_TYPES or kind in _APPLY or kind in (CASE_OPENED, CASE_CORRECTED):
        return None
    return Fact(event.event_id, kind, _current_payload(event), event.stream_version,
                event.occurred_at)  # fmt: skip


def after_decided(case: Case | None, decided: Sequence[NewEvent]) -> Case:
    """The case once events just decided on it are recorded: only the new ones are folded,
    unless one is a correction (then the history is folded again with it)."""
    base = case.version if case else 0
    facts = [Fact(e.event_id, e.event_type, e.payload, base + n, e.occurred_at)
             for n, e in enumerate(decided, start=1)]  # fmt: skip
    advanced = state_after(case, facts) if case is not None else None
    if advanced is None:
        advanced = state_from([*(_whole(case).history if case else ()), *facts])
    assert advanced is not None, "a case begins with intake.CaseOpened"
    return replace(advanced, version=base + len(decided))


def _effective(events: Iterable[Recorded]) -> tuple[list[Fact], int]:
    facts: list[Fact] = []
    position: dict[str, int] = {}
    version = 0
    for event in events:
        version = event.stream_version
        if event.event_type not in INTAKE_TYPES:  # e.g. erasure: not a fact about the case
            continue
        payload = _current_payload(event)
        if event.event_type == CASE_CORRECTED:
            for superseded in payload["superseded_event_ids"]:
                at = position[str(uuid.UUID(str(superseded)))]
                facts[at] = corrected(facts[at], payload["corrected_fields"])
        else:
            position[str(event.event_id)] = len(facts)
            facts.append(
                Fact(event.event_id, event.event_type, payload, version, event.occurred_at)
            )
    return facts, version


def _current_payload(event: Recorded) -> dict[str, Any]:
    """Stored payloads of older schema versions are read through the registry's upcasters."""
    stored_version = getattr(event, "schema_version", None)
    if stored_version is None:
        return dict(event.payload)
    return REGISTRY.upcast(event.event_type, stored_version, dict(event.payload))[1]


def corrected(fact: Fact, corrected_fields: Mapping[str, Any]) -> Fact:
    merged = {**fact.payload, **corrected_fields}
    return replace(
        fact, payload={name: value for name, value in merged.items() if value is not None}
    )


def fold(facts: Iterable[Fact]) -> Case | None:
    case: Case | None = None
    for fact in facts:
        case = apply(case, fact)
    return case


def apply(case: Case | None, fact: Fact) -> Case:
    p = typed(fact.event_type, fact.payload)
    if fact.event_type == CASE_OPENED:
        case = _opened(p)
    elif case is None:
        raise ValueError(f"a case stream must begin with {CASE_OPENED}, not {fact.event_type}")
    else:
        case = _APPLY.get(fact.event_type, _unchanged)(case, p)
    dates = [*_date_fields(fact.event_type, p).values(), *filter(None, [case.latest_date])]
    return replace(case, history=(*case.history, fact), latest_date=max(dates, default=None))


def _opened(p: Payload) -> Case:
    body = p.get("ext_IdentifyingBodyType")
    return Case(
        person_id=str(p["person_id"]),
        status=p["cas_Status"],
        trafficking_status=p["vic_TraffickingStatus"],
        decision_making_org=p.get("vic_TraffickingStatusDecisionMakingOrg")
        or (body and codes.IDENTIFYING_BODY_TO_DECISION_ORG[body]),
        first_contact_date=p.get("ext_FirstContactDate"),
        detecting_agency_type=p.get("ext_DetectingAgencyType"),
        identification_date=p.get("ext_IdentificationDate"),
        last_decision_date=p.get("ext_IdentificationDate"),
        birth_date=p.get("prs_Birthdate"),
        estimated_age=p.get("ext_EstimatedAge"),
        child_flag=p.get("ext_IsChild"),
    )


def _unchanged(case: Case, p: Payload) -> Case:
    return case


def _registered(case: Case, p: Payload) -> Case:
    return replace(
        case, first_contact_date=p["date"], detecting_agency_type=p["detecting_agency_type"]
    )


def _status_decided(case: Case, p: Payload) -> Case:
    identified = p["status"] == codes.ACTUAL_VICTIM and case.identification_date is None
    return replace(
        case,
        trafficking_status=p["status"],
        decision_making_org=codes.IDENTIFYING_BODY_TO_DECISION_ORG[p["body_type"]],
        identification_date=p["date"] if identified else case.identification_date,
        last_decision_date=p["date"],
    )


def _referred(case: Case, p: Payload) -> Case:
    outgoing = p["direction"] == "Outgoing"
    return replace(case, outgoing_referrals=case.outgoing_referrals + outgoing)


def _with_claim(case: Case, claim: Claim) -> Case:
    return replace(case, claims={**case.claims, claim.claim_id: claim})


def _claim_filed(case: Case, p: Payload) -> Case:
    return _with_claim(case, Claim(str(p["claim_id"]), p["forum"], p["date"]))


def _compensation_decided(case: Case, p: Payload) -> Case:
    claim = case.claims[str(p["claim_id"])]
    awarded = p.get("amount_awarded_eur")
    final_award = p["final"] and p["outcome"] in codes.PAYABLE_OUTCOMES
    return _with_claim(
        case,
        replace(
            claim,
            decided_on=p["date"],
            outcome=p["outcome"],
            final=p["final"],
            awarded_eur=None if awarded is None else euro(awarded),
            final_award_date=p["date"] if final_award else claim.final_award_date,
        ),
    )


def _compensation_paid(case: Case, p: Payload) -> Case:
    claim = case.claims[str(p["claim_id"])]
    return _with_claim(case, replace(claim, paid_eur=claim.paid_eur + euro(p["amount_eur"])))


def _closed(case: Case, p: Payload) -> Case:
    return replace(case, status=p["cas_Status"], closed_date=p["ext_CaseClosedDate"])


def _linked(case: Case, p: Payload) -> Case:
    linked = {str(person) for person in p["linked_person_ids"]}
    return replace(case, linked_person_ids=case.linked_person_ids | linked)


_APPLY: dict[str, Callable[[Case, Payload], Case]] = {
    PRESUMED: _registered,
    STATUS_DECIDED: _status_decided,
    REFERRAL: _referred,
    CLAIM_FILED: _claim_filed,
    DECIDED: _compensation_decided,
    PAID: _compensation_paid,
    CASE_CLOSED: _closed,
    PERSONS_LINKED: _linked,
}


# --- Corrections -------------------------------------------------------------------------------


def _check_correction(case: Case, c: Check) -> list[tuple[Fact, Payload]]:
    """Checks a correction by replaying the corrected history. Returns the payments whose
    award_final_date the correction changes: they are corrected along with it."""
    ids = [str(event_id) for event_id in c.get("superseded_event_ids") or ()]
    kind, fixes = c.get("corrected_event_type"), c.get("corrected_fields")
    facts = {str(fact.event_id): fact for fact in _whole(case).history}
    for event_id in ids:
        fact = facts.get(event_id)
        if fact is None:
            c.add(
                "superseded_event_ids",
                f"No event {event_id} on this case to correct (to correct a correction, "
                "supersede the original event again).",
            )
        elif kind is not None and fact.event_type != kind:
            c.add("corrected_event_type", f"Must be {fact.event_type}, the type of {event_id}.")
    if len(set(ids)) != len(ids):
        c.add("superseded_event_ids", "Must not name an event twice.")
    for name in sorted(set(fixes or ()) & NOT_CORRECTABLE.keys()):
        c.add(f"corrected_fields.{name}", f"Cannot be corrected: {NOT_CORRECTABLE[name]}.")
    if c.errors or not ids or fixes is None:
        return []
    return _replay(case, set(ids), fixes, c)


def _replay(case: Case, ids: set[str], fixes: Payload, c: Check) -> list[tuple[Fact, Payload]]:
    history = [corrected(f, fixes) if str(f.event_id) in ids else f for f in case.history]
    first = min(n for n, fact in enumerate(history) if str(fact.event_id) in ids)
    state = fold(history[:first])
    cascades: list[tuple[Fact, Payload]] = []
    for fact in history[first:]:
        found = checked(state, fact.event_type, fact.payload, c.today).errors
        if found:
            _report(c, fact, found, superseded=str(fact.event_id) in ids)
            return []  # later events would be checked against a state that cannot be
        if fact.event_type == PAID and state is not None:
            cascades += _award_final_date_changes(state, fact)
        state = apply(state, fact)
    return cascades


def _report(c: Check, fact: Fact, found: Errors, superseded: bool) -> None:
    for name, messages in found.items():
        for message in messages:
            if superseded:
                c.add(f"corrected_fields.{name}", message)
            else:
                c.add(
                    "corrected_fields",
                    f"Would make {fact.event_type} {fact.event_id} invalid: {name}: {message}",
                )


def _award_final_date_changes(state: Case, payment: Fact) -> list[tuple[Fact, Payload]]:
    final = state.claims[str(uuid.UUID(payment.payload["claim_id"]))].final_award_date
    expected = None if final is None else final.isoformat()
    if payment.payload.get("award_final_date") == expected:
        return []
    return [(payment, {"award_final_date": expected})]


# --- Deciding ----------------------------------------------------------------------------------


def open_case(
    command: Any,
    today: date,
    *,
    actor: Actor = SYSTEM,
    correlation_id: uuid.UUID | None = None,
    causation_id: uuid.UUID | None = None,
) -> list[NewEvent]:
    """Decides `intake.CaseOpened` for a new case stream."""
    c = checked(None, CASE_OPENED, command, today)
    _raise_if_invalid(c, f"{CASE_OPENED} refused")
    p = dict(c.p)
    body = p.get("ext_IdentifyingBodyType")
    if body is not None:  # so indicators read the HTCDS code without knowing the mapping
        p.setdefault(
            "vic_TraffickingStatusDecisionMakingOrg", codes.IDENTIFYING_BODY_TO_DECISION_ORG[body]
        )
    return [_new(CASE_OPENED, p, actor, correlation_id, causation_id)]


def record_event(
    case: Case,
    event_type: str,
    payload: Any,
    today: date,
    *,
    actor: Actor = SYSTEM,
    correlation_id: uuid.UUID | None = None,
    causation_id: uuid.UUID | None = None,
) -> list[NewEvent]:
    """Decides one event on an existing case (plus, for a correction, the payments whose
    award_final_date it changes)."""
    if event_type not in RECORDABLE:
        raise ValidationProblem(
            f"{event_type!r} cannot be recorded on a case",
            {"event_type": ["Must be one of: " + ", ".join(RECORDABLE) + "."]},
        )
    payload, early = _prepared(event_type, payload)
    c = checked(case, event_type, payload, today)
    for name, messages in early.items():
        c.errors.setdefault(name, []).extend(messages)
    cascades = _check_correction(case, c) if event_type == CASE_CORRECTED else []
    _raise_if_invalid(c, f"{event_type} refused")
    decided = _new(
        event_type, _completed(case, event_type, c.p), actor, correlation_id, causation_id
    )
    follow_ups = [
        _new(
            CASE_CORRECTED,
            {
                "superseded_event_ids": [payment.event_id],
                "corrected_event_type": PAID,
                "corrected_fields": fixes,
                "reason": c.p["reason"],
            },
            actor,
            correlation_id,
            decided.event_id,  # caused by the correction that changed the award
        )
        for payment, fixes in cascades
    ]
    return [decided, *follow_ups]


def _prepared(event_type: str, payload: Any) -> tuple[Any, Errors]:
    """Fills in or refuses the fields the decider owns, before validation."""
    if not isinstance(payload, Mapping):
        return payload, {}
    if event_type == CLAIM_FILED and "claim_id" not in payload:
        return {**payload, "claim_id": str(uuid.uuid4())}, {}
    if event_type == PAID and "award_final_date" in payload:
        rest = {name: value for name, value in payload.items() if name != "award_final_date"}
        return rest, {"award_final_date": ["Set from the claim's final award: leave it out."]}
    return payload, {}


def _completed(case: Case, event_type: str, p: Payload) -> Payload:
    """Adds what the decider owns to a valid payload."""
    if event_type == PAID:
        final = case.claims[str(p["claim_id"])].final_award_date
        if final is not None:
            return {**p, "award_final_date": final}
    if event_type == CASE_CORRECTED:
        return {**p, "corrected_fields": _canonical_fixes(case, p)}
    return p


def _canonical_fixes(case: Case, p: Payload) -> Payload:
    """Corrected values spelled as their own event type stores them (dates, ids, numbers), so
    that effective payloads read like recorded ones."""
    schema = schema_of(p["corrected_event_type"])
    fixes = p["corrected_fields"]
    fact = next(f for f in _whole(case).history if f.event_id in p["superseded_event_ids"])
    stored = schema.dump(schema.load(corrected(fact, fixes).payload))
    return {name: stored.get(name) for name in fixes}


def _new(
    event_type: str,
    p: Payload,
    actor: Actor,
    correlation_id: uuid.UUID | None,
    causation_id: uuid.UUID | None,
) -> NewEvent:
    return NewEvent(
        event_type,
        schema_of(event_type).dump(p),
        actor=actor,
        correlation_id=correlation_id,
        causation_id=causation_id,
    )


def _raise_if_invalid(c: Check, detail: str) -> None:
    if c.errors:
        raise ValidationProblem(f"{detail}: " + ", ".join(sorted(c.errors)), c.errors)
