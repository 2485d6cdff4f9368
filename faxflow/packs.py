"""Form packs: a form is one folder of data files, found by name.

A pack folder ``<name>/`` holds:

=================  =========  ==========================================================
file               needed?    what it is
=================  =========  ==========================================================
``blank.pdf``      yes        the blank form (classification and the sample generator)
``template.yaml``  yes        where each field is written (``extract/template.py``)
``labels.yaml``    no         which widget or printed label is which field
                              (``extract/from_pdf.py``; ``forms new`` writes it)
``schema.json``    yes        the record's JSON Schema: titles, formats, enums
``rules.yaml``     yes        declarative validation (:class:`PackRules`)
``aggregates.yaml`` no        what the analysts' counts group by (:class:`PackAggregates`)
``SOURCES.md``     yes        where the blank came from, its licence, who drafted the pack
=================  =========  ==========================================================

The built-in forms live in ``settings.templates_dir`` (``extract/templates``); more packs
are found under ``settings.forms_dir`` (``FAXFLOW_FORMS_DIR``). A pack whose folder has no
``schema.json`` is a built-in form (:attr:`FormPack.builtin`) whose schema and most rules
are still Python (``faxflow/schemas``, ``validate/rules.py``); its ``rules.yaml`` holds
what of its rules is data already (required fields, the identity for duplicates).

Every fault of a pack is a :class:`~faxflow.errors.PackProblem` with a stable code:

``pack_bad_name``       the folder's name is not ``[a-z][a-z0-9_]*`` (it names SQL views)
``pack_missing_file``   a needed file is absent
``pack_bad_file``       a file cannot be read or parsed (YAML, JSON)
``pack_bad_schema``     ``schema.json`` is not a JSON Schema with object ``properties``
``pack_bad_template``   ``template.yaml`` is invalid (the message says where)
``pack_name_mismatch``  ``template.yaml``'s ``form_type`` is not the folder's name
``pack_bad_rules``      ``rules.yaml`` / ``aggregates.yaml`` break their model
``pack_unknown_field``  a rule or aggregate names a field the schema does not have
``pack_duplicate``      two packs share a name
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from faxflow.errors import ConfigError, PackError, PackProblem, TemplateError
from faxflow.settings import Settings

PACK_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
COUNTS_SUFFIX = "_counts"
"""A pack's counts are the view ``form_<name>_counts`` beside its records' ``form_<name>``."""
TEMPLATE_FILE = "template.yaml"
LABELS_FILE = "labels.yaml"
SCHEMA_FILE = "schema.json"
RULES_FILE = "rules.yaml"
AGGREGATES_FILE = "aggregates.yaml"
SOURCES_FILE = "SOURCES.md"
NEEDED_FILES = (TEMPLATE_FILE, SCHEMA_FILE, RULES_FILE, SOURCES_FILE)

FormatName = Literal[
    "date",
    "integer",
    "phone",
    "ssn",
    "zip",
    "state",
    "email",
    "money",
    "jp_postal",
    "jp_phone",
    "katakana",
    "prefecture",
    "bank_account",
    "my_number",
]
"""Formats a rule can ask for: the keys of ``validate.rules.FORMAT_CHECKS``."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Range(_Strict):
    """Inclusive bounds of a number field."""

    min: float | None = None
    max: float | None = None


class Condition(_Strict):
    """``if <field> equals <value> then <fields> are required``: "if hospitalized is yes,
    the admission date"."""

    if_field: str = Field(alias="if")
    equals: Any = True
    then_required: list[str] = Field(min_length=1)


class Identity(_Strict):
    """Which fields identify a person, for duplicate detection: the same names and birth
    date with the same event date is the same report sent twice."""

    names: list[str] = Field(min_length=1)
    birth_date: str | None = None
    event_dates: list[str] = Field(default_factory=list)


