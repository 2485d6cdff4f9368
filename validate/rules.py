"""Validation rules: small named functions that return coded issues and never raise.

A wrong value that flows silently into the database is worse than a blank, so every rule
that can catch one does; a rule never drops or changes a value, it only reports.  Messages
name fields and may quote dates, never names, SSNs, IDs or diagnoses.

Issue codes (stable: they are stored, filtered on in the dashboard and counted in reports)

=============================  ========  ===================================================
code                           blocks?   meaning
=============================  ========  ===================================================
``invalid_date``               yes       not a real ``YYYY-MM-DD`` date (or before 1900), or
                                         written text that could not be read as a date
``invalid_phone``              yes       not 10 digits
``invalid_ssn``                yes       not 9 digits, or an SSN the SSA never issues
                                         (area 000/666/9xx, group 00, serial 0000)
``invalid_zip``                yes       not ``12345`` / ``12345-6789`` (or ``00000``)
``invalid_state``              yes       not a two-letter USPS state/territory code
``invalid_email``              yes       not a lower-case ``name@domain.tld``
``invalid_money``              yes       not a finite dollar amount in [0, 10 000 000)
``invalid_jp_postal``          yes       not a Japanese postal code ``123-4567``
``invalid_jp_phone``           yes       not 10 or 11 digits starting with 0
``invalid_katakana``           yes       not full-width katakana (words one space apart)
``invalid_prefecture``         yes       not the official name of one of the 47 prefectures
``invalid_bank_account``       yes       not 7 digits
``invalid_my_number``          yes       not 12 digits, or a wrong check digit
``invalid_number``             yes       an integer field out of the schema's range
``invalid_choice``             yes       not one of the schema's enum values
``invalid_value``              yes       any other value of the wrong type
``date_order``                 yes       two dates in the wrong order (onset after report,
                                         admission after discharge, …)
``specimen_before_onset``      no        specimen collected before symptom onset: normal for
                                         pre-symptomatic cases, so advisory up to
                                         :data:`PRESYMPTOMATIC_DAYS`; beyond that it is
                                         ``date_order``
``specimen_after_pui_report``  no        specimen collected after the PUI report: a PUI is
                                         often reported before testing, so advisory only
``date_in_future``             yes       a date after today
``birth_after_event``          yes       birth date after another date of the same record
``death_without_died_yes``     yes       date of death given but "died" is not "yes"
``age_mismatch``               yes       age (with its units) differs from birth date and
                                         report date by more than one unit
``field_disagreement``         yes       the form's two copies of a value disagree (CDC:
                                         ``date_of_birth`` / ``cdc_ncov_id`` printed twice)
``multiple_marks``             yes       two or more boxes marked in a single-choice group
``truncated``                  yes       the writing runs on past what its zone could take
                                         in (into a printed label or wall, another field's
                                         writing, off the page's edge): the value read lacks
                                         its end (added by the engine, ``extract/read.py``)
``ambiguous_mark``             yes       a single-choice group carries ink but no box stands
                                         out (a near-tie, a mark beside faint ink); added
                                         by the extraction stage, value left blank
``missing_required``           yes       a required field is blank
``household_member_incomplete`` yes      a household member block is partly filled (see
                                         :func:`rule_household_members_complete`)
``possible_duplicate``         yes       same person and event as an earlier document
                                         (added by :func:`validate.validate_extraction`)
``duplicate_check_failed``     yes       the duplicate look-up could not run
``unreadable_document``        yes       no page matched a known form (document rejected)
``unknown_form``               yes       a page matched, but the form type is undecided
``low_confidence``             yes       a field's confidence is below its threshold
                                         (added by :func:`validate.validate_extraction`)
=============================  ========  ===================================================

Codes not in :data:`ADVISORY_CODES` block auto-acceptance, including codes other stages add
that this module does not know: unknown means "a person should look".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import date
from functools import cache
from typing import Any

from faxflow.model import RECORD_TYPE_BY_FORM, FieldResult, FormType, Issue, RecordType
from faxflow.schemas import load_schema

ADVISORY_CODES = frozenset({"specimen_before_onset", "specimen_after_pui_report"})
"""Codes that inform a reviewer but do not, on their own, send a document to review."""

PRESYMPTOMATIC_DAYS = 14
"""How long before onset a positive specimen is still plausible (incubation period)."""

EARLIEST_DATE = date(1900, 1, 1)
MAX_MONEY = 10_000_000.0
MAX_COUNT = 9_999  # a count written on a form: more is a misreading

US_STATE_CODES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "AS",
        "GU",
        "MP",
        "PR",
        "VI",
        "UM",
        "FM",
        "MH",
        "PW",
        "AA",
        "AE",
        "AP",
    ]
)


def minimum_required(form_type: str) -> tuple[str, ...]:
    """Fields without which a record identifies nobody, required whatever the template says
    so that a blank form never auto-accepts: the ``required`` of the form's ``rules.yaml``
    (``extract/templates/<form>/rules.yaml`` for a built-in form)."""
    from faxflow.packs import built_in_rules
    from faxflow.settings import DEFAULT_TEMPLATES_DIR

    rules = built_in_rules(DEFAULT_TEMPLATES_DIR, str(form_type))
    return tuple(rules.required) if rules is not None else ()


HOUSEHOLD_MEMBER_NEEDS = ("full_name", "birth_date", "sex", "relationship")
"""What a household member block must hold once anything in it is filled. The SSN is not
required: the DHS-1171 only asks for it for people applying for a programme."""

_EMAIL = re.compile(
    r"^[a-z0-9._%+'-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*\.[a-z]{2,}$"
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_ZIP = re.compile(r"^\d{5}(?:-\d{4})?$", re.ASCII)
_TEN_DIGITS = re.compile(r"^\d{10}$", re.ASCII)
_NINE_DIGITS = re.compile(r"^\d{9}$", re.ASCII)
_HOUSEHOLD = "household_members"

Rule = Callable[["RuleInput"], Iterator[Issue]]


# --------------------------------------------------------------------------------------
# Value checks shared with the normaliser property tests and the calibration scorer
# --------------------------------------------------------------------------------------


def as_date(value: Any) -> date | None:
    """The date a normal-form value stands for, or None when it is not one."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed >= EARLIEST_DATE else None


