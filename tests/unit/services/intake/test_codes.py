"""The intake code lists are the HTCDS 2.0 picklists spelled exactly as the standard spells
them, the HTCDS country list plus Kosovo, and the `ext_` vocabularies of the domain brief.

The comparisons with the HTCDS artefacts and indicators.yaml read the copies in
`tests/fixtures/domain`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
import yaml

from services.intake import codes

DOMAIN = Path(__file__).resolve().parents[3] / "fixtures" / "domain"
HTCDS = DOMAIN / "htcds"
needs_htcds = pytest.mark.skipif(not HTCDS.is_dir(), reason=f"no HTCDS artefacts in {HTCDS}")
needs_catalogue = pytest.mark.skipif(
    not (DOMAIN / "indicators.yaml").is_file(), reason=f"no indicators.yaml in {DOMAIN}"
)

SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
ODS_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def xlsx_rows(path: Path, sheet: str) -> list[dict[str, str]]:
    """A sheet's rows as {column letter: text}, read with the standard library only."""
    with zipfile.ZipFile(path) as book:
        strings = [
            "".join(item.itertext())
            for item in ET.fromstring(book.read("xl/sharedStrings.xml"))
            if item.tag == f"{{{SHEET_NS}}}si"
        ]
        sheets = ET.fromstring(book.read("xl/workbook.xml")).iter(f"{{{SHEET_NS}}}sheet")
        rel_id = next(s.get(f"{{{RELS_NS}}}id") for s in sheets if s.get("name") == sheet)
        rels = ET.fromstring(book.read("xl/_rels/workbook.xml.rels"))
        target = next(rel.get("Target") for rel in rels if rel.get("Id") == rel_id)
        root = ET.fromstring(book.read(f"xl/{target}"))
    rows = []
    for row in root.iter(f"{{{SHEET_NS}}}row"):
        cells = {}
        for cell in row.iter(f"{{{SHEET_NS}}}c"):
            value = cell.find(f"{{{SHEET_NS}}}v")
            if value is not None and value.text is not None:
                text = strings[int(value.text)] if cell.get("t") == "s" else value.text
                cells[re.sub(r"\d", "", cell.get("r", ""))] = text
        rows.append(cells)
    return rows


def xlsform_choices() -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    for row in xlsx_rows(HTCDS / "htcds_xlsform.xlsx", "choices")[1:]:
        if row.get("A"):
            lists.setdefault(row["A"], []).append(row["B"])
    return lists


def field_standard_values() -> dict[str, list[str]]:
    """`Value Names (if picklist)` by `Field Name including Prefix`, from the .ods table."""
    with zipfile.ZipFile(HTCDS / "HTCDS Field Standards 2.0.ods") as book:
        root = ET.fromstring(book.read("content.xml"))
    values = {}
    for row in root.iter(f"{{{ODS_TABLE}}}table-row"):
        cells: list[str] = []
        for cell in row.findall(f"{{{ODS_TABLE}}}table-cell"):
            repeat = min(int(cell.get(f"{{{ODS_TABLE}}}number-columns-repeated", "1")), 20)
            lines = ["".join(p.itertext()) for p in cell.findall(f"{{{ODS_TEXT}}}p")]
            cells += ["\n".join(lines)] * repeat
        if len(cells) > 9 and cells[6].startswith(("prs_", "vic_", "cas_", "spl_", "org_")):
            values[cells[6]] = [line for line in cells[9].split("\n") if line]
    return values


@needs_htcds
@pytest.mark.parametrize(
    ("list_name", "expected"),
    [
        ("gender", codes.GENDER),
        ("traffickingstatus", codes.TRAFFICKING_STATUS),
        ("traffickingstatusdecisionmakingorg", codes.DECISION_MAKING_ORG),
        ("typeofexploitation", codes.TYPE_OF_EXPLOITATION),
        ("typeofsexexploitation", codes.TYPE_OF_SEX_EXPLOITATION),
        ("forcedlabourindustry", codes.FORCED_LABOUR_INDUSTRY),
        ("methodsofcontrol", codes.METHODS_OF_CONTROL),
        ("methodofrecruitment", codes.METHOD_OF_RECRUITMENT),
        ("status", codes.CASE_STATUS),
        ("citizenship", codes.HTCDS_COUNTRIES),
    ],
)
def test_each_picklist_is_the_xlsform_choice_list_in_its_order(
    list_name: str, expected: tuple[str, ...]
) -> None:
    names = [codes.XLSFORM_CHOICE_FIXES.get(name, name) for name in xlsform_choices()[list_name]]
    assert tuple(names) == expected


@needs_htcds
def test_the_only_xlsform_choice_fixed_is_the_trailing_space_of_debt_bondage() -> None:
    choices = {name for names in xlsform_choices().values() for name in names}
    assert {name for name in choices if name != name.strip()} == set(codes.XLSFORM_CHOICE_FIXES)
    assert "DebtBondage" not in choices