class PackRules(_Strict):
    """The content of ``rules.yaml``. Formats, ranges and enums the schema already says
    need not be repeated here: the schema is checked too (``validate/declared.py``)."""

    required: list[str] = Field(default_factory=list)
    formats: dict[str, FormatName] = Field(default_factory=dict)
    ranges: dict[str, Range] = Field(default_factory=dict)
    enums: dict[str, list[Any]] = Field(default_factory=dict)
    # pairs (earlier, later): the first date may not be after the second
    date_order: list[tuple[str, str]] = Field(default_factory=list)
    conditional: list[Condition] = Field(default_factory=list)
    identity: Identity | None = None

    def field_names(self) -> list[str]:
        """Every field the rules name, for the check against the schema."""
        names = [*self.required, *self.formats, *self.ranges, *self.enums]
        names += [n for pair in self.date_order for n in pair]
        for condition in self.conditional:
            names += [condition.if_field, *condition.then_required]
        if self.identity is not None:
            names += [*self.identity.names, *self.identity.event_dates]
            names += [self.identity.birth_date] if self.identity.birth_date else []
        return names


class PackAggregates(_Strict):
    """The content of ``aggregates.yaml``: the fields analysts' counts group by (the
    table ``form_<name>_counts``: documents per arrival day and each combination of their
    values, ``loaders/pack_aggregates.py``)."""

    group_by: list[str] = Field(min_length=1)
    # "japanese": the counts carry each day in the Japanese era calendar too (day_japanese,
    # 令和8年12月7日), beside the ISO day, for analysts who count that way.
    calendar: Literal["iso", "japanese"] = "iso"

    def field_names(self) -> list[str]:
        return list(self.group_by)


def _uncountable(aggregates: PackAggregates, schema: dict[str, Any]) -> list[PackProblem]:
    """Fields a count cannot group by: lists and objects (no single value), and sensitive
    ones (an SSN as a grouping key would put every person's number in the export)."""
    from loaders.records import is_sensitive

    problems = []
    for name in aggregates.group_by:
        prop = schema["properties"].get(name)
        if not isinstance(prop, dict):
            continue  # pack_unknown_field says so
        declared = prop.get("type", [])
        types = {declared} if isinstance(declared, str) else set(declared)
        if types & {"array", "object"}:
            why = "is a list or object; group by fields with one value"
        elif is_sensitive(name):
            why = "is sensitive (stored encrypted); counts may not show it"
        else:
            continue
        problems.append(PackProblem("pack_bad_rules", AGGREGATES_FILE, f"group_by {name} {why}"))
    return problems


@dataclass(frozen=True, slots=True)
class FormPack:
    """One loaded, validated pack. ``builtin``: a built-in form whose schema and most rules
    are still Python; ``rules`` then holds only what is data (or None without a file)."""

    name: str
    folder: Path
    template: Any  # extract.template.FormTemplate (imported lazily: extract imports faxflow)
    schema: dict[str, Any]
    rules: PackRules | None
    aggregates: PackAggregates | None
    sources: str | None
    builtin: bool = False

    @property
    def title(self) -> str:
        return str(self.template.title)

    def field_titles(self) -> dict[str, str]:
        """Property -> its schema title (the property's name when it has none)."""
        return {
            name: str(prop.get("title") or name) for name, prop in self.schema["properties"].items()
        }


# --------------------------------------------------------------------------------------
# Loading and checking one pack
# --------------------------------------------------------------------------------------


def _read_yaml(path: Path, problems: list[PackProblem]) -> Any:
    import yaml  # here, not at the top: `faxflow --help` starts without it

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        problems.append(PackProblem("pack_bad_file", path.name, f"cannot read: {exc}"))
        return None


def _model_problems(exc: ValidationError, file: str) -> list[PackProblem]:
    return [
        PackProblem(
            "pack_bad_rules",
            file,
            f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}",
        )
        for err in exc.errors()
    ]


