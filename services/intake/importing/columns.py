"""The columns an HTCDS import reads, where each answer goes, and how one row's answers become
a CaseOpened command, follow-up events and identifiers.

A column is known by its HTCDS system name, its label, or the other names the artefacts give it
(the template's `vic_TraffickinStatusDecisionMakingOrg`, the XLSForm's `prs_First_Name`, see
codes.py), compared by `values.squash`. Besides the HTCDS template's columns a file may carry
any CaseOpened field under its own name (`ext_FirstContactDate`, ...): HTCDS has no first
contact or identification date, and opening a case needs one of them.

Where answers go:
- COMMAND: the intake.CaseOpened command (HTCDS system names and `ext_` names);
- IDENTIFIER: `identifiers`, never a command: the HTCDS person-identifying fields below;
- INCOMING/OUTGOING: an intake.ReferralMade of that direction (HTCDS cas_Incoming*/cas_Outgoing*);
- CLOSURE: an intake.CaseClosed, when the status is Closed or ClosedReferred (a case is opened
  Active and closed by an event, as the deciders record it).
Columns of case workers' names and free text are known but never read (DROPPED).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.intake import codes
from services.intake.importing import labels
from services.intake.importing.batch import Errors
from services.intake.importing.values import (
    CellError,
    Options,
    Reader,
    a_date,
    countries,
    country,
    flag,
    is_blank,
    many_of,
    one_of,
    optional,
    place_country,
    squash,
    text,
    whole,
)

COMMAND, IDENTIFIER, INCOMING, OUTGOING, CLOSURE = (
    "command",
    "identifier",
    "incoming",
    "outgoing",
    "closure",
)
OPENED_AS = codes.OPEN_CASE_STATUS[0]  # a case the file says is closed is opened Active

GENDER = Options.of(codes.GENDER, labels.GENDER)
TRAFFICKING_STATUS = Options.of(codes.TRAFFICKING_STATUS, labels.TRAFFICKING_STATUS)
DECISION_MAKING_ORG = Options.of(codes.DECISION_MAKING_ORG, labels.DECISION_MAKING_ORG)
EXPLOITATION = Options.of(codes.EXPLOITATION_CODES, labels.TYPE_OF_EXPLOITATION)
SEX_EXPLOITATION = Options.of(codes.TYPE_OF_SEX_EXPLOITATION, labels.TYPE_OF_SEX_EXPLOITATION)
INDUSTRY = Options.of(codes.FORCED_LABOUR_INDUSTRY, labels.FORCED_LABOUR_INDUSTRY)
CONTROL = Options.of(codes.METHODS_OF_CONTROL, labels.METHODS_OF_CONTROL)
RECRUITMENT = Options.of(codes.METHOD_OF_RECRUITMENT, labels.METHOD_OF_RECRUITMENT)
WEBSITES = Options.of(codes.WEBSITES_AND_APPS, labels.WEBSITES_AND_APPS)
RELATIONSHIP = Options.of(codes.RELATIONSHIP_TO_TRAFFICKER)
CASE_STATUS = Options.of(codes.CASE_STATUS, labels.CASE_STATUS)
REASON = Options.of(codes.REASON_FOR_REFERRAL, labels.REASON_FOR_REFERRAL)
ORGANISATION_TYPE = Options.of(codes.ORGANISATION_TYPE, labels.ORGANISATION_TYPE)
DETECTING_AGENCY = Options.of(codes.DETECTING_AGENCY_TYPE)
IDENTIFYING_BODY = Options.of(codes.IDENTIFYING_BODY_TYPE)
REFERRAL_SCOPE = Options.of(codes.REFERRAL_SCOPE)

# The HTCDS person-identifying fields (README §4.4, direct identifiers of the person): split off
# into `identifiers` for the caller to encrypt and to compute a linkage key from. prs_Title is
# among them because the XLSForm labels it "Second Name", so it may hold a name.
IDENTIFYING_FIELDS = {
    "prs_Salutation": "Salutation",
    "prs_FirstName": "First Name",
    "prs_MiddleName": "Middle Name",
    "prs_SecondName": "Second Name",
    "prs_Title": "Title",
    "prs_IdentityNumber": "Identity Number",
    "prs_Email": "Email",
    "prs_HomePhone": "Home Phone",
    "prs_MobilePhone": "Mobile Phone",
    "prs_MailingStreet": "Mailing Street",
    "prs_MailingCity": "Mailing City",
    "prs_MailingState": "Mailing State/Province",
    "prs_MailingPostalCode": "Mailing Zip/Postal Code",
    "prs_MailingCountry": "Mailing Country",
    "prs_MailingLatitude": "Mailing Latitude",
    "prs_MailingLongitude": "Mailing Longitude",
}

# Known HTCDS columns that are never read, and why: the platform keeps no free text (it may
# name anyone) and no case worker's name (README §4.4).
CASE_WORKER = "names a case worker; not imported"
FREE_TEXT = "free text; never imported"
DROPPED = {
    "cas_CaseOwner": ("Case Owner", CASE_WORKER),
    "cas_ReferringPrimaryCaseWorker": ("Referring Primary Case Worker", CASE_WORKER),
    "cas_ReferredPrimaryCaseWorker": ("Referred Primary Case Worker", CASE_WORKER),
    "cas_IncomingReferralDetails": ("Incoming Referral Details", FREE_TEXT),
    "cas_OutgoingReferralDetails": ("Outgoing Referral Details", FREE_TEXT),
    "cas_ReasonForCaseClosure": ("Reason for Case Closure", FREE_TEXT),
    "cco_CaseComment": ("Case Comment", FREE_TEXT),
    "vic_Vulnerabilities": ("Vulnerabilities", "deprecated in HTCDS 2.0; not imported"),
}


@dataclass(frozen=True)
class Column:
    """`field` is our name for what the column holds (shown in error keys), `label` the
    template's; `key` names the value in the payload it goes to, if not `field`. `multiple`
    marks an XLSForm select_multiple, whose submissions separate answers with spaces."""

    field: str
    label: str
    read: Reader
    goes_to: str = COMMAND
    key: str = ""
    headers: tuple[str, ...] = ()
    multiple: bool = False

    @property
    def payload_key(self) -> str:
        return self.key or self.field

    @property
    def names(self) -> tuple[str, ...]:
        renamed = {**codes.TEMPLATE_FIELD_NAMES, **codes.XLSFORM_FIELD_NAMES}
        spelt = tuple(odd for odd, standard in renamed.items() if standard == self.field)
        return (self.field, self.label, *self.headers, *spelt)


def _identifying() -> tuple[Column, ...]:
    return tuple(
        Column(name, label, text, IDENTIFIER) for name, label in IDENTIFYING_FIELDS.items()
    )


def _case() -> tuple[Column, ...]:
    return (
        Column("con_Consent", "Consent", flag),
        Column("prs_Birthdate", "Birthdate", a_date, headers=("Date of Birth",)),
        Column("prs_Gender", "Gender", one_of(GENDER)),
        Column("prs_Citizenship", "Citizenship", countries),
        Column("vic_TraffickingStatus", "Trafficking Status", one_of(TRAFFICKING_STATUS)),
        Column(
            "vic_TraffickingStatusDecisionMakingOrg",
            "Trafficking Status Decision Making Organization",
            one_of(DECISION_MAKING_ORG),
        ),
        Column("vic_RelationshipToTrafficker", "Relationship to Trafficker", one_of(RELATIONSHIP)),
        Column("vic_AgeWhenTrafficked", "Age when Trafficked", whole),
        *_multiple(
            ("vic_MethodOfRecruitment", "Method of Recruitment", RECRUITMENT),
            ("vic_MethodsOfControl", "Methods of Control", CONTROL),
            ("vic_TypeOfExploitation", "Type of Exploitation", EXPLOITATION),
            ("vic_ForcedLabourIndustry", "Forced Labour Industry", INDUSTRY),
            ("vic_TypeOfSexExploitation", "Type of Sex Exploitation", SEX_EXPLOITATION),
            ("vic_RecruitmentWebsitesAndApps", "Recruitment Websites and Apps", WEBSITES),
            ("vic_ExploitationWebsitesAndApps", "Exploitation Websites and Apps", WEBSITES),
        ),
        Column(
            "ext_CountryOfRecruitment",
            "Location of Recruitment",
            place_country,
            headers=("vic_LocationOfRecruitment", "Country of Recruitment"),
        ),
        Column(
            "ext_CountryOfExploitation",
            "Location of Exploitation",
            place_country,
            headers=("vic_LocationOfExploitation", "Country of Exploitation"),
        ),
        Column("cas_Status", "Status", one_of(CASE_STATUS), headers=("Case Status",)),
    )


def _multiple(*specs: tuple[str, str, Options]) -> tuple[Column, ...]:
    return tuple(
        Column(name, label, many_of(options), multiple=True) for name, label, options in specs
    )


def _extensions() -> tuple[Column, ...]:
    return (
        Column("ext_FirstContactDate", "First Contact Date", a_date),
        Column("ext_DetectingAgencyType", "Detecting Agency Type", one_of(DETECTING_AGENCY)),
        Column("ext_IdentificationDate", "Identification Date", a_date),
        Column("ext_IdentifyingBodyType", "Identifying Body Type", one_of(IDENTIFYING_BODY)),
        Column("ext_EstimatedAge", "Estimated Age", whole),
        Column("ext_IsChild", "Child", flag),
        Column("ext_Unaccompanied", "Unaccompanied", flag),
        Column("ext_GuardianRequired", "Guardian Required", flag),
        Column("ext_NeedsInterpretation", "Needs Interpretation", flag),
        Column("ext_PreviouslyIdentified", "Previously Identified", flag),
        Column("ext_CaseClosedDate", "Case Closed Date", a_date, CLOSURE),
    )


def _referral(direction: str, goes_to: str, organisation: str) -> tuple[Column, ...]:
    """cas_<direction>ReferralDate and cas_ReasonFor<direction>Referral are HTCDS; ReferralMade
    also needs the scope (and, if Transnational, the other country), which HTCDS lacks."""
    org_field = f"cas_{organisation}Organisation"
    return (
        Column(
            f"cas_{direction}ReferralDate", f"{direction} Referral Date", a_date, goes_to, "date"
        ),
        Column(
            f"cas_ReasonFor{direction}Referral",
            f"Reason for {direction} Referral",
            one_of(REASON),
            goes_to,
            "reason",
        ),
        # The organisation is a name (free text); only an org_Type it happens to be is kept.
        Column(
            org_field,
            f"{organisation} Organisation",
            optional(one_of(ORGANISATION_TYPE)),
            goes_to,
            "referred_org_type",
        ),
        Column(
            f"ext_{direction}ReferralScope",
            f"{direction} Referral Scope",
            one_of(REFERRAL_SCOPE),
            goes_to,
            "scope",
        ),
        Column(
            f"ext_{direction}ReferralCountry",
            f"{direction} Referral Country",
            country,
            goes_to,
            "country",
        ),
    )


COLUMNS = (
    *_identifying(),
    *_case(),
    *_extensions(),
    *_referral("Incoming", INCOMING, "Referring"),
    *_referral("Outgoing", OUTGOING, "Referred"),
)
BY_FIELD = {column.field: column for column in COLUMNS}
BY_DESTINATION = {(column.goes_to, column.payload_key): column for column in COLUMNS}


def _header_index() -> tuple[dict[str, Column], dict[str, str]]:
    known: dict[str, Column] = {}
    dropped: dict[str, str] = {}
    for column in COLUMNS:
        for name in column.names:
            if known.setdefault(squash(name), column) is not column:
                raise ValueError(f"the header {name!r} would name two columns")
    for field, (label, reason) in DROPPED.items():
        for name in (field, label):
            if squash(name) in known:
                raise ValueError(f"the header {name!r} is both read and dropped")
            dropped[squash(name)] = reason
    return known, dropped


KNOWN_HEADERS, DROPPED_HEADERS = _header_index()


def column_named(header: str) -> Column | None:
    return KNOWN_HEADERS.get(squash(header))


def dropped_because(header: str) -> str | None:
    return DROPPED_HEADERS.get(squash(header))


def error_key(title: str, field: str) -> str:
    """Names a column as the file does and as we do: "Gender (prs_Gender)"."""
    return field if title == field else f"{title} ({field})"


def column_of_event(event: Mapping[str, Any], key: str) -> Column | None:
    """The column a follow-up event's payload field came from (for naming its errors)."""
    goes_to = {"Incoming": INCOMING, "Outgoing": OUTGOING}.get(event.get("direction", ""))
    goes_to = goes_to or (CLOSURE if event.get("type") == "CaseClosed" else COMMAND)
    return BY_DESTINATION.get((goes_to, key)) or BY_DESTINATION.get((COMMAND, key))


