"""The pydantic models and the JSON Schemas describe the same records."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from faxflow.model import RecordType
from faxflow.schemas import load_schema
from validate.records import BenefitApplication, HouseholdMember, InfectionReport, model_for


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    return defs[ref.rsplit("/", 1)[1]] if ref else node


def _shape(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Types, enum values, item enum and nested shape of one property, in either dialect."""
    branches = [_resolve(b, defs) for b in prop.get("anyOf", [prop])]
    types: set[str] = set()
    enum: set[Any] = set()
    items_enum: set[Any] = set()
    nested: dict[str, Any] | None = None
    patterns = {b["pattern"] for b in branches if "pattern" in b}
    formats = {b["format"] for b in branches if "format" in b}
    for branch in branches:
        declared = branch.get("type")
        types |= set(declared if isinstance(declared, list) else [declared] if declared else [])
        for value in branch.get("enum", []):
            if value is None:
                types.add("null")
            else:
                enum.add(value)
                types.add("string")
        items = _resolve(branch.get("items", {}), defs)
        items_enum |= set(items.get("enum", []))
        if "properties" in items:
            nested = _object_shape(items, defs)
    return {
        "types": types,
        "enum": enum,
        "items_enum": items_enum,
        "nested": nested,
        "patterns": patterns,
        "formats": formats,
    }


def _object_shape(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    return {
        "properties": {n: _shape(p, defs) for n, p in schema["properties"].items()},
        "required": set(schema.get("required", [])),
        "closed": schema.get("additionalProperties") is False,
    }


@pytest.mark.parametrize("record_type", list(RecordType))
def test_model_json_schema_matches_the_spec(record_type: RecordType) -> None:
    spec = load_schema(record_type)
    model_schema = model_for(record_type).model_json_schema()
    defs = model_schema.get("$defs", {})
    want, got = _object_shape(spec, {}), _object_shape(model_schema, defs)
    assert list(model_schema["properties"]) == list(spec["properties"])  # same order too
    assert got["required"] == want["required"]
    assert got["closed"] and want["closed"]
    for name in spec["properties"]:
        assert got["properties"][name] == want["properties"][name], name


def test_household_member_matches_the_spec_items() -> None:
    items = load_schema(RecordType.BENEFIT_APPLICATION)["properties"]["household_members"]["items"]
    got = _object_shape(HouseholdMember.model_json_schema(), {})
    assert got == _object_shape(items, {})


def test_models_accept_a_valid_record(cdc_record: dict[str, Any], dhs_record: dict) -> None:
    assert InfectionReport.model_validate(cdc_record).date_of_birth == "1961-07-04"
    application = BenefitApplication.model_validate(dhs_record)
    assert application.household_members[0].relationship == "son"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date_of_birth", "1961-02-30"),  # not a calendar date
        ("date_of_birth", "07/04/1961"),  # not the normal form
        ("age", 131),
        ("sex", "f"),
        ("race", ["martian"]),
        ("interviewer_telephone", "517-555-0123"),
        ("unknown_field", "x"),
    ],
)
def test_models_refuse_values_the_schema_refuses(
    cdc_record: dict[str, Any], field: str, value: Any
) -> None:
    with pytest.raises(ValidationError):
        InfectionReport.model_validate({**cdc_record, field: value})


def test_every_property_is_required(cdc_record: dict[str, Any]) -> None:
    del cdc_record["onset_date"]
    with pytest.raises(ValidationError):
        InfectionReport.model_validate(cdc_record)


def test_model_for_accepts_enum_and_text() -> None:
    assert model_for("benefit_application") is BenefitApplication
    assert model_for(RecordType.INFECTION_REPORT) is InfectionReport
    with pytest.raises(ValueError):
        model_for("parking_ticket")
