"""The extraction stage: cleaned pages → an :class:`~faxflow.model.Extraction`.

Recipe (each step is its own module):

1. :mod:`extract.classify` — what each page is (template page, cover, blank, unknown) and
   the homography that brings it into its template page's frame; the document's form.
2. :mod:`extract.align` — warp each page that carries fields into the reference frame.
3. :mod:`extract.checkbox` — checkbox fields from new ink in their boxes.
4. :mod:`extract.read` — text and comb fields from the page's residue (one Tesseract call
   per page, whitelisted re-reads of doubtful zones).
5. :mod:`extract.normalise` / :mod:`extract.nlp` — normal forms; spaCy rules for values
   inside noisy text and for label-anchored values when a zone fails.
6. :mod:`extract.confidence` — per-field confidence.
7. :mod:`extract.steps` — record assembly runs the repair and check steps declared there,
   in order, under the repair policy of :mod:`extract.policy`; every step that changes a
   value is recorded as the field's provenance. ``extract.steps.STEPS`` lists every step
   of extraction (read → reread → normalise → repair → check) and the kinds it touches.

Pages of the form without fields (most DHS-1171 pages) are classified and never OCR'd.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import cv2
import numpy as np

from extract import confidence as conf
from extract.align import quarter_turns, register_locally, rotation_of, warp_to_reference
from extract.checkbox import read_checkbox_field
from extract.classify import PageMatch, ReferenceIndex, build_index, classify_page, resolve_pages
from extract.japanese import (
    JP_KINDS,
    is_japanese_lang,
    jp_phone_dropped,
    katakana_lookalikes,
    normalise_jp_text,
    normalise_spec,
    stray_kanji_lookalike,
    zone_lang,
)
from extract.lexicon import nearest_choice
from extract.names import without_name_debris
from extract.nlp import ENTITY_FOR_KIND, find_value, value_after_label
from extract.normalise import STRICT_KINDS, digits_in, money_leaves_digits, normalise
from extract.read import (
    DUST_ROW_PIECES,
    KIND_WHITELIST,
    MIN_INK_PIXELS,
    BlankMasks,
    RereadKey,
    ZoneInk,
    ZoneReading,
    blank_masks,
    find_new_ink,
    ink_level,
    join_words,
    plan_rereads,
    read_as_printed,
    read_comb,
    read_text_zones,
    read_zone_digits,
    reread_together,
    reread_zone,
    residue_from_ink,
    safe_whitelist,
    streak_crossed,
    underline_ink,
    unread_ink,
    zone_box,
)
from extract.reference import POINTS_PER_INCH, ReferencePage, points_to_pixels
from extract.repairs import answer_of, base_name, fixed_answers
from extract.steps import read_provenance, run_assembly_steps
from extract.template import (
    CHECKBOX_KINDS,
    FieldKind,
    FieldSpec,
    FormTemplate,
    template_schema,
)
from extract.vocabularies import as_listed, in_vocabulary, vocabulary_whitelist
from faxflow.model import (
    CleanPage,
    Extraction,
    FieldResult,
    FormType,
    Issue,
    OcrWord,
    PageReport,
    PageRole,
    ProvenanceStep,
)
from faxflow.packs import pack_templates
from faxflow.schemas import blank_record
from faxflow.settings import Settings

log = logging.getLogger(__name__)

_MEMBER = re.compile(r"^(?P<list>\w+)\[(?P<index>\d+)\]\.(?P<prop>\w+)$")
_COPY = re.compile(r"^(?P<base>.+)#(?P<copy>\d+)$")
REREAD_BELOW = 0.75  # a composite read weaker than this is read again on its own
MEMBER_NAME_CONFIDENCE = (0.9, 0.5, 0.0)  # name confidence needed with 0, 1, 2+ other answers


@dataclass(frozen=True, slots=True, eq=False)
class ExtractedDocument:
    """The extraction and the images its field boxes refer to (input page number →
    the page warped into its template page's frame at ``settings.page_dpi``)."""

    extraction: Extraction
    page_images: dict[int, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _PageMeta:
    number: int
    rotation: int
    skew_degrees: float
    dpi: int


def extract_document(
    pages: Sequence[CleanPage],
    *,
    settings: Settings,
    templates: Mapping[str, FormTemplate] | None = None,
) -> ExtractedDocument:
    """Classify, align and read a document's cleaned pages (see the module docstring).

    Never raises for what a document says: unknown forms, cover sheets, blank or missing
    pages and unreadable fields are results. Raises only for broken installations
    (missing Tesseract or poppler, invalid templates)."""
    if templates is None:
        templates = pack_templates(settings)
    dpi = settings.page_dpi
    metas: list[_PageMeta] = []
    if not templates:
        unknown = tuple(PageReport(number=p.number, role=PageRole.UNKNOWN) for p in pages)
        return ExtractedDocument(Extraction(FormType.UNKNOWN, {}, {}, unknown))
    index = build_index(templates, dpi=dpi, cache_root=settings.var_dir / "cache" / "templates")
    raw: list[PageMatch] = []
    hint = None
    for position, page in enumerate(pages):
        metas.append(_PageMeta(page.number, page.rotation, page.skew_degrees, page.dpi))
        image = _at_dpi(page.image, page.dpi, dpi)
        found = classify_page(image, index, position=position, hint=hint)
        raw.append(found)
        hint = (found.key[0], found.key[1] + 1) if found.key else None
    matches = resolve_pages(raw)
    reports = tuple(_report(m, meta) for m, meta in zip(matches, metas, strict=True))
    form_type = _form_of(matches)
    if form_type is FormType.UNKNOWN:
        return ExtractedDocument(Extraction(FormType.UNKNOWN, {}, {}, reports))
    template = templates[form_type]
    results, issues, images = _read_document(pages, matches, metas, template, index, settings)
    record, fields, more_issues = _assemble(template, results)
    kinds = {name: _kind_of(template, name).value for name in fields}
    extraction = Extraction(
        form_type=form_type,
        record=record,
        fields=fields,
        pages=reports,
        issues=tuple(issues + more_issues),
        template_version=template.version,
        field_kinds=kinds,
    )
    return ExtractedDocument(extraction, images)


def _form_of(matches: Sequence[PageMatch]) -> FormType | str:
    forms = {m.form_type for m in matches if m.role is PageRole.FORM and m.form_type}
    return forms.pop() if len(forms) == 1 else FormType.UNKNOWN


def _at_dpi(image: np.ndarray, have: int, want: int) -> np.ndarray:
    if have == want or have <= 0:
        return image
    factor = want / have
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=interpolation)


def _report(found: PageMatch, meta: _PageMeta) -> PageReport:
    rotation, skew = meta.rotation, meta.skew_degrees
    if found.homography is not None:
        turns = quarter_turns(found.homography)
        residual = rotation_of(found.homography) - (turns if turns <= 180 else turns - 360)
        rotation = (rotation + turns) % 360
        skew = round(skew + residual, 2)
    return PageReport(
        number=meta.number,
        role=found.role,
        form_type=found.form_type,
        template_page=found.template_page,
        rotation=rotation,
        skew_degrees=skew,
        match_score=round(found.score, 3),
    )


# --------------------------------------------------------------------------------------
# Reading the pages that carry fields
# --------------------------------------------------------------------------------------


def _read_document(
    pages: Sequence[CleanPage],
    matches: Sequence[PageMatch],
    metas: Sequence[_PageMeta],
    template: FormTemplate,
    index: ReferenceIndex,
    settings: Settings,
) -> tuple[dict[str, FieldResult], list[Issue], dict[int, np.ndarray]]:
    dpi = settings.page_dpi
    results: dict[str, FieldResult] = {}
    issues: list[Issue] = []
    images: dict[int, np.ndarray] = {}
    seen_pages: set[int] = set()
    answers = fixed_answers(template)
    for found, meta in zip(matches, metas, strict=True):
        if found.role is not PageRole.FORM or found.key is None or found.homography is None:
            continue
        specs = template.fields_on_page(found.key[1])
        seen_pages.add(found.key[1])
        if not specs:
            continue  # a page without fields is never OCR'd
        reference = index.page(found.key).reference
        image = _at_dpi(pages[found.index].image, meta.dpi, dpi)
        aligned = warp_to_reference(image, found.homography, reference.image.shape[:2])
        aligned = register_locally(aligned, reference.image, [_field_box(s, dpi) for s in specs])
        images[meta.number] = aligned
        page_results, page_issues = read_page(
            aligned,
            reference,
            specs,
            settings=settings,
            page_number=meta.number,
            answers=answers,
        )
        results.update(page_results)
        issues.extend(page_issues)
    for spec_page in sorted({s.page for s in template.fields} - seen_pages):
        issues.append(
            Issue(
                field=None,
                code="missing_page",
                message=f"page {spec_page} of the form, which carries fields, is not in the "
                "document; its fields are blank",
            )
        )
    return results, issues, images


def read_page(
    aligned: np.ndarray,
    reference: ReferencePage,
    specs: Sequence[FieldSpec],
    *,
    settings: Settings,
    page_number: int,
    answers: Mapping[str, Sequence[str]] | None = None,
) -> tuple[dict[str, FieldResult], list[Issue]]:
    """Read every field of one aligned page; ``answers`` gives the fixed answers of text
    fields that take one of a few (:func:`fixed_answers`)."""
    dpi = reference.dpi
    masks = _masks_of(reference)
    level = ink_level(aligned)  # Otsu over the page: once, for both ink masks
    ink = find_new_ink(aligned, masks, level=level)
    written = ink.written
    results: dict[str, FieldResult] = {}
    issues: list[Issue] = []
    checkbox_specs = [s for s in specs if s.kind in CHECKBOX_KINDS]
    text_specs = [s for s in specs if s.kind not in CHECKBOX_KINDS and s.region is not None]
    comb_specs = [s for s in specs if s.kind not in CHECKBOX_KINDS and s.region is None]
    if checkbox_specs:
        page_ink = aligned < level
        every_box = [o.box for s in checkbox_specs for o in s.options or []]
        for spec in checkbox_specs:
            reading = read_checkbox_field(
                spec,
                aligned,
                reference.image,
                dpi=dpi,
                printed=masks.printed,
                others=every_box,
                written=written,
                page_ink=page_ink,
            )
            # A faint mark, or a mark read over its run into the boxes beside it, is a
            # value where the ink alone read none: recorded.
            step = "read.faint_mark" if reading.faint else "read.spilled_mark"
            judged = reading.faint or reading.over_spill
            results[spec.name] = FieldResult(
                value=reading.value,
                confidence=conf.clamp(reading.confidence),
                page=page_number,
                bbox=reading.bbox,
                raw_text=reading.raw_text,
                provenance=(ProvenanceStep(step=step, after=reading.value),) if judged else (),
            )
            if reading.multiple_marks:
                marked = ", ".join(str(s.value) for s in reading.scores if s.marked)
                issues.append(
                    Issue(
                        field=base_name(spec.name),
                        code="multiple_marks",
                        message=f"more than one box is marked in a single-choice group "
                        f"({marked}); the value is left blank for a person to decide",
                    )
                )
            elif reading.ambiguous:
                inks = sorted((s.score for s in reading.scores), reverse=True)
                issues.append(
                    Issue(
                        field=base_name(spec.name),
                        code="ambiguous_mark",
                        message="a single-choice group carries ink but no box stands out "
                        f"(strongest boxes {inks[0]:.2f} and {inks[1]:.2f} strokes); the "
                        "value is left blank for a person to decide",
                    )
                )
    if not text_specs and not comb_specs:
        return results, issues
    clean = residue_from_ink(written)
    underlines = underline_ink(aligned, masks, level=level)
    readings, split = read_text_zones(
        clean,
        text_specs,
        settings=settings,
        dpi=dpi,
        underlines=underlines,
        page=aligned,
        printed=masks.printed & ~masks.rules if masks.printed is not None else None,
        specks=ink.specks,
    )
    for spec in comb_specs:
        readings[spec.name] = read_comb(clean, spec, settings=settings, dpi=dpi, page=aligned)
    _reread_japanese_together(text_specs, readings, split, settings=settings)
    # What the stack did not read (other languages, rule-free and as-printed readings, a
    # zone the stack read nothing in) is read in one call per group when first asked for.
    plan_rereads(split, *_planned_rereads(text_specs, readings, settings=settings, answers=answers))
    for spec in [*text_specs, *comb_specs]:
        results[spec.name] = _text_field(
            spec,
            readings[spec.name],
            aligned,
            split,
            settings=settings,
            page_number=page_number,
            answers=(answers or {}).get(spec.name),
        )
    issues.extend(_vote_on_copies(text_specs, split, results, settings=settings))
    issues.extend(_cut_readings(split, results))
    _doubt_streaked(streak_crossed(split, ink.streaks), results)
    issues.extend(_unlisted_answers(text_specs, results))
    return results, issues


def _reread_japanese_together(
    specs: Sequence[FieldSpec],
    readings: Mapping[str, ZoneReading],
    split: ZoneInk,
    *,
    settings: Settings,
) -> None:
    """The Japanese zones :func:`_text_field` will read again (a reading that fails its
    kind, or that OCR doubted), read again together beforehand, one call per whitelist: a
    jpn call costs 0.3 s, mostly loading the model, and a page has a dozen such zones."""
    doubtful: dict[str, str | None] = {}
    for spec in specs:
        reading = readings.get(spec.name)
        if reading is None or reading.blank or reading.method != "page":
            continue
        if not is_japanese_lang(zone_lang(spec)) or spec.closed_vocabulary is not None:
            continue  # a closed vocabulary's zones are read again as one word each
        evidence = conf.ocr_evidence([w.confidence for w in reading.words])
        value = _value_of(spec, reading.text)
        if (
            evidence < REREAD_BELOW
            or value is None
            or _unlisted(spec, value)
            or _leaves_ink_unread(split, spec, reading)
        ):
            doubtful[spec.name] = _whitelist(spec)
    reread_together(split, doubtful, settings=settings, dpi=settings.page_dpi)


def _leaves_ink_unread(split: ZoneInk, spec: FieldSpec, reading: ZoneReading) -> bool:
    """Whether ``reading`` leaves writing of ``spec``'s zone uncovered (``unread_ink``);
    False for a field read outside the page's split (comb boxes)."""
    if spec.name not in split.names:
        return False
    return unread_ink(split, split.index(spec.name), reading.words)


def _cut_readings(split: ZoneInk, results: dict[str, FieldResult]) -> list[Issue]:
    """Zones whose writing runs on past what they could be given (``split.cut``: into a
    label, the page's edge or another zone's writing) were read without its rest: issue
    ``truncated``, confidence capped so that they are never auto-accepted."""
    issues: list[Issue] = []
    for name, stop in split.cut.items():
        result = results.get(name)
        if result is None:
            continue
        results[name] = result.model_copy(
            update={"confidence": min(result.confidence, conf.TRUNCATED_CONFIDENCE)}
        )
        issues.append(
            Issue(
                field=base_name(name),
                code="truncated",
                message=f"the writing in {base_name(name)} runs on into "
                f"{_CUT_STOPS.get(stop, stop)}: the value read may lack its end",
            )
        )
    return issues


def _doubt_streaked(names: frozenset[str], results: dict[str, FieldResult]) -> None:
    """Values read from writing a fax streak ran through (:func:`extract.read.streak_crossed`)
    are capped at :data:`conf.STREAK_CROSSED_CONFIDENCE`: a stroke lying under the streak
    went with it, and what is left may read as another valid value."""
    for name in names:
        result = results.get(name)
        if result is None or result.value is None:
            continue
        results[name] = result.model_copy(
            update={"confidence": min(result.confidence, conf.STREAK_CROSSED_CONFIDENCE)}
        )


def _unlisted_answers(specs: Sequence[FieldSpec], results: dict[str, FieldResult]) -> list[Issue]:
    """Closed-vocabulary fields whose value is none of the list's answers, even after the
    reread restricted to its characters: kept as read (the list may lack an answer), with
    issue ``not_in_vocabulary`` and confidence capped (:data:`conf.VOCABULARY_MISS_CONFIDENCE`)
    so that a person decides. The message names the list, never the value."""
    issues: list[Issue] = []
    for spec in specs:
        result = results.get(spec.name)
        if result is None or not _unlisted(spec, result.value):
            continue
        results[spec.name] = result.model_copy(
            update={"confidence": min(result.confidence, conf.VOCABULARY_MISS_CONFIDENCE)}
        )
        name = base_name(spec.name)
        says = f"{name} reads as none of the answers of its list {spec.closed_vocabulary}"
        issues.append(Issue(field=name, code="not_in_vocabulary", message=says))
    return issues


_CUT_STOPS = {
    "print": "the form's print",
    "writing": "another field's writing",
    "page": "the page's edge",
}


VOTED_KINDS = frozenset({FieldKind.IDENTIFIER})
"""Kinds whose copies on one page are decided by a vote of several readings (the CDC
form's nCoV ID is written twice on page 1)."""
_FOLD = str.maketrans("ILl|O0QDSBZGT", "1111000058267")


def _vote_on_copies(
    specs: Sequence[FieldSpec],
    split: ZoneInk,
    results: dict[str, FieldResult],
    *,
    settings: Settings,
) -> list[Issue]:
    """Copies of one ID on one page, each read with and without the rule it sits on, vote
    on the value: one copy alone is often misread ('M1I163173111', '11679429502' for
    IL679429502), rarely both the same way. Readings equal but for look-alikes ('11…' and
    'IL…') or a space after the prefix (a whitelisted reading may lose it) count as one
    candidate, spelled with the letters one of them saw. The winner
    goes to the first copy (the field); the others are left empty, so that the record's
    assembly keeps it as decided here.

    On 100 CDC pages (seed 777): nCoV ID right 65 -> 90 %; four readings of four agreeing
    were right 31 of 31, three 23 of 25, two 24 of 29: fewer than three agreeing readings
    leave the value in doubt (:data:`VOTE_DOUBT_CONFIDENCE`)."""
    groups: dict[str, list[FieldSpec]] = {}
    for spec in specs:
        if spec.kind in VOTED_KINDS:
            groups.setdefault(base_name(spec.name), []).append(spec)
    issues: list[Issue] = []
    for base, copies in groups.items():
        if len(copies) < 2 or any(s.name not in results for s in copies):
            continue
        votes: dict[str, list[tuple[str, float, str]]] = {}
        for spec in copies:
            for underline in (True, False):
                again = reread_zone(
                    split,
                    spec.name,
                    settings=settings,
                    dpi=settings.page_dpi,
                    whitelist=_whitelist(spec),
                    underline=underline,
                )
                value = _value_of(spec, again.text)
                evidence = conf.ocr_evidence([w.confidence for w in again.words])
                if not isinstance(value, str) or is_speck_value(spec.kind, value, evidence):
                    continue
                key = value.replace(" ", "").translate(_FOLD)
                votes.setdefault(key, []).append((value, evidence, again.text))
        if not votes:
            continue
        readings = 2 * len(copies)
        winner = max(votes.values(), key=lambda vs: (len(vs), max(e for _, e, _ in vs)))
        value = max(
            sorted({v for v, _, _ in winner}),
            key=lambda v: (
                sum(ch.isalpha() for ch in v),
                sum(w == v for w, _, _ in winner),
                max(e for w, e, _ in winner if w == v),  # a tie goes to the surer spelling
            ),
        )
        best, raw = max((e, text) for v, e, text in winner if v == value)
        if len(winner) == readings:
            score = 1.0 - (1.0 - best) * 0.5
        elif len(winner) >= readings - 1:
            score = best
        else:
            score = min(best, VOTE_DOUBT_CONFIDENCE)
            issues.append(_copies_differ(base))
        first = results[copies[0].name]
        results[copies[0].name] = first.model_copy(
            update={"value": value, "confidence": conf.clamp(score), "raw_text": raw}
        )
        for spec in copies[1:]:
            results[spec.name] = results[spec.name].model_copy(update={"value": None})
    return issues


VOTE_DOUBT_CONFIDENCE = 0.3
"""Confidence of a voted ID that fewer than all but one of the readings agree on."""


def _copies_differ(base: str) -> Issue:
    """The issue for a field written twice whose copies read differently (no value in
    the message: it may be personal data)."""
    return Issue(
        field=base,
        code="field_disagreement",
        message=f"{base} is written twice on the form and the two copies differ",
    )


def _field_box(spec: FieldSpec, dpi: int) -> tuple[int, int, int, int]:
    """Pixel box of everything a field occupies (zone, comb boxes or option boxes)."""
    boxes = [b for b in [spec.region, *(spec.boxes or [])] if b is not None]
    boxes += [o.box for o in spec.options or []]
    pixels = [points_to_pixels(b, dpi) for b in boxes]
    return (
        min(p[0] for p in pixels),
        min(p[1] for p in pixels),
        max(p[2] for p in pixels),
        max(p[3] for p in pixels),
    )


# Blank masks per reference page, kept bit-packed: three boolean page-sized arrays per
# page are ~11 MB at 200 dpi, and a DHS-1171 has ten pages with fields; packed they are
# 1.4 MB and unpack in milliseconds (worker peak 501 -> below 500 MB on that form).
_MASKS: dict[tuple[str, int, int], tuple[tuple[int, int], tuple[np.ndarray, ...]]] = {}


def _masks_of(reference: ReferencePage) -> BlankMasks:
    key = (reference.form_type, reference.number, reference.dpi)
    if key not in _MASKS:
        masks = blank_masks(reference.image)
        arrays = (masks.ink, masks.rules, masks.printed)
        _MASKS[key] = (masks.ink.shape, tuple(np.packbits(a) for a in arrays if a is not None))
    shape, packed = _MASKS[key]
    size = shape[0] * shape[1]
    ink, rules, printed = (np.unpackbits(a, count=size).reshape(shape).view(bool) for a in packed)
    return BlankMasks(ink, rules, printed)


ZONE_DIGIT_KINDS = frozenset(
    {FieldKind.INTEGER, FieldKind.DATE, FieldKind.ERA_DATE, FieldKind.PHONE}
)
"""Kinds written in digits only, so that the digit classifier can read them again (an era
date only where no era, 元 or 年月日 was read among its digits: see _written_in_kanji)."""
_DATE_KANJI = re.compile(r"[明治大正昭和平成令元年月日MTSHRmtshr]")


def _written_in_kanji(reading: ZoneReading) -> bool:
    """An era date whose reading holds an era, 元 or 年月日: written whole, not digits in
    the gaps, so the digit classifier would read those characters as digits."""
    return bool(_DATE_KANJI.search(reading.text))


_WORD = re.compile(r"[A-Za-z]{3,}")  # a month's name or its abbreviation


def _same_characters(spec: FieldSpec, one: object, other: object) -> bool:
    """Whether two readings of a zone agree: the same value, or for an ID the same
    characters, as a reading restricted to the ID's characters may lose the space a
    writer left after its prefix ('MI 556442' and 'MI556442')."""
    if spec.kind is FieldKind.IDENTIFIER and isinstance(one, str) and isinstance(other, str):
        return one.replace(" ", "") == other.replace(" ", "")
    return one == other


class _DigitsCheck(NamedTuple):
    """What the digit classifier's second reading of a zone leaves: the value, the reading
    it comes from, whether two readers agree on it, a cap on its confidence, and a floor
    (two readers that agree are at least as sure as the classifier alone would be)."""

    value: object
    reading: ZoneReading
    agreed: bool
    cap: float = 1.0
    floor: float = 0.0


def _with_zone_digits(
    spec: FieldSpec, split: ZoneInk, value: object, reading: ZoneReading, agreed: bool
) -> _DigitsCheck:
    """A short number read again digit by digit by the classifier: agreement raises
    confidence; where Tesseract read nothing, or less surely, the classifier's digits win,
    their confidence capped (one reader alone, or two that disagree)."""
    kept = _DigitsCheck(value, reading, agreed)
    dated = spec.kind in (FieldKind.DATE, FieldKind.ERA_DATE)
    if spec.kind is FieldKind.ERA_DATE and _written_in_kanji(reading):
        return kept
    if spec.kind is FieldKind.PHONE:
        # (586) 643-2722: ten digits (eleven with a leading 1) and two brackets, its marks
        # set apart
        digits = read_zone_digits(split, spec.name, max_glyphs=13, separated=True)
    elif dated:
        digits = read_zone_digits(split, spec.name, max_glyphs=10, separated=True)
    else:
        digits = read_zone_digits(split, spec.name)
    if digits is None:
        return kept
    digit_value = _value_of(spec, digits.text)
    if digit_value is None:
        return kept
    if digit_value == value:
        return _DigitsCheck(value, reading, True, floor=_one_reader_confidence(spec, digits, value))
    # The glyphs must lose no digit that Tesseract saw (a thin 1 taken for a speck), and
    # a date must come out as three parts (a 0 broken in two changes them); otherwise
    # Tesseract's reading stays.
    if len(digits_in(digits.text)) < len(digits_in(reading.text)):
        return kept
    if dated and len(digits.text.split()) != 3:
        return kept
    # A valid value Tesseract read with a word in it ('Apr 12, 2020') was written in
    # letters the classifier cannot read: its digits for them ('40 12 2020') are guesses.
    if value is not None and _WORD.search(reading.text):
        return kept
    if value is None:
        return _DigitsCheck(digit_value, digits, False, cap=conf.ONE_READER_DIGITS_CONFIDENCE)
    if _evidence(reading) < digits.confidence:
        return _DigitsCheck(digit_value, digits, False, cap=conf.DISPUTED_DIGITS_CONFIDENCE)
    return kept


def _one_reader_confidence(spec: FieldSpec, digits: ZoneReading, value: object) -> float:
    """The confidence the classifier's reading ``digits`` of ``value`` would have alone."""
    confidences = [w.confidence for w in digits.words] or [digits.confidence]
    score = conf.text_confidence(
        spec.kind, word_confidences=confidences, raw_text=digits.text, value=value
    )
    return min(score, conf.ONE_READER_DIGITS_CONFIDENCE)


def _first_look(
    spec: FieldSpec, reading: ZoneReading, *, settings: Settings
) -> tuple[ZoneReading, Any, bool, bool]:
    """A zone's first reading as :func:`_text_field` judges it: the reading (edge debris
    trimmed), its value, whether words were trimmed, and whether it is doubtful enough to
    be read again on its own."""
    trimmed = False
    japanese = is_japanese_lang(zone_lang(spec) or settings.tesseract_lang)
    # A Japanese reading comes in runs of a character or two: its short edge words are
    # characters of the value, not a neighbour's strokes.
    if spec.kind in (FieldKind.TEXT, FieldKind.NAME) and not japanese:
        whole = reading
        reading = _without_edge_debris(reading)
        trimmed = reading is not whole  # dropped words may hide real ones: read again
    value = _value_of(spec, reading.text)
    doubtful = (
        value is None
        or trimmed
        or _unlisted(spec, value)
        or _drops_marks(spec, reading.text)
        or (
            reading.method == "page"
            and conf.ocr_evidence([w.confidence for w in reading.words]) < REREAD_BELOW
        )
    )
    return reading, value, trimmed, doubtful


def _planned_rereads(
    specs: Sequence[FieldSpec],
    readings: Mapping[str, ZoneReading],
    *,
    settings: Settings,
    answers: Mapping[str, Sequence[str]] | None,
) -> tuple[list[RereadKey], list[tuple[str, str | None]]]:
    """The rereads :func:`_text_field` and :func:`_vote_on_copies` are expected to ask
    for on a page, and the zones it may read as printed, planned so that each group of
    them costs one Tesseract process (:func:`extract.read.plan_rereads`). A guess: a
    reading planned and not asked for is never made on its own, and one asked for
    unplanned is made as it is asked for."""
    keys: list[RereadKey] = []
    printed: list[tuple[str, str | None]] = []
    copies: dict[str, int] = {}
    for spec in specs:
        if spec.kind in VOTED_KINDS:
            copies[base_name(spec.name)] = copies.get(base_name(spec.name), 0) + 1
    for spec in specs:
        reading = readings[spec.name]
        whitelist = _whitelist(spec)
        if spec.kind in VOTED_KINDS and copies[base_name(spec.name)] > 1:
            keys += [(spec.name, whitelist, 7, True), (spec.name, whitelist, 7, False)]
        if reading.blank or reading.method == "comb":
            continue
        first, value, _, doubtful = _first_look(spec, reading, settings=settings)
        if doubtful:
            keys.append((spec.name, whitelist, _reread_psm(spec), True))
        if doubtful and _listed_doubt(spec, reading) and (value is None or _unlisted(spec, value)):
            for restricted, psm in CLOSED_VOCABULARY_FALLBACKS:  # if the first finds none
                keys.append((spec.name, whitelist if restricted else None, psm, True))
        if value is None and reading.ink_pixels >= conf.WRITING_INK_PIXELS:
            keys.append((spec.name, whitelist, 7, False))  # if the reread fails too
        if value is None and spec.kind in STRICT_KINDS and spec.region is not None:
            printed.append((spec.name, whitelist))  # reread.as_printed, if it fails too
        fixed = (answers or {}).get(spec.name)
        if fixed and answer_of(value, first.text, fixed, initials=False) is None:
            keys.append((spec.name, None, 7, False))
    return keys, printed


def _text_field(
    spec: FieldSpec,
    reading: ZoneReading,
    aligned: np.ndarray,
    split: ZoneInk,
    *,
    settings: Settings,
    page_number: int,
    answers: Sequence[str] | None = None,
) -> FieldResult:
    dpi = settings.page_dpi
    if reading.blank:
        blank = conf.blank_confidence(reading.ink_pixels, MIN_INK_PIXELS)
        if split.foreign_ink(spec.name) >= conf.CROSSED_INK_PIXELS:
            # Another zone's writing lies in this one's box: this zone's own writing may
            # be joined to it (large letters touching the line above) and gone with it.
            blank = min(blank, conf.CROSSED_BLANK_CONFIDENCE)
        if split.dust_row(spec.name) >= DUST_ROW_PIECES:
            # A row of specks along the writing line: writing the fax broke up, perhaps.
            blank = min(blank, conf.BROKEN_WRITING_CONFIDENCE)
        return FieldResult(
            value=None,
            confidence=blank,
            page=page_number,
            bbox=reading.bbox,
            raw_text=None,
        )
    reading, value, trimmed, doubtful = _first_look(spec, reading, settings=settings)
    # Writing the reading left uncovered (a character or word Tesseract passed over, the
    # rest of a name cut off): read again.
    first_look = reading
    missed = _leaves_ink_unread(split, spec, reading)
    doubtful = doubtful or missed
    agreed = False
    listed_reread: tuple[ProvenanceStep, ...] = ()  # rereads that changed the value
    digits_cap = 1.0  # the digit classifier's value alone, or against Tesseract's
    digits_floor = 0.0  # the classifier agreeing: at least as sure as it alone
    if doubtful and reading.method != "comb":
        again = reread_zone(
            split,
            spec.name,
            settings=settings,
            dpi=dpi,
            whitelist=_whitelist(spec),
            psm=_reread_psm(spec),
        )
        again_value = _value_of(spec, again.text)
        if again_value is not None and _same_characters(spec, again_value, value):
            agreed = True
        elif spec.closed_vocabulary is not None and _answers_instead(spec, value, again_value):
            # Read again with only the list's characters: what Tesseract saw among the
            # answers, not the nearest answer to what it read. Tesseract's jpn reads a
            # lone typed 弟 as 第 (0.59), or as nothing on the page; restricted, as 弟.
            step = ProvenanceStep(step="reread.vocabulary", before=value, after=again_value)
            listed_reread = (step,)
            reading, value = again, again_value
        elif (
            _drops_marks(spec, reading.text)
            and again_value is not None
            and not _drops_marks(spec, again.text)
        ):
            # A phone read with a mark among its digits ('/' for 7), read again digits
            # only: the reread's digits, but the two readings disagree.
            step = ProvenanceStep(step="reread.alone", before=value, after=again_value)
            listed_reread = (step,)
            reading, value = again, again_value
            digits_cap = conf.DISPUTED_DIGITS_CONFIDENCE
        elif (
            again_value is not None
            and not (_unlisted(spec, again_value) and value is not None)
            and (
                value is None
                or (missed and not _leaves_ink_unread(split, spec, again))
                or _evidence(again) > _evidence(reading)
                or (
                    trimmed
                    and len(again.words) > len(reading.words)
                    and _evidence(again) >= REREAD_BELOW
                )
            )
        ):
            reading, value = again, again_value
    for restricted, psm in CLOSED_VOCABULARY_FALLBACKS if _listed_doubt(spec, reading) else ():
        # Restricted and read as one word, a hand-printed answer often reads as nothing;
        # as a block (psm 6) or without the list it may read as one (module constants).
        if not doubtful or not (value is None or _unlisted(spec, value)):
            break
        whitelist = _whitelist(spec) if restricted else None
        again = reread_zone(
            split, spec.name, settings=settings, dpi=dpi, whitelist=whitelist, psm=psm
        )
        again_value = _value_of(spec, again.text)
        if _answers_instead(spec, value, again_value):
            step = ProvenanceStep(step="reread.vocabulary", before=value, after=again_value)
            listed_reread = (step,)
            reading, value = again, again_value
    if spec.kind in ZONE_DIGIT_KINDS and spec.region is not None:
        before = value
        value, reading, agreed, digits_cap, digits_floor = _with_zone_digits(
            spec, split, value, reading, agreed
        )
        if before is not None and value != before:
            # the classifier's digits replaced Tesseract's: recorded, as every reread is
            step = ProvenanceStep(step="reread.digits", before=before, after=value)
            listed_reread = (*listed_reread, step)
    if value is None and spec.kind in STRICT_KINDS and spec.region is not None:
        # Writing that crosses the form's own print (digits over the printed slashes of
        # __/__/____) loses strokes in the residue; read the zone as printed instead.
        raw = read_as_printed(
            split, spec.name, aligned, settings=settings, dpi=dpi, whitelist=_whitelist(spec)
        )
        raw_value = _value_of(spec, raw.text)
        if raw_value is not None:
            reading, value = raw, raw_value
    if value is None and reading.method != "comb" and reading.ink_pixels >= conf.WRITING_INK_PIXELS:
        # Letters whose feet merge with the rule under them can hide the whole line
        # from Tesseract ('Ingham County Health Dept' read as nothing, and read
        # right without the rule); specks are left alone.
        bare = reread_zone(
            split,
            spec.name,
            settings=settings,
            dpi=dpi,
            whitelist=_whitelist(spec),
            underline=False,
        )
        bare_value = _value_of(spec, bare.text)
        if bare_value is not None:
            reading, value = bare, bare_value
    if value is None and spec.kind in STRICT_KINDS:
        anchored = _label_fallback(spec, aligned, settings=settings)
        if anchored is not None:
            text, evidence = anchored
            found = _value_of(spec, text)
            if found is not None:
                return FieldResult(
                    value=found,
                    confidence=conf.clamp(
                        min(
                            0.7
                            * conf.text_confidence(
                                spec.kind, word_confidences=[evidence], raw_text=text, value=found
                            ),
                            conf.JP_PHONE_DROPPED_CONFIDENCE if _drops_marks(spec, text) else 1.0,
                        )
                    ),
                    page=page_number,
                    bbox=reading.bbox,
                    raw_text=text,
                    provenance=read_provenance(text, found, found, answered=False),
                )
    answered = False
    if answers and answer_of(value, reading.text, answers, initials=False) is None:
        # A short fixed answer ('yr') whose 'y' crosses the rule it sits on reads as 'ye',
        # 'mis' or nothing; without the rule it reads near enough to tell which answer
        # (on 120 CDC pages: age_units right 98 -> 112, two answered wrongly).
        again = reread_zone(split, spec.name, settings=settings, dpi=dpi, underline=False)
        found = nearest_choice(again.text, answers)
        if found is not None:
            reading, value, answered = again, found, True
        elif (found := nearest_choice(reading.text, answers)) is not None:
            value, answered = found, True  # the rule-free reading saw less ('xr', 'nr')
    confidences = [w.confidence for w in reading.words] or [reading.confidence]
    if value is None and spec.kind in STRICT_KINDS and reading.text.strip():
        score = conf.pattern_miss_confidence(confidences)
    else:
        score = conf.text_confidence(
            spec.kind,
            word_confidences=confidences,
            raw_text=reading.text,
            value=value,
            agreed=agreed,
            ink_pixels=reading.ink_pixels,
        )
    score = min(score, digits_cap)
    if value is not None:
        score = max(score, digits_floor)
    if spec.kind is FieldKind.KATAKANA and value is not None and katakana_lookalikes(reading.text):
        # Kanji, hiragana or dashes read where katakana of the same shape belong ('口'
        # for 'ロ'): given back as katakana, so right only as often as the guess is.
        score = min(score, conf.KATAKANA_LOOKALIKE_CONFIDENCE)
    if spec.kind is FieldKind.DATE and value is not None and conf.uneven_date_parts(reading.text):
        score = min(score, conf.UNEVEN_DATE_CONFIDENCE)
    if spec.kind is FieldKind.MONEY and value is not None and money_leaves_digits(reading.text):
        score = min(score, conf.DIGITS_LEFT_OUT_CONFIDENCE)
    if (
        value is not None
        and spec.kind in (FieldKind.TEXT, FieldKind.NAME)
        and is_japanese_lang(zone_lang(spec) or settings.tesseract_lang)
        and stray_kanji_lookalike(reading.text)
    ):
        # A katakana alone among kanji (ハ王子 for 八王子, 0.86) is a kanji misread; read
        # again alone it read the same on tune faxes, so it is left as read, and doubted.
        score = min(score, conf.KATAKANA_LOOKALIKE_CONFIDENCE)
    if value is not None and (
        missed if reading is first_look else _leaves_ink_unread(split, spec, reading)
    ):
        score = min(score, conf.UNREAD_INK_CONFIDENCE)
    normal = value  # the normal form of what was read, before the speck check
    if listed_reread and spec.closed_vocabulary is not None:
        score = min(score, conf.VOCABULARY_REREAD_CONFIDENCE)
    if value is not None and _drops_marks(spec, reading.text):
        # The normaliser kept the digits and dropped a mark that was likely a misread
        # digit: the number left may be valid and wrong (provenance: normalise, raw → digits).
        score = min(score, conf.JP_PHONE_DROPPED_CONFIDENCE)
    if answered:
        score = min(score, ANSWER_REREAD_CONFIDENCE)
    elif is_speck_value(spec.kind, value, score) and not (
        spec.closed_vocabulary is not None and in_vocabulary(value, spec.closed_vocabulary)
    ):
        # Specks in an empty zone read as 'oe', '8': blank, and doubtful. Two doubtful
        # letters clearly nearest one fixed answer ('xr', 'Yf' for yr) are that answer.
        # One of a closed list's answers (母, 孫) is no speck however doubtfully read: fax
        # noise in an empty zone does not spell one; its low confidence sends it to a person.
        near = nearest_choice(reading.text, answers) if answers else None
        value = near
        if near is not None:
            score = min(score, ANSWER_REREAD_CONFIDENCE)
    return FieldResult(
        value=value,
        confidence=score,
        page=page_number,
        bbox=reading.bbox,
        raw_text=reading.text or None,
        provenance=(
            *listed_reread,
            *read_provenance(reading.text, normal, value, answered=answered),
        ),
        words=tuple((w.text, w.confidence) for w in reading.words),
    )


SPECK_VALUE_CONFIDENCE = 0.3
"""A name or free-text value of one or two characters read with less confidence than
this is fax noise in an empty zone ('oe', 'I', '8' where nothing was written): the field
is left blank, with that low confidence, so review still looks at it."""


ID_SPECK_CONFIDENCE = 0.5
"""An ID value without a digit, or of one or two characters, read with less confidence
than this is ink from the line above reaching into an empty ID zone ('KCHD', 'ES', 'J'
under 'Allen Co. HD'): of 28 such values in three 400-document benchmark runs, 16 stood
in empty zones and 12 were misreadings of a written ID; none was right."""


def is_speck_value(kind: FieldKind, value: object, confidence: float) -> bool:
    """Whether a name, free-text, ID or money ``value`` is fax noise (see
    SPECK_VALUE_CONFIDENCE, ID_SPECK_CONFIDENCE and MONEY_SPECK_CONFIDENCE)."""
    if kind is FieldKind.MONEY:
        # A lone digit 1-9 is a speck in an empty amount box or a misread amount more
        # often than dollars (three 400-document benches: 23 such values, none right,
        # 11 of them in empty boxes); 0 is an answer.
        return (
            isinstance(value, float)
            and value.is_integer()
            and 1 <= value <= 9
            and confidence < MONEY_SPECK_CONFIDENCE
        )
    if not isinstance(value, str):
        return False
    alnum = sum(ch.isalnum() for ch in value)
    if kind is FieldKind.IDENTIFIER:
        has_digit = any(ch.isdigit() for ch in value)
        return (alnum <= 2 or not has_digit) and confidence < ID_SPECK_CONFIDENCE
    return (
        kind in (FieldKind.TEXT, FieldKind.NAME)
        and alnum <= 2
        and confidence < SPECK_VALUE_CONFIDENCE
    )


MONEY_SPECK_CONFIDENCE = 0.9
"""An amount of one digit read with less confidence than this is a speck."""
EDGE_DEBRIS_CONFIDENCE = 0.6
"""A word of one or two characters at either end of a name or free text read with less
confidence than this is a neighbour's stroke or a speck, not part of the value
('Jacksonfort L', 'Wilson’ om'): dropped while other words remain."""


def _without_edge_debris(reading: ZoneReading) -> ZoneReading:
    words = list(reading.words)

    def debris(word: OcrWord) -> bool:
        letters = [ch for ch in word.text if ch.isalnum()]
        abbreviation = len(letters) == 2 and "".join(letters).isupper()  # 'HD', 'MI'
        return len(letters) <= 2 and not abbreviation and word.confidence < EDGE_DEBRIS_CONFIDENCE

    if len(words) < 2:
        return reading
    ordered = sorted(words, key=lambda w: ((w.bbox[1] + w.bbox[3]) // 40, w.bbox[0]))
    while len(ordered) > 1 and debris(ordered[-1]):
        ordered.pop()
    while len(ordered) > 1 and debris(ordered[0]):
        ordered.pop(0)
    if len(ordered) == len(words):
        return reading
    kept = tuple(w for w in words if w in ordered)
    text = join_words(kept)
    confidence = float(np.mean([w.confidence for w in kept]))
    return ZoneReading(text, confidence, reading.bbox, reading.ink_pixels, kept, reading.method)


def _evidence(reading: ZoneReading) -> float:
    return conf.ocr_evidence([w.confidence for w in reading.words] or [reading.confidence])


def _whitelist(spec: FieldSpec) -> str | None:
    chosen = spec.whitelist or KIND_WHITELIST.get(spec.kind)
    if chosen is None and spec.closed_vocabulary is not None:
        chosen = vocabulary_whitelist(spec.closed_vocabulary)
    return safe_whitelist(chosen)


def _drops_marks(spec: FieldSpec, text: str) -> bool:
    """Whether a Japanese phone reading holds a mark the normaliser drops that is no
    separator (:func:`extract.japanese.jp_phone_dropped`)."""
    return spec.kind is FieldKind.JP_PHONE and jp_phone_dropped(text) > 0


CLOSED_VOCABULARY_PSM = 8
"""A closed vocabulary's answers are one word (弟, 長女, 妻の父): its zone is read again as
one word. Restricted to the list's characters, Tesseract 5.3's jpn reads a lone kanji
as nothing as a line (psm 7) and right as a word (psm 8)."""


def _listed_doubt(spec: FieldSpec, reading: ZoneReading) -> bool:
    """Whether a closed-vocabulary zone with writing in it is read again without its
    list when the restricted reread finds none of its answers."""
    return spec.closed_vocabulary is not None and reading.method != "comb" and not reading.blank


CLOSED_VOCABULARY_FALLBACKS: tuple[tuple[bool, int], ...] = ((True, 6), (False, 7))
"""Rereads of a closed-vocabulary zone, in order, while none has found an answer: the
list's characters as a block (psm 6), then the whole model as a line. On three tune
faxes of the cash payment form (15 written relationships, 2026-12-07), restricted as a
word Tesseract read 1 answer right; as a block 2 more (and 父 for 祖父, 母 for 祖母,
which :func:`_answers_instead` refuses: fewer characters than first read)."""


def _answers_instead(spec: FieldSpec, value: object, again: object) -> bool:
    """Whether a reread's ``again`` is taken for a closed-vocabulary field read as
    ``value``: ``again`` is one of the list's answers and ``value`` none (or nothing), and
    ``again`` has at least as many characters as ``value`` (a reading restricted to the
    list drops what it cannot read: 父 out of a 祖父 first read 相父 is half an answer)."""
    if again is None or _unlisted(spec, again) or not (value is None or _unlisted(spec, value)):
        return False
    return value is None or len(str(again).replace(" ", "")) >= len(str(value).replace(" ", ""))


def _reread_psm(spec: FieldSpec) -> int:
    return CLOSED_VOCABULARY_PSM if spec.closed_vocabulary is not None else 7


def _unlisted(spec: FieldSpec, value: object) -> bool:
    """Whether ``value`` is read but none of the answers of ``spec``'s closed vocabulary."""
    return (
        spec.closed_vocabulary is not None
        and value is not None
        and not in_vocabulary(value, spec.closed_vocabulary)
    )


def _value_of(spec: FieldSpec, text: str) -> Any:
    """Normal form of ``text``; for strict kinds, also of an entity found inside it. The
    Japanese kinds (and text or names read in Japanese) go to :mod:`extract.japanese`,
    which needs the field's era."""
    if spec.kind in JP_KINDS:
        return normalise_spec(spec, text)
    if spec.kind in (FieldKind.TEXT, FieldKind.NAME) and is_japanese_lang(zone_lang(spec)):
        value = normalise_jp_text(text)
        if value is not None and spec.closed_vocabulary is not None:
            return as_listed(value, spec.closed_vocabulary) or value
        return value
    kind = spec.kind
    if kind is FieldKind.NAME:
        text = without_name_debris(text)
    value = normalise(kind, text)
    if value is None and kind in ENTITY_FOR_KIND and text.strip():
        inner = find_value(kind, text)
        if inner is not None:
            value = normalise(kind, inner)
    return value


def _label_fallback(
    spec: FieldSpec, aligned: np.ndarray, *, settings: Settings
) -> tuple[str, float] | None:
    """OCR a band around the zone with its printed label and take the value after it."""
    if not spec.label:
        return None
    from ocr.tesseract import read_text

    dpi = settings.page_dpi
    s = dpi / POINTS_PER_INCH
    x0, y0, x1, y1 = zone_box(spec, dpi, aligned.shape[:2])
    height, width = aligned.shape[:2]
    band = (
        max(0, int(x0 - 260 * s)),
        max(0, int(y0 - 4 * s)),
        min(width, int(x1 + 80 * s)),
        min(height, int(y1 + 4 * s)),
    )
    crop = aligned[band[1] : band[3], band[0] : band[2]]
    if crop.size == 0:
        return None
    crop = _drop_rules(crop)
    line = read_text(crop, settings=settings, psm=6, dpi=dpi, lang=zone_lang(spec))
    value = value_after_label(
        line.text, field=base_name(spec.name), kind=spec.kind, label=spec.label
    )
    if value is None:
        return None
    return value, line.confidence


def _drop_rules(crop: np.ndarray) -> np.ndarray:
    """Whiten long horizontal rules (underlines) so Tesseract reads the text above them."""
    ink = (crop < 160).astype(np.uint8)
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, 40), np.uint8))
    out = crop.copy()
    out[rules > 0] = 255
    return out


