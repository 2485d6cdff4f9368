"""Drafting a whole form pack from a blank PDF (``faxflow forms new``).

From a fillable PDF's widgets (read and grouped by :mod:`extract.from_pdf`):

- a text widget becomes a string property named after the widget in snake_case
  (non-alphanumerics become ``_``, lower case);
- comb cells (``<stem>_0`` … ``<stem>_N``) become one string property;
- a single checkbox becomes a boolean, and so do buttons sharing a name and one export
  value (one box the form repeats on another page);
- a property's title is its widget's tooltip (``/TU``), else its name made readable;
- a radio group (buttons sharing a name) becomes an enum of its export values, and so does
  a set of small sibling boxes named ``<stem>_yes`` / ``<stem>_no`` (paper forms ask
  yes/no with two boxes; only one may be marked);
- the template's zones come from the widgets' rectangles (the printed square inside a
  button's rectangle when there is one), placed by :func:`extract.from_pdf.template_from_pdf`
  from the ``labels.yaml`` written here.

A flat PDF has no widgets: the text layer's blanks and squares become fields named after
the words printed beside them, as ``faxflow template from-pdf`` proposes them.

A text field whose widget's name or tooltip clearly names a format (``date_of_birth``,
``home_phone``, ``zip``, ``rent_amount``: the words are data, ``extract/rules/
field_formats.yaml``, read by :mod:`extract.field_formats`) is drafted in it: the schema
property gets the format's keys (``"format": "date"``, the 10-digit phone pattern, a
number for money), its zone the kind that reads it, ``rules.yaml`` the format check.

The draft is a starting point: ``rules.yaml`` requires nothing until a person says what
the form needs, and any other text stays free text until a person gives it a format in
``schema.json`` and the matching ``kind`` in ``labels.yaml``.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from extract.field_formats import infer_format, load_vocabulary
from extract.from_pdf import (
    FieldSource,
    LabelMap,
    OptionSource,
    WidgetGroup,
    group_widgets,
    read_widgets,
    template_from_pdf,
    template_to_yaml,
)
from extract.template import FieldKind, FieldSpec
from faxflow.errors import PackError, PackProblem
from faxflow.packs import (
    LABELS_FILE,
    PACK_NAME,
    RULES_FILE,
    SCHEMA_FILE,
    SOURCES_FILE,
    TEMPLATE_FILE,
)

BLANK_FILE = "blank.pdf"
YES_NO = frozenset({"yes", "no"})
SMALL_BOX = 30.0
"""Points: a widget no wider or taller than this is a box to mark, not a line to write on."""


def snake_case(name: str) -> str:
    """A widget's name as a property name: non-alphanumerics become ``_``, lower case
    (``Applicant Name[0]`` -> ``applicant_name_0``); a leading digit gets ``f_``."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "field"
    return f"f_{slug}" if slug[0].isdigit() else slug


