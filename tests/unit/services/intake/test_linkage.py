"""Keyed linkage hashes match one person across scripts, accents and word order, and sealed
identifiers open only with the person's own key."""

import pytest
from cryptography.exceptions import InvalidTag

from services.intake import linkage

SECRET = b"s" * 32


def test_a_name_in_cyrillic_and_in_latin_gives_the_same_hash() -> None:
    cyrillic = {"given_name": "Јована", "family_name": "Петровић", "birth_date": "2001-05-04"}
    latin = {"given_name": "jovana", "family_name": "PETROVIC", "birth_date": "2001-05-04"}
    assert linkage.link_hashes(SECRET, cyrillic) == linkage.link_hashes(SECRET, latin)


def test_given_and_family_name_may_come_in_either_order() -> None:
    one = {"given_name": "Ana", "family_name": "Hoxha", "birth_date": "1999-01-01"}
    other = {"given_name": "Hoxha", "family_name": "Ana", "birth_date": "1999-01-01"}
    assert linkage.link_hashes(SECRET, one) == linkage.link_hashes(SECRET, other)


def test_another_birth_date_or_another_secret_gives_another_hash() -> None:
    person = {"given_name": "Ana", "family_name": "Hoxha", "birth_date": "1999-01-01"}
    older = {**person, "birth_date": "1998-01-01"}
    assert linkage.link_hashes(SECRET, person) != linkage.link_hashes(SECRET, older)
    assert linkage.link_hashes(SECRET, person) != linkage.link_hashes(b"t" * 32, person)


def test_a_document_number_links_on_its_own_whatever_its_punctuation() -> None:
    assert linkage.link_hashes(SECRET, {"document_number": "AB 123-456"}) == linkage.link_hashes(
        SECRET, {"document_number": "ab123456"})  # fmt: skip
    assert linkage.link_hashes(SECRET, {"given_name": "Ana"}) == []  # too little to link on


def test_sealed_identifiers_open_with_the_persons_key_only() -> None:
    key, other = linkage.new_person_key(), linkage.new_person_key()
    nonce, sealed = linkage.seal(key, "person-1", b'{"given_name": "Ana"}')
    assert linkage.unseal(key, "person-1", nonce, sealed) == b'{"given_name": "Ana"}'
    with pytest.raises(InvalidTag):
        linkage.unseal(other, "person-1", nonce, sealed)
    with pytest.raises(InvalidTag):  # the person id is bound in as associated data
        linkage.unseal(key, "person-2", nonce, sealed)