def is_phone(value: Any) -> bool:
    return isinstance(value, str) and bool(_TEN_DIGITS.match(value))


def is_ssn(value: Any) -> bool:
    if not isinstance(value, str) or not _NINE_DIGITS.match(value):
        return False
    area, group, serial = value[:3], value[3:5], value[5:]
    return area not in {"000", "666"} and area[0] != "9" and group != "00" and serial != "0000"


def is_zip(value: Any) -> bool:
    return isinstance(value, str) and bool(_ZIP.match(value)) and not value.startswith("00000")


def is_state(value: Any) -> bool:
    return isinstance(value, str) and value in US_STATE_CODES


def is_email(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 254 and bool(_EMAIL.match(value))


def is_count(value: Any) -> bool:
    """A whole number of things (people, children, months), never negative."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT


def is_money(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value < MAX_MONEY
    )


_JP_POSTAL = re.compile(r"^\d{3}-\d{4}$", re.ASCII)
_JP_PHONE = re.compile(r"^0\d{9,10}$", re.ASCII)
_SEVEN_DIGITS = re.compile(r"^\d{7}$", re.ASCII)
_KATAKANA = re.compile(r"^[\u30a1-\u30fa\u30fc\u30fb]+(?: [\u30a1-\u30fa\u30fc\u30fb]+)*$")


def is_jp_postal(value: Any) -> bool:
    return isinstance(value, str) and bool(_JP_POSTAL.match(value))


def is_jp_phone(value: Any) -> bool:
    return isinstance(value, str) and bool(_JP_PHONE.match(value))


def is_katakana(value: Any) -> bool:
    """Full-width katakana (with ー and ・), words one ASCII space apart."""
    return isinstance(value, str) and bool(_KATAKANA.match(value))


def is_prefecture(value: Any) -> bool:
    # The list is extract/rules/jp_prefectures.tsv, read where it is read for extraction.
    from extract.japanese import is_prefecture as listed

    return listed(value)


def is_bank_account(value: Any) -> bool:
    return isinstance(value, str) and bool(_SEVEN_DIGITS.match(value))


def is_my_number(value: Any) -> bool:
    from extract.japanese import is_my_number as checked

    return checked(value)


FORMAT_CHECKS: dict[str, tuple[Callable[[Any], bool], str, str]] = {
    "date": (lambda v: as_date(v) is not None, "invalid_date", "is not a date (YYYY-MM-DD)"),
    "phone": (is_phone, "invalid_phone", "is not a 10-digit phone number"),
    "ssn": (is_ssn, "invalid_ssn", "is not a valid 9-digit Social Security number"),
    "zip": (is_zip, "invalid_zip", "is not a ZIP code (12345 or 12345-6789)"),
    "state": (is_state, "invalid_state", "is not a two-letter USPS state code"),
    "email": (is_email, "invalid_email", "is not a lower-case e-mail address"),
    "money": (is_money, "invalid_money", "is not a dollar amount"),
    "integer": (is_count, "invalid_integer", "is not a whole number"),
    "jp_postal": (is_jp_postal, "invalid_jp_postal", "is not a postal code (123-4567)"),
    "jp_phone": (is_jp_phone, "invalid_jp_phone", "is not a 10- or 11-digit phone number"),
    "katakana": (is_katakana, "invalid_katakana", "is not written in full-width katakana"),
    "prefecture": (is_prefecture, "invalid_prefecture", "is not one of the 47 prefectures"),
    "bank_account": (is_bank_account, "invalid_bank_account", "is not a 7-digit account"),
    "my_number": (is_my_number, "invalid_my_number", "is not a valid 12-digit My Number"),
}
"""Format kind -> (check, issue code, message tail). Keys match template field kinds."""


# --------------------------------------------------------------------------------------
# Which fields have which format: read from the schema, so a new field needs no code
# --------------------------------------------------------------------------------------


def format_of(name: str, prop: Mapping[str, Any]) -> str | None:
    """The format kind (a key of :data:`FORMAT_CHECKS`) a schema property asks for."""
    pattern = prop.get("pattern")
    types = prop.get("type")
    if prop.get("format") in FORMAT_CHECKS:
        # a form pack's schema may say "format": "email" (or date, phone …) outright
        return str(prop["format"])
    if pattern == r"^\d{10}$":
        return "phone"
    if pattern == r"^\d{9}$":
        return "ssn"
    if pattern == r"^\d{5}(-\d{4})?$":
        return "zip"
    if pattern == r"^[A-Z]{2}$":
        return "state"
    if name.endswith("email"):
        return "email"
    if types == ["number", "null"] or types == "number":
        return "money"
    return None


@cache
def field_formats(record_type: RecordType) -> dict[str, str]:
    """Flat field name (``household_members[*].ssn`` for members) -> format kind."""
    props = load_schema(record_type)["properties"]
    formats: dict[str, str] = {}
    for name, prop in props.items():
        kind = format_of(name, prop)
        if kind:
            formats[name] = kind
        if prop.get("type") == "array" and "properties" in prop.get("items", {}):
            for sub, sub_prop in prop["items"]["properties"].items():
                sub_kind = format_of(sub, sub_prop)
                if sub_kind:
                    formats[f"{name}[*].{sub}"] = sub_kind
    return formats


def flatten_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level values as they are; household members as ``household_members[i].<prop>``
    (the names the DHS-1171 template uses)."""
    flat: dict[str, Any] = {}
    for name, value in record.items():
        if name == _HOUSEHOLD and isinstance(value, list):
            for index, member in enumerate(value):
                if isinstance(member, Mapping):
                    for sub, sub_value in member.items():
                        flat[f"{name}[{index}].{sub}"] = sub_value
            continue
        flat[name] = value
    return flat


def _is_blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str | list | tuple | dict) and not value)
        or (isinstance(value, str) and not value.strip())
    )


