"""Calibrate auto-accept thresholds on generated samples with known truth.

Goal (issue 6): among documents the pipeline auto-accepts, the share of correct fields
(auto-accept precision) stays at or above a target (99.5%), while as many documents as
possible are accepted.

How: every scored document becomes a :class:`DocumentSample` — its per-field confidences,
whether other (non-confidence) blocking issues hold it back, and how many of its fields are
right (scored by :func:`samples.evaluate.score_document`, the same scorer ``faxflow eval``
uses).  Fields fall into *buckets* — a field kind (``date``, ``choice`` …) or, where a
field has at least ``min_field_docs`` documents, the field itself.  A document is accepted
when nothing else blocks it and, in every bucket, its lowest confidence reaches the
bucket's threshold.  The search:

1. starts with every threshold at 0 (accept everything not blocked);
2. while precision is below target, raises the one bucket threshold that buys the most
   precision per document given up;
3. then tries lowering each threshold again, keeping a move when precision stays at or
   above target and more documents are accepted, until nothing changes.

Buckets seen fewer than ``min_kind_count`` times are not tuned: they keep the current
setting, so a handful of observations never sets a threshold (no over-fitting on small
sets); per-field buckets need ``min_field_docs`` documents, else they fold into their kind.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from faxflow.errors import ConfigError
from faxflow.model import Issue, Status
from faxflow.settings import DEFAULT_THRESHOLDS_FILE, Settings
from validate.routing import DEFAULT_KIND, LOW_CONFIDENCE
from validate.rules import is_blocking

THRESHOLDS_FILE = DEFAULT_THRESHOLDS_FILE
NEVER = 1.01
"""A threshold no confidence (≤ 1) reaches: fields of that bucket always go to review."""


@dataclass(frozen=True, slots=True)
class DocumentSample:
    """One scored document, reduced to what routing and precision need (no values)."""

    stem: str
    form_type: str
    profile: str
    blocked: bool  # a blocking issue other than low confidence, or rejected
    confidences: tuple[tuple[str, str, float], ...]  # (field, kind, confidence)
    correct: int
    total: int


@dataclass(frozen=True, slots=True)
class GroupNumbers:
    """Precision and accepted share of one group of documents under some thresholds."""

    label: str
    documents: int
    accepted: int
    fields: int  # scored fields in accepted documents
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.fields if self.fields else math.nan

    @property
    def accepted_share(self) -> float:
        return self.accepted / self.documents if self.documents else math.nan

    def as_dict(self) -> dict[str, Any]:
        def rounded(x: float) -> float | None:
            return None if math.isnan(x) else round(x, 6)

        return {
            "documents": self.documents,
            "accepted": self.accepted,
            "accepted_share": rounded(self.accepted_share),
            "fields_in_accepted": self.fields,
            "correct_in_accepted": self.correct,
            "precision": rounded(self.precision),
        }


@dataclass(frozen=True, slots=True)
class Calibration:
    """The chosen thresholds and what they achieve on the calibration set."""

    thresholds: dict[str, float]  # tuned buckets only: field name or kind -> threshold
    target: float
    overall: GroupNumbers
    groups: tuple[GroupNumbers, ...]  # per form type and profile
    untuned: tuple[str, ...] = ()  # buckets with too few observations (kept as configured)
    meets_target: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "thresholds": dict(sorted(self.thresholds.items())),
            "calibration": {
                "target": self.target,
                "meets_target": self.meets_target,
                "calibrated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "overall": self.overall.as_dict(),
                "groups": {g.label: g.as_dict() for g in self.groups},
                "untuned_buckets": list(self.untuned),
            },
        }


# --------------------------------------------------------------------------------------
# Reading results and truth
# --------------------------------------------------------------------------------------


def _field_kinds(settings: Settings) -> dict[str, dict[str, str]]:
    """form_type -> field name -> template kind (empty when a template is missing)."""
    from extract.template import load_templates

    templates = load_templates(settings.templates_dir)
    return {
        form.value: {spec.name: spec.kind.value for spec in template.fields}
        for form, template in templates.items()
    }


def _blocked(result: Mapping[str, Any]) -> bool:
    if result.get("status") == Status.REJECTED.value:
        return True
    for raw in result.get("issues") or []:
        try:
            issue = Issue.model_validate(raw)
        except ValueError:
            return True  # an unreadable issue entry: a person should look
        if issue.code != LOW_CONFIDENCE and is_blocking(issue):
            return True
    return False


def _confidences(
    result: Mapping[str, Any], kinds: Mapping[str, str]
) -> tuple[tuple[str, str, float], ...]:
    out = []
    fields = result.get("fields") or {}
    for name, evidence in fields.items() if isinstance(fields, Mapping) else ():
        conf = evidence.get("confidence") if isinstance(evidence, Mapping) else None
        if isinstance(conf, int | float) and not isinstance(conf, bool):
            kind = kinds.get(name) or kinds.get(name.partition("#")[0]) or DEFAULT_KIND
            out.append((name, kind, float(conf)))
    return tuple(out)


def load_samples(
    results_dir: Path,
    truth_dir: Path,
    settings: Settings,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[DocumentSample], list[str]]:
    """Scored documents for every truth file with a result, and stems lacking a result.
    ``progress(done, total)`` is called after each truth file."""
    from samples.evaluate import load_truth, score_document

    if not results_dir.is_dir():
        raise ConfigError(f"results folder {results_dir} does not exist")
    truths = load_truth(truth_dir)
    kinds_by_form = _field_kinds(settings)
    samples: list[DocumentSample] = []
    missing: list[str] = []
    for done, (stem, truth) in enumerate(truths.items(), start=1):
        if progress is not None:
            progress(done, len(truths))
        path = results_dir / f"{stem}.json"
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            missing.append(stem)
            continue
        if not isinstance(result, dict):
            missing.append(stem)
            continue
        scores = score_document(result, truth)
        form_type = str(truth["form_type"])
        samples.append(
            DocumentSample(
                stem=stem,
                form_type=form_type,
                profile=str(truth.get("profile") or "unknown"),
                blocked=_blocked(result) or result.get("form_type") != form_type,
                confidences=_confidences(result, kinds_by_form.get(form_type, {})),
                correct=sum(s.correct for s in scores),
                total=len(scores),
            )
        )
    return samples, missing


# --------------------------------------------------------------------------------------
# The search
# --------------------------------------------------------------------------------------


@dataclass
class _Problem:
    buckets: list[str]
    lowest: np.ndarray  # (docs, buckets): lowest confidence, +inf where the doc has none
    blocked: np.ndarray  # (docs,) bool
    correct: np.ndarray  # (docs,)
    total: np.ndarray  # (docs,)
    tunable: np.ndarray  # (buckets,) bool

    def accepted(self, thresholds: np.ndarray) -> np.ndarray:
        return ~self.blocked & np.all(self.lowest >= thresholds, axis=1)

    def score(self, thresholds: np.ndarray) -> tuple[int, float]:
        """(accepted documents, precision); precision is 1 when nothing is accepted."""
        accepted = self.accepted(thresholds)
        fields = int(self.total[accepted].sum())
        return int(accepted.sum()), (
            float(self.correct[accepted].sum()) / fields if fields else 1.0
        )


def bucket_of(name: str, kind: str, field_buckets: frozenset[str]) -> str:
    """The bucket a field's confidence is judged in: the field itself or its kind."""
    return name if name in field_buckets else kind


