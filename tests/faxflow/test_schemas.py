"""The project's copy of the record schemas is the shared contract, unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faxflow.model import RecordType
from faxflow.schemas import SCHEMA_FILES, empty_record, field_names, load_schema, schema_errors


@pytest.mark.parametrize("record_type", list(RecordType))
def test_schema_copy_matches_shared_spec(record_type: RecordType, shared_dir: Path) -> None:
    shared = json.loads((shared_dir / "spec" / SCHEMA_FILES[record_type]).read_text())
    assert load_schema(record_type) == shared


@pytest.mark.parametrize("record_type", list(RecordType))
def test_empty_record_is_valid_and_complete(record_type: RecordType) -> None:
    record = empty_record(record_type)
    assert list(record) == field_names(record_type)
    assert schema_errors(record_type, record) == []
    assert set(load_schema(record_type)["required"]) <= set(record)


def test_empty_benefit_application_has_empty_household() -> None:
    record = empty_record(RecordType.BENEFIT_APPLICATION)
    assert record["household_members"] == []
    assert record["applicant_ssn"] is None


def test_schema_errors_name_the_field_without_quoting_the_value() -> None:
    record = empty_record(RecordType.BENEFIT_APPLICATION)
    record["applicant_ssn"] = "12-34"
    errors = schema_errors(RecordType.BENEFIT_APPLICATION, record)
    assert errors == ["applicant_ssn: violates 'pattern'"]
    assert "12-34" not in errors[0]
