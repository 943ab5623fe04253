"""National profiles: what each status needs, national additions, confirmation freezing a
version, who may change a profile, and which statuses the hub may compare (pure decisions)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

import services.registry  # noqa: F401  (registers the event types)
from services.indicators import profiles
from services.indicators.profiles import Profile
from shared.auth import Grant, Principal
from shared.backbone.envelope import Actor, NewEvent, RecordedEvent
from shared.backbone.registry import REGISTRY
from shared.errors import Conflict, Forbidden, ValidationProblem
from tests.unit.services.indicators.people import seed

RS_ADMIN = Principal("rs.admin", "", (Grant("national_admin", "RS"),))
MK_ADMIN = Principal("mk.admin", "", (Grant("national_admin", "MK"),))
RS_MONITOR = Principal("rs.monitor", "", (Grant("monitor", "RS"),))
PLATFORM = Principal("root", "", (Grant("platform_admin", "regional"),))
VERSION = "2025.1-seed"
ADAPTED = {
    "status": "adapted",
    "titles": {"sr-Cyrl": "Формална идентификација", "sr-Latn": "Formalna identifikacija"},
    "legal_basis": "Zakon o socijalnoj zaštiti, čl. 41",
    "institution": "Centar za zaštitu žrtava trgovine ljudima",
}
ADDITION = {
    "status": "national_addition",
    "kind": "quantitative",
    "titles": {"sr-Latn": "Žrtve smeštene u prihvatilište za decu"},
}


def empty(country: str = "RS") -> Profile:
    return Profile(country, VERSION)


@dataclass
class Stream:
    """A profile's stream: decided events are recorded on it (validated as the store would)
    and the profile is rebuilt from all of it."""

    country: str = "RS"
    events: list[RecordedEvent] = field(default_factory=list)

    @property
    def profile(self) -> Profile:
        return profiles.profile_from(self.country, VERSION, self.events)

    def record(self, decided: Sequence[NewEvent]) -> Profile:
        for event in decided:
            REGISTRY.validate(event.event_type, 1, event.payload)
            version = len(self.events) + 1
            moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=version)
            self.events.append(RecordedEvent(
                event_id=uuid.uuid4(), event_type=event.event_type, schema_version=1,
                stream_id=profiles.profile_stream(self.country, VERSION),
                stream_version=version, origin="rs.indicators", log_index=version,
                occurred_at=moment, recorded_at=moment, actor=Actor("rs.admin"),
                correlation_id=None, causation_id=None,
                payload_bytes=orjson.dumps(event.payload), leaf_hash=b"",
            ))  # fmt: skip
        return self.profile


def set_(profile: Profile, code: str, command: dict[str, Any], who: Principal = RS_ADMIN) -> list:
    return profiles.set_indicator(who, seed(), profile, code, command)


def errors_of(problem: pytest.ExceptionInfo[ValidationProblem]) -> set[str]:
    return set(problem.value.errors)


# --- statuses ---------------------------------------------------------------------------------
def test_a_national_admin_adopts_a_core_indicator_in_draft_version_one() -> None:
    [event] = set_(empty(), "ID-01", {"status": "adopted", "titles": {"sr-Latn": "Žrtve"}})
    assert event.event_type == profiles.INDICATOR_SET
    assert event.payload["country"] == "RS" and event.payload["profile_version"] == 1
    assert (event.payload["code"], event.payload["status"]) == ("ID-01", "adopted")
    assert event.payload["titles"] == {"sr-Latn": "Žrtve"}


def test_an_adapted_indicator_needs_a_national_title_a_legal_basis_and_the_institution() -> None:
    with pytest.raises(ValidationProblem) as problem:
        set_(empty(), "ID-06", {"status": "adapted"})
    assert errors_of(problem) == {"titles", "legal_basis", "institution"}
    [event] = set_(empty(), "ID-06", ADAPTED)
    assert event.payload["institution"] == ADAPTED["institution"]


def test_an_adapted_indicator_maps_national_codes_to_core_codes_of_a_catalogue_field() -> None:
    mappings = [
        {"field": "ext_IdentifyingBodyType", "national_code": "CZŽTLJ",
         "core_code": "IdentificationOffice"},
        {"field": "ServiceDelivered.service_type", "national_code": "SMEŠTAJ",
         "core_code": "Accommodation"},
    ]  # fmt: skip
    [event] = set_(empty(), "ID-02", {**ADAPTED, "mappings": mappings})
    assert event.payload["mappings"] == mappings


@pytest.mark.parametrize(("mapping", "field"), [
    ({"field": "ext_IdentifyingBodyType", "national_code": "X", "core_code": "Sheriff"},
     "mappings.0.core_code"),
    ({"field": "prs_Birthdate", "national_code": "X", "core_code": "Police"}, "mappings.0.field"),
    ({"field": "no_such_field", "national_code": "X", "core_code": "Police"}, "mappings.0.field"),
    ({"field": "ext_IdentifyingBodyType", "national_code": " ", "core_code": "Police"},
     "mappings.0.national_code"),
])  # fmt: skip
def test_a_mapping_to_a_code_the_core_does_not_have_is_refused(mapping: dict, field: str) -> None:
    with pytest.raises(ValidationProblem) as problem:
        set_(empty(), "ID-02", {**ADAPTED, "mappings": [mapping]})
    assert field in errors_of(problem)


def test_a_national_code_is_mapped_once_per_field() -> None:
    twice = {"field": "ext_IdentifyingBodyType", "national_code": "MUP", "core_code": "Police"}
    with pytest.raises(ValidationProblem) as problem:
        set_(empty(), "ID-02", {**ADAPTED, "mappings": [twice, {**twice, "core_code": "Court"}]})
    assert errors_of(problem) == {"mappings.1.national_code"}


def test_a_noncomparable_adaptation_says_what_differs() -> None:
    with pytest.raises(ValidationProblem) as problem:
        set_(empty(), "CH-01", {"status": "adapted_noncomparable"})
    assert errors_of(problem) == {"difference"}
    [event] = set_(empty(), "CH-01", {"status": "adapted_noncomparable",
                                      "difference": "Children are persons under 16."})  # fmt: skip
    assert event.payload["difference"] == "Children are persons under 16."


def test_a_dropped_indicator_needs_a_reason() -> None:
    for reason in (None, "", "   "):
        with pytest.raises(ValidationProblem) as problem:
            set_(empty(), "CO-04", {"status": "dropped", "reason": reason})
        assert errors_of(problem) == {"reason"}
    [event] = set_(empty(), "CO-04", {"status": "dropped", "reason": "No state fund exists."})
    assert event.payload["reason"] == "No state fund exists."


def test_a_field_that_does_not_belong_to_the_status_is_refused_by_name() -> None:
    with pytest.raises(ValidationProblem) as problem:
        set_(empty(), "ID-01", {"status": "adopted", "reason": "why not", "legal_basis": "Art. 1"})
    assert errors_of(problem) == {"reason", "legal_basis"}


def test_an_unknown_status_is_refused_by_name() -> None:
    with pytest.raises(ValidationProblem) as problem:
        set_(empty(), "ID-01", {"status": "borrowed"})
    assert errors_of(problem) == {"status"}


# --- languages --------------------------------------------------------------------------------
def test_titles_are_in_the_national_languages_only() -> None:
    with pytest.raises(ValidationProblem) as problem:
        set_(empty(), "ID-01", {"status": "adopted", "titles": {"de": "Opfer", "mk": " "}})
    assert errors_of(problem) == {"titles.de", "titles.mk"}
    languages = {code: "x" for code in ("en", "mk", "sq", "sr-Cyrl", "sr-Latn", "bs", "cnr", "hr")}
    [event] = set_(empty(), "ID-01", {"status": "adopted", "titles": languages})
    assert set(event.payload["titles"]) == set(languages)


def test_texts_are_trimmed_and_stored_in_unicode_nfc() -> None:
    decomposed = "Zas\u0301tita "  # Montenegrin ś typed as s + combining acute
    [event] = set_(empty("ME"), "ID-01", {"status": "adopted", "titles": {"cnr": decomposed}},
                   Principal("me.admin", "", (Grant("national_admin", "ME"),)))  # fmt: skip
    assert event.payload["titles"] == {"cnr": "Za\u015btita"}


def test_scale_texts_belong_to_qualitative_indicators_and_their_levels() -> None:
    [event] = set_(empty(), "ID-06", {"status": "adopted",
                                      "scale_texts": {"0": {"sr-Latn": "Ne postoji"}}})  # fmt: skip
    assert event.payload["scale_texts"] == {"0": {"sr-Latn": "Ne postoji"}}
    with pytest.raises(ValidationProblem) as problem:
        set_(empty(), "ID-01", {"status": "adopted", "scale_texts": {"0": {"sr-Latn": "Ne"}}})
    assert errors_of(problem) == {"scale_texts"}  # ID-01 is quantitative
    with pytest.raises(ValidationProblem) as problem:
        set_(empty(), "ID-06", {"status": "adopted", "scale_texts": {"3": {"sr-Latn": "Više"}}})
    assert errors_of(problem) == {"scale_texts.3"}


# --- national additions -----------------------------------------------------------------------
def test_a_national_addition_is_coded_with_the_country_prefix() -> None:
    [event] = set_(empty(), "RS-AS-90", ADDITION)
    assert event.payload["status"] == "national_addition"
    assert event.payload["kind"] == "quantitative"
    for code in ("MK-AS-90", "RS-XX-90", "AS-90", "RS-AS-9", "rs-as-90"):
        with pytest.raises(ValidationProblem) as problem:
            set_(empty(), code, ADDITION)
        assert errors_of(problem) == {"code"}, code


def test_a_code_neither_in_the_catalogue_nor_national_is_refused() -> None:
    with pytest.raises(ValidationProblem) as problem:
        set_(empty(), "ID-99", {"status": "adopted"})
    assert errors_of(problem) == {"code"}


def test_a_national_addition_needs_its_kind_and_a_title() -> None:
    with pytest.raises(ValidationProblem) as problem:
        set_(empty(), "RS-AS-90", {"status": "national_addition"})
    assert errors_of(problem) == {"kind", "titles"}


def test_a_qualitative_national_addition_describes_every_level_of_its_scale() -> None:
    command = {**ADDITION, "kind": "qualitative", "scale_texts": {"0": {"sr-Latn": "Ne"}}}
    with pytest.raises(ValidationProblem) as problem:
        set_(empty(), "RS-AS-91", command)
    assert errors_of(problem) == {"scale_texts.1", "scale_texts.2"}
    levels = {str(n): {"sr-Latn": f"Nivo {n}"} for n in range(3)}
    [event] = set_(empty(), "RS-AS-91", {**command, "scale_texts": levels})
    assert event.payload["scale_texts"] == levels


def test_statuses_of_core_indicators_and_national_additions_do_not_mix() -> None:
    with pytest.raises(ValidationProblem) as problem:
        set_(empty(), "ID-01", {**ADDITION})
    assert "status" in errors_of(problem)
    with pytest.raises(ValidationProblem) as problem:
        set_(empty(), "RS-AS-90", {"status": "adopted"})
    assert errors_of(problem) == {"status"}


def test_only_a_national_addition_in_the_profile_can_be_dropped() -> None:
    dropping = {"status": "dropped", "reason": "Merged into AS-01."}
    with pytest.raises(ValidationProblem) as problem:
        set_(empty(), "RS-AS-90", dropping)
    assert errors_of(problem) == {"status"}
    stream = Stream()
    profile = stream.record(set_(stream.profile, "RS-AS-90", ADDITION))
    [event] = set_(profile, "RS-AS-90", dropping)
    assert event.payload["status"] == "dropped"


def test_national_additions_are_never_sent_to_the_hub() -> None:
    stream = Stream()
    stream.record(set_(stream.profile, "RS-AS-90", ADDITION))
    profile = stream.record(set_(stream.profile, "CO-04", {"status": "dropped", "reason": "No."}))
    for_hub = profiles.for_hub(seed(), profile.latest)
    assert "RS-AS-90" not in for_hub
    assert set(for_hub) == set(seed().codes)
    assert for_hub["CO-04"] == "dropped" and for_hub["ID-01"] == "adopted"
    assert "RS-AS-90" in profiles.resolved(seed(), profile.latest)


# --- who ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "who", [RS_MONITOR, MK_ADMIN, Principal("hub", "", (Grant("regional_analyst", "regional"),))]
)
def test_only_a_national_admin_of_the_country_or_a_platform_admin_sets_the_profile(
    who: Principal,
) -> None:  # fmt: skip
    with pytest.raises(Forbidden):
        set_(empty(), "ID-01", {"status": "adopted"}, who)
    with pytest.raises(Forbidden):
        profiles.confirm(who, seed(), empty())
    assert set_(empty(), "ID-01", {"status": "adopted"}, PLATFORM)
    assert profiles.confirm(PLATFORM, seed(), empty())


def test_a_profile_of_another_catalogue_version_is_refused() -> None:
    with pytest.raises(ValidationProblem) as problem:
        profiles.set_indicator(RS_ADMIN, seed(), Profile("RS", "2024.9"), "ID-01",
                               {"status": "adopted"})  # fmt: skip
    assert errors_of(problem) == {"catalog_version"}


# --- versions and confirmation --------------------------------------------------------------------
def test_setting_what_is_already_there_records_nothing() -> None:
    stream = Stream()
    profile = stream.record(set_(stream.profile, "ID-06", ADAPTED))
    assert set_(profile, "ID-06", dict(ADAPTED)) == []
    assert set_(profile, "ID-06", {**ADAPTED, "institution": "MUP"})


def test_confirming_lists_every_indicator_adopted_unless_the_profile_says_otherwise() -> None:
    stream = Stream()
    stream.record(set_(stream.profile, "ID-06", ADAPTED))
    profile = stream.record(set_(stream.profile, "RS-AS-90", ADDITION))
    [event] = profiles.confirm(RS_ADMIN, seed(), profile)
    statuses = event.payload["statuses"]
    assert set(statuses) == {*seed().codes, "RS-AS-90"}
    assert statuses["ID-06"] == "adapted" and statuses["RS-AS-90"] == "national_addition"
    assert {s for c, s in statuses.items() if c not in ("ID-06", "RS-AS-90")} == {"adopted"}
    assert (event.payload["profile_version"], event.payload["confirmed_by"]) == (1, "rs.admin")


def test_an_untouched_profile_can_be_confirmed_as_adopting_everything() -> None:
    confirmed = Stream().record(profiles.confirm(RS_ADMIN, seed(), empty()))
    assert confirmed.latest is not None and confirmed.latest.confirmed
    assert confirmed.latest.number == 1 and confirmed.latest.entries == {}


def confirmed_with_an_adapted_indicator() -> Stream:
    stream = Stream()
    stream.record(set_(stream.profile, "ID-06", ADAPTED))
    stream.record(profiles.confirm(RS_ADMIN, seed(), stream.profile))
    return stream


def test_a_confirmed_profile_version_is_immutable_and_a_change_starts_the_next_version() -> None:
    stream = confirmed_with_an_adapted_indicator()
    with pytest.raises(Conflict) as conflict:
        profiles.confirm(RS_ADMIN, seed(), stream.profile)
    assert "profile_version" in conflict.value.errors
    [change] = set_(stream.profile, "CO-04", {"status": "dropped", "reason": "No fund."})
    assert change.payload["profile_version"] == 2
    first, second = stream.record([change]).versions
    assert first.confirmed and set(first.entries) == {"ID-06"}  # as it was confirmed
    assert not second.confirmed and set(second.entries) == {"ID-06", "CO-04"}
    assert stream.profile.confirmed_version == first and stream.profile.latest == second
    [confirmation] = profiles.confirm(RS_ADMIN, seed(), stream.profile)
    assert confirmation.payload["profile_version"] == 2


def test_a_change_equal_to_the_confirmed_version_opens_no_new_version() -> None:
    assert set_(confirmed_with_an_adapted_indicator().profile, "ID-06", ADAPTED) == []


# --- comparison ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("a", "b", "expected"), [
    ("adopted", "adopted", True),
    ("adopted", "adapted", True),
    ("adapted", "adapted", True),
    ("adopted", "adapted_noncomparable", False),
    ("adapted_noncomparable", "adapted_noncomparable", False),
    ("adapted", "dropped", False),
    ("dropped", "dropped", False),
    ("adopted", "national_addition", False),
])  # fmt: skip
def test_only_indicators_adopted_or_adapted_in_both_profiles_are_comparable(
    a: str, b: str, expected: bool
) -> None:
    assert profiles.comparable(a, b) is expected
    assert profiles.comparable(b, a) is expected


def test_comparing_an_unknown_status_is_an_error_not_a_no() -> None:
    with pytest.raises(ValueError):
        profiles.comparable("adopted", "adoptd")