# --------------------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------------------


class RuleInput:
    """What every rule sees: the record, its evidence and the context (read-only)."""

    __slots__ = ("fields", "flat", "form_type", "record", "record_type", "required", "today")

    def __init__(
        self,
        *,
        form_type: FormType,
        record: Mapping[str, Any],
        fields: Mapping[str, FieldResult],
        required: Collection[str],
        today: date,
    ) -> None:
        self.form_type = form_type
        self.record_type = RECORD_TYPE_BY_FORM.get(form_type)
        self.record = record
        self.fields = fields
        self.flat = flatten_record(record)
        self.required = required
        self.today = today

    def date(self, name: str) -> date | None:
        return as_date(self.record.get(name))


def _issue(field: str | None, code: str, message: str) -> Issue:
    return Issue(field=field, code=code, message=message)


def _dated(name: str, when: date) -> str:
    """'<field> <date>' for a message; birth dates are personal data, so only the name."""
    return name if "birth" in name else f"{name} {when}"


def rule_formats(ctx: RuleInput) -> Iterator[Issue]:
    """Every value with a normal form (dates, phones, SSN, ZIP, state, e-mail, money) has it.
    A blank value whose written text held something is reported too: the normaliser could
    not read it, and a silent blank would hide that."""
    if ctx.record_type is None:
        return
    formats = field_formats(ctx.record_type)
    for name, value in ctx.flat.items():
        kind = formats.get(re.sub(r"\[\d+\]", "[*]", name))
        if kind is None:
            continue
        check, code, tail = FORMAT_CHECKS[kind]
        if value is not None and not check(value):
            yield _issue(name, code, f"{name} {tail}")
        elif value is None and _has_unread_text(ctx.fields.get(name)):
            yield _issue(name, code, f"{name} has writing that could not be read as {_A[kind]}")