def _build(docs: Sequence[DocumentSample], *, min_kind_count: int, min_field_docs: int) -> _Problem:
    docs_per_field: dict[str, int] = {}
    for doc in docs:
        for name in {n for n, _, _ in doc.confidences}:
            docs_per_field[name] = docs_per_field.get(name, 0) + 1
    field_buckets = frozenset(n for n, c in docs_per_field.items() if c >= min_field_docs)
    counts: dict[str, int] = {}
    for doc in docs:
        for name, kind, _ in doc.confidences:
            key = bucket_of(name, kind, field_buckets)
            counts[key] = counts.get(key, 0) + 1
    buckets = sorted(counts)
    index = {b: i for i, b in enumerate(buckets)}
    lowest = np.full((len(docs), len(buckets)), np.inf)
    for row, doc in enumerate(docs):
        for name, kind, conf in doc.confidences:
            col = index[bucket_of(name, kind, field_buckets)]
            lowest[row, col] = min(lowest[row, col], conf)
    return _Problem(
        buckets=buckets,
        lowest=lowest,
        blocked=np.array([d.blocked for d in docs], dtype=bool),
        correct=np.array([d.correct for d in docs], dtype=float),
        total=np.array([d.total for d in docs], dtype=float),
        tunable=np.array([counts[b] >= min_kind_count for b in buckets], dtype=bool),
    )


