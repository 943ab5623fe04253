"""The code lists the intake service accepts: HTCDS 2.0 picklists used for monitoring, ISO
3166 country codes with Kosovo, and the `ext_` vocabularies of the domain brief.

Codes are spelled exactly as HTCDS spells them, quirks included (`Unaquainted`,
`NonSpecifiedUnknown`, `NonPoliceGovernmentalOrganization`, `4Sale`), because they are the
stored values that exports and CTDC mappings compare against; a prettier spelling would be a
second vocabulary. The lists are copied from the artefacts in `shared/domain/htcds/`
(UNMigration/HTCDS @ 3c2f653) and are not read from Excel at run time; the sheet and list of
each is named above it, and `tests/unit/services/intake/test_codes.py` compares them with the
artefacts.

Human Trafficking Case Data Standard (HTCDS) by IOM, CC BY 4.0.
"""

from __future__ import annotations

# --- HTCDS picklists ---------------------------------------------------------------------------

# prs_Gender — htcds_xlsform.xlsx, sheet `choices`, list `gender`
GENDER = (
    "Feminine",
    "Masculine",
    "TransgenderFeminine",
    "TransgenderMasculine",
    "NonConforming",
    "NonSpecifiedUnknown",
)

# vic_TraffickingStatus — htcds_xlsform.xlsx, sheet `choices`, list `traffickingstatus`
TRAFFICKING_STATUS = (
    "PossibleVictimOfTrafficking",
    "ActualVictimOfTrafficking",
    "NotAVictimOfTrafficking",
)
POSSIBLE_VICTIM, ACTUAL_VICTIM, NOT_A_VICTIM = TRAFFICKING_STATUS
# A formal decision was taken on these; a possible victim is only presumed.
DECIDED_STATUSES = (ACTUAL_VICTIM, NOT_A_VICTIM)

# vic_TraffickingStatusDecisionMakingOrg — htcds_xlsform.xlsx, sheet `choices`, list
# `traffickingstatusdecisionmakingorg` (the Excel template's header misspells the field as
# `vic_TraffickinStatusDecisionMakingOrg`, see TEMPLATE_FIELD_NAMES)
DECISION_MAKING_ORG = (
    "Police",
    "NGO",
    "CourtOrProsecution",
    "NonPoliceGovernmentalOrganization",
    "Other",
)

# vic_TypeOfExploitation — htcds_xlsform.xlsx, sheet `choices`, list `typeofexploitation`
TYPE_OF_EXPLOITATION = (
    "ForcedLabour",
    "SexualExploitation",
    "ChildLabour",
    "ForcedMarriage",
    "Servitude",
    "ForcedMilitaryByNonStateActors",
    "OrganRemoval",
    "ForcedBegging",
    "ForcedAdoption",
    "Surrogacy",
    "Other",
)
# HTCDS has no code for forced criminality, which GRETA and national statistics count apart
# (README §4.3); it is exported to HTCDS as `Other`.
EXTRA_EXPLOITATION_CODES = ("ext_ForcedCriminality",)
EXPLOITATION_CODES = TYPE_OF_EXPLOITATION + EXTRA_EXPLOITATION_CODES
# The `labour` group of indicators.yaml (disaggregations.exploitation_type): the types that
# vic_ForcedLabourIndustry describes.
LABOUR_EXPLOITATION = ("ForcedLabour", "ChildLabour", "Servitude")

# vic_TypeOfSexExploitation — htcds_xlsform.xlsx, sheet `choices`, list `typeofsexexploitation`
TYPE_OF_SEX_EXPLOITATION = (
    "Prostitution",
    "Pornography",
    "RemoteInteractiveServices",
    "PrivateSexualServices",
)

# vic_ForcedLabourIndustry (ISIC Rev.4 sections) — htcds_xlsform.xlsx, sheet `choices`, list
# `forcedlabourindustry`. The field standard calls it a single picklist, the XLSForm a
# select_multiple; a list accepts both.
FORCED_LABOUR_INDUSTRY = (
    "A_AgricultureForestryAndFishing",
    "B_MiningAndQuarrying",
    "C_Manufacturing",
    "D_ElectricityGasSteamAndAirConditioningSupply",
    "E_WaterSupplySewerageWasteManagement",
    "F_Construction",
    "G_WholesaleAndRetailTradeRepairOfMotorVehicles",
    "H_TransportationAndStorage",
    "I_AccommodationAndFoodServiceActivities",
    "J_InformationAndCommunication",
    "K_FinancialAndInsuranceActivities",
    "L_RealEstateActivities",
    "M_ProfessionalScientificAndTechnicalActivities",
    "N_AdministrativeAndSupportServiceActivities",
    "O_PublicAdministrationAndDefence",
    "P_Education",
    "Q_HumanHealthAndSocialWorkActivities",
    "R_ArtsEntertainmentAndRecreation",
    "S_OtherServiceActivities",
    "T_ActivitiesOfHouseholdsAsEmployers",
    "U_ActivitiesOfExtraterritorialOrganizations",
)

