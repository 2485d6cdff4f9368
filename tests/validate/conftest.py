"""Records that pass every rule, for tests to break one rule at a time."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from faxflow.model import RecordType
from faxflow.schemas import empty_record

TODAY = date(2020, 6, 1)


@pytest.fixture
def cdc_record() -> dict[str, Any]:
    record = empty_record(RecordType.INFECTION_REPORT)
    record.update(
        cdc_ncov_id="2020-0417",
        patient_first_name="Ana",
        patient_last_name="Lopez",
        date_of_birth="1961-07-04",
        interviewer_telephone="5175550123",
        interviewer_email="j.doe@health.mi.gov",
        case_status="lab_confirmed",
        report_date_pui="2020-03-20",
        report_date_case="2020-03-24",
        state_of_residence="MI",
        race=["asian", "white"],
        age=58,
        age_units="yr",
        sex="female",
        first_positive_specimen_date="2020-03-15",
        hospitalized="yes",
        admission_date="2020-03-16",
        discharge_date="2020-03-30",
        died="no",
        symptom_status="symptomatic",
        onset_date="2020-03-12",
        symptom_resolution_date="2020-04-02",
        mechanical_ventilation_days=0,
    )
    return record


@pytest.fixture
def dhs_record() -> dict[str, Any]:
    record = empty_record(RecordType.BENEFIT_APPLICATION)
    record.update(
        applying_food_assistance=True,
        applying_child_care=False,
        applying_cash_assistance=False,
        living_situation="house",
        residential_state="MI",
        residential_zip="48933",
        mailing_zip="48933-1234",
        home_phone="5175550123",
        email="ana@example.org",
        total_cash_assets=1250.0,
        monthly_gross_income=0,
        applicant_full_name="Ana Lopez",
        applicant_birth_date="1961-07-04",
        applicant_sex="female",
        applicant_ssn="123456789",
        applicant_marital_status="married",
        applicant_us_citizen=True,
        household_members=[
            {
                "full_name": "Luis Lopez",
                "birth_date": "1990-01-02",
                "relationship": "son",
                "sex": "male",
                "ssn": None,
            }
        ],
        signature_date="2020-05-01",
    )
    return record