_A = {
    "date": "a date",
    "phone": "a phone number",
    "ssn": "a Social Security number",
    "zip": "a ZIP code",
    "state": "a state code",
    "email": "an e-mail address",
    "money": "a dollar amount",
    "jp_postal": "a postal code",
    "jp_phone": "a phone number",
    "katakana": "katakana",
    "prefecture": "a prefecture",
    "bank_account": "an account number",
    "my_number": "a My Number",
}


def _has_unread_text(evidence: FieldResult | None) -> bool:
    raw = evidence.raw_text if evidence is not None else None
    return isinstance(raw, str) and sum(ch.isalnum() for ch in raw) >= 2


def rule_schema_values(ctx: RuleInput) -> Iterator[Issue]:
    """Values the formats above do not cover keep to the schema: enum values, integer
    ranges, booleans, strings.  Reported by field name only."""
    if ctx.record_type is None:
        return
    props = load_schema(ctx.record_type)["properties"]
    formats = field_formats(ctx.record_type)
    for name, prop in props.items():
        value = ctx.record.get(name)
        if value is None or name in formats:
            continue
        if "enum" in prop:
            if isinstance(value, list | tuple):
                continue  # several marks: rule_multiple_marks reports it
            if value not in prop["enum"] or isinstance(value, bool):
                yield _issue(name, "invalid_choice", f"{name} is not one of the form's options")
            continue
        types = prop.get("type", [])
        if "integer" in types:
            if not isinstance(value, int) or isinstance(value, bool):
                yield _issue(name, "invalid_value", f"{name} is not a whole number")
            elif value < prop.get("minimum", -math.inf) or value > prop.get("maximum", math.inf):
                yield _issue(name, "invalid_number", f"{name} is out of range")
        elif "boolean" in types and not isinstance(value, bool):
            yield _issue(name, "invalid_value", f"{name} is not true/false")
        elif "array" in types:
            allowed = prop.get("items", {}).get("enum")
            if not isinstance(value, list) or (
                allowed is not None and any(v not in allowed for v in value)
            ):
                yield _issue(name, "invalid_choice", f"{name} holds a value not on the form")
        elif "string" in types and not isinstance(value, str):
            yield _issue(name, "invalid_value", f"{name} is not text")


def rule_multiple_marks(ctx: RuleInput) -> Iterator[Issue]:
    """A single-choice group must have at most one box marked: the record or the evidence
    holding a list for such a field means several were."""
    if ctx.record_type is None:
        return
    for name, prop in load_schema(ctx.record_type)["properties"].items():
        if "enum" not in prop:
            continue
        evidence = ctx.fields.get(name)
        values = [ctx.record.get(name), evidence.value if evidence is not None else None]
        if any(isinstance(v, list | tuple | set) and len(v) > 1 for v in values):
            yield _issue(name, "multiple_marks", f"{name}: more than one box is marked")


def _order(
    ctx: RuleInput, earlier: str, later: str, *, code: str = "date_order"
) -> Iterator[Issue]:
    first, second = ctx.date(earlier), ctx.date(later)
    if first is not None and second is not None and first > second:
        yield _issue(later, code, f"{_dated(earlier, first)} is after {_dated(later, second)}")


