"""Serbian Latin from Serbian Cyrillic: the two scripts map letter for letter (Вук's alphabet
and Gaj's), so the Latin catalogue is made from the Cyrillic one (`make translations`) and the
two never drift apart. Placeholders such as %(name)s are Latin already and pass unchanged."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LETTERS = dict(zip(
    "абвгдђежзијклљмнњопрстћуфхцчџшАБВГДЂЕЖЗИЈКЛЉМНЊОПРСТЋУФХЦЧЏШ",
    ["a", "b", "v", "g", "d", "đ", "e", "ž", "z", "i", "j", "k", "l", "lj", "m", "n", "nj", "o",
     "p", "r", "s", "t", "ć", "u", "f", "h", "c", "č", "dž", "š",
     "A", "B", "V", "G", "D", "Đ", "E", "Ž", "Z", "I", "J", "K", "L", "Lj", "M", "N", "Nj", "O",
     "P", "R", "S", "T", "Ć", "U", "F", "H", "C", "Č", "Dž", "Š"],
    strict=True,
))  # fmt: skip


def to_latin(text: str) -> str:
    out = []
    for index, char in enumerate(text):
        latin = LETTERS.get(char, char)
        # Љ, Њ, Џ in a word written in capitals become LJ, NJ, DŽ
        if len(latin) == 2 and latin[0].isupper():
            following = text[index + 1] if index + 1 < len(text) else ""
            if following.isupper():
                latin = latin.upper()
        out.append(latin)
    return "".join(out)


def transliterate_catalogue(cyrillic: Path, latin: Path) -> int:
    with cyrillic.open("rb") as handle:
        catalog = read_po(handle, locale="sr_Cyrl")
    catalog.locale = "sr_Latn"  # type: ignore[assignment]
    count = 0
    for message in catalog:
        if not message.id or not message.string:
            continue
        if isinstance(message.string, tuple | list):
            message.string = tuple(to_latin(s) for s in message.string)
        else:
            message.string = to_latin(message.string)
        count += 1
    with latin.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False)
    return count


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "translations"
    made = transliterate_catalogue(root / "sr_Cyrl" / "LC_MESSAGES" / "messages.po",
                                   root / "sr_Latn" / "LC_MESSAGES" / "messages.po")  # fmt: skip
    print(f"sr_Latn: {made} messages transliterated from sr_Cyrl")