def _check_schema(path: Path, problems: list[PackProblem]) -> dict[str, Any] | None:
    import jsonschema

    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        problems.append(PackProblem("pack_bad_file", SCHEMA_FILE, f"cannot read: {exc}"))
        return None
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        problems.append(
            PackProblem("pack_bad_schema", SCHEMA_FILE, "must be an object with 'properties'")
        )
        return None
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "(root)"
        problems.append(PackProblem("pack_bad_schema", SCHEMA_FILE, f"{where}: {exc.message}"))
        return None
    problems.extend(_choice_title_problems(schema))
    return schema


CHOICE_TITLES = "x-enum-titles"
"""A property's (or its list items') annotation naming its enum values for people:
``{"confirmed": "患者（確定例）"}``. Records keep the values; the dashboard shows the
titles and reads them back in corrections, and the overview's charts are labelled by
them."""


def choice_titles(prop: Mapping[str, Any]) -> dict[str, str]:
    """``prop``'s enum values with a title (its list items' for a list), value → title."""
    titles = prop.get(CHOICE_TITLES)
    if titles is None and isinstance(prop.get("items"), Mapping):
        titles = prop["items"].get(CHOICE_TITLES)
    if not isinstance(titles, Mapping):
        return {}
    return {str(value): str(title) for value, title in titles.items()}


def _choice_title_problems(schema: dict[str, Any]) -> list[PackProblem]:
    """Titles of values the enum does not have, titles that are not text, or two values
    with one title (a correction typed as that title could not be read back)."""
    problems: list[PackProblem] = []
    for name, prop in schema["properties"].items():
        if not isinstance(prop, Mapping):
            continue
        holder = prop if CHOICE_TITLES in prop else prop.get("items")
        if not isinstance(holder, Mapping) or CHOICE_TITLES not in holder:
            continue
        titles = holder[CHOICE_TITLES]
        where = f"{name}: {CHOICE_TITLES}"
        if not isinstance(titles, Mapping) or not all(
            isinstance(t, str) and t.strip() for t in titles.values()
        ):
            problems.append(
                PackProblem("pack_bad_schema", SCHEMA_FILE, f"{where} must map values to text")
            )
            continue
        values = {str(v) for v in holder.get("enum", []) if v is not None}
        unknown = [str(v) for v in titles if str(v) not in values]
        if unknown:
            problems.append(
                PackProblem(
                    "pack_bad_schema",
                    SCHEMA_FILE,
                    f"{where} names values the enum does not have: {', '.join(unknown)}",
                )
            )
        if len(set(titles.values())) < len(titles):
            problems.append(
                PackProblem("pack_bad_schema", SCHEMA_FILE, f"{where} gives two values one title")
            )
    return problems


def _unknown_fields(names: list[str], schema: dict[str, Any], file: str) -> list[PackProblem]:
    properties = schema["properties"]
    return [
        PackProblem("pack_unknown_field", file, f"{name} is not a property of {SCHEMA_FILE}")
        for name in dict.fromkeys(names)
        if name not in properties
    ]


_Model = TypeVar("_Model", "PackRules", "PackAggregates")


def _load_model(
    path: Path, model: type[_Model], schema: dict[str, Any] | None, problems: list[PackProblem]
) -> _Model | None:
    """A YAML file as its model, problems appended (also for fields the schema lacks)."""
    data = _read_yaml(path, problems)
    try:
        loaded = model.model_validate(data or {})
    except ValidationError as exc:
        problems += _model_problems(exc, path.name)
        return None
    if schema is not None:
        problems += _unknown_fields(loaded.field_names(), schema, path.name)
    return loaded