def _candidates(column: np.ndarray) -> np.ndarray:
    values = np.unique(column[np.isfinite(column)])
    return np.concatenate([[0.0], values, [np.inf]])


def _raise_until_target(problem: _Problem, thresholds: np.ndarray, target: float) -> np.ndarray:
    candidates = [_candidates(problem.lowest[:, b]) for b in range(len(problem.buckets))]
    while True:
        accepted, precision = problem.score(thresholds)
        if precision >= target or accepted == 0:
            return thresholds
        best: tuple[float, int, float] | None = None
        for b in np.flatnonzero(problem.tunable):
            higher = candidates[b][candidates[b] > thresholds[b]]
            for value in higher:
                trial = thresholds.copy()
                trial[b] = value
                n, p = problem.score(trial)
                if n < accepted:  # the smallest raise that drops a document
                    gain = (p - precision) / (accepted - n)
                    if best is None or gain > best[0]:
                        best = (gain, int(b), float(value))
                    break
        if best is None:
            return thresholds
        thresholds = thresholds.copy()
        thresholds[best[1]] = best[2]


def _lower_while_safe(problem: _Problem, thresholds: np.ndarray, target: float) -> np.ndarray:
    candidates = [_candidates(problem.lowest[:, b]) for b in range(len(problem.buckets))]
    improved = True
    while improved:
        improved = False
        accepted, _ = problem.score(thresholds)
        best: tuple[int, float, int, float] | None = None
        for b in np.flatnonzero(problem.tunable):
            for value in candidates[b][candidates[b] < thresholds[b]]:
                trial = thresholds.copy()
                trial[b] = value
                n, p = problem.score(trial)
                if p >= target and n > accepted and (best is None or (n, p) > best[:2]):
                    best = (n, p, int(b), float(value))
        if best is not None:
            thresholds = thresholds.copy()
            thresholds[best[2]] = best[3]
            improved = True
    return thresholds


def _tightest_equivalent(problem: _Problem, thresholds: np.ndarray) -> np.ndarray:
    """Each threshold moved up to the lowest confidence an accepted document has in its
    bucket: the same documents pass, and unseen lower confidences do not."""
    accepted = problem.accepted(thresholds)
    out = thresholds.copy()
    for b in np.flatnonzero(problem.tunable):
        seen = problem.lowest[accepted, b]
        seen = seen[np.isfinite(seen)]
        if seen.size:
            out[b] = max(out[b], float(seen.min()))
        elif out[b] == 0.0:
            out[b] = np.inf  # no accepted document had this bucket: nothing supports a value
    return out


