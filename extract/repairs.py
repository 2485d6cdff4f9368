"""The bodies of the assembly steps (repair and check) that :mod:`extract.steps` declares.

Each function looks at one field and proposes a :class:`Change` (or None). It does not
write the field: :func:`extract.steps.run_assembly_steps` asks :func:`extract.policy.permits`
whether the change is allowed, caps the confidence and records the step as provenance.
The word lists each repair consults live in their own modules: counties, states and
usual phrases in :mod:`extract.lexicon`, person names in :mod:`extract.names`, street
lines and towns in :mod:`extract.streets`.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from extract.normalise import STATES, normalise, snap_to_choices
from extract.template import CHECKBOX_KINDS, FieldKind, FieldSpec, FormTemplate, template_schema
from faxflow.model import FieldResult

LEXICON_REPAIR_CONFIDENCE = 0.85
"""A value a lexicon changed is likely right but was not read so: its confidence is
capped here, so calibration can still send it to a person."""
NAMED_STATE_CONFIDENCE = 0.5
"""Confidence cap of a state taken from another field of the document."""
UNKNOWN_NAME_CONFIDENCE = 0.5
"""Confidence cap of a name or address OCR doubted that is a near-miss of a common name
(or of the person's own names) but is kept as written: a person looks at it."""
ENUM_MISS_CONFIDENCE = 0.2
ENUM_RAW_CONFIDENCE = 0.3

_COPY = re.compile(r"^(?P<base>.+)#(?P<copy>\d+)$")
_ID_STATE = re.compile(r"^([A-Z]{2})(?=[-\s]?\d)")


@dataclass(frozen=True, slots=True)
class Change:
    """What a step proposes for a field: a new value (None drops the reading), and the
    confidence the field may have at most afterwards."""

    value: Any
    cap: float


@dataclass(frozen=True, slots=True)
class Document:
    """The document being assembled: its template and its fields as they are now."""

    template: FormTemplate
    fields: MutableMapping[str, FieldResult]

    def text_of(self, name: str) -> str | None:
        found = self.fields.get(name)
        return found.value if found is not None and isinstance(found.value, str) else None

    def state_for(self, spec: FieldSpec) -> str | None:
        """The state code the field's ``state_field`` names, if any."""
        text = self.text_of(spec.state_field) if spec.state_field else None
        code = normalise(FieldKind.STATE, text) if text else None
        return code if isinstance(code, str) else None

    def states_named_besides(self, spec: FieldSpec) -> set[str]:
        return {code for name, code in states_named(self).items() if name != spec.name}


def base_name(name: str) -> str:
    copy = _COPY.match(name)
    return copy.group("base") if copy else name


def fixed_answers(template: FormTemplate) -> dict[str, tuple[str, ...]]:
    """Text fields whose schema property takes one of a few values (``age_units``: yr,
    mo, day), with those values."""
    properties = template_schema(template)["properties"]
    found: dict[str, tuple[str, ...]] = {}
    for spec in template.fields:
        enum = properties.get(base_name(spec.name), {}).get("enum")
        if spec.kind not in CHECKBOX_KINDS and enum:
            found[spec.name] = tuple(c for c in enum if isinstance(c, str))
    return found


def answer_of(
    value: object, raw: str | None, choices: Sequence[str], *, initials: bool = True
) -> str | None:
    """The fixed answer a text zone's reading gives, as assembly will snap it: a value
    close to an answer (or, with ``initials``, starting like only one: 'mis' -> mo), or a
    raw reading dropped as specks that is a close spelling starting right ('yt' -> yr),
    not specks ('oe', 'a')."""
    if isinstance(value, str):
        return snap_to_choices(value, list(choices), initials=initials)
    text = (raw or "").strip().lower()
    snapped = snap_to_choices(text, list(choices), initials=False) if text else None
    return snapped if snapped is not None and text[:1] == snapped[:1].lower() else None


# --------------------------------------------------------------------------------------
# Repairs
# --------------------------------------------------------------------------------------


def block_capitals(spec: FieldSpec, result: FieldResult, doc: Document) -> Change | None:
    """A street, town, county or vocabulary field printed in block capitals, in the case
    the record keeps it ('NEW EDWARD' → 'New Edward', 'SPOUSE' → 'spouse'): only the case
    of the letters written changes (:mod:`extract.capitals`), so confidence stays."""
    from extract.capitals import as_written_in_case
    from extract.streets import load_street_words

    if not isinstance(result.value, str):
        return None
    if spec.lexicon == "street":
        spellings: tuple[str, ...] = load_street_words().street_spellings()
    elif spec.lexicon == "place":
        spellings = load_street_words().prefixes.words
    else:
        spellings = tuple(spec.vocabulary or ())
    answers = fixed_vocabulary(spec)
    acronyms = bool(spec.vocabulary) and spec.lexicon is None and not answers
    cased = as_written_in_case(result.value, spellings, acronyms=acronyms, small=answers)
    return Change(cased, 1.0) if cased != result.value else None


def fixed_vocabulary(spec: FieldSpec) -> bool:
    """Whether a vocabulary lists whole answers ('spouse', 'stepson') rather than words
    of a name ('County', 'Dept.'): its entries are all in small letters."""
    return bool(spec.vocabulary) and all(entry.islower() for entry in spec.vocabulary or ())


def fixed_answer(spec: FieldSpec, result: FieldResult, doc: Document) -> Change | None:
    """A text zone answering a schema enum (``age_units``) takes the nearest answer; one
    near none is dropped. A reading dropped as specks ('yr' at 0.25: two doubtful letters)
    is snapped only to a close spelling with the same first letter, and stays doubtful."""
    choices = list(fixed_answers(doc.template).get(spec.name, ()))
    if not choices:
        return None
    if result.value is None:
        snapped = answer_of(None, result.raw_text, choices) if result.raw_text else None
        return None if snapped is None else Change(snapped, ENUM_RAW_CONFIDENCE)
    if not isinstance(result.value, str) or result.value in choices:
        return None
    snapped = snap_to_choices(result.value, choices)
    if snapped is None:
        return Change(None, ENUM_MISS_CONFIDENCE)
    return Change(snapped, result.confidence * 0.8)


def state_name(spec: FieldSpec, result: FieldResult, doc: Document) -> Change | None:
    """A state field read as no code or name: the state name clearly nearest by OCR
    distance ('Mlchigan', 'litinois'); a state lexicon field's name spelled right."""
    from extract.lexicon import nearest_state, state_as_written

    if spec.kind is FieldKind.STATE and result.value is None and result.raw_text:
        code = nearest_state(result.raw_text)
        return None if code is None else Change(code, LEXICON_REPAIR_CONFIDENCE)
    if spec.lexicon == "state" and isinstance(result.value, str):
        written = state_as_written(result.value)
        return Change(written, LEXICON_REPAIR_CONFIDENCE) if written != result.value else None
    return None


def state_named_elsewhere(spec: FieldSpec, result: FieldResult, doc: Document) -> Change | None:
    """A state field still read as no state, near the state the document names elsewhere
    (its other state field, its IDs' prefixes, a county only one state has): 'Ou' beside
    OH, 'if' beside Illinois. A guess from another field: confidence at most
    :data:`NAMED_STATE_CONFIDENCE`."""
    from extract.lexicon import nearest_state, state_as_written

    named = doc.states_named_besides(spec)
    if not named:
        return None
    if spec.kind is FieldKind.STATE and result.value is None and result.raw_text:
        code = nearest_state(result.raw_text, named)
        return None if code is None else Change(code, NAMED_STATE_CONFIDENCE)
    if spec.lexicon != "state":
        return None
    text = result.value if isinstance(result.value, str) else result.raw_text
    if not text or nearest_state(text) is not None:
        return None  # a state already
    written = state_as_written(text, named)
    if written == text or nearest_state(written) not in named:
        return None
    return Change(written, NAMED_STATE_CONFIDENCE)


def id_state_prefix(spec: FieldSpec, result: FieldResult, doc: Document) -> Change | None:
    """An ID whose state prefix is no state code ('Mj-20-39864') near the state the
    document names elsewhere takes that state's code. Valid IDs ('OHD123456') and IDs
    without a prefix ('M-2020-0042' gains no letter) are left to the policy."""
    from extract.lexicon import with_named_state

    if not isinstance(result.value, str):
        return None
    value = with_named_state(result.value, doc.states_named_besides(spec))
    return Change(value, NAMED_STATE_CONFIDENCE) if value != result.value else None


def county(spec: FieldSpec, result: FieldResult, doc: Document) -> Change | None:
    """A county name's near-miss, within the state another field names ('Frankhn')."""
    from extract.lexicon import snap_county

    if not isinstance(result.value, str):
        return None
    snapped, similarity = snap_county(result.value, doc.state_for(spec))
    if snapped is None or similarity <= 0 or snapped == result.value:
        return None
    return Change(snapped, LEXICON_REPAIR_CONFIDENCE)


def street(spec: FieldSpec, result: FieldResult, doc: Document) -> Change | None:
    """A street line repaired part by part (:func:`extract.streets.repair_street`)."""
    from extract.streets import looks_like_street, repair_street

    if not isinstance(result.value, str) or not looks_like_street(result.value):
        return None
    repaired = repair_street(result.value)
    return Change(repaired, LEXICON_REPAIR_CONFIDENCE) if repaired != result.value else None


def place(spec: FieldSpec, result: FieldResult, doc: Document) -> Change | None:
    """A town name repaired by its parts (:func:`extract.streets.repair_place`)."""
    from extract.streets import repair_place

    if not isinstance(result.value, str):
        return None
    repaired = repair_place(result.value)
    return Change(repaired, LEXICON_REPAIR_CONFIDENCE) if repaired != result.value else None


def name_spelling(spec: FieldSpec, result: FieldResult, doc: Document) -> Change | None:
    """Name words checked against the census lists (:func:`extract.names.repair_name`).
    The policy lets through only changes of doubted words that are no valid name word
    ('LOpez', 'Ty.ler'); 'Jaxon' and 'Lessica' are names and stay as written."""
    from extract.names import repair_name

    if not isinstance(result.value, str):
        return None
    repaired = repair_name(result.value)
    return Change(repaired, LEXICON_REPAIR_CONFIDENCE) if repaired != result.value else None


def phrase(spec: FieldSpec, result: FieldResult, doc: Document) -> Change | None:
    """Usual words of the field's vocabulary ('Brawn Co, HD' → 'Brown Co. HD')."""
    from extract.lexicon import repair_words

    if not isinstance(result.value, str) or not spec.vocabulary:
        return None
    repaired = repair_words(result.value, spec.vocabulary, doc.state_for(spec))
    return Change(repaired, LEXICON_REPAIR_CONFIDENCE) if repaired != result.value else None


# --------------------------------------------------------------------------------------
# Checks (they change no reading into another: they drop it or lower its confidence)
# --------------------------------------------------------------------------------------


def street_dust(spec: FieldSpec, result: FieldResult, doc: Document) -> Change | None:
    """A street zone whose reading has no number, PO box or four-letter word is dust."""
    from extract.streets import looks_like_street

    if not isinstance(result.value, str) or looks_like_street(result.value):
        return None
    return Change(None, min(result.confidence, 0.3))


def unknown_name(spec: FieldSpec, result: FieldResult, doc: Document) -> Change | None:
    """A name word OCR doubted that is no census name but a near-miss of a common one
    ('Lessica'): kept as written, and a person looks at it."""
    from extract.names import nearest_name
    from extract.policy import token_doubted

    if not isinstance(result.value, str):
        return None
    for word in result.value.split():
        letters = word.strip(".,").lower()
        if token_doubted(word, result) and nearest_name(letters) is not None:
            return Change(result.value, UNKNOWN_NAME_CONFIDENCE)
    return None


def address_names(spec: FieldSpec, result: FieldResult, doc: Document) -> Change | None:
    """An address OCR doubted whose first part is a near-miss of common names, or of the
    person's own names the template lists (``name_fields``): kept as written, and a person
    looks at it ('alah.thomas@' beside Alan Thomas). 'jill.rich@' beside Ullrich is no
    near-miss and is not even flagged unless OCR doubted it."""
    from extract.names import repair_address_from_names, repair_address_names
    from extract.policy import token_doubted

    value = result.value
    if not isinstance(value, str) or not token_doubted(value, result):
        return None
    names = [doc.text_of(n) for n in spec.name_fields or []]
    near = repair_address_names(value) != value or (
        bool(spec.name_fields)
        and repair_address_from_names(value, [n for n in names if n]) != value
    )
    return Change(value, UNKNOWN_NAME_CONFIDENCE) if near else None


# --------------------------------------------------------------------------------------
# What the document says about states
# --------------------------------------------------------------------------------------


def states_named(doc: Document) -> dict[str, str]:
    """The state each field of the document names, as read, by field name: its state
    fields, the state prefix of its IDs ('IL946387351') and counties that only one state
    has ('DuPage')."""
    from extract.lexicon import load_counties, nearest_state

    named: dict[str, str] = {}
    for spec in doc.template.fields:
        result = doc.fields.get(spec.name)
        if result is None:
            continue
        value = result.value if isinstance(result.value, str) else None
        code: str | None = None
        if spec.kind is FieldKind.STATE or spec.lexicon == "state":
            text = value or result.raw_text  # 'Mlchigan', repaired below
            code = nearest_state(text) if text else None
        elif spec.kind is FieldKind.IDENTIFIER and value is not None:
            prefix = _ID_STATE.match(value)
            code = prefix.group(1) if prefix is not None and prefix.group(1) in STATES else None
        elif spec.lexicon == "county" and value is not None:
            states = load_counties().states_of(value)
            code = next(iter(states)) if len(states) == 1 else None
        if code is not None:
            named[spec.name] = code
    return named


def era_from_field(spec: FieldSpec, result: FieldResult, doc: Document) -> Change | None:
    """An era date read without its era (``3年4月5日``, :data:`extract.japanese.PENDING_ERA`)
    in the era its ``era_field`` choice says. No era ticked, or a date that is no day of
    that era, drops the value (the writing stays as raw text, so validation reports it).
    The date is no surer than the choice it took its era from: a wrong tick moves it by
    a whole era."""
    from extract.japanese import PENDING_ERA, complete_pending

    value = result.value
    if spec.era_field is None or not isinstance(value, str) or not PENDING_ERA.match(value):
        return None
    choice = doc.fields.get(spec.era_field)
    era = choice.value if choice is not None and isinstance(choice.value, str) else None
    cap = min(result.confidence, choice.confidence if choice is not None else 0.0)
    return Change(complete_pending(value, era), cap)