def _unread_formats(rules: PackRules, template: Any) -> list[PackProblem]:
    """Fields ``rules.yaml`` checks in a format that their template kind does not read
    into (``extract.template.KINDS_READING_FORMAT``)."""
    from extract.template import KINDS_READING_FORMAT

    problems: list[PackProblem] = []
    for name, fmt in rules.formats.items():
        kinds = KINDS_READING_FORMAT.get(fmt)
        specs = [f for f in template.fields if f.name.split("#", 1)[0] == name]
        if kinds is None or not specs:
            continue
        for spec in specs:
            if spec.kind not in kinds:
                wanted = " or ".join(sorted(k.value for k in kinds))
                problems.append(
                    PackProblem(
                        "pack_kind_mismatch",
                        RULES_FILE,
                        f"{name} is checked as {fmt} but {TEMPLATE_FILE} reads it as "
                        f"{spec.kind.value}: give it kind {wanted} (in {LABELS_FILE} too, "
                        "so a redraft keeps it)",
                    )
                )
                break
    return problems


def check_pack(folder: Path) -> tuple[FormPack | None, list[PackProblem]]:
    """Load the pack in ``folder`` and list every fault found (the pack is None when a
    fault keeps it from loading). Never raises for what the files say."""
    from extract.template import coverage_problems, load_template

    problems: list[PackProblem] = []
    name = folder.name
    if not PACK_NAME.match(name):
        problems.append(
            PackProblem(
                "pack_bad_name",
                str(folder),
                "a pack's folder name must be lower case letters, digits and _, "
                "starting with a letter",
            )
        )
    if name.endswith(COUNTS_SUFFIX):
        problems.append(
            PackProblem(
                "pack_reserved_name",
                str(folder),
                f"a pack's name may not end in {COUNTS_SUFFIX}: the counts view of a pack "
                f"named without it would take the same name (form_<name>{COUNTS_SUFFIX})",
            )
        )
    builtin = not (folder / SCHEMA_FILE).exists()
    needed = (TEMPLATE_FILE,) if builtin else NEEDED_FILES
    for file in needed:
        if not (folder / file).is_file():
            problems.append(PackProblem("pack_missing_file", file, f"{folder / file} is missing"))
    schema = None
    if not builtin and (folder / SCHEMA_FILE).is_file():
        schema = _check_schema(folder / SCHEMA_FILE, problems)
    template = None
    if (folder / TEMPLATE_FILE).is_file() and (builtin or schema is not None):
        try:
            template = load_template(folder / TEMPLATE_FILE)
        except TemplateError as exc:
            problems.append(PackProblem("pack_bad_template", TEMPLATE_FILE, exc.message))
    if template is not None:
        if template.form_type != name:
            problems.append(
                PackProblem(
                    "pack_name_mismatch",
                    TEMPLATE_FILE,
                    f"form_type is {template.form_type}, the folder is {name}",
                )
            )
        if not builtin and template.record_type != name:
            problems.append(
                PackProblem(
                    "pack_name_mismatch",
                    TEMPLATE_FILE,
                    f"record_type is {template.record_type}: a pack's record is named "
                    f"after its form, {name}",
                )
            )
        if not builtin:
            problems += [
                PackProblem("pack_bad_template", TEMPLATE_FILE, message)
                for message in coverage_problems(template)
            ]
        if schema is None:
            from extract.template import template_schema

            schema = template_schema(template)
    rules = (
        _load_model(folder / RULES_FILE, PackRules, schema, problems)
        if (folder / RULES_FILE).is_file()
        else None
    )
    aggregates = (
        _load_model(folder / AGGREGATES_FILE, PackAggregates, schema, problems)
        if (folder / AGGREGATES_FILE).is_file()
        else None
    )
    if aggregates is not None and schema is not None:
        problems += _uncountable(aggregates, schema)
    if rules is not None and template is not None:
        problems += _unread_formats(rules, template)
    if (folder / LABELS_FILE).is_file():
        from extract.from_pdf import load_label_map

        try:
            load_label_map(folder / LABELS_FILE)
        except TemplateError as exc:
            problems.append(PackProblem("pack_bad_file", LABELS_FILE, exc.message))
    sources = None
    if (folder / SOURCES_FILE).is_file():
        sources = (folder / SOURCES_FILE).read_text(encoding="utf-8")
    if problems or template is None or schema is None:
        return None, problems
    pack = FormPack(name, folder, template, schema, rules, aggregates, sources, builtin)
    return pack, problems


