"""The record schemas: faxflow's own copy of the contract in ``../shared/spec/``.

A test checks that these files are identical to the shared spec when it is present.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from faxflow.model import RecordType

SCHEMA_FILES: dict[RecordType, str] = {
    RecordType.INFECTION_REPORT: "infection_report.schema.json",
    RecordType.BENEFIT_APPLICATION: "benefit_application.schema.json",
}


@cache
def load_schema(record_type: RecordType) -> dict[str, Any]:
    """The JSON Schema of one record type."""
    text = resources.files(__package__).joinpath(SCHEMA_FILES[record_type]).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def field_names(record_type: RecordType) -> list[str]:
    """Every property of the record type, in schema order."""
    return list(load_schema(record_type)["properties"])


def empty_record(record_type: RecordType) -> dict[str, Any]:
    """A record with every field blank, as the spec's normal forms say a blank form reads."""
    return blank_record(load_schema(record_type))


def blank_record(schema: dict[str, Any]) -> dict[str, Any]:
    """A record of ``schema`` (built in or a form pack's) with every field blank."""
    record: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        record[name] = [] if prop.get("type") == "array" else None
    return record


def schema_errors(record_type: RecordType, record: dict[str, Any]) -> list[str]:
    """Schema violations of a record, as 'field: message' strings (no values quoted)."""
    return violations(load_schema(record_type), record)


def violations(schema: dict[str, Any], record: dict[str, Any]) -> list[str]:
    """Violations of any JSON Schema (a form pack's too), as 'field: violates <keyword>'."""
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    out = []
    for error in sorted(validator.iter_errors(record), key=lambda e: list(e.path)):
        where = ".".join(str(p) for p in error.path) or "(record)"
        out.append(f"{where}: violates '{error.validator}'")
    return out