# --------------------------------------------------------------------------------------
# Record assembly
# --------------------------------------------------------------------------------------


def _kind_of(template: FormTemplate, name: str) -> FieldKind:
    for spec in template.fields:
        if spec.name == name:
            return spec.kind
    return FieldKind.TEXT


ANSWER_REREAD_CONFIDENCE = 0.5
"""A fixed answer found only by reading its zone again is likely right, but a person
should see it before it is trusted."""


def _is_member(values: Mapping[str, Any], name_field: FieldResult | None) -> bool:
    """A filled-in person block, not specks in an empty one.

    A name alone is not enough: fax noise in an empty block reads as 'ee', 'fey' or
    'Come Etecereene' with confidences up to 0.84, while real household members have their
    birth date, relationship, sex or SSN answered too. On the 200 DHS-1171 documents of
    the 400-document benchmark, the name-confidence bar falling with the number of other
    answers (:data:`MEMBER_NAME_CONFIDENCE`) keeps all 332 members and none of the 55
    noise blocks the former single bar of 0.3 let through."""
    name = values.get("full_name")
    answers = sum(v is not None and v != [] for k, v in values.items() if k != "full_name")
    if not (isinstance(name, str) and sum(ch.isalpha() for ch in name) >= 2):
        return answers >= 3
    confidence = 1.0 if name_field is None else name_field.confidence
    return confidence >= MEMBER_NAME_CONFIDENCE[min(answers, len(MEMBER_NAME_CONFIDENCE) - 1)]


