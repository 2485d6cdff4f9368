"""Score pipeline results against ground truth: how many fields came out exactly right.

Every schema property is one field; ``household_members`` is scored per member and
property, aligned by position (``household_members[0].full_name`` …). A value is right
when it equals the truth after normalisation: strings with inner white space collapsed
and trimmed (names are compared exactly, case included), e-mail lower-cased, numbers within
0.005, lists sorted, an empty string or list the same as null. A blank truth counts too:
the pipeline must say null there. A missing result makes every field of its document
wrong, and its form type wrong.

Documents of the generator's tune and locked splits carry their split and writing style in
the truth file; the report groups by them (split, typed / hand-printed, mark style, block
capitals, overflow, drift) and gives, per group, the precision of fields the pipeline read
at confidence >= 0.95 (the field's ``confidence`` in the result's ``fields``). Truth files of
the classic generator count as split ``classic``, typed, mark style ``classic``.

A form pack's truth files (``record_type`` the pack's name) are scored against the pack's
schema, found by the registry (:mod:`faxflow.packs`): the same ``FAXFLOW_FORMS_DIR`` that
processed them must be set when they are scored.

Results are matched to truth files by file stem (``RESULTS/<stem>.json`` against
``TRUTH/<stem>.json``), the layout ``faxflow process`` and ``faxflow samples generate``
write.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from faxflow.errors import ConfigError
from faxflow.model import RecordType, Status
from faxflow.schemas import load_schema

TEXT = "text"
CHECKBOX = "checkbox"
MEMBERS = "household_members"
MONEY_TOLERANCE = 0.005
HIGH_CONFIDENCE = 0.95  # fields read at least this sure must almost never be wrong
CLASSIC = "classic"  # split and mark style of documents from the generator before the split
# writing traits a truth file may record; full_width: a Japanese copy typed with full-width
# digits and letters (samples.pack_jp)
TRAITS = ("block_capitals", "overflow", "drift", "full_width")
_MISSING: Any = object()  # a value the result does not have at all


@dataclass(frozen=True, slots=True)
class FieldScore:
    """One field of one document. ``expected``/``actual`` are for debugging only: they
    may be personal data on real documents and are never printed or logged."""

    name: str
    kind: str  # "text" or "checkbox" (enum, boolean and the race list)
    correct: bool
    expected: Any = dataclasses.field(default=None, repr=False)
    actual: Any = dataclasses.field(default=None, repr=False)
    confidence: float | None = None  # the result's confidence in this field, if it gave one


@dataclass(frozen=True, slots=True)
class Accuracy:
    correct: int = 0
    total: int = 0

    @property
    def value(self) -> float:
        return self.correct / self.total if self.total else math.nan

    def __add__(self, other: Accuracy) -> Accuracy:
        return Accuracy(self.correct + other.correct, self.total + other.total)

    def as_dict(self) -> dict[str, Any]:
        value = self.value
        return {
            "correct": self.correct,
            "total": self.total,
            "accuracy": None if math.isnan(value) else round(value, 6),
        }


@dataclass(frozen=True, slots=True)
class DocumentScore:
    stem: str
    form_type: str  # the truth's
    profile: str
    found: bool  # a readable result file existed
    form_type_correct: bool
    status: str | None  # the result's status, None when missing
    scores: tuple[FieldScore, ...]
    split: str = CLASSIC  # "tune", "locked" or "classic"
    writing: str = "typed"  # "typed" or "hand_printed"
    mark: str = CLASSIC  # how boxes were marked ("x", "tick", "circle" … or "classic")
    traits: frozenset[str] = frozenset()  # of TRAITS: block capitals, overflow, drift …

    @property
    def accuracy(self) -> Accuracy:
        return Accuracy(sum(s.correct for s in self.scores), len(self.scores))

    def matches(
        self,
        *,
        form_type: str | None = None,
        profile: str | None = None,
        split: str | None = None,
        writing: str | None = None,
        mark: str | None = None,
        trait: str | None = None,
    ) -> bool:
        """Whether this document is in the group every given filter names."""
        wanted = (
            (form_type, self.form_type),
            (profile, self.profile),
            (split, self.split),
            (writing, self.writing),
            (mark, self.mark),
        )
        if any(want is not None and want != have for want, have in wanted):
            return False
        return trait is None or trait in self.traits


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Everything ``faxflow eval`` prints; also what calibration and benchmarks import."""

    documents: tuple[DocumentScore, ...]
    unmatched_results: tuple[str, ...] = ()

    def group(self, **filters: str | None) -> list[DocumentScore]:
        """Documents of one group: filters ``form_type``, ``profile``, ``split``,
        ``writing``, ``mark``, ``trait`` (None = any)."""
        return [doc for doc in self.documents if doc.matches(**filters)]

    def field_scores(
        self, *, kind: str | None = None, **filters: str | None
    ) -> list[tuple[DocumentScore, FieldScore]]:
        """Every scored field of a group's documents (``kind`` text / checkbox, or both):
        what field-level reports (automation rates, review load) are built from."""
        return [
            (doc, score)
            for doc in self.group(**filters)
            for score in doc.scores
            if kind is None or score.kind == kind
        ]

    def field_accuracy(self, *, kind: str | None = None, **filters: str | None) -> Accuracy:
        scores = self.field_scores(kind=kind, **filters)
        return Accuracy(sum(s.correct for _, s in scores), len(scores))

    def confident_precision(
        self,
        threshold: float = HIGH_CONFIDENCE,
        /,
        *,
        kind: str | None = None,
        **filters: str | None,
    ) -> Accuracy:
        """Among fields the pipeline read at ``confidence >= threshold``, how many are right."""
        scores = [
            s
            for _, s in self.field_scores(kind=kind, **filters)
            if s.confidence is not None and s.confidence >= threshold
        ]
        return Accuracy(sum(s.correct for s in scores), len(scores))

    def per_field(self, form_type: str, **filters: str | None) -> dict[str, Accuracy]:
        """Accuracy per field name (members folded into ``household_members[].<prop>``)."""
        out: dict[str, Accuracy] = {}
        for doc in self.group(form_type=form_type, **filters):
            for score in doc.scores:
                name = re.sub(r"\[\d+\]", "[]", score.name)
                out[name] = out.get(name, Accuracy()) + Accuracy(int(score.correct), 1)
        return out

    @property
    def form_types(self) -> list[str]:
        return sorted({d.form_type for d in self.documents})

    @property
    def profiles(self) -> list[str]:
        return sorted({d.profile for d in self.documents})

    @property
    def splits(self) -> list[str]:
        return sorted({d.split for d in self.documents})

    def writings(self, **filters: str | None) -> list[str]:
        return sorted({d.writing for d in self.group(**filters)})

    def marks(self, **filters: str | None) -> list[str]:
        return sorted({d.mark for d in self.group(**filters)})

    def traits(self, **filters: str | None) -> list[str]:
        return sorted({t for d in self.group(**filters) for t in d.traits})

    def style_breakdown(self, split: str) -> dict[str, Any]:
        """One split's numbers by writing style: field accuracy (all, text, checkbox) and
        the precision of fields read at confidence >= 0.95, per writing style and per
        writing style and profile; checkbox accuracy per mark style; the same per trait."""

        def numbers(**filters: str | None) -> dict[str, Any]:
            return {
                "documents": len(self.group(split=split, **filters)),
                "field_accuracy": self.field_accuracy(split=split, **filters).as_dict(),
                "text_accuracy": self.field_accuracy(split=split, kind=TEXT, **filters).as_dict(),
                "checkbox_accuracy": self.field_accuracy(
                    split=split, kind=CHECKBOX, **filters
                ).as_dict(),
                "confident_precision": self.confident_precision(split=split, **filters).as_dict(),
            }

        return {
            **numbers(),
            "by_writing": {
                writing: {
                    **numbers(writing=writing),
                    "by_profile": {
                        profile: numbers(writing=writing, profile=profile)
                        for profile in self.profiles
                        if self.group(split=split, writing=writing, profile=profile)
                    },
                }
                for writing in self.writings(split=split)
            },
            "by_mark": {mark: numbers(mark=mark) for mark in self.marks(split=split)},
            "by_trait": {trait: numbers(trait=trait) for trait in self.traits(split=split)},
        }

    @property
    def form_type_accuracy(self) -> Accuracy:
        return Accuracy(sum(d.form_type_correct for d in self.documents), len(self.documents))

    @property
    def status_counts(self) -> dict[str, int]:
        """Documents per result status; ``missing`` = no result file, ``no_status`` = a
        result without a status (a copied truth file, for instance)."""
        counts = Counter(
            d.status or ("no_status" if d.found else "missing") for d in self.documents
        )
        keys = [*(s.value for s in Status), "missing", "no_status"]
        return {key: counts.get(key, 0) for key in keys}

    @property
    def auto_accept_precision(self) -> Accuracy:
        """Share of correct fields among documents the pipeline marked accepted."""
        total = Accuracy()
        for doc in self.documents:
            if doc.status == Status.ACCEPTED.value:
                total += doc.accuracy
        return total

    @property
    def accepted_share(self) -> float:
        if not self.documents:
            return math.nan
        return self.status_counts[Status.ACCEPTED.value] / len(self.documents)

    def to_dict(self) -> dict[str, Any]:
        """The numbers as JSON-ready data (no field values)."""
        share = self.accepted_share
        return {
            "documents": len(self.documents),
            "field_accuracy": self.field_accuracy().as_dict(),
            "text_accuracy": self.field_accuracy(kind=TEXT).as_dict(),
            "checkbox_accuracy": self.field_accuracy(kind=CHECKBOX).as_dict(),
            "form_type_accuracy": self.form_type_accuracy.as_dict(),
            "status_counts": self.status_counts,
            "auto_accept_precision": self.auto_accept_precision.as_dict(),
            "accepted_share": None if math.isnan(share) else round(share, 6),
            "by_form_type": {
                ft: {
                    "field_accuracy": self.field_accuracy(form_type=ft).as_dict(),
                    "text_accuracy": self.field_accuracy(form_type=ft, kind=TEXT).as_dict(),
                    "checkbox_accuracy": self.field_accuracy(form_type=ft, kind=CHECKBOX).as_dict(),
                    "fields": {k: v.as_dict() for k, v in sorted(self.per_field(ft).items())},
                }
                for ft in self.form_types
            },
            "by_profile": {
                p: {
                    "field_accuracy": self.field_accuracy(profile=p).as_dict(),
                    "text_accuracy": self.field_accuracy(profile=p, kind=TEXT).as_dict(),
                    "checkbox_accuracy": self.field_accuracy(profile=p, kind=CHECKBOX).as_dict(),
                }
                for p in self.profiles
            },
            "by_split": {split: self.style_breakdown(split) for split in self.splits},
            "confidence_threshold": HIGH_CONFIDENCE,
            "per_document": {
                d.stem: {
                    "found": d.found,
                    "form_type_correct": d.form_type_correct,
                    "status": d.status,
                    "split": d.split,
                    "writing": d.writing,
                    "mark": d.mark,
                    "traits": sorted(d.traits),
                    **d.accuracy.as_dict(),
                }
                for d in self.documents
            },
            "unmatched_results": list(self.unmatched_results),
        }


