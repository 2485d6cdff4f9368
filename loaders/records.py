"""How record fields map to database columns: types from the JSON schemas, field paths,
sensitive fields, and coercion of extracted values into column values.

The typed tables (``infection_reports``, ``benefit_applications``, ``household_members``)
have one column per schema property. A value that does not fit its column (an unparseable
date, an option outside the enum) is stored as NULL there; the value as extracted stays in
the ``fields`` table and its validation issue in ``validation_issues``, so nothing is lost.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeEngine

from faxflow.model import RecordType
from faxflow.schemas import load_schema

HOUSEHOLD_MEMBERS = "household_members"
_PATH_RE = re.compile(r"^(?P<list>[a-z_]+)\[(?P<index>\d+)\]\.(?P<prop>[a-z_]+)$")
_DOTTED_RE = re.compile(r"^(?P<list>[a-z_]+)\.(?P<index>\d+)\.(?P<prop>[a-z_]+)$")


def record_properties(record_type: RecordType) -> dict[str, dict[str, Any]]:
    """Every property of a record type's schema, in schema order."""
    properties: dict[str, dict[str, Any]] = load_schema(record_type)["properties"]
    return properties


def member_properties() -> dict[str, dict[str, Any]]:
    """The properties of one household member (items of ``household_members``)."""
    items: dict[str, dict[str, Any]] = record_properties(RecordType.BENEFIT_APPLICATION)[
        HOUSEHOLD_MEMBERS
    ]["items"]["properties"]
    return items


def is_sensitive(name: str) -> bool:
    """True for fields stored encrypted (SSNs): ``applicant_ssn``, ``household_members[0].ssn``,
    and extras such as ``applicant_ssn#2``."""
    last = name.split("#", 1)[0].rsplit(".", 1)[-1]
    return last == "ssn" or last.endswith("_ssn")


@dataclass(frozen=True, slots=True)
class FieldPath:
    """A field name parsed: a top-level property, or a property of one list item."""

    prop: str
    index: int | None = None
    list_name: str | None = None

    @property
    def name(self) -> str:
        if self.list_name is None:
            return self.prop
        return f"{self.list_name}[{self.index}].{self.prop}"


def parse_field_path(name: str) -> FieldPath:
    """``applicant_ssn`` or ``household_members[0].ssn`` (also ``household_members.0.ssn``)."""
    match = _PATH_RE.match(name) or _DOTTED_RE.match(name)
    if match:
        return FieldPath(match["prop"], int(match["index"]), match["list"])
    return FieldPath(name)


def _non_null_types(prop: dict[str, Any]) -> set[str]:
    declared = prop.get("type", [])
    types = {declared} if isinstance(declared, str) else set(declared)
    return types - {"null"}


def column_type(prop: dict[str, Any], *, sensitive: bool = False) -> TypeEngine[Any]:
    """The SQL type of one schema property."""
    if sensitive:
        return sa.Text()  # a Fernet token
    if "enum" in prop:
        values = [v for v in prop["enum"] if v is not None]
        if all(isinstance(v, str) for v in values):
            return sa.String(max(len(v) for v in values))
    types = _non_null_types(prop)
    if "array" in types:
        return sa.JSON(none_as_null=True)
    if prop.get("format") == "date":
        return sa.Date()
    if types == {"integer"}:
        return sa.Integer()
    if types == {"number"}:
        return sa.Numeric(14, 2, asdecimal=False)
    if types == {"boolean"}:
        return sa.Boolean()
    return sa.Text()


INTEGER_LIMIT = 2**31 - 1  # PostgreSQL integer
NUMBER_LIMIT = 10**12  # Numeric(14, 2)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def clean_text(value: str) -> str:
    """Text a database accepts: NUL characters (PostgreSQL refuses them) removed."""
    return value.replace("\x00", "")


def coerce(prop: dict[str, Any], value: Any) -> Any:
    """A value fit for the property's column, or None when it does not fit."""
    if value is None:
        return None
    if "enum" in prop:
        return value if isinstance(value, str | bool) and value in prop["enum"] else None
    types = _non_null_types(prop)
    if "array" in types:
        allowed = (prop.get("items") or {}).get("enum")
        if not isinstance(value, list):
            return None
        items = sorted({v for v in value if isinstance(v, str) and (not allowed or v in allowed)})
        return items or None
    if prop.get("format") == "date":
        return _as_date(value)
    if types == {"integer"}:
        return _as_int(value)
    if types == {"number"}:
        return _as_number(value)
    if types == {"boolean"}:
        return value if isinstance(value, bool) else None
    return clean_text(value if isinstance(value, str) else str(value))


def _as_int(value: Any) -> int | None:
    number: int | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    return number if number is not None and abs(number) <= INTEGER_LIMIT else None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = (
            float(value)
            if isinstance(value, int | float)
            else float(str(value).replace(",", "").replace("$", "").strip())
        )
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and abs(number) < NUMBER_LIMIT else None


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def to_json_value(value: Any) -> Any:
    """A column value back in the JSON form of the contract (dates as ISO strings)."""
    if isinstance(value, date):
        return value.isoformat()
    return value