# vic_MethodsOfControl — htcds_xlsform.xlsx, sheet `choices`, list `methodsofcontrol`, except
# that the XLSForm spells `DebtBondage ` with a trailing space; the field standard (and the
# compiled XForm) spell `DebtBondage`, which is the code here (see XLSFORM_CHOICE_FIXES).
METHODS_OF_CONTROL = (
    "PhysicalThreats",
    "ThreatsLawEnforcement",
    "ThreatensChildrenFamily",
    "DebtBondage",
    "FalsePromises",
    "PhysicalAbuse",
    "SexualAbuse",
    "TakesEarnings",
    "RestrictsFinancialAccess",
    "RestrictsMedicalCare",
    "WithholdsNecessities",
    "PsychologicalAbuse",
    "PsychoactiveSubstance",
    "ExcessiveWorkingHours",
    "WithholdsDocuments",
    "Other",
)

# vic_MethodOfRecruitment — htcds_xlsform.xlsx, sheet `choices`, list `methodofrecruitment`
METHOD_OF_RECRUITMENT = (
    "AtAPlaceOfBusiness",
    "AtAnEducationalInstitution",
    "AtWork",
    "ThroughOnlineSocialNetworks",
    "ThroughAnOnlineAdvertisement",
    "ThroughATelevisionAdvert",
    "ThroughANewspaperAdvert",
    "ThroughFamilyOrFamilyEvents",
    "ThroughFriendsOrSocialEvents",
    "Other",
)

# vic_RecruitmentWebsitesAndApps and vic_ExploitationWebsitesAndApps — HTCDS Field Standards
# 2.0.ods, sheet `Field_Standards`, column `Value Names` (not in the XLSForm or the template)
WEBSITES_AND_APPS = (
    "Facebook",
    "Instagram",
    "WhatsApp",
    "Telegram",
    "FacebookMessenger",
    "Viber",
    "SnapChat",
    "Line",
    "4Sale",
    "WeChat",
    "QQ",
    "QZone",
    "TikTok",
    "Twitter",
    "Other",
)

# vic_RelationshipToTrafficker — HTCDS Field Standards 2.0.ods, sheet `Field_Standards`.
# `Unaquainted` (sic) is the standard's code and is kept as it is (README §4.1).
RELATIONSHIP_TO_TRAFFICKER = ("Familial", "Acquainted", "Unaquainted")

# cas_Status — htcds_xlsform.xlsx, sheet `choices`, list `status`
CASE_STATUS = ("Active", "FollowUp", "Closed", "ClosedReferred")
OPEN_CASE_STATUS = ("Active", "FollowUp")
CLOSED_CASE_STATUS = ("Closed", "ClosedReferred")

# cas_ReasonForIncomingReferral and cas_ReasonForOutgoingReferral — HTCDS Field Standards
# 2.0.ods, sheet `Field_Standards` (the XLSForm asks the incoming reason as free text)
REASON_FOR_REFERRAL = ("AdditionalServicesRequired", "MigrationOrChangeOfLocation", "Other")

# spl_Type — HTCDS Field Standards 2.0.ods, sheet `Field_Standards`
SUPPORT_PLAN_TYPE = (
    "Education",
    "Financial",
    "Health",
    "LabourExploitationRehabilitation",
    "Legal",
    "Livelihood",
    "RightsBasedTraining",
    "SexualExploitationRehabilitation",
    "SocialCare",
)

# org_Type — HTCDS Field Standards 2.0.ods, sheet `Field_Standards`
ORGANISATION_TYPE = (
    "NGO",
    "LawEnforcement",
    "HealthServiceOrganisation",
    "CentralGovernmentOrganisation",
    "LocalGovernmentOrganisation",
    "ImmigrationService",
    "LegalService",
    "CorporateBusiness",
    "SchoolOrCollege",
)

# --- Countries ---------------------------------------------------------------------------------

