"""Typed records: one pydantic model per record type, mirroring the JSON Schemas.

The schemas in ``faxflow/schemas/`` are the contract; these models are their Python face.
``tests/validate/test_records.py`` compares each model's JSON Schema with the spec's
(property names, types, nullability, enums, required), so the two cannot drift apart.

Every property is required (the spec writes every key, ``null`` when blank), and extra keys
are refused, as ``additionalProperties: false`` says.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from faxflow.model import RecordType

__all__ = [
    "BenefitApplication",
    "HouseholdMember",
    "InfectionReport",
    "IsoDate",
    "model_for",
]


def _real_calendar_date(value: str) -> str:
    date.fromisoformat(value)  # raises ValueError for 2020-02-30; pydantic reports it
    return value


IsoDate = Annotated[
    str,
    Field(pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"}),
    AfterValidator(_real_calendar_date),
]
"""A calendar date in the spec's normal form ``YYYY-MM-DD``, kept as text as stored."""

Phone = Annotated[str, Field(pattern=r"^\d{10}$")]
Ssn = Annotated[str, Field(pattern=r"^\d{9}$")]
Zip = Annotated[str, Field(pattern=r"^\d{5}(-\d{4})?$")]
StateCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
Money = Annotated[float, Field(ge=0)]

YesNoUnknown = Literal["yes", "no", "unknown"]
RaceValue = Literal[
    "asian",
    "black",
    "white",
    "american_indian_alaska_native",
    "native_hawaiian_pacific_islander",
    "unknown",
    "other",
]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InfectionReport(_Record):
    """CDC 2019-nCoV PUI and Case Report Form (``cdc_pui_2020``)."""

    cdc_ncov_id: str | None
    patient_first_name: str | None
    patient_last_name: str | None
    date_of_birth: IsoDate | None
    reporting_jurisdiction: str | None
    reporting_health_department: str | None
    contact_id: str | None
    case_state_local_id: str | None
    nndss_case_id: str | None
    interviewer_last_name: str | None
    interviewer_first_name: str | None
    interviewer_affiliation: str | None
    interviewer_telephone: Phone | None
    interviewer_email: str | None
    case_status: Literal["pui", "lab_confirmed"] | None
    report_date_pui: IsoDate | None
    report_date_case: IsoDate | None
    county_of_residence: str | None
    state_of_residence: StateCode | None
    race: list[RaceValue] | None
    race_other_specify: str | None
    age: Annotated[int, Field(ge=0, le=130)] | None
    age_units: Literal["yr", "mo", "day"] | None
    ethnicity: Literal["hispanic_latino", "non_hispanic_latino", "not_specified"] | None
    sex: Literal["male", "female", "unknown", "other"] | None
    first_positive_specimen_date: IsoDate | None
    pneumonia: YesNoUnknown | None
    ards: YesNoUnknown | None
    other_diagnosis: YesNoUnknown | None
    abnormal_chest_xray: YesNoUnknown | None
    hospitalized: YesNoUnknown | None
    admission_date: IsoDate | None
    discharge_date: IsoDate | None
    icu: YesNoUnknown | None
    mechanical_ventilation: YesNoUnknown | None
    mechanical_ventilation_days: Annotated[int, Field(ge=0)] | None
    ecmo: YesNoUnknown | None
    died: YesNoUnknown | None
    date_of_death: IsoDate | None
    symptom_status: Literal["symptomatic", "asymptomatic", "unknown"] | None
    onset_date: IsoDate | None
    symptom_resolution_date: IsoDate | None
    healthcare_worker: YesNoUnknown | None
    healthcare_facility_china: YesNoUnknown | None
    symptom_fever: YesNoUnknown | None
    symptom_subjective_fever: YesNoUnknown | None
    symptom_chills: YesNoUnknown | None
    symptom_myalgia: YesNoUnknown | None
    symptom_rhinorrhea: YesNoUnknown | None
    symptom_sore_throat: YesNoUnknown | None
    symptom_cough: YesNoUnknown | None
    symptom_shortness_of_breath: YesNoUnknown | None
    symptom_nausea_vomiting: YesNoUnknown | None
    symptom_headache: YesNoUnknown | None
    symptom_abdominal_pain: YesNoUnknown | None
    symptom_diarrhea: YesNoUnknown | None
    condition_chronic_lung_disease: YesNoUnknown | None
    condition_diabetes: YesNoUnknown | None
    condition_cardiovascular_disease: YesNoUnknown | None
    condition_chronic_renal_disease: YesNoUnknown | None
    condition_chronic_liver_disease: YesNoUnknown | None
    condition_immunocompromised: YesNoUnknown | None
    condition_neurologic: YesNoUnknown | None
    condition_other_chronic_disease: YesNoUnknown | None
    condition_pregnant: YesNoUnknown | None
    condition_current_smoker: YesNoUnknown | None
    condition_former_smoker: YesNoUnknown | None


class HouseholdMember(_Record):
    """One 'Answer for person 2..6' block of the DHS-1171."""

    full_name: str | None
    birth_date: IsoDate | None = None
    relationship: str | None = None
    sex: Literal["male", "female"] | None = None
    ssn: Ssn | None = None


class BenefitApplication(_Record):
    """MDHHS DHS-1171 Assistance Application (``mdhhs_dhs1171``)."""

    applying_food_assistance: bool | None
    applying_child_care: bool | None
    applying_cash_assistance: bool | None
    living_situation: Literal["house", "homeless", "other"] | None
    residential_street: str | None
    residential_city: str | None
    residential_state: StateCode | None
    residential_zip: Zip | None
    residential_county: str | None
    mailing_street: str | None
    mailing_city: str | None
    mailing_state: StateCode | None
    mailing_zip: Zip | None
    mailing_county: str | None
    home_phone: Phone | None
    cell_phone: Phone | None
    work_phone: Phone | None
    email: str | None
    total_cash_assets: Money | None
    monthly_gross_income: Money | None
    applicant_full_name: str | None
    applicant_birth_date: IsoDate | None
    applicant_sex: Literal["male", "female"] | None
    applicant_ssn: Ssn | None
    applicant_marital_status: (
        Literal["married", "never_married", "divorced", "widowed", "separated"] | None
    )
    applicant_us_citizen: bool | None
    household_members: list[HouseholdMember]
    signature_date: IsoDate | None


_MODELS: dict[RecordType, type[InfectionReport] | type[BenefitApplication]] = {
    RecordType.INFECTION_REPORT: InfectionReport,
    RecordType.BENEFIT_APPLICATION: BenefitApplication,
}


def model_for(record_type: RecordType | str) -> type[InfectionReport] | type[BenefitApplication]:
    """The pydantic model of one record type (``infection_report`` / ``benefit_application``)."""
    return _MODELS[RecordType(record_type)]
