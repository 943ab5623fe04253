"""National profiles (domain README §2.1): for one country and catalogue version, what each core
indicator is in the national instrument — `adopted`, `adapted`, `adapted_noncomparable` or
`dropped` — and the country's own additions; the state rebuilt from a profile's stream and the
pure decisions of the commands that change it.

Stream: `profile-<CC>-<catalog_version>`. It holds successive profile versions. Indicators are
set in a draft version until it is confirmed, which freezes it; a later change opens the next
version, starting from the confirmed one, so what was confirmed stays readable as it was.
A core indicator the profile does not mention is adopted as is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from services.indicators.catalogue import QUALITATIVE, QUANTITATIVE, SCALE_SCORES, Catalogue
from shared.auth import Principal
from shared.backbone.envelope import NewEvent, RecordedEvent
from shared.errors import Conflict, Forbidden, ValidationProblem

STREAM_PREFIX = "profile-"
INDICATOR_SET = "indicators.ProfileIndicatorSet"
PROFILE_CONFIRMED = "indicators.ProfileConfirmed"

ADOPTED, ADAPTED, NONCOMPARABLE, DROPPED = "adopted", "adapted", "adapted_noncomparable", "dropped"
NATIONAL_ADDITION = "national_addition"
CORE_STATUSES = (ADOPTED, ADAPTED, NONCOMPARABLE, DROPPED)
STATUSES = (*CORE_STATUSES, NATIONAL_ADDITION)
# README §2.1: regional comparison uses only indicators adopted or adapted in both countries
COMPARABLE_STATUSES = frozenset({ADOPTED, ADAPTED})
KINDS = (QUANTITATIVE, QUALITATIVE)
# the national languages of the partner countries, and English (README §3)
LANGUAGES = ("en", "mk", "sq", "sr-Cyrl", "sr-Latn", "bs", "cnr", "hr")
EDITORS = ("national_admin", "platform_admin")
# a national addition: the country's prefix, an area prefix of the core set, two digits
NATIONAL_CODE = re.compile(r"^(?P<country>[A-Z]{2})-(?P<area>[A-Z]{2})-[0-9]{2}\Z")
TITLE_LIMIT, TEXT_LIMIT = 300, 2000

# what each status may carry beyond titles and scale texts, and what it must carry
OPTIONAL_FIELDS: Mapping[str, tuple[str, ...]] = {
    ADOPTED: (),
    ADAPTED: ("legal_basis", "institution", "mappings"),
    NONCOMPARABLE: ("difference", "legal_basis", "institution", "mappings"),
    DROPPED: ("reason",),
    NATIONAL_ADDITION: ("kind", "legal_basis", "institution"),
}
REQUIRED_FIELDS: Mapping[str, tuple[str, ...]] = {
    ADOPTED: (),
    ADAPTED: ("titles", "legal_basis", "institution"),
    NONCOMPARABLE: ("difference",),
    DROPPED: ("reason",),
    NATIONAL_ADDITION: ("titles", "kind"),
}
TEXT_FIELDS = ("legal_basis", "institution", "difference", "reason")
STATUS_FIELDS = (*TEXT_FIELDS, "mappings", "kind")

Texts = Mapping[str, str]  # language -> text


def profile_stream(country: str, catalog_version: str) -> str:
    return f"{STREAM_PREFIX}{country}-{catalog_version}"


def is_national_code(code: str) -> bool:
    return NATIONAL_CODE.match(code) is not None


def comparable(profile_a_status: str, profile_b_status: str) -> bool:
    """Whether an indicator may be compared between two countries, given its status in each
    profile (same catalogue version and period assumed): only adopted or adapted in both."""
    for status in (profile_a_status, profile_b_status):
        if status not in STATUSES:
            raise ValueError(f"unknown profile status {status!r}")
    return profile_a_status in COMPARABLE_STATUSES and profile_b_status in COMPARABLE_STATUSES


# --- state ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CodeMapping:
    """A national picklist value and the core code it counts as (e.g. the national police
    directorate's code -> `Police` of `ext_IdentifyingBodyType`)."""

    field: str
    national_code: str
    core_code: str


@dataclass(frozen=True)
class ProfileEntry:
    code: str
    status: str
    titles: Texts = field(default_factory=dict)
    scale_texts: Mapping[str, Texts] = field(default_factory=dict)  # score ("0") -> texts
    legal_basis: str | None = None
    institution: str | None = None
    mappings: tuple[CodeMapping, ...] = ()
    difference: str | None = None
    reason: str | None = None
    kind: str | None = None  # national additions only: quantitative or qualitative

    @property
    def national_addition(self) -> bool:
        return is_national_code(self.code)

    @property
    def comparable(self) -> bool:
        """Comparable with the core set (and so, between countries, where both are)."""
        return not self.national_addition and self.status in COMPARABLE_STATUSES


@dataclass(frozen=True)
class ProfileVersion:
    number: int
    entries: Mapping[str, ProfileEntry]  # what was set explicitly, by code
    confirmed_at: datetime | None = None
    confirmed_by: str | None = None

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


@dataclass(frozen=True)
class Profile:
    country: str
    catalog_version: str
    versions: tuple[ProfileVersion, ...] = ()
    stream_version: int = 0

    @property
    def latest(self) -> ProfileVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def confirmed_version(self) -> ProfileVersion | None:
        return next((v for v in reversed(self.versions) if v.confirmed), None)

    def version(self, number: int) -> ProfileVersion | None:
        return next((v for v in self.versions if v.number == number), None)


def profile_from(country: str, catalog_version: str, events: Sequence[RecordedEvent]) -> Profile:
    profile = Profile(country, catalog_version)
    for event in events:
        p = event.payload
        if event.event_type == INDICATOR_SET:
            version = _opened(profile, p["profile_version"])
            entries = {**version.entries, p["code"]: entry_from_payload(p)}
            profile = _with_version(profile, replace(version, entries=entries))
        elif event.event_type == PROFILE_CONFIRMED:
            version = _opened(profile, p["profile_version"])
            confirmed = replace(version, confirmed_at=event.occurred_at,
                                confirmed_by=p["confirmed_by"])  # fmt: skip
            profile = _with_version(profile, confirmed)
        profile = replace(profile, stream_version=event.stream_version)
    return profile


def _opened(profile: Profile, number: int) -> ProfileVersion:
    """The version `number`, or a new one that starts from the latest version's entries."""
    existing = profile.version(number)
    if existing is not None:
        return existing
    latest = profile.latest
    return ProfileVersion(number, dict(latest.entries) if latest else {})


def _with_version(profile: Profile, version: ProfileVersion) -> Profile:
    others = tuple(v for v in profile.versions if v.number != version.number)
    return replace(profile, versions=tuple(sorted((*others, version), key=lambda v: v.number)))


def resolved(catalogue: Catalogue, version: ProfileVersion | None) -> dict[str, ProfileEntry]:
    """Every core indicator (adopted unless the profile says otherwise), then the national
    additions, by code."""
    entries = version.entries if version else {}
    core = {code: entries.get(code, ProfileEntry(code, ADOPTED)) for code in catalogue.codes}
    additions = {code: e for code, e in sorted(entries.items()) if e.national_addition}
    return {**core, **additions}


def for_hub(catalogue: Catalogue, version: ProfileVersion | None) -> dict[str, str]:
    """The status of each core indicator, as the hub may see it: national additions are never
    sent to the hub (README §2.1)."""
    return {code: e.status for code, e in resolved(catalogue, version).items()
            if not e.national_addition}  # fmt: skip


# --- payloads -------------------------------------------------------------------------------
def entry_payload(entry: ProfileEntry) -> dict[str, Any]:
    return {
        "code": entry.code, "status": entry.status, "titles": dict(entry.titles),
        "scale_texts": {score: dict(texts) for score, texts in entry.scale_texts.items()},
        "legal_basis": entry.legal_basis, "institution": entry.institution,
        "mappings": [{"field": m.field, "national_code": m.national_code,
                      "core_code": m.core_code} for m in entry.mappings],
        "difference": entry.difference, "reason": entry.reason, "kind": entry.kind,
    }  # fmt: skip


def entry_from_payload(p: Mapping[str, Any]) -> ProfileEntry:
    return ProfileEntry(
        code=p["code"], status=p["status"], titles=dict(p.get("titles") or {}),
        scale_texts={s: dict(t) for s, t in (p.get("scale_texts") or {}).items()},
        legal_basis=p.get("legal_basis"), institution=p.get("institution"),
        mappings=tuple(CodeMapping(m["field"], m["national_code"], m["core_code"])
                       for m in p.get("mappings") or ()),
        difference=p.get("difference"), reason=p.get("reason"), kind=p.get("kind"),
    )  # fmt: skip


# --- commands -------------------------------------------------------------------------------
def check_may_edit(principal: Principal, country: str) -> None:
    if not principal.may(EDITORS, country):
        raise Forbidden(f"this needs the role national_admin for {country}, or platform_admin")


def check_catalog_version(catalogue: Catalogue, catalog_version: str) -> None:
    if catalog_version != catalogue.catalog_version:
        raise ValidationProblem(
            f"this service keeps profiles of catalogue {catalogue.catalog_version} only",
            {"catalog_version": [f"Must be {catalogue.catalog_version}."]},
        )


def set_indicator(
    principal: Principal,
    catalogue: Catalogue,
    profile: Profile,
    code: str,
    command: Mapping[str, Any],
    **context: Any,
) -> list[NewEvent]:
    """Sets one indicator's status in the draft version; when the latest version is confirmed
    (frozen), the change opens the next version. Setting what is already there records
    nothing."""
    check_may_edit(principal, profile.country)
    check_catalog_version(catalogue, profile.catalog_version)
    entry = checked_entry(catalogue, profile.country, code, command)
    latest = profile.latest
    # a confirmed version is frozen: a change goes into the next one, which starts as a copy
    number = 1 if latest is None else latest.number + (1 if latest.confirmed else 0)
    current = latest.entries.get(code) if latest else None
    if current is None and entry.national_addition and entry.status == DROPPED:
        raise ValidationProblem(
            f"{code} is not in the profile: there is nothing to drop",
            {"status": ["Only a national addition in the profile can be dropped."]},
        )
    if current == entry:
        return []
    payload = {"country": profile.country, "catalog_version": profile.catalog_version,
               "profile_version": number, **entry_payload(entry)}  # fmt: skip
    return [NewEvent(INDICATOR_SET, payload, **context)]


def confirm(
    principal: Principal, catalogue: Catalogue, profile: Profile, **context: Any
) -> list[NewEvent]:
    """Freezes the latest version. The event lists every indicator's status, those adopted by
    default included, so that the confirmed profile reads complete on its own."""
    check_may_edit(principal, profile.country)
    check_catalog_version(catalogue, profile.catalog_version)
    latest = profile.latest
    if latest is not None and latest.confirmed:
        raise Conflict(
            f"profile version {latest.number} is confirmed already; changing an indicator"
            f" starts version {latest.number + 1}",
            {"profile_version": ["Confirmed already."]},
        )
    number = latest.number if latest else 1
    statuses = {code: e.status for code, e in resolved(catalogue, latest).items()}
    payload = {"country": profile.country, "catalog_version": profile.catalog_version,
               "profile_version": number, "statuses": statuses,
               "confirmed_by": principal.user}  # fmt: skip
    return [NewEvent(PROFILE_CONFIRMED, payload, **context)]


# --- validation of one entry ----------------------------------------------------------------
def checked_entry(
    catalogue: Catalogue, country: str, code: str, command: Mapping[str, Any]
) -> ProfileEntry:
    """The entry a command describes, normalised (trimmed, Unicode NFC); every problem is
    collected, under the name of its field, before one ValidationProblem is raised."""
    kind = _code_kind(catalogue, country, code)
    errors: dict[str, list[str]] = {}
    status = command.get("status")
    if status not in STATUSES:
        _add(errors, "status", f"One of {', '.join(STATUSES)}.")
        raise ValidationProblem(f"invalid status for {code}", errors)
    national = is_national_code(code)
    if national and status not in (NATIONAL_ADDITION, DROPPED):
        _add(errors, "status", f"A national addition is {NATIONAL_ADDITION} or {DROPPED}.")
    if not national and status == NATIONAL_ADDITION:
        _add(errors, "status", f"{code} is a core indicator: one of {', '.join(CORE_STATUSES)}.")
    _check_status_fields(errors, status, command)
    if national and status == NATIONAL_ADDITION:
        kind = command.get("kind") if command.get("kind") in KINDS else None
        if command.get("kind") is not None and kind is None:
            _add(errors, "kind", f"One of {', '.join(KINDS)}.")
    titles = _texts(errors, "titles", command.get("titles"), TITLE_LIMIT)
    scale_texts = _scale_texts(errors, catalogue, code, kind, status, command.get("scale_texts"))
    mappings = _mappings(errors, catalogue, command.get("mappings"))
    texts = {name: _text(errors, name, command.get(name)) for name in TEXT_FIELDS}
    if errors:
        raise ValidationProblem(
            f"the profile entry for {code} has invalid fields: {', '.join(sorted(errors))}",
            errors,
        )
    return ProfileEntry(code, status, titles, scale_texts, mappings=mappings,
                        kind=kind if national and status == NATIONAL_ADDITION else None,
                        **texts)  # fmt: skip


def _code_kind(catalogue: Catalogue, country: str, code: str) -> str | None:
    """The kind of a core indicator; None for a well-formed national addition (its kind is in
    the command). Anything else is refused here, since every other check depends on it."""
    if code in catalogue.codes:
        return catalogue.indicator(code).kind
    match = NATIONAL_CODE.match(code)
    if match is None:
        raise ValidationProblem(
            f"{code} is neither in catalogue {catalogue.catalog_version} nor a national addition",
            {"code": [f"A core code of {catalogue.catalog_version}, or a national addition"
                      f" such as {country}-AS-90."]},
        )  # fmt: skip
    if match["country"] != country:
        raise ValidationProblem(
            f"a national addition of {country} is coded with its prefix",
            {"code": [f"Must start with {country}-."]},
        )
    areas = sorted({core[:2] for core in catalogue.codes})
    if match["area"] not in areas:
        raise ValidationProblem(
            f"{match['area']} is not an area prefix of the core set",
            {"code": [f"The area prefix is one of {', '.join(areas)}."]},
        )
    return None


def _check_status_fields(errors: dict[str, list[str]], status: str, command: Mapping) -> None:
    allowed, required = OPTIONAL_FIELDS[status], REQUIRED_FIELDS[status]
    for name in STATUS_FIELDS:
        if _given(command.get(name)) and name not in allowed:
            _add(errors, name, f"Not used when the status is {status}.")
    for name in required:
        if not _given(command.get(name)):
            _add(errors, name, f"Required when the status is {status}.")


def _given(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value != [] and value != {}


def _text(
    errors: dict[str, list[str]], path: str, value: Any, limit: int = TEXT_LIMIT
) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        _add(errors, path, "Must be text.")
        return None
    text = unicodedata.normalize("NFC", value.strip())
    if len(text) > limit:
        _add(errors, path, f"At most {limit} characters.")
    return text or None


def _texts(errors: dict[str, list[str]], path: str, value: Any, limit: int) -> dict[str, str]:
    """A text per language (language code -> text)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        _add(errors, path, "Must map a language code to a text.")
        return {}
    texts: dict[str, str] = {}
    for language, raw in value.items():
        where = f"{path}.{language}"
        if language not in LANGUAGES:
            _add(errors, where, f"Unknown language; one of {', '.join(LANGUAGES)}.")
            continue
        text = _text(errors, where, raw, limit)
        if text is None:
            _add(errors, where, "Must not be empty.")
            continue
        texts[language] = text
    return texts


def _scale_texts(
    errors: dict[str, list[str]],
    catalogue: Catalogue,
    code: str,
    kind: str | None,
    status: str,
    value: Any,
) -> dict[str, dict[str, str]]:
    """Texts of the scale levels in national languages: for qualitative indicators only, for
    the levels of the indicator's scale; a qualitative national addition needs every level."""
    if not _given(value):
        if status == NATIONAL_ADDITION and kind == QUALITATIVE:
            _add(errors, "scale_texts", f"Required for a qualitative addition: levels"
                                        f" {', '.join(map(str, SCALE_SCORES))}.")  # fmt: skip
        return {}
    if kind != QUALITATIVE:
        _add(errors, "scale_texts", "Only a qualitative indicator has a scale.")
        return {}
    if not isinstance(value, Mapping):
        _add(errors, "scale_texts", "Must map a score to texts by language.")
        return {}
    scores = _scale_scores(catalogue, code)
    texts: dict[str, dict[str, str]] = {}
    for score, level in value.items():
        if str(score) not in scores:
            _add(errors, f"scale_texts.{score}", f"Not a level of the scale: {', '.join(scores)}.")
            continue
        texts[str(score)] = _texts(errors, f"scale_texts.{score}", level, TEXT_LIMIT)
    if status == NATIONAL_ADDITION:
        for score in scores:
            if not texts.get(score):
                _add(errors, f"scale_texts.{score}", "Required for a qualitative addition.")
    return dict(sorted(texts.items()))


def _scale_scores(catalogue: Catalogue, code: str) -> tuple[str, ...]:
    if code in catalogue.codes:
        return tuple(str(level.score) for level in catalogue.indicator(code).scale)
    return tuple(map(str, SCALE_SCORES))


def _mappings(errors: dict[str, list[str]], catalogue: Catalogue, value: Any) -> tuple:
    """National codes mapped to core codes of a catalogue field or event attribute."""
    if not _given(value):
        return ()
    if not isinstance(value, Sequence) or isinstance(value, str):
        _add(errors, "mappings", "Must be a list.")
        return ()
    found: list[CodeMapping] = []
    for n, item in enumerate(value):
        mapping = _mapping(errors, catalogue, f"mappings.{n}", item)
        if mapping is None:
            continue
        if any((m.field, m.national_code) == (mapping.field, mapping.national_code)
               for m in found):  # fmt: skip
            _add(errors, f"mappings.{n}.national_code", "Mapped twice for this field.")
            continue
        found.append(mapping)
    return tuple(found)


def _mapping(
    errors: dict[str, list[str]], catalogue: Catalogue, path: str, item: Any
) -> CodeMapping | None:
    if not isinstance(item, Mapping):
        _add(errors, path, "Must have field, national_code and core_code.")
        return None
    name = item.get("field")
    codes = core_codes(catalogue, name) if isinstance(name, str) else None
    if codes is None:
        _add(errors, f"{path}.field", "A catalogue field or event attribute with a code list.")
    national = _text(errors, f"{path}.national_code", item.get("national_code"), TITLE_LIMIT)
    if national is None:
        _add(errors, f"{path}.national_code", "Required.")
    core = item.get("core_code")
    if codes is not None and core not in codes:
        _add(errors, f"{path}.core_code", f"One of the codes of {name}: {', '.join(codes)}.")
    if codes is None or national is None or core not in codes:
        return None
    return CodeMapping(str(name), national, str(core))


def core_codes(catalogue: Catalogue, name: str) -> tuple[str, ...] | None:
    """The code list of a catalogue field (`ext_IdentifyingBodyType`) or of an event attribute
    (`ServiceDelivered.service_type`), if it has one."""
    owner, _, attribute = name.partition(".")
    if attribute:
        event = catalogue.events.get(owner)
        found = event.attributes.get(attribute) if event else None
    else:
        found = catalogue.fields.get(name)
    return found.codes if found is not None and found.codes else None


def _add(errors: dict[str, list[str]], path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)
