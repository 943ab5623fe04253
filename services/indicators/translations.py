"""The catalogue's area names and indicator titles in the region's languages.

The catalogue is written in English and names its areas by code only. Its companion file
(`<catalogue>.translations.yaml`) gives each area an English name and a name in each of
`LANGUAGES`, and each indicator its title in each of `LANGUAGES`; the English title stays the
catalogue's own `title`. `parse_translations` checks the file against the catalogue and
collects every problem before it raises one `ValidationProblem`, whose `errors` map
`areas.<area>.<language>` or `indicators.<code>.<language>` to what is wrong there: a missing or
empty name, an area, indicator or language the catalogue does not have.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from services.indicators.catalogue import SEED_PATH, Catalogue
from shared.errors import ValidationProblem

TRANSLATIONS_PATH = SEED_PATH.with_name(f"{SEED_PATH.stem}.translations.yaml")
ENGLISH = "en"
# BCP 47 tags, as the web UI spells them (services/web/languages.py)
LANGUAGES = ("mk", "sq", "sr-Cyrl", "sr-Latn", "bs", "cnr")
SECTIONS = ("areas", "indicators")

Names = Mapping[str, Mapping[str, str]]  # area or indicator code -> language -> text


@dataclass(frozen=True)
class CatalogueTranslations:
    """Names in English and every one of `LANGUAGES`; another language gets the English."""

    areas: Names
    titles: Names

    def area_name(self, area: str, language: str) -> str:
        names = self.areas[area]
        return names.get(language, names[ENGLISH])

    def indicator_title(self, code: str, language: str) -> str:
        titles = self.titles[code]
        return titles.get(language, titles[ENGLISH])


def load_translations(
    catalogue: Catalogue, path: str | Path = TRANSLATIONS_PATH
) -> CatalogueTranslations:
    with open(path, encoding="utf-8") as stream:
        document = yaml.safe_load(stream)
    return parse_translations(document, catalogue)


def parse_translations(document: Any, catalogue: Catalogue) -> CatalogueTranslations:
    errors: dict[str, list[str]] = {}
    if not isinstance(document, dict):
        document = {}
        errors["translations"] = ["Must be a mapping with the sections areas and indicators."]
    for key in document:
        if key not in SECTIONS:
            errors[str(key)] = [f"Unknown section {key!r}; allowed: {', '.join(SECTIONS)}."]
    areas = _section(document, "areas", catalogue.vocabularies.areas, (ENGLISH, *LANGUAGES),
                     ("area", "name"), errors)  # fmt: skip
    titles = _section(document, "indicators", catalogue.codes, LANGUAGES,
                      ("indicator", "title"), errors)  # fmt: skip
    if errors:
        raise ValidationProblem(
            f"The translations of {catalogue.catalog_id} {catalogue.catalog_version} have"
            f" {sum(map(len, errors.values()))} problem(s): {', '.join(sorted(errors))}",
            errors,
        )
    for indicator in catalogue.indicators:
        titles[indicator.code] = MappingProxyType({ENGLISH: indicator.title,
                                                   **titles[indicator.code]})  # fmt: skip
    return CatalogueTranslations(MappingProxyType(areas), MappingProxyType(titles))


def _section(
    document: Mapping[Any, Any], section: str, codes: tuple[str, ...],
    languages: tuple[str, ...], words: tuple[str, str], errors: dict[str, list[str]],
) -> dict[str, Mapping[str, str]]:  # fmt: skip
    """One section's texts, each code with exactly `languages`; problems go to `errors`, worded
    with `words` (what a code names, what its text is: "indicator", "title")."""
    thing, text_name = words
    raw = document.get(section)
    if not isinstance(raw, dict):
        errors[section] = [f"Must map each {thing} code to its {text_name}s."]
        raw = {}
    for code in raw:
        if code not in codes:
            errors[f"{section}.{code}"] = [f"Unknown {thing} {code!r}: not in the catalogue."]
    texts: dict[str, Mapping[str, str]] = {}
    for code in codes:
        given = raw.get(code)
        if not isinstance(given, dict):
            errors[f"{section}.{code}"] = [f"Missing {thing} {code}: it needs a {text_name} in"
                                           f" each of {', '.join(languages)}."]  # fmt: skip
            texts[code] = MappingProxyType({})
            continue
        for language in given:
            if language not in languages:
                english = " (the English title is the catalogue's)" if language == ENGLISH else ""
                errors[f"{section}.{code}.{language}"] = [
                    f"Unknown language {language!r} for {thing} {code}{english}; allowed:"
                    f" {', '.join(languages)}."
                ]
        for language in languages:
            text = given.get(language)
            if not isinstance(text, str) or not text.strip():
                errors[f"{section}.{code}.{language}"] = [
                    f"Missing the {language} {text_name} of {thing} {code}."
                ]
        texts[code] = MappingProxyType({language: given[language] for language in languages
                                        if isinstance(given.get(language), str)})  # fmt: skip
    return texts
