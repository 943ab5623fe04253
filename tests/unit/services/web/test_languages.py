"""The UI's languages: which one a request gets, and dates and numbers per locale."""

from datetime import date
from pathlib import Path

from services.web.languages import BY_CODE, LANGUAGES, Formats, load_catalogues, negotiate


def test_a_language_asked_for_in_the_url_wins_over_the_cookie_and_the_browser() -> None:
    assert negotiate("mk", "sq", ["bs"]).code == "mk"


def test_the_remembered_language_wins_over_the_browser() -> None:
    assert negotiate(None, "sq", ["bs"]).code == "sq"


def test_an_unknown_language_in_the_url_is_ignored() -> None:
    assert negotiate("xx", None, ["bs-BA"]).code == "bs"


def test_serbian_without_a_script_gets_cyrillic_and_latin_when_asked() -> None:
    assert negotiate(None, None, ["sr"]).code == "sr-Cyrl"
    assert negotiate(None, None, ["sr-Latn-RS"]).code == "sr-Latn"


def test_a_browser_in_another_language_gets_english() -> None:
    assert negotiate(None, None, ["de-DE", "fr"]).code == "en"


def test_the_seven_languages_of_the_region_are_offered() -> None:
    assert [language.code for language in LANGUAGES] == [
        "en", "mk", "sq", "sr-Cyrl", "sr-Latn", "bs", "cnr",
    ]  # fmt: skip


def test_dates_are_written_the_way_each_locale_writes_them() -> None:
    day = date(2026, 3, 5)
    assert Formats(BY_CODE["en"]).day(day, "long") == "March 5, 2026"
    assert "март" in Formats(BY_CODE["mk"]).day(day, "long")
    assert Formats(BY_CODE["sr-Cyrl"]).day(day, "long") == "5. март 2026."
    assert Formats(BY_CODE["cnr"]).day("2026-03-05", "long") == "5. mart 2026."


def test_numbers_use_each_locales_separators() -> None:
    assert Formats(BY_CODE["en"]).number(12345.6) == "12,345.6"
    assert Formats(BY_CODE["mk"]).number(12345.6) == "12.345,6"
    assert Formats(BY_CODE["en"]).number(7, places=1) == "7.0"


def test_country_names_come_from_the_locale() -> None:
    assert Formats(BY_CODE["mk"]).country("MK") == "Северна Македонија"
    assert Formats(BY_CODE["sq"]).country("AL") == "Shqipëri"


def test_a_catalogue_is_read_from_its_po_file(tmp_path: Path) -> None:
    po = tmp_path / "mk" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                  'msgid "Cases"\nmsgstr "Случаи"\n', encoding="utf-8")  # fmt: skip
    catalogues = load_catalogues(tmp_path)
    assert catalogues["mk"].gettext("Cases") == "Случаи"
    assert catalogues["sq"].gettext("Cases") == "Cases"  # no catalogue: the English source
