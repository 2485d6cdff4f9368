"""Calibrate auto-accept thresholds on generated samples with known truth.

Goal (issue 6): among documents the pipeline auto-accepts, the share of correct fields
(auto-accept precision) stays at or above a target (99.5%), while as many documents as
possible are accepted.

How: every scored document becomes a :class:`DocumentSample` — its per-field confidences
and whether each field is right (scored by :func:`samples.evaluate.score_document`, the
same scorer ``faxflow eval`` uses), and whether other (non-confidence) blocking issues hold
it back.  Fields fall into *buckets* — a field kind (``date``, ``choice`` …) or, where a
field has at least ``min_field_docs`` documents, the field itself.  A document is accepted
when nothing else blocks it and, in every bucket, its lowest confidence reaches the
bucket's threshold.  The search:

1. fits, per bucket, the error rate as a non-increasing function of confidence (isotonic
   regression);
2. sweeps one error level shared by all buckets — each bucket's threshold is where its
   curve falls to that level — and keeps the level that accepts most documents with
   precision ≥ target (a one-dimensional search: hard to over-fit);
3. lowers single thresholds further while precision stays ≥ target and more documents
   pass, then moves each up to the lowest confidence an accepted document actually had
   (a bucket no accepted document carries becomes "never": nothing tested it).

Buckets seen fewer than ``min_kind_count`` times are not tuned: they keep the current
setting, so a handful of observations never sets a threshold; per-field buckets need
``min_field_docs`` documents, else they fold into their kind.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
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
    # (field, kind, confidence, correct) — correct is None for fields the scorer does not
    # score (the CDC form's second copies, ``date_of_birth#2``)
    confidences: tuple[tuple[str, str, float, bool | None], ...]
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
    result: Mapping[str, Any], kinds: Mapping[str, str], correct: Mapping[str, bool]
) -> tuple[tuple[str, str, float, bool | None], ...]:
    out = []
    fields = result.get("fields") or {}
    for name, evidence in fields.items() if isinstance(fields, Mapping) else ():
        conf = evidence.get("confidence") if isinstance(evidence, Mapping) else None
        if isinstance(conf, int | float) and not isinstance(conf, bool):
            kind = kinds.get(name) or kinds.get(name.partition("#")[0]) or DEFAULT_KIND
            out.append((name, kind, float(conf), correct.get(name)))
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
        correct = {score.name: score.correct for score in scores}
        samples.append(
            DocumentSample(
                stem=stem,
                form_type=form_type,
                profile=str(truth.get("profile") or "unknown"),
                blocked=_blocked(result) or result.get("form_type") != form_type,
                confidences=_confidences(result, kinds_by_form.get(form_type, {}), correct),
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
    observations: list[list[tuple[float, bool]]]  # per bucket: (confidence, wrong)

    def accepted(self, thresholds: np.ndarray) -> np.ndarray:
        return ~self.blocked & np.all(self.lowest >= thresholds, axis=1)

    def score(self, thresholds: np.ndarray) -> tuple[int, float]:
        """(accepted documents, precision); precision is 1 when nothing is accepted."""
        accepted = self.accepted(thresholds)
        fields = float(self.total[accepted].sum())
        return int(accepted.sum()), (
            float(self.correct[accepted].sum()) / fields if fields else 1.0
        )


def bucket_of(name: str, kind: str, field_buckets: frozenset[str]) -> str:
    """The bucket a field's confidence is judged in: the field itself or its kind."""
    return name if name in field_buckets else kind


def _build(docs: Sequence[DocumentSample], *, min_kind_count: int, min_field_docs: int) -> _Problem:
    docs_per_field: dict[str, int] = {}
    for doc in docs:
        for name in {entry[0] for entry in doc.confidences}:
            docs_per_field[name] = docs_per_field.get(name, 0) + 1
    field_buckets = frozenset(n for n, c in docs_per_field.items() if c >= min_field_docs)
    buckets = sorted({bucket_of(n, k, field_buckets) for d in docs for n, k, _, _ in d.confidences})
    index = {b: i for i, b in enumerate(buckets)}
    lowest = np.full((len(docs), len(buckets)), np.inf)
    observations: list[list[tuple[float, bool]]] = [[] for _ in buckets]
    counts = np.zeros(len(buckets), dtype=int)
    for row, doc in enumerate(docs):
        for name, kind, conf, correct in doc.confidences:
            col = index[bucket_of(name, kind, field_buckets)]
            lowest[row, col] = min(lowest[row, col], conf)
            counts[col] += 1
            if correct is not None:
                observations[col].append((conf, not correct))
    return _Problem(
        buckets=buckets,
        lowest=lowest,
        blocked=np.array([d.blocked for d in docs], dtype=bool),
        correct=np.array([d.correct for d in docs], dtype=float),
        total=np.array([d.total for d in docs], dtype=float),
        tunable=counts >= min_kind_count,
        observations=observations,
    )


