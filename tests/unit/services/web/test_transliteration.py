"""Serbian Latin is made from Serbian Cyrillic, letter for letter."""

from services.web.transliteration import to_latin


def test_each_cyrillic_letter_has_its_latin_counterpart() -> None:
    assert to_latin("Жртве трговине људима") == "Žrtve trgovine ljudima"
    assert to_latin("Џеп, ђак, њива, ћерка, чаша, шума") == "Džep, đak, njiva, ćerka, čaša, šuma"


def test_digraphs_in_words_written_in_capitals_are_all_capitals() -> None:
    assert to_latin("ЉУДИ") == "LJUDI"
    assert to_latin("Људи") == "Ljudi"


def test_placeholders_and_latin_text_pass_unchanged() -> None:
    assert to_latin("%(n)s случаја у GRETA извештају") == "%(n)s slučaja u GRETA izveštaju"  # noqa: RUF001 (Cyrillic on purpose)