# --------------------------------------------------------------------------------------
# Normalisation and scoring
# --------------------------------------------------------------------------------------


@cache
def record_schema(record_type: str) -> dict[str, Any]:
    """The JSON Schema of a built-in record type or of a form pack's record (a pack's
    record type is its name); :class:`ConfigError` for neither."""
    try:
        return load_schema(RecordType(record_type))
    except ValueError:
        pass
    from faxflow.packs import pack_for
    from faxflow.settings import get_settings

    pack = pack_for(record_type, get_settings())
    if pack is None or pack.builtin:
        raise ConfigError(
            f"unknown record_type {record_type}: neither built in nor a form pack; set "
            "FAXFLOW_FORMS_DIR to the folder of its pack"
        )
    return pack.schema


@cache
def _kinds(record_type: str) -> dict[str, str]:
    """Field name -> "text" / "checkbox", members as ``household_members.<prop>``."""
    properties = record_schema(record_type)["properties"]
    kinds: dict[str, str] = {}
    for name, prop in properties.items():
        if name == MEMBERS:
            for sub, sub_prop in prop["items"]["properties"].items():
                kinds[f"{MEMBERS}.{sub}"] = _kind_of(sub_prop)
        else:
            kinds[name] = _kind_of(prop)
    return kinds


def _kind_of(prop: dict[str, Any]) -> str:
    types = prop.get("type")
    types = types if isinstance(types, list) else [types]
    if "enum" in prop or "boolean" in types or "enum" in prop.get("items", {}):
        return CHECKBOX
    return TEXT