def title_of(name: str) -> str:
    """A readable title for a property without one (``anyone_pays_utilities`` ->
    ``Anyone pays utilities``)."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _title(group: WidgetGroup, name: str) -> str:
    """A property's title: its widget's tooltip (``/TU``, what a viewer shows on hover,
    usually the printed label and in the form's own language: ``当該者氏名``), else
    :func:`title_of` its name."""
    return group.tooltip or title_of(name)


@dataclass(frozen=True, slots=True)
class PackDraft:
    """What ``forms new`` writes, before it is written."""

    name: str
    schema: dict[str, Any]
    labels: LabelMap
    problems: tuple[str, ...]  # widgets or labels the template could not place
    formats: dict[str, str] = field(default_factory=dict)  # inferred: property -> format


def _string(title: str) -> dict[str, Any]:
    return {"type": ["string", "null"], "title": title}


def _text_field(title: str, fmt: str | None, **source: Any) -> tuple[dict[str, Any], FieldSource]:
    """A text field's property and source: free text, or in the format ``fmt``."""
    if fmt is None:
        return _string(title), FieldSource(kind=FieldKind.TEXT, **source)
    drafted = load_vocabulary().formats[fmt]
    return {**_string(title), **drafted.schema_keys}, FieldSource(kind=drafted.kind, **source)


def _is_small(group: WidgetGroup) -> bool:
    x0, y0, x1, y1 = group.rects[0]
    return x1 - x0 <= SMALL_BOX and y1 - y0 <= SMALL_BOX


def _yes_no_sets(groups: list[WidgetGroup]) -> dict[str, list[WidgetGroup]]:
    """Sibling small boxes ``<stem>_yes`` and ``<stem>_no`` on one page, by stem."""
    by_stem: dict[tuple[str, int], list[WidgetGroup]] = defaultdict(list)
    for group in groups:
        stem, _, suffix = group.name.rpartition("_")
        if stem and suffix.lower() in YES_NO and not group.is_comb and _is_small(group):
            by_stem[(stem, group.page)].append(group)
    return {
        stem: members
        for (stem, _page), members in by_stem.items()
        if {m.name.rpartition("_")[2].lower() for m in members} == YES_NO and len(members) == 2
    }


INSET = 1.0
"""Points a yes/no cell's box is taken in by on every side."""


def _inset(box: tuple[float, float, float, float], by: float) -> tuple[float, float, float, float]:
    return (box[0] + by, box[1] + by, box[2] - by, box[3] - by)


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def draft_from_widgets(
    groups: list[WidgetGroup], title: str
) -> tuple[dict[str, Any], LabelMap, dict[str, str]]:
    """The schema properties, the label map and the inferred formats (property ->
    format) of a fillable PDF's widget groups."""
    properties: dict[str, Any] = {}
    formats: dict[str, str] = {}
    sources: dict[str, FieldSource] = {}
    taken: set[str] = set()
    pairs = _yes_no_sets(groups)
    in_pairs = {g.name for members in pairs.values() for g in members}
    buttons: dict[str, list[WidgetGroup]] = defaultdict(list)
    for group in groups:
        if group.is_button:
            buttons[group.name].append(group)
    done: set[str] = set()
    for group in groups:
        if group.name in done:
            continue
        if group.name in in_pairs:
            stem = group.name.rpartition("_")[0]
            members = sorted(pairs[stem], key=lambda g: g.name.rpartition("_")[2].lower() != "yes")
            name = _unique(snake_case(stem), taken)
            values = [m.name.rpartition("_")[2].lower() for m in members]
            properties[name] = {**_string(title_of(name)), "enum": [*values, None]}
            sources[name] = FieldSource(
                kind=FieldKind.CHOICE,
                page=group.page,
                # Set by box: such cells often touch (Y | N), and the template allows no
                # overlap between boxes; each is taken in by a point on every side.
                # a box that is a button is set by its own "on" value (a filler checks it);
                # a text cell gets an X
                options=[
                    OptionSource(
                        value=v,
                        widget=m.name,
                        box=_inset(m.rects[0], INSET),
                        export=m.export if m.is_button else None,
                    )
                    for v, m in zip(values, members, strict=True)
                ],
            )
            done.update(m.name for m in members)
            continue
        name = _unique(snake_case(group.name), taken)
        done.add(group.name)
        radio = buttons.get(group.name, [])
        # Buttons sharing a name are a radio group when they stand for different values;
        # with one export value they are one checkbox the form shows in several places
        # (the DHS-1171's utility boxes on page 1 and again on page 18).
        if group.is_button and len({g.export for g in radio}) > 1:
            exports = [g.export for g in radio if g.export]
            values = list(dict.fromkeys(snake_case(e) for e in exports))
            properties[name] = {**_string(_title(group, name)), "enum": [*values, None]}
            sources[name] = FieldSource(
                kind=FieldKind.CHOICE,
                page=group.page,
                options=[
                    OptionSource(value=snake_case(g.export), widget=g.name, export=g.export)
                    for g in radio
                    if g.export
                ],
            )
        elif group.is_button:
            properties[name] = {"type": ["boolean", "null"], "title": _title(group, name)}
            sources[name] = FieldSource(kind=FieldKind.CHECKBOX, page=group.page, widget=group.name)
        else:
            fmt = infer_format(
                group.name, group.tooltip, cells=len(group.rects), max_len=group.max_len
            )
            properties[name], sources[name] = _text_field(
                _title(group, name), fmt, page=group.page, widget=group.name
            )
            if fmt is not None:
                formats[name] = fmt
    return properties, LabelMap(title=title, fields=sources), formats


def _from_proposal(
    spec: FieldSpec, taken: set[str]
) -> tuple[str, dict[str, Any], FieldSource, str | None]:
    """A text-layer proposal (``unmapped.<words>``) as a property, its hand-set place and
    the format its printed label names."""
    base = snake_case(spec.name.removeprefix("unmapped.").split("#", 1)[0])
    name = _unique(base, taken)
    title = spec.label or title_of(name)
    if spec.kind is FieldKind.CHECKBOX and spec.options:
        source = FieldSource(
            kind=FieldKind.CHECKBOX,
            page=spec.page,
            options=[OptionSource(value=True, box=spec.options[0].box)],
        )
        return name, {"type": ["boolean", "null"], "title": title}, source, None
    fmt = infer_format(spec.label or base)
    prop, source = _text_field(title, fmt, page=spec.page, region=spec.region, label=spec.label)
    return name, prop, source, fmt


def _document_title(blank: Path) -> str | None:
    """The PDF's own title (its document information ``/Title``), if it has one."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        metadata = PdfReader(blank).metadata
    except (OSError, PdfReadError):
        return None  # read_widgets says what is wrong with the file
    title = str(metadata.title or "").strip() if metadata is not None else ""
    return title or None


def draft_pack(name: str, blank: Path, *, title: str | None = None) -> PackDraft:
    """Draft the pack ``name`` from the blank PDF (widgets, else its text layer)."""
    if not PACK_NAME.match(name):
        problem = PackProblem(
            "pack_bad_name", name, "use lower case letters, digits and _, starting with a letter"
        )
        raise PackError(f"cannot draft pack: {problem}", (problem,))
    title = title or _document_title(blank) or blank.stem.replace("_", " ")
    groups = group_widgets(read_widgets(blank))
    if groups:
        properties, labels, formats = draft_from_widgets(groups, title)
    else:
        proposals = template_from_pdf(blank, name, None, record_type=name).template.proposals
        properties, sources, taken, formats = {}, {}, set[str](), {}
        for spec in proposals:
            prop_name, prop, source, fmt = _from_proposal(spec, taken)
            properties[prop_name], sources[prop_name] = prop, source
            if fmt is not None:
                formats[prop_name] = fmt
        labels = LabelMap(title=title, fields=sources)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"faxflow:forms/{name}",
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }
    draft = template_from_pdf(blank, name, labels, record_type=name)
    return PackDraft(name, schema, labels, draft.problems, formats)


_RULES_HEADER = """\
# Validation of {name} records (faxflow/packs.py: PackRules). Drafted empty by
# `faxflow forms new`: say what the form needs, then run `faxflow forms check {name}`.
#   required: [field, ...]                    blank -> missing_required
#   formats: {{field: date|phone|ssn|zip|state|email|money|jp_postal|jp_phone|katakana|
#             prefecture|bank_account|my_number}}
#   ranges: {{field: {{min: 0, max: 99}}}}
#   enums: {{field: [a, b]}}                    (the schema's enums are checked anyway)
#   date_order: [[earlier, later], ...]
#   conditional: [{{if: field, equals: "yes", then_required: [other_field]}}]
#   identity: {{names: [...], birth_date: field, event_dates: [...]}}  (duplicates)
"""


def draft_rules(draft: PackDraft) -> str:
    """The drafted ``rules.yaml``: nothing required, each inferred format checked."""
    text = _RULES_HEADER.format(name=draft.name) + "required: []\n"
    if draft.formats:
        text += (
            "# Formats the widgets' names and tooltips name (extract/rules/field_formats.yaml);\n"
            "# each field is read in its format too (its kind in labels.yaml, template.yaml).\n"
            + yaml.safe_dump({"formats": draft.formats}, sort_keys=False)
        )
    return text


def write_pack(draft: PackDraft, blank: Path, out: Path, *, command: str) -> Path:
    """Write the draft as ``out/<name>/`` (refusing to overwrite a pack); its folder."""
    folder = out / draft.name
    if (folder / TEMPLATE_FILE).exists():
        problem = PackProblem("pack_exists", str(folder), "a pack is already there")
        raise PackError(f"will not overwrite: {problem}", (problem,))
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(blank, folder / BLANK_FILE)
    (folder / SCHEMA_FILE).write_text(
        json.dumps(draft.schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    labels = draft.labels.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    header = f"# Drafted by `{command}`: which widget or printed zone is which field.\n"
    (folder / LABELS_FILE).write_text(
        header + yaml.safe_dump(labels, sort_keys=False, width=100, allow_unicode=True),
        encoding="utf-8",
    )
    template = template_from_pdf(
        folder / BLANK_FILE, draft.name, draft.labels, record_type=draft.name
    ).template
    (folder / TEMPLATE_FILE).write_text(
        template_to_yaml(
            template,
            f"# Drafted by `{command}` from {LABELS_FILE}; regenerate with\n"
            f"# `FAXFLOW_FORMS_DIR={out} faxflow template from-pdf {folder / BLANK_FILE} "
            f"--form-type {draft.name} --no-proposals`.\n",
        ),
        encoding="utf-8",
    )
    (folder / RULES_FILE).write_text(draft_rules(draft), encoding="utf-8")
    (folder / SOURCES_FILE).write_text(
        f"# {draft.name}\n\n- Blank form: `{blank.name}` (say where it was published and "
        "under what terms).\n"
        f"- Drafted by `{command}`; reviewed by: (name, date).\n",
        encoding="utf-8",
    )
    return folder
