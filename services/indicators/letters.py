"""The letter of a data request, as HTML and as PDF (WeasyPrint), in the national language of
the country or in English (README §3): Macedonian, Albanian, Serbian in Cyrillic (its Latin
script is transliterated from it, letter for letter), Bosnian and Montenegrin.

The PDF is made from self-contained HTML (no fetching), dated by the request's sending, so
the same request gives the same letter.
"""

# ruff: noqa: RUF001  (the letters are in Cyrillic too, whose letters look Latin)

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date

from weasyprint import HTML, URLFetcher

from services.indicators.catalogue import Catalogue
from services.indicators.cycles import Cycle, DataRequest
from services.indicators.profiles import ProfileEntry

# Serbian Cyrillic -> Latin (README §3: generate one script from the other)
_SR_LATIN = dict(zip(
    "абвгдђежзијклмнопрстћуфхцчшАБВГДЂЕЖЗИЈКЛМНОПРСТЋУФХЦЧШ",
    "abvgdđežzijklmnoprstćufhcčšABVGDĐEŽZIJKLMNOPRSTĆUFHCČŠ", strict=True,
))  # fmt: skip
_SR_LATIN.update({"љ": "lj", "њ": "nj", "џ": "dž", "Љ": "Lj", "Њ": "Nj", "Џ": "Dž"})

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")  # fmt: skip

EN = {
    "subject": "Request for information: anti-trafficking statistics for {year}",
    "salutation": "Dear Sir or Madam,",
    "intro": "As part of the independent monitoring of anti-trafficking policy for the reference"
             " year {year}, we kindly ask your institution ({organisation}) to provide the"
             " figures listed below, which it holds.",
    "use": "The figures will be used only in aggregate form, to compute the indicators named"
           " below; no personal data are requested.",
    "deadline": "We would be grateful to receive your reply by {deadline}, preferably by"
                " filling in the enclosed Excel workbook or through the submission form of the"
                " Monitoring Tool.",
    "refusal": "If you are unable to provide some or all of the figures, please let us know"
               " the reason.",
    "closing": "Yours faithfully,",
    "country": "Country", "year": "Reference year", "due": "Deadline",
    "number": "Request number", "figures": "Figures requested", "figure": "Figure",
    "unit": "Unit", "indicators": "Indicators they serve", "monitor": "National monitor",
}  # fmt: skip
MK = {
    "subject": "Барање за информации: статистички податоци за трговијата со луѓе за {year}"
               " година",
    "salutation": "Почитувани,",
    "intro": "Во рамките на независното следење на политиките за борба против трговијата со"
             " луѓе за референтната {year} година, љубезно ја молиме вашата институција"
             " ({organisation}) да ги достави подолу наведените податоци со кои располага.",
    "use": "Податоците ќе се користат исклучиво во збирна форма, за пресметување на подолу"
           " наведените индикатори; не се бараат лични податоци.",
    "deadline": "Ќе ви бидеме благодарни ако одговорот го доставите до {deadline}, по можност"
                " со пополнување на приложената Excel-табела или преку образецот за"
                " поднесување во Алатката за мониторинг.",
    "refusal": "Доколку не сте во можност да ги доставите сите или дел од податоците, ве"
               " молиме известете нè за причината.",
    "closing": "Со почит,",
    "country": "Држава", "year": "Референтна година", "due": "Рок",
    "number": "Број на барањето", "figures": "Барани податоци", "figure": "Податок",
    "unit": "Единица", "indicators": "Индикатори за кои се користат",
    "monitor": "Национален монитор",
}  # fmt: skip
SQ = {
    "subject": "Kërkesë për informacion: statistika për trafikimin e qenieve njerëzore për"
               " vitin {year}",
    "salutation": "Të nderuar,",
    "intro": "Në kuadër të monitorimit të pavarur të politikave kundër trafikimit të qenieve"
             " njerëzore për vitin referues {year}, i kërkojmë me mirësjellje institucionit"
             " tuaj ({organisation}) të na dërgojë të dhënat e renditura më poshtë, të cilat"
             " i disponon.",
    "use": "Të dhënat do të përdoren vetëm në formë të përmbledhur, për të llogaritur treguesit"
           " e përmendur më poshtë; nuk kërkohen të dhëna personale.",
    "deadline": "Do t'ju ishim mirënjohës nëse përgjigjen do ta merrnim deri më {deadline},"
                " mundësisht duke plotësuar tabelën Excel bashkëlidhur ose përmes formularit"
                " të dorëzimit në Mjetin e Monitorimit.",
    "refusal": "Nëse nuk jeni në gjendje të jepni të gjitha ose disa nga të dhënat, ju lutemi"
               " na njoftoni arsyen.",
    "closing": "Me respekt,",
    "country": "Shteti", "year": "Viti referues", "due": "Afati",
    "number": "Numri i kërkesës", "figures": "Të dhënat e kërkuara", "figure": "Të dhënat",
    "unit": "Njësia", "indicators": "Treguesit për të cilët shërbejnë",
    "monitor": "Monitoruesi kombëtar",
}  # fmt: skip
SR_CYRL = {
    "subject": "Захтев за информације: статистички подаци о трговини људима за {year}."
               " годину",
    "salutation": "Поштовани,",
    "intro": "У оквиру независног праћења политика за борбу против трговине људима за"
             " референтну {year}. годину, љубазно молимо вашу институцију ({organisation})"
             " да достави доле наведене податке којима располаже.",
    "use": "Подаци ће бити коришћени искључиво у збирном облику, за израчунавање доле"
           " наведених индикатора; лични подаци се не траже.",
    "deadline": "Били бисмо захвални да одговор доставите до {deadline}, по могућству"
                " попуњавањем приложене Excel табеле или путем обрасца за достављање у Алату"
                " за мониторинг.",
    "refusal": "Уколико нисте у могућности да доставите све или неке од тражених података,"
               " молимо вас да нас обавестите о разлогу.",
    "closing": "С поштовањем,",
    "country": "Држава", "year": "Референтна година", "due": "Рок",
    "number": "Број захтева", "figures": "Тражени подаци", "figure": "Податак",
    "unit": "Јединица", "indicators": "Индикатори којима служе",
    "monitor": "Национални монитор",
}  # fmt: skip
BS = {
    "subject": "Zahtjev za informacije: statistički podaci o trgovini ljudima za {year}."
               " godinu",
    "salutation": "Poštovani,",
    "intro": "U okviru nezavisnog praćenja politika za borbu protiv trgovine ljudima za"
             " referentnu {year}. godinu, ljubazno molimo vašu instituciju ({organisation})"
             " da dostavi dolje navedene podatke kojima raspolaže.",
    "use": "Podaci će se koristiti isključivo u zbirnom obliku, za izračunavanje dolje"
           " navedenih indikatora; lični podaci se ne traže.",
    "deadline": "Bili bismo zahvalni da odgovor dostavite do {deadline}, po mogućnosti"
                " popunjavanjem priložene Excel tabele ili putem obrasca za dostavljanje u"
                " Alatu za monitoring.",
    "refusal": "Ukoliko niste u mogućnosti dostaviti sve ili neke od traženih podataka, molimo"
               " vas da nas obavijestite o razlogu.",
    "closing": "S poštovanjem,",
    "country": "Država", "year": "Referentna godina", "due": "Rok",
    "number": "Broj zahtjeva", "figures": "Traženi podaci", "figure": "Podatak",
    "unit": "Jedinica", "indicators": "Indikatori kojima služe",
    "monitor": "Nacionalni monitor",
}  # fmt: skip
CNR = {
    **BS,
    "intro": "U okviru nezavisnog praćenja politika za borbu protiv trgovine ljudima za"
             " referentnu {year}. godinu, ljubazno molimo vašu instituciju ({organisation})"
             " da dostavi dolje navedene podatke kojima raspolaže.",
    "refusal": "Ukoliko niste u mogućnosti da dostavite sve ili neke od traženih podataka,"
               " molimo vas da nas obavijestite o razlogu.",
    "use": "Podaci će se koristiti isključivo u zbirnom obliku, za izračunavanje dolje"
           " navedenih indikatora; lični podaci se ne traže.",
}  # fmt: skip