def calibrate(
    docs: Sequence[DocumentSample],
    settings: Settings,
    *,
    target: float = 0.995,
    min_kind_count: int = 30,
    min_field_docs: int = 40,
) -> Calibration:
    """Thresholds that keep auto-accept precision ≥ ``target`` with the most documents
    accepted (see the module docstring)."""
    if not docs:
        raise ConfigError("no scored documents: check RESULTS_DIR and --truth")
    if not 0 < target <= 1:
        raise ConfigError("--target must be in (0, 1]")
    problem = _build(docs, min_kind_count=min_kind_count, min_field_docs=min_field_docs)
    fixed = np.array([settings.threshold_for(b, b) for b in problem.buckets])
    thresholds = np.where(problem.tunable, 0.0, fixed)
    thresholds = _raise_until_target(problem, thresholds, target)
    thresholds = _lower_while_safe(problem, thresholds, target)
    thresholds = _tightest_equivalent(problem, thresholds)
    _, precision = problem.score(thresholds)
    chosen = {
        bucket: (NEVER if math.isinf(value) else round(float(value), 4))
        for bucket, value, tunable in zip(problem.buckets, thresholds, problem.tunable, strict=True)
        if tunable
    }
    untuned = tuple(b for b, t in zip(problem.buckets, problem.tunable, strict=True) if not t)
    field_buckets = frozenset(b for b in problem.buckets if b not in _ALL_KINDS)
    accepted = problem.accepted(thresholds)
    return Calibration(
        thresholds=chosen,
        target=target,
        overall=_numbers("all", docs, accepted),
        groups=tuple(_groups(docs, accepted)),
        untuned=untuned,
        meets_target=precision >= target,
        notes=(f"{len(field_buckets)} per-field buckets",),
    )


def _kinds() -> frozenset[str]:
    from extract.template import FieldKind

    return frozenset(k.value for k in FieldKind) | {DEFAULT_KIND}


_ALL_KINDS = _kinds()


def simulate(
    docs: Sequence[DocumentSample], thresholds: Mapping[str, float], settings: Settings
) -> np.ndarray:
    """Which documents routing would accept with ``thresholds`` (name, then kind, then the
    settings default) — the same rule as :func:`validate.routing.route`."""
    trial = settings.model_copy(update={"confidence_thresholds": dict(thresholds)})
    return np.array(
        [
            not d.blocked and all(c >= trial.threshold_for(n, k) for n, k, c in d.confidences)
            for d in docs
        ],
        dtype=bool,
    )


def _numbers(label: str, docs: Sequence[DocumentSample], accepted: np.ndarray) -> GroupNumbers:
    chosen = [d for d, ok in zip(docs, accepted, strict=True) if ok]
    return GroupNumbers(
        label=label,
        documents=len(docs),
        accepted=len(chosen),
        fields=sum(d.total for d in chosen),
        correct=sum(d.correct for d in chosen),
    )


def _groups(docs: Sequence[DocumentSample], accepted: np.ndarray) -> Iterable[GroupNumbers]:
    keys = sorted({(d.form_type, d.profile) for d in docs})
    for form_type in sorted({k[0] for k in keys}):
        mask = np.array([d.form_type == form_type for d in docs])
        yield _numbers(form_type, [d for d, m in zip(docs, mask, strict=True) if m], accepted[mask])
        for _, profile in [k for k in keys if k[0] == form_type]:
            sub = np.array([d.form_type == form_type and d.profile == profile for d in docs])
            yield _numbers(
                f"{form_type} / {profile}",
                [d for d, m in zip(docs, sub, strict=True) if m],
                accepted[sub],
            )


def group_numbers(
    docs: Sequence[DocumentSample], accepted: np.ndarray
) -> tuple[GroupNumbers, list[GroupNumbers]]:
    """Overall and per form / profile numbers for an acceptance vector."""
    return _numbers("all", docs, accepted), list(_groups(docs, accepted))


def write_thresholds(calibration: Calibration, path: Path = THRESHOLDS_FILE) -> None:
    """Store the thresholds (and the numbers behind them) as the settings default."""
    path.write_text(json.dumps(calibration.as_dict(), indent=2) + "\n", encoding="utf-8")
