"""The UI's languages: Babel catalogues (`translations/<code>/LC_MESSAGES/messages.po`) for the
strings, CLDR (through Babel) for dates and numbers.

The catalogues are read from their .po files when the app starts, so there is no compiled .mo
file to forget to rebuild.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).parent / "translations"


@dataclass(frozen=True)
class Language:
    code: str  # in URLs, cookies and <html lang>: a BCP 47 tag
    name: str  # in the language itself, for the switcher
    locale: str  # the CLDR locale for dates and numbers

    @property
    def catalogue(self) -> str:
        """The folder of its catalogue under translations/ (a gettext name: no hyphen)."""
        return self.code.replace("-", "_")


LANGUAGES = (
    Language("en", "English", "en"),
    Language("mk", "Македонски", "mk"),
    Language("sq", "Shqip", "sq"),
    Language("sr-Cyrl", "Српски", "sr_Cyrl"),
    Language("sr-Latn", "Srpski", "sr_Latn"),
    Language("bs", "Bosanski", "bs"),
    # CLDR has no Montenegrin data yet; Serbian (Latin, Montenegro) formats its dates and numbers
    Language("cnr", "Crnogorski", "sr_Latn_ME"),
)
BY_CODE = {language.code: language for language in LANGUAGES}
DEFAULT = LANGUAGES[0]


def load_catalogues(folder: Path = TRANSLATIONS) -> dict[str, NullTranslations]:
    """Each language's translations; English is the source language and needs none."""
    loaded: dict[str, NullTranslations] = {DEFAULT.code: NullTranslations()}
    for language in LANGUAGES[1:]:
        po = folder / language.catalogue / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            loaded[language.code] = NullTranslations()
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=language.locale)
        compiled = BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        loaded[language.code] = Translations(compiled)
    return loaded


def negotiate(asked: str | None, remembered: str | None, accepted: list[str]) -> Language:
    """The language of a request: one asked for in the URL, else the one remembered in the
    cookie, else the browser's best match, else English."""
    for candidate in (asked, remembered):
        if candidate in BY_CODE:
            return BY_CODE[candidate]
    for tag in accepted:
        tag = tag.strip()
        if tag in BY_CODE:
            return BY_CODE[tag]
        base = tag.split("-")[0].lower()
        if base == "sr":
            # Serbian without a script: Cyrillic is the official script in Serbia
            return BY_CODE["sr-Latn" if "latn" in tag.lower() else "sr-Cyrl"]
        if base == "hr" or base == "sh":
            return BY_CODE["bs"]
        if base in BY_CODE:
            return BY_CODE[base]
    return DEFAULT


class Formats:
    """Dates and numbers the way the reader's locale writes them."""

    def __init__(self, language: Language) -> None:
        self.locale = Locale.parse(language.locale)

    def date(self, value: date | datetime | str | None, form: str = "medium") -> str:
        if value in (None, ""):
            return ""
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
        if isinstance(value, datetime):
            return dates.format_datetime(value, form, locale=self.locale)
        return dates.format_date(value, form, locale=self.locale)

    def day(self, value: date | datetime | str | None, form: str = "medium") -> str:
        if isinstance(value, str) and value:
            try:
                value = date.fromisoformat(value[:10])
            except ValueError:
                return value
        if isinstance(value, datetime):
            value = value.date()
        return self.date(value, form)

    def number(self, value: Any, places: int | None = None) -> str:
        if value is None or value == "":
            return ""
        if places is not None:
            return numbers.format_decimal(value, format=f"#,##0.{'0' * places}" if places else
                                          "#,##0", locale=self.locale)  # fmt: skip
        return numbers.format_decimal(value, locale=self.locale)

    def country(self, code: str) -> str:
        return self.locale.territories.get(code, code)


def accepted_languages(header: Mapping[str, Any] | Any) -> list[str]:
    """Tags of an Accept-Language header, best first (werkzeug's parsed header)."""
    return [tag for tag, _quality in header] if header else []