COUNTRY_NAMES = {
    "en": {"AL": "Albania", "BA": "Bosnia and Herzegovina", "ME": "Montenegro",
           "MK": "North Macedonia", "RS": "Serbia", "XK": "Kosovo"},
    "mk": {"AL": "Албанија", "BA": "Босна и Херцеговина", "ME": "Црна Гора",
           "MK": "Северна Македонија", "RS": "Србија", "XK": "Косово"},
    "sq": {"AL": "Shqipëria", "BA": "Bosnja dhe Hercegovina", "ME": "Mali i Zi",
           "MK": "Maqedonia e Veriut", "RS": "Serbia", "XK": "Kosova"},
    "sr-Cyrl": {"AL": "Албанија", "BA": "Босна и Херцеговина", "ME": "Црна Гора",
                "MK": "Северна Македонија", "RS": "Србија", "XK": "Косово"},
    "bs": {"AL": "Albanija", "BA": "Bosna i Hercegovina", "ME": "Crna Gora",
           "MK": "Sjeverna Makedonija", "RS": "Srbija", "XK": "Kosovo"},
}  # fmt: skip
COUNTRY_NAMES["cnr"] = COUNTRY_NAMES["bs"]


def serbian_latin(text: str) -> str:
    return "".join(_SR_LATIN.get(letter, letter) for letter in text)


def _sr_latn(texts: Mapping[str, str]) -> dict[str, str]:
    return {key: serbian_latin(value) for key, value in texts.items()}


