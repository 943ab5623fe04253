"""The catalogue's titles and area names in the region's languages: the seed's translations
cover every area and indicator in all six languages, each in its script, and a missing or
unknown name is refused under `<section>.<code>.<language>`, all problems at once."""

# ruff: noqa: RUF001  (the titles are in Cyrillic too, whose letters look Latin)

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

import pytest
import yaml

from services.indicators.catalogue import SEED_PATH, Catalogue, load_catalogue
from services.indicators.translations import (
    ENGLISH,
    LANGUAGES,
    TRANSLATIONS_PATH,
    CatalogueTranslations,
    load_translations,
    parse_translations,
)
from shared.errors import ValidationProblem

CYRILLIC = ("mk", "sr-Cyrl")
LATIN = ("sq", "sr-Latn", "bs", "cnr")
CYRILLIC_LETTER = re.compile(r"[\u0400-\u04FF]")
# Serbian (Serbia) is ekavian; Bosnian and Montenegrin write the same words ijekavian.
EKAVIAN = re.compile(r"\b(deca|deci|dece|vreme|delo|dela|zahtev\w*|podnele|savetovanje|"
                     r"svedo\w*|procen\w*|smernice|udeo|ceo|telo|primenjeno)\b", re.I)  # fmt: skip
SERBIAN_LATIN = dict(zip("абвгдђежзијклмнопрстћуфхцчшАБВГДЂЕЖЗИЈКЛМНОПРСТЋУФХЦЧШ",
                         "abvgdđežzijklmnoprstćufhcčšABVGDĐEŽZIJKLMNOPRSTĆUFHCČŠ", strict=True),
                     љ="lj", њ="nj", џ="dž", Љ="Lj", Њ="Nj", Џ="Dž")  # fmt: skip


@cache
def catalogue() -> Catalogue:
    return load_catalogue(SEED_PATH)


@cache
def seed() -> CatalogueTranslations:
    return load_translations(catalogue())


@cache
def _document() -> dict[str, Any]:
    with open(TRANSLATIONS_PATH, encoding="utf-8") as stream:
        document: dict[str, Any] = yaml.safe_load(stream)
    return document


def document() -> dict[str, Any]:
    return copy.deepcopy(_document())


def problems(doc: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationProblem) as raised:
        parse_translations(doc, catalogue())
    return raised.value.errors


def all_texts() -> list[tuple[str, str, str]]:
    """(code, language, text) for every area name and indicator title in the seed."""
    texts = [(area, lang, text) for area, names in seed().areas.items()
             for lang, text in names.items()]  # fmt: skip
    return texts + [(code, lang, text) for code, titles in seed().titles.items()
                    for lang, text in titles.items()]  # fmt: skip


def test_every_indicator_has_its_title_in_english_and_all_six_languages() -> None:
    assert set(seed().titles) == set(catalogue().codes)
    for indicator in catalogue().indicators:
        titles = seed().titles[indicator.code]
        assert set(titles) == {ENGLISH, *LANGUAGES}, indicator.code
        assert titles[ENGLISH] == indicator.title
        assert all(text.strip() for text in titles.values()), indicator.code


def test_every_area_has_a_name_in_english_and_all_six_languages() -> None:
    assert set(seed().areas) == set(catalogue().vocabularies.areas)
    for area, names in seed().areas.items():
        assert set(names) == {ENGLISH, *LANGUAGES}, area
        assert all(text.strip() for text in names.values()), area
    assert seed().area_name("child_victims", ENGLISH) == "Child victims"
    assert seed().area_name("return_reintegration", ENGLISH) == "Return and reintegration"


def test_the_six_languages_are_the_web_ui_languages_after_english() -> None:
    from services.web.languages import LANGUAGES as WEB_LANGUAGES

    assert tuple(language.code for language in WEB_LANGUAGES) == (ENGLISH, *LANGUAGES)


def test_cyrillic_languages_are_written_in_cyrillic_and_latin_ones_are_not() -> None:
    for code, lang, text in all_texts():
        letters = re.findall(r"[^\W\d_]", text)
        if lang in CYRILLIC:
            latin = [c for c in letters if not CYRILLIC_LETTER.match(c)]
            assert not latin, f"{code} {lang} has Latin letters {latin}: {text}"
        else:
            assert not CYRILLIC_LETTER.search(text), f"{code} {lang} has Cyrillic: {text}"


def test_serbian_cyrillic_and_latin_say_the_same() -> None:
    for names in (*seed().areas.values(), *seed().titles.values()):
        transliterated = "".join(SERBIAN_LATIN.get(c, c) for c in names["sr-Cyrl"])
        assert transliterated == names["sr-Latn"]


