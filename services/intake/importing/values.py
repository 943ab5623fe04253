"""Reading one answer: a spreadsheet cell or a submission value, into the JSON value a command
or event takes (codes, lists of codes, ISO dates, booleans, whole numbers). A reader returns
None for an answer that says nothing and raises `CellError` with a message for one it cannot
read; it never guesses (a bare number in a date column is refused, not taken as a date)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from services.intake import codes
from services.intake.importing import labels
from services.intake.importing.countries import ALIASES, COUNTRY_NAMES

Reader = Callable[[Any], Any]
# The longest identifier persons.checked_identifiers takes; a longer one is refused at reading.
MAX_TEXT = 300
# A multi-select cell holds at most one of each code; a cell of more parts is not a list.
MAX_PARTS = 300


class CellError(ValueError):
    """An answer that cannot be read; the message says what was expected."""


def squash(text: str) -> str:
    """The letters and digits of a label, lower case, accents dropped: what two spellings of a
    label share. The artefacts differ from each other only in case, spacing and punctuation
    (`Follow up`/`Follow Up`, `Debt bondage `, a no-break space after `Feminine`)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def shown(raw: Any) -> str:
    text = raw.strip() if isinstance(raw, str) else str(raw)
    return repr(text if len(text) <= 60 else text[:57] + "...")


# --- Picklists ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """A picklist: its codes, and each spelling (code or label, squashed) that means one."""

    codes: tuple[str, ...]
    spellings: Mapping[str, str]
    span: int = 1  # the most `;`-separated parts one label has

    @classmethod
    def of(cls, allowed: Iterable[str], named: Mapping[str, str] | None = None) -> Options:
        allowed = tuple(allowed)
        spellings: dict[str, str] = {}
        pairs = [(code, code) for code in allowed] + [
            (label, code) for code, label in (named or {}).items()
        ]
        pairs += [(odd, fixed) for odd, fixed in codes.XLSFORM_CHOICE_FIXES.items()]
        for spelling, code in pairs:
            if code not in allowed:
                continue
            # Two codes one spelling apart would make a label mean either: fail at import.
            if spellings.setdefault(squash(spelling), code) != code:
                raise ValueError(f"{spelling!r} would mean two codes")
        span = 1 + max((spelling.count(";") for spelling, _ in pairs), default=0)
        return cls(allowed, spellings, span)

    def find(self, text: str) -> str | None:
        return self.spellings.get(squash(text))

    def rule(self) -> str:
        return "Must be one of: " + ", ".join(self.codes) + " (or their labels)."


def one_of(options: Options) -> Reader:
    def read(raw: Any) -> str:
        code = options.find(str(raw))
        if code is None:
            raise CellError(f"{shown(raw)} is not an option. {options.rule()}")
        return code

    return read


def many_of(options: Options) -> Reader:
    """A multi-select: a list of answers (XLSForm) or one cell separated by `;` (template)."""

    def read(raw: Any) -> list[str]:
        parts = raw if isinstance(raw, list) else split_cell(str(raw), options)
        found, unknown = [], []
        for part in parts:
            code = options.find(str(part))
            if code is None:
                unknown.append(str(part))
            elif code not in found:  # "Forced labour; ForcedLabour" names one code
                found.append(code)
        if unknown:
            raise CellError(_unknown_parts(unknown, options.rule()))
        return found

    return read


def split_cell(text: str, options: Options) -> list[str]:
    """Splits a template cell on `;` and line breaks, longest known answer first: four ISIC
    section titles hold a `;` themselves ("Water supply; sewerage, ..."), so splitting first
    and asking later would cut them in two."""
    parts = [part.strip() for part in re.split(r"[;\n]", text) if part.strip()]
    if len(parts) > MAX_PARTS:
        raise CellError(f"Names {len(parts)} answers; no list has that many.")
    answers, start = [], 0
    while start < len(parts):
        end = next(
            (
                end
                for end in range(min(len(parts), start + options.span), start, -1)
                if options.find("; ".join(parts[start:end])) is not None
            ),
            start + 1,
        )
        answers.append("; ".join(parts[start:end]))
        start = end
    return answers


def _unknown_parts(unknown: list[str], rule: str) -> str:
    message = "Not an option: " + ", ".join(map(shown, unknown)) + f". {rule}"
    if any("," in part for part in unknown):
        message += " Separate answers with ';'."
    return message


# --- Countries ---------------------------------------------------------------------------------