def error_curve(observations: Sequence[tuple[float, bool]]) -> tuple[np.ndarray, np.ndarray]:
    """(confidences ascending, estimated error rate) — the error rate as a non-increasing
    function of confidence, fitted by isotonic regression (pool adjacent violators)."""
    if not observations:
        return np.empty(0), np.empty(0)
    conf = np.array([c for c, _ in observations])
    wrong = np.array([w for _, w in observations], dtype=float)
    levels, inverse = np.unique(conf, return_inverse=True)
    weight = np.bincount(inverse).astype(float)
    mean = np.bincount(inverse, weights=wrong) / weight
    # Fit non-decreasing error from the most to the least confident level.
    blocks: list[list[float]] = []  # [value, weight, levels]
    for value, w in zip(mean[::-1], weight[::-1], strict=True):
        blocks.append([float(value), float(w), 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            right = blocks.pop()
            left = blocks[-1]
            total = left[1] + right[1]
            blocks[-1] = [
                (left[0] * left[1] + right[0] * right[1]) / total,
                total,
                left[2] + right[2],
            ]
    fitted = np.repeat([b[0] for b in blocks], [int(b[2]) for b in blocks])[::-1]
    return levels, fitted


def _thresholds_at(
    level: float, curves: Sequence[tuple[np.ndarray, np.ndarray]], base: np.ndarray
) -> np.ndarray:
    """Per bucket, the lowest confidence from which the estimated error stays ≤ ``level``
    (0 when it always does, +inf when it never does); untuned buckets keep ``base``."""
    out = base.copy()
    for b, (levels, fitted) in enumerate(curves):
        if levels.size == 0 or not np.isnan(base[b]):
            continue
        ok = np.flatnonzero(fitted <= level)
        out[b] = 0.0 if ok.size and ok[0] == 0 else (levels[ok[0]] if ok.size else np.inf)
    return out


def _best_error_level(problem: _Problem, fixed: np.ndarray, target: float) -> np.ndarray:
    """Sweep one error level shared by all buckets; keep the one accepting most documents
    with precision ≥ target.  Equal marginal error across buckets is what an optimum of
    "most documents at a fixed error budget" looks like, and a 1-D sweep cannot over-fit
    the way a free search over many thresholds can."""
    curves = [
        error_curve(obs) if tunable else (np.empty(0), np.empty(0))
        for obs, tunable in zip(problem.observations, problem.tunable, strict=True)
    ]
    base = np.where(problem.tunable, np.nan, fixed)
    levels = np.unique(np.concatenate([[0.0, 1.0], *[f for _, f in curves]]))
    best = _fill(_thresholds_at(0.0, curves, base))
    best_score = problem.score(best)
    for level in levels:
        trial = _fill(_thresholds_at(float(level), curves, base))
        n, p = problem.score(trial)
        if p >= target and (n, p) > best_score:
            best, best_score = trial, (n, p)
    return best


def _fill(thresholds: np.ndarray) -> np.ndarray:
    """Tunable buckets without observations of correctness: never auto-accept them."""
    return np.where(np.isnan(thresholds), np.inf, thresholds)


def _candidates(column: np.ndarray) -> np.ndarray:
    values = np.unique(column[np.isfinite(column)])
    return np.concatenate([[0.0], values, [np.inf]])


def _lower_while_safe(problem: _Problem, thresholds: np.ndarray, target: float) -> np.ndarray:
    """Coordinate moves: lower one threshold when that accepts more documents and keeps
    precision ≥ target; repeat until no move helps."""
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
    bucket: the same documents pass, and unseen lower confidences do not. A bucket no
    accepted document carries (a form none of whose documents passed) never
    auto-accepts: its precision was never tested, however right its fields were."""
    accepted = problem.accepted(thresholds)
    out = thresholds.copy()
    for b in np.flatnonzero(problem.tunable):
        seen = problem.lowest[accepted, b]
        seen = seen[np.isfinite(seen)]
        out[b] = max(out[b], float(seen.min())) if seen.size else np.inf
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
    thresholds = _best_error_level(problem, fixed, target)
    thresholds = _lower_while_safe(problem, thresholds, target)
    thresholds = _tightest_equivalent(problem, thresholds)
    _, precision = problem.score(thresholds)
    chosen = {
        bucket: (NEVER if math.isinf(value) else float(value))
        for bucket, value, tunable in zip(problem.buckets, thresholds, problem.tunable, strict=True)
        if tunable
    }
    untuned = tuple(b for b, t in zip(problem.buckets, problem.tunable, strict=True) if not t)
    # Untuned buckets keep what is configured now, so the written file routes as simulated.
    chosen.update(
        {
            b: settings.confidence_thresholds[b]
            for b in untuned
            if b in settings.confidence_thresholds
        }
    )
    accepted = problem.accepted(thresholds)
    return Calibration(
        thresholds=chosen,
        target=target,
        overall=_numbers("all", docs, accepted),
        groups=tuple(_groups(docs, accepted)),
        untuned=untuned,
        meets_target=precision >= target,
    )


def simulate(
    docs: Sequence[DocumentSample], thresholds: Mapping[str, float], settings: Settings
) -> np.ndarray:
    """Which documents routing would accept with ``thresholds`` (name, then kind, then the
    settings default) — the same rule as :func:`validate.routing.route`."""
    trial = settings.model_copy(update={"confidence_thresholds": dict(thresholds)})
    return np.array(
        [
            not d.blocked and all(c >= trial.threshold_for(n, k) for n, k, c, _ in d.confidences)
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