# ISO 3166-1 alpha-2 — htcds_xlsform.xlsx, sheet `choices`, list `citizenship` (249 codes, in
# the list's order, by English name; the Excel template's `validation` sheet has the same).
# fmt: off
HTCDS_COUNTRIES = (
    "AF", "AX", "AL", "DZ", "AS", "AD", "AO", "AI", "AQ", "AG", "AR", "AM", "AW", "AU", "AT",
    "AZ", "BS", "BH", "BD", "BB", "BY", "BE", "BZ", "BJ", "BM", "BT", "BO", "BQ", "BA", "BW",
    "BV", "BR", "IO", "BN", "BG", "BF", "BI", "CV", "KH", "CM", "CA", "KY", "CF", "TD", "CL",
    "CN", "CX", "CC", "CO", "KM", "CG", "CD", "CK", "CR", "CI", "HR", "CU", "CW", "CY", "CZ",
    "DK", "DJ", "DM", "DO", "EC", "EG", "SV", "GQ", "ER", "EE", "SZ", "ET", "FK", "FO", "FJ",
    "FI", "FR", "GF", "PF", "TF", "GA", "GM", "GE", "DE", "GH", "GI", "GR", "GL", "GD", "GP",
    "GU", "GT", "GG", "GN", "GW", "GY", "HT", "HM", "VA", "HN", "HK", "HU", "IS", "IN", "ID",
    "IR", "IQ", "IE", "IM", "IL", "IT", "JM", "JP", "JE", "JO", "KZ", "KE", "KI", "KP", "KR",
    "KW", "KG", "LA", "LV", "LB", "LS", "LR", "LY", "LI", "LT", "LU", "MO", "MG", "MW", "MY",
    "MV", "ML", "MT", "MH", "MQ", "MR", "MU", "YT", "MX", "FM", "MD", "MC", "MN", "ME", "MS",
    "MA", "MZ", "MM", "NA", "NR", "NP", "NL", "NC", "NZ", "NI", "NE", "NG", "NU", "NF", "MK",
    "MP", "NO", "OM", "PK", "PW", "PS", "PA", "PG", "PY", "PE", "PH", "PN", "PL", "PT", "PR",
    "QA", "RE", "RO", "RU", "RW", "BL", "SH", "KN", "LC", "MF", "PM", "VC", "WS", "SM", "ST",
    "SA", "SN", "RS", "SC", "SL", "SG", "SX", "SK", "SI", "SB", "SO", "ZA", "GS", "SS", "ES",
    "LK", "SD", "SR", "SJ", "SE", "CH", "SY", "TW", "TJ", "TZ", "TH", "TL", "TG", "TK", "TO",
    "TT", "TN", "TR", "TM", "TC", "TV", "UG", "UA", "AE", "GB", "UM", "US", "UY", "UZ", "VU",
    "VE", "VN", "VG", "VI", "WF", "EH", "YE", "ZM", "ZW",
)
# fmt: on
# Kosovo is not in ISO 3166 or the HTCDS list, but victims hold its citizenship and are
# exploited there (README §3); XK is the user-assigned code everyone uses for it.
KOSOVO = "XK"
COUNTRIES = frozenset(HTCDS_COUNTRIES) | {KOSOVO}

# --- Extensions (README §4.3 and the `events:` block of indicators.yaml; proposals, not HTCDS) -

# ext_DetectingAgencyType — who first detected the presumed victim
DETECTING_AGENCY_TYPE = (
    "Police",
    "BorderPolice",
    "LabourInspectorate",
    "SocialWelfareCentre",
    "HealthService",
    "School",
    "NGO",
    "Helpline",
    "MigrationAuthority",
    "Prosecution",
    "ForeignAuthority",
    "SelfReferral",
    "Other",
)

# ext_IdentifyingBodyType — who took the formal decision on the trafficking status
IDENTIFYING_BODY_TYPE = (
    "Police",
    "Prosecution",
    "Court",
    "IdentificationOffice",
    "SocialWelfareCentre",
    "MultiAgencyTeam",
    "NGO",
    "Other",
)
# The fixed mapping to HTCDS vic_TraffickingStatusDecisionMakingOrg (README §4.3). A
# multi-agency team mixes police, state and CSO members, so no single HTCDS code fits it.
IDENTIFYING_BODY_TO_DECISION_ORG = {
    "Police": "Police",
    "Prosecution": "CourtOrProsecution",
    "Court": "CourtOrProsecution",
    "IdentificationOffice": "NonPoliceGovernmentalOrganization",
    "SocialWelfareCentre": "NonPoliceGovernmentalOrganization",
    "MultiAgencyTeam": "Other",
    "NGO": "NGO",
    "Other": "Other",
}

