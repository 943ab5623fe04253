"""The labels the HTCDS artefacts show for each picklist code: what a person picking from a
drop-down or typing into the template writes instead of the code.

Copied from `HTCDS Field Standards 2.0.ods` (sheet `Field_Standards`, column `Value Labels`);
the Excel template's `validation` sheet and the XLSForm's `choices` label the same codes with
the same words, differing only in case and spacing (`Follow up`, `Debt bondage ` with a
trailing space, `Feminine` with a no-break space), which `values.squash` ignores. Codes whose
label is the code in words (`LabourInspectorate`, "Labour inspectorate") need no entry.

Human Trafficking Case Data Standard (HTCDS) by IOM, CC BY 4.0.
"""

from __future__ import annotations

GENDER = {
    "TransgenderFeminine": "Transgender Feminine",
    "TransgenderMasculine": "Transgender Masculine",
    "NonConforming": "Non-Conforming",
    "NonSpecifiedUnknown": "Not Specified/Unknown",
}

TRAFFICKING_STATUS = {
    "PossibleVictimOfTrafficking": "Possible victim of trafficking",
    "ActualVictimOfTrafficking": "Actual victim of trafficking",
    "NotAVictimOfTrafficking": "Not a victim of trafficking",
}

DECISION_MAKING_ORG = {
    "CourtOrProsecution": "Court or prosecution",
    "NonPoliceGovernmentalOrganization": "Non-police governmental organization",
}

METHOD_OF_RECRUITMENT = {
    "AtAPlaceOfBusiness": "At a place of business",
    "AtAnEducationalInstitution": "At an educational institution",
    "AtWork": "At work",
    "ThroughOnlineSocialNetworks": "Through online social networks",
    "ThroughAnOnlineAdvertisement": "Through an online advertisement",
    "ThroughATelevisionAdvert": "Through a television advert",
    "ThroughANewspaperAdvert": "Through a newspaper advert",
    "ThroughFamilyOrFamilyEvents": "Through family or family events",
    "ThroughFriendsOrSocialEvents": "Through friends or social events",
}

METHODS_OF_CONTROL = {
    "PhysicalThreats": "Physical threats",
    "ThreatsLawEnforcement": "Threats of law enforcement",
    "ThreatensChildrenFamily": "Threatens children/family",
    "DebtBondage": "Debt bondage",
    "FalsePromises": "False promises",
    "PhysicalAbuse": "Physical abuse",
    "SexualAbuse": "Sexual abuse",
    "TakesEarnings": "Takes earnings",
    "RestrictsFinancialAccess": "Restricts financial access",
    "RestrictsMedicalCare": "Restricts medical care",
    "WithholdsNecessities": "Withholds necessities",
    "PsychologicalAbuse": "Psychological abuse",
    "PsychoactiveSubstance": "Psychoactive substance",
    "ExcessiveWorkingHours": "Excessive working hours",
    "WithholdsDocuments": "Withholds documents",
}

TYPE_OF_EXPLOITATION = {
    "ForcedLabour": "Forced labour",
    "SexualExploitation": "Sexual exploitation",
    "ChildLabour": "Child labour",
    "ForcedMarriage": "Forced marriage",
    "ForcedMilitaryByNonStateActors": "Forced military (by non-state actors)",
    "OrganRemoval": "Organ removal",
    "ForcedBegging": "Forced begging",
    "ForcedAdoption": "Forced adoption",
    "ext_ForcedCriminality": "Forced criminality",
}

# ISIC Rev.4 section titles; four of them hold a semicolon, which is also the template's
# multi-select separator (see values.split_cell).
FORCED_LABOUR_INDUSTRY = {
    "A_AgricultureForestryAndFishing": "Agriculture, forestry and fishing",
    "B_MiningAndQuarrying": "Mining and quarrying",
    "C_Manufacturing": "Manufacturing",
    "D_ElectricityGasSteamAndAirConditioningSupply": (
        "Electricity, gas, steam and air conditioning supply"
    ),
    "E_WaterSupplySewerageWasteManagement": (
        "Water supply; sewerage, waste management and remediation"
    ),
    "F_Construction": "Construction",
    "G_WholesaleAndRetailTradeRepairOfMotorVehicles": (
        "Wholesale and retail trade; repair of motor vehicles and motorcycles"
    ),
    "H_TransportationAndStorage": "Transportation and storage",
    "I_AccommodationAndFoodServiceActivities": "Accommodation and food service activities",
    "J_InformationAndCommunication": "Information and communication",
    "K_FinancialAndInsuranceActivities": "Financial and insurance activities",
    "L_RealEstateActivities": "Real estate activities",
    "M_ProfessionalScientificAndTechnicalActivities": (
        "Professional, scientific and technical activities"
    ),
    "N_AdministrativeAndSupportServiceActivities": "Administrative and support service activities",
    "O_PublicAdministrationAndDefence": (
        "Public administration and defence; compulsory social security"
    ),
    "P_Education": "Education",
    "Q_HumanHealthAndSocialWorkActivities": "Human health and social work activities",
    "R_ArtsEntertainmentAndRecreation": "Arts, entertainment and recreation",
    "S_OtherServiceActivities": "Other service activities",
    "T_ActivitiesOfHouseholdsAsEmployers": (
        "Activities of households as employers; undifferentiated goods- and services- "
        "producing activities of households for own use"
    ),
    "U_ActivitiesOfExtraterritorialOrganizations": (
        "Activities of extraterritorial organizations and bodies"
    ),
}

TYPE_OF_SEX_EXPLOITATION = {
    "RemoteInteractiveServices": "Remote Interactive Services",
    "PrivateSexualServices": "Private Sexual Services",
}

WEBSITES_AND_APPS = {"FacebookMessenger": "Facebook Messenger"}

CASE_STATUS = {"FollowUp": "Follow Up", "ClosedReferred": "Closed Referred"}

REASON_FOR_REFERRAL = {
    "AdditionalServicesRequired": "Additional Services Required",
    "MigrationOrChangeOfLocation": "Migration or Change of Location",
}

ORGANISATION_TYPE = {
    "LawEnforcement": "Law Enforcement",
    "HealthServiceOrganisation": "Health Service Organisation",
    "CentralGovernmentOrganisation": "Central Government Organisation",
    "LocalGovernmentOrganisation": "Local Government Organisation",
    "ImmigrationService": "Immigration Service",
    "LegalService": "Legal Service",
    "CorporateBusiness": "Corporate Business",
    "SchoolOrCollege": "School or College",
}

# con_Consent: the XLSForm's `consent` choices are TRUE/FALSE, labelled Yes/No.
YES = ("true", "yes", "y", "1")
NO = ("false", "no", "n", "0")