def normalise(name: str, value: Any) -> Any:
    """A value in the form it is compared in (see the module docstring)."""
    if value is None:
        return None
    if isinstance(value, str):
        text = " ".join(value.split())
        if not text:
            return None
        return text.lower() if name.endswith("email") else text
    if isinstance(value, list):
        items = [normalise(name, v) for v in value]
        if not items:
            return None
        return sorted(items, key=lambda v: (str(type(v)), str(v)))
    return value


def values_match(name: str, expected: Any, actual: Any) -> bool:
    if expected is _MISSING or actual is _MISSING:
        return False
    a, b = normalise(name, expected), normalise(name, actual)
    if isinstance(a, bool) or isinstance(b, bool):  # True must not equal 1
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) <= MONEY_TOLERANCE
    return bool(a == b)


def score_document(result: dict[str, Any] | None, truth: dict[str, Any]) -> list[FieldScore]:
    """Score one result (``None`` when missing) against its truth file's content."""
    kinds = _kinds(str(truth["record_type"]))
    expected: dict[str, Any] = truth["record"]
    same_form = result is not None and result.get("form_type") == truth["form_type"]
    got: dict[str, Any] = ((result or {}).get("record") or {}) if same_form else {}
    confidences = _confidences(result) if same_form and result is not None else {}
    scores: list[FieldScore] = []
    for name, kind in kinds.items():
        if name.startswith(f"{MEMBERS}."):
            continue
        want, have = expected.get(name), got.get(name, _MISSING)
        scores.append(
            FieldScore(
                name, kind, values_match(name, want, have), want, have, confidences.get(name)
            )
        )
    if MEMBERS in expected:
        scores.extend(
            dataclasses.replace(score, confidence=confidences.get(score.name))
            for score in _score_members(
                expected.get(MEMBERS) or [], got.get(MEMBERS, _MISSING), kinds
            )
        )
    return scores