_CDC_ORDER = (
    ("onset_date", "symptom_resolution_date"),
    ("onset_date", "report_date_pui"),
    ("onset_date", "report_date_case"),
    ("onset_date", "date_of_death"),
    ("first_positive_specimen_date", "report_date_case"),
    ("admission_date", "discharge_date"),
    ("admission_date", "date_of_death"),
)


def rule_date_order(ctx: RuleInput) -> Iterator[Issue]:
    """Events happen in order: onset ≤ resolution, report and death; specimen ≤ case report;
    admission ≤ discharge and death.  Specimen before onset is advisory while within the
    pre-symptomatic window, blocking beyond it; specimen after the PUI report is advisory."""
    if ctx.record_type is not RecordType.INFECTION_REPORT:
        return
    for earlier, later in _CDC_ORDER:
        yield from _order(ctx, earlier, later)
    onset, specimen = ctx.date("onset_date"), ctx.date("first_positive_specimen_date")
    if onset is not None and specimen is not None and specimen < onset:
        gap = (onset - specimen).days
        code = "specimen_before_onset" if gap <= PRESYMPTOMATIC_DAYS else "date_order"
        yield _issue(
            "first_positive_specimen_date",
            code,
            f"first_positive_specimen_date {specimen} is {gap} days before onset_date {onset}",
        )
    yield from _order(
        ctx, "first_positive_specimen_date", "report_date_pui", code="specimen_after_pui_report"
    )


def _all_dates(ctx: RuleInput) -> Iterator[tuple[str, date]]:
    formats = field_formats(ctx.record_type) if ctx.record_type else {}
    for name, value in ctx.flat.items():
        if formats.get(re.sub(r"\[\d+\]", "[*]", name)) == "date":
            parsed = as_date(value)
            if parsed is not None:
                yield name, parsed


def rule_not_in_future(ctx: RuleInput) -> Iterator[Issue]:
    """No date on a form can be after the day it is processed."""
    for name, when in _all_dates(ctx):
        if when > ctx.today:
            yield _issue(name, "date_in_future", f"{_dated(name, when)} is after today {ctx.today}")


_BIRTH_FIELD = {
    RecordType.INFECTION_REPORT: "date_of_birth",
    RecordType.BENEFIT_APPLICATION: "applicant_birth_date",
}


def rule_birth_before_events(ctx: RuleInput) -> Iterator[Issue]:
    """A person is born before every event of the record; a household member before the
    application is signed."""
    if ctx.record_type is None:
        return
    birth_field = _BIRTH_FIELD[ctx.record_type]
    birth = ctx.date(birth_field)
    member_births = [(n, d) for n, d in _all_dates(ctx) if n.startswith(_HOUSEHOLD)]
    for name, when in _all_dates(ctx):
        if name == birth_field or name.startswith(_HOUSEHOLD):
            continue
        if birth is not None and birth > when:
            yield _issue(
                birth_field, "birth_after_event", f"{birth_field} is after {_dated(name, when)}"
            )
        if name == "signature_date":
            for member_field, member_birth in member_births:
                if member_birth > when:
                    yield _issue(
                        member_field,
                        "birth_after_event",
                        f"{member_field} is after {_dated(name, when)}",
                    )


def rule_death_needs_died_yes(ctx: RuleInput) -> Iterator[Issue]:
    """A date of death is only given when "Did the patient die" is "yes"."""
    if ctx.record_type is not RecordType.INFECTION_REPORT:
        return
    if ctx.record.get("date_of_death") is not None and ctx.record.get("died") != "yes":
        yield _issue(
            "date_of_death",
            "death_without_died_yes",
            "date_of_death is filled but 'died' is not marked yes",
        )


def _age_in(units: str, birth: date, on: date) -> int:
    months = (on.year - birth.year) * 12 + on.month - birth.month - (on.day < birth.day)
    if units == "mo":
        return months
    if units == "day":
        return (on - birth).days
    return months // 12


def rule_age_matches_birth(ctx: RuleInput) -> Iterator[Issue]:
    """Age (in its units; years when none is marked) equals the age at the report date
    (PUI report, else case report, else onset, else specimen) within one unit."""
    if ctx.record_type is not RecordType.INFECTION_REPORT:
        return
    age, birth = ctx.record.get("age"), ctx.date("date_of_birth")
    if not isinstance(age, int) or isinstance(age, bool) or birth is None:
        return
    units = ctx.record.get("age_units")
    units = units if units in {"yr", "mo", "day"} else "yr"
    for name in (
        "report_date_pui",
        "report_date_case",
        "onset_date",
        "first_positive_specimen_date",
    ):
        on = ctx.date(name)
        if on is None or on < birth:
            continue
        expected = _age_in(units, birth, on)
        if abs(expected - age) > 1:
            yield _issue(
                "age",
                "age_mismatch",
                f"age is {age} {units} but date_of_birth gives {expected} {units} "
                f"on {_dated(name, on)}",
            )
        return


