"""Validation a form pack declares in ``rules.yaml`` (:class:`faxflow.packs.PackRules`).

The same coded issues as :mod:`validate.rules`, from data instead of code: required
fields, formats (declared, or read off the schema as :func:`validate.rules.format_of`
does), ranges, enums, dates in order and not in the future, conditional requirements,
single-choice groups with one mark, and whatever else the pack's JSON Schema says
(``jsonschema``: an ``enum`` violation is ``invalid_choice``, a bound ``invalid_number``,
anything else ``invalid_value``). Never raises on bad values; messages name fields only.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping
from datetime import date
from typing import Any

import jsonschema

from faxflow.model import FieldResult, Issue
from faxflow.packs import PackRules
from validate.rules import FORMAT_CHECKS, as_date, format_of, merge_issues

_SCHEMA_CODES = {
    "enum": "invalid_choice",
    "minimum": "invalid_number",
    "maximum": "invalid_number",
    "exclusiveMinimum": "invalid_number",
    "exclusiveMaximum": "invalid_number",
}


def _blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str | list | tuple | dict) and not value)
        or (isinstance(value, str) and not value.strip())
    )


def declared_formats(rules: PackRules, schema: Mapping[str, Any]) -> dict[str, str]:
    """Field -> format kind: the rules' own, else what the schema's property implies."""
    formats: dict[str, str] = {}
    for name, prop in schema["properties"].items():
        kind = format_of(name, prop)
        if kind is not None:
            formats[name] = kind
    formats.update(rules.formats)
    return formats


def check_declared(
    rules: PackRules,
    schema: Mapping[str, Any],
    record: Mapping[str, Any],
    fields: Mapping[str, FieldResult],
    *,
    required: Collection[str] = (),
    today: date | None = None,
) -> list[Issue]:
    """Every issue a pack's rules and schema find in one record, first per (field, code)."""
    record = record if isinstance(record, Mapping) else {}
    fields = fields if isinstance(fields, Mapping) else {}
    when = today or date.today()
    found = merge_issues(
        _required(rules, record, required),
        _formats(rules, schema, record, fields, when),
        _ranges(rules, record),
        _enums(rules, schema, record, fields),
        _date_order(rules, record),
        _conditional(rules, record),
    )
    # The schema's own verdict only where the rules above said nothing about the field:
    # one finding per fault, under the rule's more precise code.
    said = {issue.field for issue in found}
    return merge_issues(found, (i for i in _schema(schema, record) if i.field not in said))


def _required(
    rules: PackRules, record: Mapping[str, Any], required: Collection[str]
) -> Iterator[Issue]:
    for name in dict.fromkeys([*rules.required, *required]):
        if _blank(record.get(name)):
            yield Issue(
                field=name, code="missing_required", message=f"{name} is required but blank"
            )


def _formats(
    rules: PackRules,
    schema: Mapping[str, Any],
    record: Mapping[str, Any],
    fields: Mapping[str, FieldResult],
    today: date,
) -> Iterator[Issue]:
    for name, kind in declared_formats(rules, schema).items():
        check, code, tail = FORMAT_CHECKS[kind]
        value = record.get(name)
        evidence = fields.get(name)
        raw = evidence.raw_text if evidence is not None else None
        if value is not None and not check(value):
            yield Issue(field=name, code=code, message=f"{name} {tail}")
        elif value is None and isinstance(raw, str) and sum(c.isalnum() for c in raw) >= 2:
            yield Issue(field=name, code=code, message=f"{name} has writing that could not be read")
        elif kind == "date" and (parsed := as_date(value)) is not None and parsed > today:
            yield Issue(
                field=name, code="date_in_future", message=f"{name} {parsed} is after today"
            )


def _ranges(rules: PackRules, record: Mapping[str, Any]) -> Iterator[Issue]:
    for name, bounds in rules.ranges.items():
        value = record.get(name)
        if value is None:
            continue
        if not isinstance(value, int | float) or isinstance(value, bool):
            yield Issue(field=name, code="invalid_value", message=f"{name} is not a number")
            continue
        low = -math.inf if bounds.min is None else bounds.min
        high = math.inf if bounds.max is None else bounds.max
        if not low <= value <= high:
            yield Issue(field=name, code="invalid_number", message=f"{name} is out of range")


def _enums(
    rules: PackRules,
    schema: Mapping[str, Any],
    record: Mapping[str, Any],
    fields: Mapping[str, FieldResult],
) -> Iterator[Issue]:
    allowed = {name: prop["enum"] for name, prop in schema["properties"].items() if "enum" in prop}
    allowed.update(rules.enums)
    for name, choices in allowed.items():
        evidence = fields.get(name)
        values = [record.get(name), evidence.value if evidence is not None else None]
        if any(isinstance(v, list | tuple | set) and len(v) > 1 for v in values):
            yield Issue(
                field=name, code="multiple_marks", message=f"{name}: more than one box is marked"
            )
            continue
        value = record.get(name)
        if value is not None and (value not in choices or isinstance(value, bool)):
            if isinstance(value, bool) and any(c is value for c in choices):
                continue
            yield Issue(
                field=name,
                code="invalid_choice",
                message=f"{name} is not one of the form's options",
            )


def _date_order(rules: PackRules, record: Mapping[str, Any]) -> Iterator[Issue]:
    for earlier, later in rules.date_order:
        first, second = as_date(record.get(earlier)), as_date(record.get(later))
        if first is not None and second is not None and first > second:
            yield Issue(field=later, code="date_order", message=f"{earlier} is after {later}")


def _conditional(rules: PackRules, record: Mapping[str, Any]) -> Iterator[Issue]:
    for condition in rules.conditional:
        value = record.get(condition.if_field)
        if value is None or value != condition.equals or type(value) is not type(condition.equals):
            continue
        for name in condition.then_required:
            if _blank(record.get(name)):
                yield Issue(
                    field=name,
                    code="missing_required",
                    message=f"{name} is required when {condition.if_field} is {condition.equals!r}",
                )


def _schema(schema: Mapping[str, Any], record: Mapping[str, Any]) -> Iterator[Issue]:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for error in validator.iter_errors(dict(record)):
        field = str(error.path[0]) if error.path else None
        code = _SCHEMA_CODES.get(str(error.validator), "invalid_value")
        yield Issue(
            field=field,
            code=code,
            message=f"{field or 'the record'} violates the schema's '{error.validator}'",
        )