# --- One row -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One cell or submission value, with the column it is under as the file names it."""

    column: Column
    title: str
    raw: Any


@dataclass(frozen=True)
class RowContent:
    command: dict[str, Any]
    events: tuple[dict[str, Any], ...]
    identifiers: dict[str, str]
    errors: Errors


def read_answers(answers: Iterable[Answer], person_id: str) -> RowContent:
    parts: dict[str, dict[str, Any]] = {
        goes_to: {} for goes_to in (COMMAND, IDENTIFIER, INCOMING, OUTGOING, CLOSURE)
    }
    titles: dict[str, str] = {}
    errors: Errors = {}
    for answer in answers:
        titles[answer.column.field] = answer.title
        if is_blank(answer.raw):
            continue
        try:
            value = answer.column.read(answer.raw)
        except CellError as error:
            key = error_key(answer.title, answer.column.field)
            errors.setdefault(key, []).append(str(error))
            continue
        if value is not None and value != []:
            parts[answer.column.goes_to][answer.column.payload_key] = value
    command = {"person_id": person_id, **parts[COMMAND]}
    status = command.get("cas_Status")
    if status in codes.CLOSED_CASE_STATUS:
        command["cas_Status"] = OPENED_AS
    events = (
        _referral_made(parts[INCOMING], "Incoming"),
        _referral_made(parts[OUTGOING], "Outgoing"),
        _case_closed(status, parts[CLOSURE], titles, errors),
    )
    return RowContent(command, tuple(filter(None, events)), parts[IDENTIFIER], errors)


def _referral_made(payload: dict[str, Any], direction: str) -> dict[str, Any]:
    return {"type": "ReferralMade", "direction": direction, **payload} if payload else {}


def _case_closed(
    status: str | None, closure: dict[str, Any], titles: Mapping[str, str], errors: Errors
) -> dict[str, Any]:
    if status in codes.CLOSED_CASE_STATUS:
        return {"type": "CaseClosed", "cas_Status": status, **closure}
    if closure and status is not None:
        field = "ext_CaseClosedDate"
        errors.setdefault(error_key(titles.get(field, field), field), []).append(
            "Only allowed when Status is " + " or ".join(codes.CLOSED_CASE_STATUS) + "."
        )
    return {}
