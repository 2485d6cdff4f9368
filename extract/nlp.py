"""spaCy rules for noisy OCR text: value entities and label-anchored values.

A blank English pipeline (``spacy.blank("en")``: no model download) with an EntityRuler
whose patterns live in ``extract/rules/values.jsonl`` (DATE, MONEY, PHONE, SSN, ZIP,
EMAIL, written with token ``SHAPE``s such as ``dd/dd/dddd``), plus a Matcher for printed
labels. Label patterns come from two places: each template field's ``label`` (every word
of four or more letters matched with ``FUZZY``, so OCR-garbled labels like ``Dale of
birlh`` still match) and extra phrasings in ``extract/rules/labels.jsonl`` keyed by field
name. Pattern files are validated on load; a bad line raises :class:`TemplateError`
naming the file and the line.

Used by the extractor (a) to pull a date, amount or phone number out of a zone whose text
holds more than the value, and (b) when a zone comes up empty or its text does not fit,
to find the value written after the field's label in a wider band of the page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from extract.template import FieldKind
from faxflow.errors import TemplateError

RULES_DIR = Path(__file__).resolve().parent / "rules"
PIPELINE_NAME = "faxflow_rules.v1"
"""Versioned name of the rules pipeline (recorded in ``nlp.meta``); bump it when the
meaning of a pattern file changes."""

VALUE_LABELS = frozenset({"DATE", "MONEY", "PHONE", "SSN", "ZIP", "EMAIL"})
ENTITY_FOR_KIND: dict[FieldKind, str] = {
    FieldKind.DATE: "DATE",
    FieldKind.MONEY: "MONEY",
    FieldKind.PHONE: "PHONE",
    FieldKind.SSN: "SSN",
    FieldKind.ZIP: "ZIP",
    FieldKind.EMAIL: "EMAIL",
}
_TOKEN_KEYS = frozenset(
    {"TEXT", "LOWER", "SHAPE", "LIKE_EMAIL", "LIKE_NUM", "IS_DIGIT", "IS_ALPHA", "IS_PUNCT",
     "LENGTH", "OP", "ORTH", "NORM", "IS_SPACE"}
)  # fmt: skip


class PatternLine(BaseModel):
    """One line of a pattern file (spaCy's EntityRuler JSONL format)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str
    pattern: list[dict[str, Any]]
    id: str

    @field_validator("pattern")
    @classmethod
    def _known_token_keys(cls, pattern: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not pattern:
            raise ValueError("pattern is empty")
        for token in pattern:
            unknown = set(token) - _TOKEN_KEYS
            if unknown:
                raise ValueError(f"unknown token attribute(s) {sorted(unknown)}")
        return pattern


def load_pattern_file(path: Path, *, labels: frozenset[str] | None = None) -> list[PatternLine]:
    """Read and validate a JSONL pattern file; ``labels`` restricts the allowed labels."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise TemplateError(f"cannot read pattern file {path}: {exc}") from exc
    out: list[PatternLine] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = PatternLine.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise TemplateError(f"pattern file {path} line {number} is invalid: {exc}") from exc
        if labels is not None and entry.label not in labels:
            raise TemplateError(
                f"pattern file {path} line {number}: label {entry.label!r} is not one of "
                f"{sorted(labels)}"
            )
        out.append(entry)
    return out


@dataclass(frozen=True, slots=True)
class Entity:
    label: str
    text: str
    start: int  # character offsets in the analysed text
    end: int


class Rules:
    """The pipeline and label patterns, built once per process (see :func:`rules`)."""

    def __init__(self, rules_dir: Path = RULES_DIR) -> None:
        import spacy
        from spacy.matcher import Matcher

        self.nlp = spacy.blank("en")
        self.nlp.meta["name"] = PIPELINE_NAME
        values = load_pattern_file(rules_dir / "values.jsonl", labels=VALUE_LABELS)
        ruler = self.nlp.add_pipe("entity_ruler", config={"validate": True})
        ruler.add_patterns([v.model_dump() for v in values])  # type: ignore[attr-defined]
        self._matcher = Matcher(self.nlp.vocab, validate=True)
        self._known_labels: set[str] = set()
        for entry in load_pattern_file(rules_dir / "labels.jsonl"):
            self._matcher.add(entry.label, [entry.pattern])
            self._known_labels.add(entry.label)

    def entities(self, text: str) -> list[Entity]:
        doc = self.nlp(text[:2000])
        return [Entity(e.label_, e.text, e.start_char, e.end_char) for e in doc.ents]

    def _add_label(self, field: str, label: str) -> None:
        key = f"{field}::printed"
        if key in self._known_labels:
            return
        words = [w for w in re.findall(r"[A-Za-z]+", label)]
        pattern: list[dict[str, Any]] = []
        for word in words:
            if len(word) >= 4:
                pattern.append({"LOWER": {"FUZZY": word.lower()}})
            else:
                pattern.append({"LOWER": word.lower(), "OP": "?"})
            pattern.append({"IS_PUNCT": True, "OP": "*"})
        if any("FUZZY" in str(p) for p in pattern):
            self._matcher.add(key, [pattern])
        self._known_labels.add(key)

    def label_end(self, text: str, field: str, printed_label: str | None) -> int | None:
        """Character offset just after the field's label in ``text`` (the last match)."""
        if printed_label:
            self._add_label(field, printed_label)
        doc = self.nlp.make_doc(text[:2000])
        wanted = {field, f"{field}::printed"}
        ends = [
            doc[start:end].end_char
            for match_id, start, end in self._matcher(doc)
            if self.nlp.vocab.strings[match_id] in wanted
        ]
        return max(ends) if ends else None


@lru_cache(maxsize=1)
def rules() -> Rules:
    """The process-wide rules pipeline."""
    return Rules()


def find_value(kind: FieldKind, text: str) -> str | None:
    """The first entity of ``kind``'s type in ``text`` (e.g. the date in ``"DOB 3/4/20 ?"``)."""
    wanted = ENTITY_FOR_KIND.get(kind)
    if wanted is None or not text:
        return None
    for entity in rules().entities(text):
        if entity.label == wanted:
            return entity.text
    return None


def value_after_label(
    text: str, *, field: str, kind: FieldKind, label: str | None, max_words: int = 6
) -> str | None:
    """The value written after the field's printed label in OCR text of a band of the page:
    the first entity of the kind's type after the label, or for free-text kinds the words
    that follow the label on its line."""
    end = rules().label_end(text, field, label)
    if end is None:
        return None
    rest = text[end:].split("\n", 1)[0].lstrip(" :.-_|")
    if not rest.strip():
        return None
    if kind in ENTITY_FOR_KIND:
        return find_value(kind, rest)
    words: Sequence[str] = rest.split()
    taken = []
    for word in words[:max_words]:
        if set(word) <= set("_-|.:"):
            break
        taken.append(word)
    return " ".join(taken) or None