TEXTS: Mapping[str, Mapping[str, str]] = {
    "en": EN, "mk": MK, "sq": SQ, "sr-Cyrl": SR_CYRL, "sr-Latn": _sr_latn(SR_CYRL), "bs": BS,
    "cnr": CNR,
}  # fmt: skip
HTML_LANG = {"cnr": "cnr-Latn"}  # BCP 47 tags (README §3)


def country_name(country: str, language: str) -> str:
    if language == "sr-Latn":
        return serbian_latin(COUNTRY_NAMES["sr-Cyrl"][country])
    return COUNTRY_NAMES[language][country]


def formatted_date(day: date, language: str) -> str:
    if language == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.day:02d}.{day.month:02d}.{day.year}."


def letter_html(
    catalogue: Catalogue,
    cycle: Cycle,
    request: DataRequest,
    entries: Mapping[str, ProfileEntry],
    language: str | None = None,
) -> bytes:
    """The letter in `language` (the request's own language without it)."""
    language = language or request.language
    t = TEXTS[language]
    e = html.escape
    values = {"year": str(cycle.year), "organisation": request.organisation_name,
              "deadline": formatted_date(request.deadline, language)}  # fmt: skip
    sent = request.sent_at.date()
    rows = "".join(
        f"<tr><td><code>{e(name)}</code></td><td>{e(_unit(catalogue, name))}</td></tr>"
        for name in request.fields
    )
    indicators = "".join(
        f"<li><b>{e(code)}</b> {e(_title(catalogue, entries, code, language))}</li>"
        for code in request.indicators
    )
    moment = request.sent_at.isoformat()
    page = f"""<!DOCTYPE html>
<html lang="{HTML_LANG.get(language, language)}"><head><meta charset="utf-8">
<title>{e(t["subject"].format(**values))}</title>
<meta name="dcterms.created" content="{moment}"><meta name="dcterms.modified" content="{moment}">
<style>
@page {{ size: A4; margin: 22mm 20mm; }}
body {{ font-family: "DejaVu Sans", sans-serif; font-size: 10.5pt; line-height: 1.45; }}
h1 {{ font-size: 12pt; margin: 18pt 0 10pt; }}
table {{ border-collapse: collapse; margin: 6pt 0; }}
td, th {{ border: 0.5pt solid #888; padding: 3pt 6pt; text-align: left; }}
.meta td {{ border: none; padding: 1pt 10pt 1pt 0; }}
</style></head><body>
<p>{e(request.organisation_name)}</p>
<table class="meta">
<tr><td>{e(t["country"])}</td><td>{e(country_name(cycle.country, language))}</td></tr>
<tr><td>{e(t["year"])}</td><td>{cycle.year}</td></tr>
<tr><td>{e(t["number"])}</td><td>{e(request.request_id)}</td></tr>
<tr><td>{e(t["due"])}</td><td>{e(values["deadline"])}</td></tr>
</table>
<p style="text-align: right">{e(formatted_date(sent, language))}</p>
<h1>{e(t["subject"].format(**values))}</h1>
<p>{e(t["salutation"])}</p>
<p>{e(t["intro"].format(**values))}</p>
<h2 style="font-size: 11pt">{e(t["figures"])}</h2>
<table><tr><th>{e(t["figure"])}</th><th>{e(t["unit"])}</th></tr>{rows}</table>
<h2 style="font-size: 11pt">{e(t["indicators"])}</h2>
<ul>{indicators}</ul>
<p>{e(t["use"])}</p>
<p>{e(t["deadline"].format(**values))}</p>
<p>{e(t["refusal"])}</p>
<p>{e(t["closing"])}</p>
<p>{e(t["monitor"])}</p>
</body></html>"""
    return page.encode("utf-8")


def letter_pdf(
    catalogue: Catalogue,
    cycle: Cycle,
    request: DataRequest,
    entries: Mapping[str, ProfileEntry],
    language: str | None = None,
) -> bytes:
    page = letter_html(catalogue, cycle, request, entries, language)
    document = HTML(string=page.decode("utf-8"), base_url=None,
                    url_fetcher=URLFetcher(allowed_protocols=()))  # fmt: skip
    pdf = document.write_pdf()
    assert pdf is not None  # write_pdf returns the bytes when given no target
    return pdf


def _unit(catalogue: Catalogue, name: str) -> str:
    spec = catalogue.aggregate_fields[name]
    if spec.type == "records":
        return "records"
    return "EUR" if spec.type == "amount_eur" else spec.unit_of_count or spec.type


def _title(
    catalogue: Catalogue, entries: Mapping[str, ProfileEntry], code: str, language: str
) -> str:
    """The profile's national title in the letter's language, else the core (English) one."""
    entry = entries.get(code)
    if entry is not None and entry.titles.get(language):
        return entry.titles[language]
    if entry is not None and language == "sr-Latn" and entry.titles.get("sr-Cyrl"):
        return serbian_latin(entry.titles["sr-Cyrl"])
    return catalogue.indicator(code).title