def _confidences(result: dict[str, Any]) -> dict[str, float]:
    """Each field's confidence from the result's ``fields`` (a field read in several
    places, ``name#2`` …, counts at its least sure reading)."""
    fields = result.get("fields")
    out: dict[str, float] = {}
    for key, evidence in fields.items() if isinstance(fields, dict) else ():
        confidence = evidence.get("confidence") if isinstance(evidence, dict) else None
        if isinstance(confidence, int | float) and not isinstance(confidence, bool):
            name = str(key).partition("#")[0]
            out[name] = min(out.get(name, 1.0), float(confidence))
    return out


def _score_members(
    expected: list[dict[str, Any]], actual: Any, kinds: dict[str, str]
) -> Iterable[FieldScore]:
    have = actual if isinstance(actual, list) else []
    props = [k.split(".", 1)[1] for k in kinds if k.startswith(f"{MEMBERS}.")]
    for index in range(max(len(expected), len(have))):
        want_member = expected[index] if index < len(expected) else None
        have_member = have[index] if index < len(have) and isinstance(have[index], dict) else None
        for prop in props:
            want = want_member.get(prop) if want_member is not None else _MISSING
            got = have_member.get(prop) if have_member is not None else _MISSING
            if actual is _MISSING:
                got = _MISSING
            yield FieldScore(
                f"{MEMBERS}[{index}].{prop}",
                kinds[f"{MEMBERS}.{prop}"],
                values_match(prop, want, got),
                None if want is _MISSING else want,
                None if got is _MISSING else got,
            )


# --------------------------------------------------------------------------------------
# Folders
# --------------------------------------------------------------------------------------


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def load_truth(truth_dir: Path) -> dict[str, dict[str, Any]]:
    """Every truth file of a folder by stem; a malformed one is a :class:`ConfigError`."""
    if not truth_dir.is_dir():
        raise ConfigError(f"truth folder {truth_dir} does not exist")
    truths: dict[str, dict[str, Any]] = {}
    for path in sorted(truth_dir.glob("*.json")):
        data = _read_json(path)
        if data is None or not {"form_type", "record_type", "record"} <= data.keys():
            raise ConfigError(
                f"{path.name} is not a truth file (needs form_type, record_type and record)"
            )
        try:
            record_schema(str(data["record_type"]))
        except ConfigError as exc:
            raise ConfigError(f"{path.name}: {exc.message}") from None
        truths[path.stem] = data
    if not truths:
        raise ConfigError(f"no truth files (*.json) in {truth_dir}")
    return truths


def evaluate(results_dir: Path, truth_dir: Path) -> EvalReport:
    """Score every truth document against ``results_dir/<stem>.json``."""
    if not results_dir.is_dir():
        raise ConfigError(f"results folder {results_dir} does not exist")
    truths = load_truth(truth_dir)
    documents = []
    for stem, truth in truths.items():
        path = results_dir / f"{stem}.json"
        result = _read_json(path) if path.is_file() else None
        status = result.get("status") if result is not None else None
        recorded = truth.get("writing")
        writing: dict[str, Any] = recorded if isinstance(recorded, dict) else {}
        documents.append(
            DocumentScore(
                stem=stem,
                form_type=str(truth["form_type"]),
                profile=str(truth.get("profile") or "unknown"),
                found=result is not None,
                form_type_correct=result is not None
                and result.get("form_type") == truth["form_type"],
                status=status if isinstance(status, str) else None,
                scores=tuple(score_document(result, truth)),
                split=str(truth.get("split") or CLASSIC),
                writing=str(writing.get("writing") or "typed"),
                mark=str(writing.get("mark") or CLASSIC),
                traits=frozenset(t for t in TRAITS if writing.get(t)),
            )
        )
    unmatched = tuple(sorted(p.stem for p in results_dir.glob("*.json") if p.stem not in truths))
    return EvalReport(documents=tuple(documents), unmatched_results=unmatched)
