"""Linked persons (intake `PersonsLinked`) are one person: merged before anything is counted,
with the field rule of `merge_linked`."""

from __future__ import annotations

from datetime import date

from services.indicators.evaluator import PersonEvent, merge_linked
from tests.unit.services.indicators.people import (
    ACTUAL,
    POSSIBLE,
    event,
    identified,
    on,
    person,
    presumed,
    total,
)

IN_JUNE = on(6)


def link(*others: str, when: date = IN_JUNE) -> PersonEvent:
    return event("PersonsLinked", when, linked_person_ids=list(others), basis="KeyedHashMatch")


def test_two_linked_records_of_one_victim_are_counted_once() -> None:
    police = identified("b-police", link("a-ngo"))
    ngo = identified("a-ngo")
    assert total("ID-01", [police, ngo]).value == 1


def test_links_are_followed_through_other_persons() -> None:
    # a-b and b-c are linked; a, b and c are one person. d stands alone.
    persons = [
        identified("a", link("b")),
        identified("b", link("c")),
        identified("c"),
        identified("d"),
    ]
    merged = merge_linked(persons)
    assert [record.merged_from for record in merged] == [("a", "b", "c"), ()]
    assert total("ID-01", persons).value == 2


def test_a_link_to_a_person_not_among_the_records_is_ignored() -> None:
    merged = merge_linked([identified("a", link("elsewhere"))])
    assert [(r.person_id, r.merged_from) for r in merged] == [("a", ())]


def test_records_sharing_a_person_id_are_one_person() -> None:
    assert total("ID-01", [identified("same"), identified("same")]).value == 1


def test_the_merged_person_takes_the_smallest_id_and_all_events_by_date() -> None:
    later = event("ServiceDelivered", start_date=on(8), service_type="Medical")
    earlier = event("ServiceDelivered", start_date=on(4), service_type="Psychological")
    merged = merge_linked([person("z", later, link("b")), person("b", earlier)])
    assert merged[0].person_id == "b"
    assert [e.event_type for e in merged[0].events] == [
        "ServiceDelivered",
        "PersonsLinked",
        "ServiceDelivered",
    ]
    assert [e.date for e in merged[0].events] == [on(4), on(6), on(8)]


def test_services_recorded_by_another_organisation_count_for_the_merged_person() -> None:
    # The police identified the person; an NGO, with its own (presumed) record, gave medical
    # care. Merged, the identified victim received medical care: AS-02 is 1 of 1, not 0 of 1.
    police = identified("police", link("ngo"))
    ngo = presumed("ngo", event("ServiceDelivered", start_date=on(4), service_type="Medical"))
    value = total("AS-02", [police, ngo])
    assert (value.numerator, value.denominator) == (1, 1)


def test_first_contact_and_its_agency_come_from_the_earliest_contact() -> None:
    early = presumed("early", when=on(2), ext_DetectingAgencyType="NGO")
    late = presumed("late", link("early"), when=on(5), ext_DetectingAgencyType="Police")
    fields = merge_linked([early, late])[0].fields
    assert (fields["ext_FirstContactDate"], fields["ext_DetectingAgencyType"]) == (on(2), "NGO")


def test_the_strongest_trafficking_status_wins() -> None:
    # A newer presumed-victim record does not undo an institution's identification.
    old = identified("old", when=on(2))
    new = presumed("new", link("old"), when=on(9))
    fields = merge_linked([old, new])[0].fields
    assert fields["vic_TraffickingStatus"] == ACTUAL
    assert fields["vic_TraffickingStatus"] != POSSIBLE


def test_identification_fields_come_from_the_latest_identification() -> None:
    # Identified in 2022 and again in 2024 (re-trafficked): the person counts in 2024.
    first = identified("first", when=date(2022, 5, 1), ext_IdentifyingBodyType="Police")
    again = identified(
        "again",
        link("first"),
        when=on(4),
        ext_IdentifyingBodyType="NGO",
        ext_PreviouslyIdentified=True,
    )
    fields = merge_linked([first, again])[0].fields
    assert (fields["ext_IdentificationDate"], fields["ext_IdentifyingBodyType"]) == (on(4), "NGO")
    value = total("RR-04", [first, again])
    assert (value.numerator, value.denominator) == (1, 1)


def test_multi_selects_are_united_and_booleans_true_if_any_member_says_so() -> None:
    a = identified(
        "a",
        link("b"),
        prs_Citizenship=["AL"],
        ext_Unaccompanied=False,
        vic_TypeOfExploitation=["ForcedBegging"],
    )
    b = identified("b", prs_Citizenship=["AL", "XK"], ext_Unaccompanied=True)
    fields = merge_linked([a, b])[0].fields
    assert fields["prs_Citizenship"] == ["AL", "XK"]
    assert fields["ext_Unaccompanied"] is True
    assert fields["vic_TypeOfExploitation"] == ["ForcedBegging"]


def test_other_fields_come_from_the_newest_member_else_an_older_one() -> None:
    old = identified("old", when=on(2), prs_Gender="NonSpecifiedUnknown", cas_Status="Closed")
    new = identified("new", link("old"), when=on(9), prs_Gender="Masculine", cas_Status=None)
    fields = merge_linked([old, new])[0].fields
    assert (fields["prs_Gender"], fields["cas_Status"]) == ("Masculine", "Closed")


def test_merging_twice_changes_nothing() -> None:
    persons = [identified("a", link("b")), identified("b"), identified("c")]
    once = merge_linked(persons)
    assert merge_linked(once) == once