def test_bosnian_and_montenegrin_are_ijekavian() -> None:
    assert any(EKAVIAN.search(text) for _, lang, text in all_texts() if lang == "sr-Latn")
    for code, lang, text in all_texts():
        if lang in ("bs", "cnr"):
            assert not EKAVIAN.search(text), f"{code} {lang} is ekavian: {text}"


def test_the_titles_use_the_regions_anti_trafficking_terms() -> None:
    titles = seed().titles["CO-01"]
    assert "жртвите на трговија со луѓе" in titles["mk"]
    assert "viktimat e trafikimit" in titles["sq"]
    assert "жртвама трговине људима" in titles["sr-Cyrl"]
    assert all("žrtvama trgovine ljudima" in titles[lang] for lang in ("sr-Latn", "bs", "cnr"))
    assert seed().area_name("return_reintegration", "bs") == "Povratak i reintegracija"
    assert seed().indicator_title("CH-01", "cnr") == "Identifikovana djeca žrtve"


def test_a_language_without_translations_gets_the_english() -> None:
    assert seed().indicator_title("ID-01", "de") == catalogue().indicator("ID-01").title
    assert seed().indicator_title("ID-01", ENGLISH) == "Victims formally identified"
    assert seed().area_name("coordination_data", "hr") == "Coordination and data"
    assert seed().indicator_title("ID-01", "mk") == "Формално идентификувани жртви"


def test_an_unknown_indicator_or_area_code_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        seed().indicator_title("XX-01", "mk")
    with pytest.raises(KeyError):
        seed().area_name("prevention", "mk")


def test_a_missing_title_is_refused_naming_the_indicator_and_language() -> None:
    doc = document()
    del doc["indicators"]["CJ-04"]["cnr"]
    errors = problems(doc)
    assert list(errors) == ["indicators.CJ-04.cnr"]
    assert "cnr" in errors["indicators.CJ-04.cnr"][0]
    assert "CJ-04" in errors["indicators.CJ-04.cnr"][0]


def test_an_empty_title_is_refused() -> None:
    doc = document()
    doc["indicators"]["AS-01"]["sq"] = "  "
    assert list(problems(doc)) == ["indicators.AS-01.sq"]


def test_a_missing_indicator_is_refused() -> None:
    doc = document()
    del doc["indicators"]["RF-02"]
    errors = problems(doc)
    assert list(errors) == ["indicators.RF-02"]
    assert "RF-02" in errors["indicators.RF-02"][0]


def test_a_missing_area_name_is_refused_english_included() -> None:
    doc = document()
    del doc["areas"]["referral"]["en"]
    del doc["areas"]["compensation"]["sr-Cyrl"]
    assert set(problems(doc)) == {"areas.referral.en", "areas.compensation.sr-Cyrl"}


def test_an_unknown_indicator_or_area_code_is_refused_naming_it() -> None:
    doc = document()
    doc["indicators"]["XX-99"] = {lang: "x" for lang in LANGUAGES}
    doc["areas"]["prevention"] = {lang: "x" for lang in (ENGLISH, *LANGUAGES)}
    errors = problems(doc)
    assert set(errors) == {"indicators.XX-99", "areas.prevention"}
    assert "XX-99" in errors["indicators.XX-99"][0]
    assert "prevention" in errors["areas.prevention"][0]


def test_an_unknown_language_is_refused_naming_it() -> None:
    doc = document()
    doc["indicators"]["ID-01"]["hr"] = "Formalno identificirane žrtve"
    doc["areas"]["assistance"]["sr"] = "Pomoć"
    errors = problems(doc)
    assert set(errors) == {"indicators.ID-01.hr", "areas.assistance.sr"}
    assert "'hr'" in errors["indicators.ID-01.hr"][0]


def test_an_english_indicator_title_is_refused_the_catalogue_has_it() -> None:
    doc = document()
    doc["indicators"]["ID-01"][ENGLISH] = "Formally identified victims"
    errors = problems(doc)
    assert list(errors) == ["indicators.ID-01.en"]
    assert "catalogue" in errors["indicators.ID-01.en"][0]


def test_every_problem_is_reported_at_once() -> None:
    doc = document()
    del doc["indicators"]["CD-07"]["mk"]
    del doc["areas"]["identification"]["bs"]
    doc["glossary"] = {}
    with pytest.raises(ValidationProblem) as raised:
        parse_translations(doc, catalogue())
    assert set(raised.value.errors) == {"indicators.CD-07.mk", "areas.identification.bs",
                                        "glossary"}  # fmt: skip
    assert "3 problem(s)" in str(raised.value)