@needs_htcds
@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("prs_Gender", codes.GENDER),
        ("vic_TraffickingStatus", codes.TRAFFICKING_STATUS),
        ("vic_TraffickingStatusDecisionMakingOrg", codes.DECISION_MAKING_ORG),
        ("vic_RelationshipToTrafficker", codes.RELATIONSHIP_TO_TRAFFICKER),
        ("vic_RecruitmentWebsitesAndApps", codes.WEBSITES_AND_APPS),
        ("vic_ExploitationWebsitesAndApps", codes.WEBSITES_AND_APPS),
        ("vic_MethodOfRecruitment", codes.METHOD_OF_RECRUITMENT),
        ("vic_MethodsOfControl", codes.METHODS_OF_CONTROL),
        ("vic_TypeOfExploitation", codes.TYPE_OF_EXPLOITATION),
        ("vic_ForcedLabourIndustry", codes.FORCED_LABOUR_INDUSTRY),
        ("vic_TypeOfSexExploitation", codes.TYPE_OF_SEX_EXPLOITATION),
        ("cas_Status", codes.CASE_STATUS),
        ("cas_ReasonForIncomingReferral", codes.REASON_FOR_REFERRAL),
        ("cas_ReasonForOutgoingReferral", codes.REASON_FOR_REFERRAL),
        ("spl_Type", codes.SUPPORT_PLAN_TYPE),
        ("org_Type", codes.ORGANISATION_TYPE),
    ],
)
def test_each_picklist_is_the_field_standard_value_list(
    field: str, expected: tuple[str, ...]
) -> None:
    assert tuple(field_standard_values()[field]) == expected


@needs_htcds
def test_the_renamed_field_names_are_those_the_template_and_the_xlsform_use() -> None:
    header = xlsx_rows(HTCDS / "HTCDS Excel Spreadsheet v2.0.xlsx", "Sheet1")[0].values()
    survey = {row.get("B") for row in xlsx_rows(HTCDS / "htcds_xlsform.xlsx", "survey")}
    assert set(codes.TEMPLATE_FIELD_NAMES) <= set(header)
    assert set(codes.XLSFORM_FIELD_NAMES) <= survey
    standard = field_standard_values().keys() | {"prs_FirstName", "prs_SecondName"}
    renamed = {**codes.TEMPLATE_FIELD_NAMES, **codes.XLSFORM_FIELD_NAMES}.values()
    assert set(renamed) <= standard


def test_htcds_quirks_are_kept_as_codes() -> None:
    assert "Unaquainted" in codes.RELATIONSHIP_TO_TRAFFICKER
    assert "NonSpecifiedUnknown" in codes.GENDER
    assert "NonPoliceGovernmentalOrganization" in codes.DECISION_MAKING_ORG
    assert "4Sale" in codes.WEBSITES_AND_APPS
    assert all(code == code.strip() for code in codes.METHODS_OF_CONTROL)


def test_the_countries_are_the_249_htcds_codes_and_kosovo() -> None:
    assert len(codes.HTCDS_COUNTRIES) == len(set(codes.HTCDS_COUNTRIES)) == 249
    assert all(re.fullmatch(r"[A-Z]{2}", country) for country in codes.HTCDS_COUNTRIES)
    assert "XK" not in codes.HTCDS_COUNTRIES
    assert codes.COUNTRIES - set(codes.HTCDS_COUNTRIES) == {"XK"}
    assert {"AL", "BA", "ME", "MK", "RS", "NL"} <= codes.COUNTRIES


def test_every_identifying_body_maps_to_one_htcds_decision_org() -> None:
    assert set(codes.IDENTIFYING_BODY_TO_DECISION_ORG) == set(codes.IDENTIFYING_BODY_TYPE)
    assert set(codes.IDENTIFYING_BODY_TO_DECISION_ORG.values()) <= set(codes.DECISION_MAKING_ORG)


def test_every_service_maps_to_one_htcds_support_plan_type() -> None:
    assert set(codes.SERVICE_TO_SUPPORT_PLAN_TYPE) == set(codes.SERVICE_TYPE)
    assert set(codes.SERVICE_TO_SUPPORT_PLAN_TYPE.values()) <= set(codes.SUPPORT_PLAN_TYPE)


def test_the_extra_exploitation_code_is_not_an_htcds_code() -> None:
    assert codes.EXPLOITATION_CODES[-1] == "ext_ForcedCriminality"
    assert codes.EXPLOITATION_CODES[:-1] == codes.TYPE_OF_EXPLOITATION
    assert set(codes.LABOUR_EXPLOITATION) <= set(codes.TYPE_OF_EXPLOITATION)


@needs_catalogue
def test_the_vocabularies_are_those_of_indicators_yaml() -> None:
    catalogue = yaml.safe_load((DOMAIN / "indicators.yaml").read_text())
    htcds, extensions = catalogue["htcds_fields"], catalogue["extension_fields"]
    assert tuple(htcds["prs_Gender"]) == codes.GENDER
    assert tuple(htcds["vic_TraffickingStatus"]) == codes.TRAFFICKING_STATUS
    assert tuple(htcds["vic_TraffickingStatusDecisionMakingOrg"]) == codes.DECISION_MAKING_ORG
    assert tuple(htcds["vic_TypeOfExploitation"]) == codes.TYPE_OF_EXPLOITATION
    assert tuple(htcds["cas_Status"]) == codes.CASE_STATUS
    assert tuple(htcds["cas_ReasonForOutgoingReferral"]) == codes.REASON_FOR_REFERRAL
    assert tuple(htcds["spl_Type"]) == codes.SUPPORT_PLAN_TYPE
    assert tuple(extensions["ext_DetectingAgencyType"]) == codes.DETECTING_AGENCY_TYPE
    assert tuple(extensions["ext_IdentifyingBodyType"]) == codes.IDENTIFYING_BODY_TYPE
    assert tuple(extensions["ext_ExtraExploitationCodes"]) == codes.EXTRA_EXPLOITATION_CODES
    partners = catalogue["disaggregations"]["citizenship_scope"]["partner_countries"]
    assert set(partners) <= codes.COUNTRIES