# ReferralMade
REFERRAL_SCOPE = ("Domestic", "Transnational")
REFERRAL_DIRECTION = ("Incoming", "Outgoing")

# ServiceDelivered.service_type (ext_ServiceType)
SERVICE_TYPE = (
    "Accommodation",
    "Medical",
    "Psychological",
    "LegalCounselling",
    "LegalRepresentation",
    "Interpretation",
    "MaterialAssistance",
    "Education",
    "VocationalTraining",
    "EmploymentSupport",
    "FamilySupport",
    "Other",
)
# Each service counts under one HTCDS spl_Type when exported (README §4.3). spl_Type has no
# `Other`, so unclassified services go to the broadest plan, SocialCare.
SERVICE_TO_SUPPORT_PLAN_TYPE = {
    "Accommodation": "SocialCare",
    "Medical": "Health",
    "Psychological": "Health",
    "LegalCounselling": "Legal",
    "LegalRepresentation": "Legal",
    "Interpretation": "SocialCare",
    "MaterialAssistance": "Financial",
    "Education": "Education",
    "VocationalTraining": "Livelihood",
    "EmploymentSupport": "Livelihood",
    "FamilySupport": "SocialCare",
    "Other": "SocialCare",
}

# ReflectionPeriodDecided, ResidencePermitDecided
REFLECTION_DECISION = ("Granted", "Refused", "NotRequested")
PERMIT_DECISION = ("Granted", "Refused")
PERMIT_BASIS = ("Cooperation", "PersonalSituation", "Other")

# VictimTestified.protective_measures; `None` says that no measure was applied
PROTECTIVE_MEASURES = (
    "NoConfrontation",
    "VideoLink",
    "ClosedHearing",
    "PreRecordedStatement",
    "WitnessAnonymity",
    "None",
)
NO_PROTECTIVE_MEASURE = "None"

# CompensationClaimFiled, CompensationDecided, CompensationPaid
COMPENSATION_FORUM = ("CriminalAdhesion", "Civil", "Labour", "StateScheme")
COMPENSATION_OUTCOME = ("Awarded", "Rejected", "ReferredToCivil", "Settled")
# Outcomes that oblige someone to pay the victim.
PAYABLE_OUTCOMES = ("Awarded", "Settled")
PAYER = ("Perpetrator", "StateFund", "Other")

# VictimPenalised, NonPunishmentApplied
OFFENCE_DOMAIN = ("Criminal", "Misdemeanour", "Immigration")
PENALTY_MEASURE = ("Charged", "Fined", "Convicted", "Detained", "Expelled")
NON_PUNISHMENT_STAGE = ("NotInitiated", "Discontinued", "Acquitted", "PenaltyWaived")

# ReturnCompleted, ReintegrationOutcomeRecorded
RETURN_DIRECTION = ("OutOfDeploymentCountry", "IntoDeploymentCountry")
REINTEGRATION_OUTCOME = ("Employment", "Education", "StableIncome", "StableHousing", "None")

# CaseCorrected.reason: a code, not free text, so a correction cannot carry an identifier.
CORRECTION_REASON = ("DataEntryError", "NewInformation", "SourceDocumentCorrected", "Other")

# PersonsLinked.basis: how two pseudonymous persons were found to be the same victim
# (ARCHITECTURE.md §5: a keyed hash of normalised identifying attributes, or a person's check).
LINK_BASIS = ("KeyedHashMatch", "CaseWorkerConfirmed")

# --- Spellings of the HTCDS artefacts that import code must map (README §4.5) ------------------

# Excel template (`HTCDS Excel Spreadsheet v2.0.xlsx`, header row) -> field standard name
TEMPLATE_FIELD_NAMES = {
    "vic_TraffickinStatusDecisionMakingOrg": "vic_TraffickingStatusDecisionMakingOrg",
}
# XLSForm (`htcds_xlsform.xlsx`, sheet `survey`, column `name`) -> field standard name
XLSFORM_FIELD_NAMES = {
    "prs_First_Name": "prs_FirstName",
    "prs_Second_Name": "prs_SecondName",
    "vic_Methods_of_Control": "vic_MethodsOfControl",
}
# XLSForm choice names (sheet `choices`, column `name`) -> code
XLSFORM_CHOICE_FIXES = {"DebtBondage ": "DebtBondage"}