def _comparable(value: Any) -> str | None:
    if value is None:
        return None
    return re.sub(r"[\s\-_.]", "", str(value)).casefold() or None


def rule_copies_agree(ctx: RuleInput) -> Iterator[Issue]:
    """Values the form asks for twice (``<name>#2`` in the evidence) agree with the record."""
    for copy_name, evidence in ctx.fields.items():
        name, sep, _ = copy_name.partition("#")
        if not sep or name not in ctx.record:
            continue
        first, second = _comparable(ctx.record.get(name)), _comparable(evidence.value)
        if first is not None and second is not None and first != second:
            yield _issue(name, "field_disagreement", f"the two copies of {name} on the form differ")


def rule_required(ctx: RuleInput) -> Iterator[Issue]:
    """Required fields (template ∪ :func:`minimum_required`) are filled."""
    minimum = minimum_required(ctx.form_type) if ctx.record_type else ()
    for name in dict.fromkeys([*minimum, *ctx.required]):
        if _is_blank(ctx.flat.get(name, ctx.record.get(name))):
            yield _issue(name, "missing_required", f"{name} is required but blank")


def rule_household_members_complete(ctx: RuleInput) -> Iterator[Issue]:
    """A household member block with anything written in it holds at least a name, birth
    date, sex and relationship (:data:`HOUSEHOLD_MEMBER_NEEDS`)."""
    members = ctx.record.get(_HOUSEHOLD)
    if not isinstance(members, list):
        return
    for index, member in enumerate(members):
        if not isinstance(member, Mapping):
            yield _issue(
                f"{_HOUSEHOLD}[{index}]",
                "household_member_incomplete",
                f"household member {index + 2} is not a filled block",
            )
            continue
        if all(_is_blank(v) for v in member.values()):
            continue
        lacking = [need for need in HOUSEHOLD_MEMBER_NEEDS if _is_blank(member.get(need))]
        if lacking:
            yield _issue(
                f"{_HOUSEHOLD}[{index}]",
                "household_member_incomplete",
                f"household member {index + 2} lacks {', '.join(lacking)}",
            )


RULES: tuple[Rule, ...] = (
    rule_formats,
    rule_schema_values,
    rule_multiple_marks,
    rule_date_order,
    rule_not_in_future,
    rule_birth_before_events,
    rule_death_needs_died_yes,
    rule_age_matches_birth,
    rule_copies_agree,
    rule_required,
    rule_household_members_complete,
)


def check_record(
    form_type: FormType | str,
    record: Mapping[str, Any],
    fields: Mapping[str, FieldResult],
    *,
    required: Collection[str] = (),
    today: date | None = None,
) -> list[Issue]:
    """Every issue the rules find in one record, de-duplicated by (field, code).

    Never raises on bad values: a record of the wrong shape or with hostile text yields
    issues, not exceptions.  ``today`` is injectable for tests (default: the local date).
    """
    try:
        form = FormType(form_type)
    except ValueError:
        form = FormType.UNKNOWN
    ctx = RuleInput(
        form_type=form,
        record=record if isinstance(record, Mapping) else {},
        fields=fields if isinstance(fields, Mapping) else {},
        required=required,
        today=today or date.today(),
    )
    return merge_issues(issue for rule in RULES for issue in rule(ctx))


def merge_issues(*groups: Any) -> list[Issue]:
    """Issues from several sources, first of each (field, code) kept, order preserved."""
    seen: set[tuple[str | None, str]] = set()
    merged: list[Issue] = []
    for group in groups:
        for issue in group:
            key = (issue.field, issue.code)
            if key not in seen:
                seen.add(key)
                merged.append(issue)
    return merged


def is_blocking(issue: Issue) -> bool:
    """Whether an issue, on its own, keeps a document from auto-acceptance."""
    return issue.code not in ADVISORY_CODES