COUNTRY_SPELLINGS = {
    **{squash(name): code for code, name in COUNTRY_NAMES.items()},
    **{squash(name): code for name, code in ALIASES.items()},
}
COUNTRY_RULE = "Must be an ISO 3166 country code (XK for Kosovo) or a country's English name."


def country_code(text: str) -> str | None:
    text = text.strip()
    # Codes are matched exactly as two letters, so "N/A" is not Namibia by squashing.
    if re.fullmatch(r"[A-Za-z]{2}", text):
        code = text.upper()
        return code if code in codes.COUNTRIES else None
    return COUNTRY_SPELLINGS.get(squash(text))


def country(raw: Any) -> str:
    code = country_code(str(raw))
    if code is None:
        raise CellError(f"{shown(raw)} is not a country. {COUNTRY_RULE}")
    return code


def countries(raw: Any) -> list[str]:
    parts = raw if isinstance(raw, list) else re.split(r"[;\n]", str(raw))
    found, unknown = [], []
    for part in (str(part).strip() for part in parts):
        code = country_code(part) if part else None
        if part and code is None:
            unknown.append(part)
        elif code is not None and code not in found:
            found.append(code)
    if unknown:
        raise CellError(_unknown_parts(unknown, COUNTRY_RULE))
    return found


def place_country(raw: Any) -> list[str]:
    """HTCDS locations of recruitment and exploitation are places; the platform keeps only the
    country (a town is a quasi-identifier, README §4.4), so a place must be given as one."""
    try:
        return countries(raw)
    except CellError:
        raise CellError(
            f"{shown(raw)} is not a country. Only the country is recorded: give it as an "
            "ISO 3166 code or English name (separate several with ';')."
        ) from None


# --- Dates, numbers, flags, text ---------------------------------------------------------------

ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+Z?)?")
DOTTED_DATE = re.compile(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})\.?")  # 2.1.2020. (Balkan style)
SLASHED_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def a_date(raw: Any) -> str:
    """An Excel date cell, or text as YYYY-MM-DD, D.M.YYYY, or D/M/YYYY when the day cannot be
    taken for the month (the template formats dates mm-dd-yy, people in the region write
    dd/mm/yyyy: 03/04/2020 could be either)."""
    if isinstance(raw, datetime):
        return raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, bool | int | float | time):
        raise CellError(f"{shown(raw)} is not a date. Enter a date, or text as YYYY-MM-DD.")
    return _text_date(str(raw).strip())


def _text_date(text: str) -> str:
    if match := ISO_DATE.fullmatch(text):
        year, month, day = map(int, match.groups())
    elif match := DOTTED_DATE.fullmatch(text):
        day, month, year = map(int, match.groups())
    elif match := SLASHED_DATE.fullmatch(text):
        first, second, year = map(int, match.groups())
        if first <= 12 and second <= 12 and first != second:
            raise CellError(f"{shown(text)} could be either of two dates; write YYYY-MM-DD.")
        day, month = (first, second) if first > 12 or first == second else (second, first)
    else:
        raise CellError(f"{shown(text)} is not a date; write YYYY-MM-DD.")
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise CellError(f"{shown(text)} is not a date of the calendar.") from None


def whole(raw: Any) -> int:
    if isinstance(raw, bool):
        raise CellError(f"{shown(raw)} is not a number of years.")
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*\d{1,3}(\.0+)?\s*", raw):
        return int(float(raw))
    raise CellError(f"{shown(raw)} is not a whole number of years.")


def flag(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return raw == 1
    text = squash(str(raw))
    if text in labels.YES:
        return True
    if text in labels.NO:
        return False
    raise CellError(f"{shown(raw)} is not yes or no. Must be Yes, No, TRUE or FALSE.")


def text(raw: Any) -> str:
    """An identifying answer as text: a phone number typed as a number keeps its digits."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, datetime | date):
        return a_date(raw)
    value = " ".join(str(raw).split())
    if len(value) > MAX_TEXT:
        raise CellError(f"Is {len(value)} characters long; at most {MAX_TEXT} may be imported.")
    return value


def optional(read: Reader) -> Reader:
    """For free-text columns that sometimes hold a code: the code if it is one, else nothing
    (the text itself is never kept)."""

    def read_or_none(raw: Any) -> Any:
        try:
            return read(raw)
        except CellError:
            return None

    return read_or_none


def or_other(options: Options) -> Reader:
    """A free-text answer to a question with a picklist elsewhere: its code if it is one, else
    `Other` (the XLSForm asks the incoming referral reason as text)."""
    find = one_of(options)

    def read(raw: Any) -> Any:
        try:
            return find(raw)
        except CellError:
            return "Other"

    return read