def load_pack(folder: Path) -> FormPack:
    """The pack in ``folder``; raises :class:`PackError` listing every fault."""
    pack, problems = check_pack(folder)
    if pack is None:
        listed = "; ".join(str(p) for p in problems) or "cannot be loaded"
        raise PackError(f"form pack {folder} is invalid: {listed}", tuple(problems))
    return pack


# --------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------


def pack_dirs(settings: Settings) -> tuple[Path, ...]:
    """Where packs are looked for: the built-in folder, then ``FAXFLOW_FORMS_DIR``, which
    must be a folder (a mistyped path would send every fax of its forms to review as an
    unknown form)."""
    if settings.forms_dir is not None and not settings.forms_dir.is_dir():
        raise ConfigError(
            f"FAXFLOW_FORMS_DIR {settings.forms_dir} is not a folder; point it at the folder "
            "that holds the form packs (one sub-folder each)"
        )
    extra = (settings.forms_dir,) if settings.forms_dir is not None else ()
    return (settings.templates_dir, *extra)


def find_packs(settings: Settings) -> dict[str, FormPack]:
    """Every pack, by name. Raises :class:`PackError` when one is invalid or two share a
    name: a form silently missing would send its faxes to the unknown pile."""
    return dict(_find_packs(pack_dirs(settings)))


@cache
def _find_packs(roots: tuple[Path, ...]) -> tuple[tuple[str, FormPack], ...]:
    found: dict[str, FormPack] = {}
    for root in roots:
        for template_file in sorted(root.glob(f"*/{TEMPLATE_FILE}")):
            pack = load_pack(template_file.parent)
            if pack.name in found:
                problem = PackProblem(
                    "pack_duplicate",
                    str(template_file.parent),
                    f"{pack.name} is also at {found[pack.name].folder}",
                )
                raise PackError(f"form pack {problem}", (problem,))
            found[pack.name] = pack
    return tuple(found.items())


def pack_names(settings: Settings) -> list[str]:
    """Every pack's name, built-in forms first, without loading a pack: the folders that
    hold a ``template.yaml`` (a directory listing, cheap enough for a DAG file's parse).
    A folder whose name cannot be a pack's is left out (``forms check`` names it)."""
    names: dict[str, None] = {}
    for root in pack_dirs(settings):
        for template_file in sorted(root.glob(f"*/{TEMPLATE_FILE}")):
            if PACK_NAME.match(template_file.parent.name):
                names[template_file.parent.name] = None
    return list(names)


def pack_templates(settings: Settings) -> dict[str, Any]:
    """Form name -> its template (``extract.template.FormTemplate``) for every pack: what
    classification and extraction read."""
    from extract.template import load_templates

    if settings.forms_dir is None:
        # The built-in forms alone: their template checks are all a pack check adds.
        return dict(load_templates(settings.templates_dir))
    return {name: pack.template for name, pack in find_packs(settings).items()}


def pack_for(form_type: str, settings: Settings) -> FormPack | None:
    """The pack of a form type, or None when there is none (unknown forms)."""
    return find_packs(settings).get(str(form_type))


@cache
def built_in_rules(templates_dir: Path, form_type: str) -> PackRules | None:
    """The ``rules.yaml`` of a built-in form (None without one); raises :class:`PackError`
    when it is invalid. For code that has no settings (``validate.rules.check_record``)."""
    path = templates_dir / str(form_type) / RULES_FILE
    if not path.is_file():
        return None
    problems: list[PackProblem] = []
    rules = _load_model(path, PackRules, None, problems)
    if rules is None or problems:
        listed = "; ".join(str(p) for p in problems)
        raise PackError(f"rules of {form_type} are invalid: {listed}", tuple(problems))
    return rules
