"""Extraction as an ordered list of named steps: read → reread → normalise → repair → check.

:data:`STEPS` is the one place that says which steps exist, in which order, and which
field kinds each touches. Read, reread and normalise steps run while a page is read
(their bodies are in :mod:`extract.read`, :mod:`extract.checkbox`, :mod:`extract.digits`,
:mod:`extract.normalise` and ``extract.extractor._text_field``, because whether a
reading parses decides whether it is read again); ``normalise.capitals`` (it needs the
field's vocabulary) and ``normalise.era_field`` (it needs the era choice field's value),
then the repair and check steps run at record assembly, in this order, through
:func:`run_assembly_steps`.

Every step that changes a value records it the same way, as a
:class:`~faxflow.model.ProvenanceStep` (step name, before → after) made here: by
:func:`read_provenance` for the read-time steps and :func:`record` for assembly steps. Every
repair's proposal passes :func:`extract.policy.permits` first (the repair policy in
docs/extraction.md), so no repair can turn a valid value into another, add characters,
or change a reading OCR did not doubt.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from extract import repairs
from extract.policy import permits
from extract.repairs import Change, Document
from extract.template import CHECKBOX_KINDS, FieldKind, FieldSpec, FormTemplate
from faxflow.model import FieldResult, ProvenanceStep


class Stage(StrEnum):
    READ = "read"
    REREAD = "reread"
    NORMALISE = "normalise"
    REPAIR = "repair"
    CHECK = "check"


StepBody = Callable[[FieldSpec, FieldResult, Document], Change | None]

TEXT_KINDS = frozenset(FieldKind) - CHECKBOX_KINDS
ANY = frozenset(FieldKind)


@dataclass(frozen=True, slots=True)
class Step:
    """One named step: its stage, the field kinds it touches (``where`` narrows them to
    fields whose template says so: ``lexicon: county``, ``vocabulary``, an enum), what it
    does, and, for assembly steps, its body."""

    name: str
    stage: Stage
    kinds: frozenset[FieldKind]
    does: str
    where: str | None = None
    body: StepBody | None = None

    def applies_to(self, spec: FieldSpec, answers: dict[str, tuple[str, ...]]) -> bool:
        if spec.kind not in self.kinds:
            return False
        if self.where is None:
            return True
        if self.where == "enum":
            return spec.name in answers
        if self.where == "vocabulary":
            return bool(spec.vocabulary)
        if self.where == "name_fields":
            return True  # every e-mail field; its name_fields, when listed, are used too
        if self.where == "era_field":
            return spec.era_field is not None
        if self.where == "closed_vocabulary":
            return spec.closed_vocabulary is not None
        if self.where == "written_words":
            return bool(spec.vocabulary) or spec.lexicon in ("street", "place", "county")
        return self.where == f"lexicon: {spec.lexicon}"


def _kinds(*kinds: FieldKind) -> frozenset[FieldKind]:
    return frozenset(kinds)


NAME, TEXT, STATE, EMAIL, ID = (
    FieldKind.NAME,
    FieldKind.TEXT,
    FieldKind.STATE,
    FieldKind.EMAIL,
    FieldKind.IDENTIFIER,
)

STEPS: tuple[Step, ...] = (
    # ---- read (extract/checkbox.py, extract/read.py, extract/digits.py) ----------------
    Step(
        "read.checkbox",
        Stage.READ,
        CHECKBOX_KINDS,
        "ink in and round each printed square beyond the blank's, compared across the group",
    ),
    Step(
        "read.faint_mark",
        Stage.READ,
        _kinds(FieldKind.CHOICE),
        "an unanswered single choice: one box holds the specks a fax left of a tick (0.6)",
    ),
    Step(
        "read.spilled_mark",
        Stage.READ,
        _kinds(FieldKind.CHOICE),
        "two marks in a single choice, the lesser the larger's run into its box (0.6)",
    ),
    Step("read.zones", Stage.READ, TEXT_KINDS, "one Tesseract call per page on the residue"),
    Step("read.comb", Stage.READ, TEXT_KINDS, "comb boxes: digit classifier + Tesseract"),
    # ---- reread (extract/extractor.py _text_field, extract/read.py) ---------------------
    Step("reread.alone", Stage.REREAD, TEXT_KINDS, "a doubtful zone alone, kind whitelist"),
    Step(
        "reread.digits",
        Stage.REREAD,
        _kinds(FieldKind.INTEGER, FieldKind.DATE, FieldKind.ERA_DATE, FieldKind.PHONE),
        "glyph by glyph by the digit classifier (alone: not sure; against Tesseract: doubted)",
    ),
    Step("reread.as_printed", Stage.REREAD, TEXT_KINDS, "strict kinds that failed: aligned page"),
    Step("reread.without_rule", Stage.REREAD, TEXT_KINDS, "ink that read as nothing, rule off"),
    Step("reread.label", Stage.REREAD, TEXT_KINDS, "strict kinds: value after the label"),
    Step(
        "reread.fixed_answer",
        Stage.REREAD,
        _kinds(TEXT),
        "an enum answer read again without its rule",
        where="enum",
    ),
    Step(
        "reread.vocabulary",
        Stage.REREAD,
        _kinds(TEXT),
        "a reading none of the closed vocabulary's answers, read again in its characters",
        where="closed_vocabulary",
    ),
    Step("reread.vote", Stage.REREAD, _kinds(ID), "the copies of an ID vote"),
    # ---- normalise (extract/normalise.py, at read time) ---------------------------------
    Step(
        "normalise",
        Stage.NORMALISE,
        TEXT_KINDS,
        "the spec's normal form; characters change only where the format failed",
    ),
    Step("normalise.specks", Stage.NORMALISE, TEXT_KINDS, "one or two doubtful characters: none"),
    Step(
        "normalise.capitals",
        Stage.NORMALISE,
        _kinds(TEXT),
        "block capitals in the record's case (at assembly: needs the field's words)",
        where="written_words",
        body=repairs.block_capitals,
    ),
    Step(
        "normalise.era_field",
        Stage.NORMALISE,
        _kinds(FieldKind.ERA_DATE),
        "an era date read without its era, in the era its choice field ticks (at assembly)",
        where="era_field",
        body=repairs.era_from_field,
    ),
    # ---- repair (at assembly; each proposal must pass extract.policy.permits) ----------
    Step(
        "repair.fixed_answer",
        Stage.REPAIR,
        _kinds(TEXT),
        "nearest schema answer",
        where="enum",
        body=repairs.fixed_answer,
    ),
    Step(
        "repair.state_name",
        Stage.REPAIR,
        _kinds(STATE, TEXT),
        "nearest state name",
        body=repairs.state_name,
    ),
    Step(
        "repair.state_named_elsewhere",
        Stage.REPAIR,
        _kinds(STATE, TEXT),
        "the state the document names elsewhere",
        body=repairs.state_named_elsewhere,
    ),
    Step(
        "repair.id_state_prefix",
        Stage.REPAIR,
        _kinds(ID),
        "a misread state prefix",
        body=repairs.id_state_prefix,
    ),
    Step(
        "repair.county",
        Stage.REPAIR,
        _kinds(TEXT),
        "county near-miss",
        where="lexicon: county",
        body=repairs.county,
    ),
    Step(
        "repair.street",
        Stage.REPAIR,
        _kinds(TEXT),
        "street line by its parts",
        where="lexicon: street",
        body=repairs.street,
    ),
    Step(
        "repair.place",
        Stage.REPAIR,
        _kinds(TEXT),
        "town name by its parts",
        where="lexicon: place",
        body=repairs.place,
    ),
    Step(
        "repair.name_spelling",
        Stage.REPAIR,
        _kinds(NAME),
        "malformed name words",
        body=repairs.name_spelling,
    ),
    Step(
        "repair.phrase",
        Stage.REPAIR,
        _kinds(TEXT),
        "usual words",
        where="vocabulary",
        body=repairs.phrase,
    ),
    # ---- check (at assembly: drop a reading or lower its confidence, never change it) --
    Step("check.copies", Stage.CHECK, TEXT_KINDS, "a field's two copies cross-checked"),
    Step(
        "check.vocabulary",
        Stage.CHECK,
        _kinds(TEXT),
        "none of the closed vocabulary's answers: kept, to a person (not_in_vocabulary)",
        where="closed_vocabulary",
    ),
    Step(
        "check.street_dust",
        Stage.CHECK,
        _kinds(TEXT),
        "no number, box or word: dust",
        where="lexicon: street",
        body=repairs.street_dust,
    ),
    Step(
        "check.unknown_name",
        Stage.CHECK,
        _kinds(NAME),
        "doubted near-miss of a common name: to a person",
        body=repairs.unknown_name,
    ),
    Step(
        "check.address_names",
        Stage.CHECK,
        _kinds(EMAIL),
        "doubted near-miss of names: to a person",
        where="name_fields",
        body=repairs.address_names,
    ),
    Step("check.members", Stage.CHECK, _kinds(NAME), "a person block needs more than noise"),
)
"""Every step, in the order it runs."""

STEP_NAMES = tuple(step.name for step in STEPS)


def steps_for(kind: FieldKind, stage: Stage | None = None) -> tuple[Step, ...]:
    """The steps that may touch a field of ``kind`` (of one ``stage``), in order."""
    return tuple(s for s in STEPS if kind in s.kinds and (stage is None or s.stage is stage))


def record(result: FieldResult, step: str, after: Any, *, before: Any = None) -> FieldResult:
    """``result`` with value ``after`` and the step recorded as provenance (``before``:
    what the step started from, by default the value, else the raw reading)."""
    if after == result.value:
        return result
    if before is None:
        before = result.value if result.value is not None else result.raw_text
    entry = ProvenanceStep(step=step, before=before, after=after)
    return result.model_copy(update={"value": after, "provenance": (*result.provenance, entry)})


def read_provenance(
    text: str, normal: object, value: object, *, answered: bool
) -> tuple[ProvenanceStep, ...]:
    """The read-time steps that changed what OCR read (``text``): the normaliser (or the
    fixed answer a reread found) to ``normal``, then the speck check to ``value``."""
    steps: tuple[ProvenanceStep, ...] = ()
    if normal is not None and normal != text:
        name = "reread.fixed_answer" if answered else "normalise"
        steps = (ProvenanceStep(step=name, before=text, after=normal),)
    if value != normal:
        steps = (*steps, ProvenanceStep(step="normalise.specks", before=normal, after=value))
    return steps


def run_assembly_steps(template: FormTemplate, fields: MutableMapping[str, FieldResult]) -> None:
    """Run the assembly steps of :data:`STEPS` (those with a body) over ``fields``, in order. A
    proposed change is applied only if :func:`extract.policy.permits` allows it; applied
    changes are recorded as provenance and cap the field's confidence."""
    doc = Document(template, fields)
    answers = repairs.fixed_answers(template)
    for step in STEPS:
        if step.body is None:
            continue
        for spec in template.fields:
            result = fields.get(spec.name)
            if result is None or not step.applies_to(spec, answers):
                continue
            change = step.body(spec, result, doc)
            if change is None:
                continue
            before = result.value if result.value is not None else result.raw_text
            text = before if isinstance(before, str) else ""
            # A normalise step gives the normal form of what was read (an era date's
            # era from its choice field): no repair, so the repair policy does not apply.
            repair = step.stage is not Stage.NORMALISE
            if (
                repair
                and change.value != result.value
                and not permits(
                    spec.kind,
                    result,
                    text,
                    change.value,
                    lexicon=spec.lexicon,
                    answers=answers.get(spec.name, ()),
                )
            ):
                continue
            changed = record(result, step.name, change.value)
            fields[spec.name] = changed.model_copy(
                update={"confidence": min(changed.confidence, change.cap)}
            )
