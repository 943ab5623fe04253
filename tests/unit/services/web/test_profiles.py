"""The national profile editor's helpers: what an edit sends, and where errors are shown."""

from __future__ import annotations

from services.web.pages.profiles import (
    entry_body,
    national_title,
    placed_errors,
    title_languages,
)

MK = ["mk", "sq", "en"]


def test_titles_are_offered_in_the_countrys_languages_then_english_then_any_other_held() -> None:
    assert title_languages("MK") == MK
    assert title_languages("AL", {"hr": "Naslov"}) == ["sq", "en", "hr"]


def test_an_adapted_entry_sends_its_title_legal_basis_and_institution() -> None:
    posted = {"titles.mk": " Наслов ", "legal_basis": "Law 12/2020", "institution": "Police",
              "reason": "left over from dropping it"}  # fmt: skip
    assert entry_body("adapted", posted, {}, MK) == {
        "status": "adapted", "titles": {"mk": "Наслов"},
        "legal_basis": "Law 12/2020", "institution": "Police",
    }  # fmt: skip


def test_switching_back_to_adopted_sends_no_text_the_status_does_not_use() -> None:
    posted = {"legal_basis": "Law 12/2020", "institution": "Police"}
    assert entry_body("adopted", posted, {"status": "adapted"}, MK) == {"status": "adopted"}


def test_titles_in_languages_not_on_the_form_are_kept_and_cleared_ones_removed() -> None:
    current = {"titles": {"mk": "Стар", "hr": "Naslov"}}
    body = entry_body("dropped", {"titles.mk": "", "reason": "No data"}, current, MK)
    assert body == {"status": "dropped", "titles": {"hr": "Naslov"}, "reason": "No data"}


def test_mappings_and_scale_texts_not_edited_here_are_sent_back_unchanged() -> None:
    current = {"mappings": [{"field": "f", "national_code": "n", "core_code": "c"}],
               "scale_texts": {"0": {"mk": "Ништо"}}}  # fmt: skip
    body = entry_body("adapted", {}, current, MK)
    assert body["mappings"] == current["mappings"]
    assert body["scale_texts"] == current["scale_texts"]


def test_a_missing_title_is_shown_at_the_title_in_the_countrys_first_language() -> None:
    placed = placed_errors({"titles": "Required.", "institution": "Required."}, MK)
    assert placed == {"titles.mk": "Required.", "institution": "Required."}


def test_the_national_title_is_in_the_readers_language_when_there_is_one() -> None:
    titles = {"mk": "Наслов", "sq": "Titulli"}
    assert national_title(titles, "sq", "MK") == "Titulli"
    assert national_title(titles, "en", "MK") == "Наслов"
    assert national_title({}, "en", "MK") == ""