def filled_blocks(
    by_index: Mapping[int, dict[str, Any]], names: Mapping[int, FieldResult | None]
) -> list[dict[str, Any]]:
    """The person blocks a record lists, in the form's order: every block up to the last
    one that is a filled-in person (:func:`_is_member`; ``names`` holds each block's name
    field). People fill the blocks in order, so a block before a filled one is a person
    too, however doubtfully its name was read (its fields carry their own doubt). Left
    out, it moved every later person up a place, so that block *i*'s fields
    (``household_members[i].…``, what a reviewer corrects) named another person's entry."""
    order = sorted(by_index)
    filled = [i for i in order if _is_member(by_index[i], names.get(i))]
    return [by_index[i] for i in order if filled and i <= filled[-1]]


def _assemble(
    template: FormTemplate, results: Mapping[str, FieldResult]
) -> tuple[dict[str, Any], dict[str, FieldResult], list[Issue]]:
    """The record (every schema property, normal forms) and per-field evidence."""
    record = blank_record(template_schema(template))
    fields: dict[str, FieldResult] = {}
    issues: list[Issue] = []
    copies: dict[str, list[FieldResult]] = {}
    for spec in template.fields:
        result = results.get(spec.name)
        if result is None:  # its page is missing
            result = FieldResult(value=None, confidence=0.0)
        copy = _COPY.match(spec.name)
        if copy:
            copies.setdefault(copy.group("base"), []).append(result)
            continue
        fields[spec.name] = result
    for base, seconds in copies.items():
        first = fields.get(base)
        for second in seconds:
            if first is None:
                continue
            if first.value is None and second.value is not None:
                fields[base] = first = second
            elif first.value is not None and second.value is not None:
                if first.value == second.value:
                    fields[base] = first = first.model_copy(
                        update={"confidence": 1.0 - (1.0 - first.confidence) * 0.5}
                    )
                else:
                    issues.append(_copies_differ(base))
                    # Keep the better-read copy; a person decides (low confidence).
                    better = second if second.confidence > first.confidence else first
                    fields[base] = first = better.model_copy(
                        update={"confidence": min(better.confidence, 0.3)}
                    )
    run_assembly_steps(template, fields)  # repair and check steps, see extract/steps.py
    members: dict[str, dict[int, dict[str, Any]]] = {}
    for name, result in fields.items():
        member = _MEMBER.match(name)
        if member:
            slot = members.setdefault(member.group("list"), {})
            slot.setdefault(int(member.group("index")), {})[member.group("prop")] = result.value
        elif name in record:
            record[name] = result.value
    for list_name, by_index in members.items():
        if list_name not in record:
            continue
        names = {i: fields.get(f"{list_name}[{i}].full_name") for i in by_index}
        record[list_name] = filled_blocks(by_index, names)
    return record, fields, issues
