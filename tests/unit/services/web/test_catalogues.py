"""The UI strings: none hard-coded in a template, all extracted, all translated."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from services.web.languages import LANGUAGES, TRANSLATIONS

WEB = Path(__file__).parents[4] / "services" / "web"
TEMPLATES = sorted((WEB / "templates").rglob("*.html"))
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _visible_text(template: str) -> str:
    """What a template shows that no gettext call produced: its text between tags, with Jinja
    comments, statements and expressions, and the contents of <script> and <style>, removed."""
    text = re.sub(r"\{#.*?#\}", " ", template, flags=re.S)
    text = re.sub(r"\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    return re.sub(r"&\w+;|&#\d+;", " ", text)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(WEB)))
def test_no_template_shows_text_that_is_not_translated(template: Path) -> None:
    words = re.findall(r"[^\W\d_]{2,}", _visible_text(template.read_text(encoding="utf-8")))
    assert not words, f"{template.name} shows untranslated text: {words[:10]}"


def _catalogue(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def test_the_template_of_the_catalogues_is_up_to_date_with_the_pages(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
         str(WEB / "babel.cfg"), "-k", "N_", "-k", "_t", "-k", "gettext", "-k", "ngettext:1,2",
         "--no-location", "-o", str(fresh), "."],
        cwd=WEB.parents[1], check=True, capture_output=True,
    )  # fmt: skip
    extracted = {m.id for m in _catalogue(fresh) if m.id}
    committed = {m.id for m in _catalogue(TRANSLATIONS / "messages.pot") if m.id}
    assert extracted - committed == set(), "new UI strings: run `make translations`"
    assert committed - extracted == set(), "strings no longer used: run `make translations`"


@pytest.mark.parametrize("language", LANGUAGES[1:], ids=lambda language: language.code)
def test_every_ui_string_is_translated_keeping_its_placeholders(language) -> None:
    wanted = {m.id for m in _catalogue(TRANSLATIONS / "messages.pot") if m.id}
    po = _catalogue(TRANSLATIONS / language.catalogue / "LC_MESSAGES" / "messages.po")
    translated = {m.id: m.string for m in po if m.id and m.string and not m.fuzzy}
    missing = sorted(wanted - set(translated))
    assert not missing, f"{len(missing)} strings untranslated in {language.code}: {missing[:5]}"
    for msgid, msgstr in translated.items():
        if isinstance(msgid, str):
            assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), (
                f"{language.code}: {msgid!r} -> {msgstr!r} changes the placeholders"
            )
