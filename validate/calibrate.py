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

from faxflow.errors import ConfigError, FaxflowError
from faxflow.model import Issue, Status
from faxflow.settings import (
    BLANK_BUCKETS,
    DEFAULT_THRESHOLDS_FILE,
    NEVER_ACCEPTED,
    Settings,
    routing_kind,
)
from validate.routing import DEFAULT_KIND, LOW_CONFIDENCE
from validate.rules import is_blocking

THRESHOLDS_FILE = DEFAULT_THRESHOLDS_FILE
NEVER = NEVER_ACCEPTED
"""A threshold no confidence (≤ 1) reaches: fields of that bucket always go to review."""


def _rounded(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 6)


@dataclass(frozen=True, slots=True)
class DocumentSample:
    """One scored document, reduced to what routing and precision need (no values)."""

    stem: str
    form_type: str
    profile: str
    blocked: bool  # a blocking issue other than low confidence, or rejected
    # (field, routing kind, confidence, correct) — the routing kind is the field's kind, or
    # its blank bucket when nothing was read; correct is None for fields the scorer does not
    # score (the CDC form's second copies, ``date_of_birth#2``)
    confidences: tuple[tuple[str, str, float, bool | None], ...]
    correct: int
    total: int
    # Field-level routing: fields named by a blocking issue, and whether the whole
    # document goes to a person (None: when ``blocked``).
    blocked_fields: frozenset[str] = frozenset()
    whole_document: bool | None = None

    @property
    def reviewed_whole(self) -> bool:
        return self.blocked if self.whole_document is None else self.whole_document


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
        return {
            "documents": self.documents,
            "accepted": self.accepted,
            "accepted_share": _rounded(self.accepted_share),
            "fields_in_accepted": self.fields,
            "correct_in_accepted": self.correct,
            "precision": _rounded(self.precision),
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
        str(form): {spec.name: spec.kind.value for spec in template.fields}
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


def _field_doubt(result: Mapping[str, Any], form_type: str) -> tuple[frozenset[str], bool]:
    """(fields named by blocking issues, whole document in doubt) as
    :mod:`validate.routing` decides them, from a result JSON."""
    if result.get("status") == Status.REJECTED.value or result.get("form_type") != form_type:
        return frozenset(), True
    raw_fields, raw_pages = result.get("fields"), result.get("pages")
    fields: Mapping[str, Any] = raw_fields if isinstance(raw_fields, Mapping) else {}
    pages: list[Any] = raw_pages if isinstance(raw_pages, list) else []
    if any(isinstance(p, Mapping) and p.get("role") == "unknown" for p in pages):
        return frozenset(), True
    named: set[str] = set()
    for raw in result.get("issues") or []:
        try:
            issue = Issue.model_validate(raw)
        except ValueError:
            return frozenset(), True
        if issue.code == LOW_CONFIDENCE or not is_blocking(issue):
            continue
        if issue.field is None or issue.field not in fields:
            return frozenset(), True
        named.add(issue.field)
    return frozenset(named), False


def _confidences(
    result: Mapping[str, Any], kinds: Mapping[str, str], correct: Mapping[str, bool]
) -> tuple[tuple[str, str, float, bool | None], ...]:
    out = []
    fields = result.get("fields") or {}
    for name, evidence in fields.items() if isinstance(fields, Mapping) else ():
        conf = evidence.get("confidence") if isinstance(evidence, Mapping) else None
        if isinstance(conf, int | float) and not isinstance(conf, bool):
            kind = kinds.get(name) or kinds.get(name.partition("#")[0]) or DEFAULT_KIND
            out.append(
                (name, routing_kind(kind, evidence.get("value")), float(conf), correct.get(name))
            )
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
        blocked_fields, whole = _field_doubt(result, form_type)
        samples.append(
            DocumentSample(
                stem=stem,
                form_type=form_type,
                profile=str(truth.get("profile") or "unknown"),
                blocked=_blocked(result) or result.get("form_type") != form_type,
                confidences=_confidences(result, kinds_by_form.get(form_type, {}), correct),
                correct=sum(s.correct for s in scores),
                total=len(scores),
                blocked_fields=blocked_fields,
                whole_document=whole,
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
    """The bucket a field's confidence is judged in: the field itself or its kind, and a
    reading of nothing always its blank bucket (``kind`` is the routing kind)."""
    return name if name in field_buckets and kind not in BLANK_BUCKETS else kind


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


# --------------------------------------------------------------------------------------
# Field-level calibration: each field auto-accepted or sent to a person on its own
# --------------------------------------------------------------------------------------

Z_ONE_SIDED_95 = 1.6448536269514722
"""z of a one-sided 95 % bound (the 0.95 quantile of the standard normal)."""


def wilson_lower_bound(successes: int, n: int, *, z: float = Z_ONE_SIDED_95) -> float:
    """One-sided lower confidence bound of a proportion (Wilson score interval); 0 when
    nothing was observed."""
    if n <= 0:
        return 0.0
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - spread) / (1 + z * z / n))


def wilson_interval(successes: int, n: int, *, z: float = 1.959963984540054) -> tuple[float, float]:
    """Two-sided (default 95 %) Wilson interval of a proportion; (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denominator = 1 + z * z / n
    return max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)


def point_estimate(successes: int, n: int) -> float:
    """The observed share (no allowance for chance): the generated-sample starting point."""
    return successes / n if n else 0.0


Bound = Callable[[int, int], float]
BOUNDS: dict[str, Bound] = {"wilson": wilson_lower_bound, "point": point_estimate}


def threshold_for_target(
    observations: Sequence[tuple[float, bool]], *, target: float, min_count: int, bound: Bound
) -> float:
    """The lowest confidence from which the fields read at or above it are right often
    enough, *band by band*: from the top, the threshold comes down to the highest
    confidence whose tail meets ``bound(right, n) ≥ target`` over at least ``min_count``
    labels, and from there it is lowered only through bands (the confidences between the
    new threshold and the present one) whose own labels meet the bound. A band of lower
    confidence is never accepted on the strength of the better-read fields above it: over
    the whole tail, a few hundred right answers just below a plateau would vouch for the
    plateau's own misses and for the band itself, whose error rate its labels cannot bound.
    Each band bounded on its own keeps the target however the mix of confidences shifts
    between the calibration set and real traffic (docs/supervision.md). Equal confidences
    are never split. :data:`NEVER` when not even the top qualifies."""
    ordered = sorted(observations, key=lambda o: -o[0])
    best = NEVER
    right = n = 0  # the band below the present threshold
    for i, (confidence, correct) in enumerate(ordered):
        right += correct
        n += 1
        if i + 1 < len(ordered) and ordered[i + 1][0] == confidence:
            continue  # a threshold cannot split equal confidences
        if n >= min_count and bound(right, n) >= target:
            best = confidence
            right = n = 0
    return best


def labels_needed(target: float, bound: Bound, *, limit: int = 1_000_000) -> int:
    """The fewest labels, all right, with which ``bound`` reaches ``target`` (about 540
    for a one-sided 95 % Wilson bound at 99.5 %)."""
    n = 1
    while n < limit and bound(n, n) < target:
        n = n * 2
    low = n // 2
    while low + 1 < n:  # bisect between the last failing and first passing doubling
        mid = (low + n) // 2
        if bound(mid, mid) >= target:
            n = mid
        else:
            low = mid
    return n


@dataclass(frozen=True, slots=True)
class FieldNumbers:
    """Field automation of one group of documents under some thresholds."""

    label: str
    documents: int
    fully_automated: int  # documents with no field needing a person and no blocking issue
    fields: int  # scored fields
    auto_accepted: int  # scored fields no person would see
    auto_correct: int  # of those, right

    @property
    def automated_share(self) -> float:
        return self.auto_accepted / self.fields if self.fields else math.nan

    @property
    def precision(self) -> float:
        return self.auto_correct / self.auto_accepted if self.auto_accepted else math.nan

    @property
    def documents_share(self) -> float:
        return self.fully_automated / self.documents if self.documents else math.nan

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "fully_automated": self.fully_automated,
            "documents_share": _rounded(self.documents_share),
            "fields": self.fields,
            "auto_accepted": self.auto_accepted,
            "automated_share": _rounded(self.automated_share),
            "auto_correct": self.auto_correct,
            "precision": _rounded(self.precision),
        }


@dataclass(frozen=True, slots=True)
class FieldCalibration:
    """Per-bucket thresholds for field-level routing and what they achieve."""

    thresholds: dict[str, float]
    target: float
    bound: str
    overall: FieldNumbers
    groups: tuple[FieldNumbers, ...]
    labels: dict[str, int]  # bucket -> labelled observations behind its threshold

    @property
    def meets_target(self) -> bool:
        return math.isnan(self.overall.precision) or self.overall.precision >= self.target

    def as_dict(self) -> dict[str, Any]:
        return {
            "thresholds": dict(sorted(self.thresholds.items())),
            "calibration": {
                "level": "field",
                "target": self.target,
                "bound": self.bound,
                "meets_target": self.meets_target,
                "calibrated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "overall": self.overall.as_dict(),
                "groups": {g.label: g.as_dict() for g in self.groups},
                "labels": dict(sorted(self.labels.items())),
            },
        }


def field_buckets(
    labelled: Iterable[tuple[str, str, float, bool]], *, min_field_labels: int
) -> dict[str, list[tuple[float, bool]]]:
    """(field, kind, confidence, correct) grouped by bucket: the field itself when it has
    ``min_field_labels`` labels, else its kind."""
    rows = list(labelled)
    per_field: dict[str, int] = {}
    for name, kind, _, _ in rows:
        if kind not in BLANK_BUCKETS:
            per_field[name] = per_field.get(name, 0) + 1
    own = frozenset(n for n, c in per_field.items() if c >= min_field_labels)
    buckets: dict[str, list[tuple[float, bool]]] = {}
    for name, kind, confidence, correct in rows:
        buckets.setdefault(bucket_of(name, kind, own), []).append((confidence, correct))
    return buckets


def field_thresholds(
    labelled: Iterable[tuple[str, str, float, bool]],
    *,
    target: float,
    min_count: int,
    min_field_labels: int,
    bound: Bound,
) -> tuple[dict[str, float], dict[str, int]]:
    """Per bucket the threshold of :func:`threshold_for_target`, and its label counts."""
    buckets = field_buckets(labelled, min_field_labels=min_field_labels)
    thresholds = {
        bucket: threshold_for_target(obs, target=target, min_count=min_count, bound=bound)
        for bucket, obs in buckets.items()
    }
    return thresholds, {bucket: len(obs) for bucket, obs in buckets.items()}


def field_numbers(
    label: str, docs: Sequence[DocumentSample], thresholds: Mapping[str, float], settings: Settings
) -> FieldNumbers:
    """Field automation of ``docs`` routed field by field with ``thresholds`` (name, then
    kind, then the settings default; above 1 never) — the rule of
    :func:`validate.routing.review_reason`."""
    trial = settings.model_copy(update={"confidence_thresholds": dict(thresholds)})
    fields = auto = right = full = 0
    for doc in docs:
        whole = doc.reviewed_whole
        doubtful = whole
        for name, kind, confidence, correct in doc.confidences:
            threshold = trial.threshold_for(name, kind)
            accepted = (
                not whole
                and name not in doc.blocked_fields
                and threshold <= 1
                and confidence >= threshold
            )
            doubtful = doubtful or not accepted
            if correct is None:
                continue
            fields += 1
            auto += accepted
            right += accepted and correct
        full += not doubtful
    return FieldNumbers(label, len(docs), full, fields, auto, right)


def field_groups(
    docs: Sequence[DocumentSample], thresholds: Mapping[str, float], settings: Settings
) -> list[FieldNumbers]:
    """Per form type, and per form type and profile."""
    out = []
    for form_type in sorted({d.form_type for d in docs}):
        of_form = [d for d in docs if d.form_type == form_type]
        out.append(field_numbers(form_type, of_form, thresholds, settings))
        for profile in sorted({d.profile for d in of_form}):
            sub = [d for d in of_form if d.profile == profile]
            out.append(field_numbers(f"{form_type} / {profile}", sub, thresholds, settings))
    return out


def calibrate_fields(
    docs: Sequence[DocumentSample],
    settings: Settings,
    *,
    target: float = 0.995,
    min_count: int = 30,
    min_field_labels: int | None = None,
    bound: str = "wilson",
) -> FieldCalibration:
    """Thresholds for field-level routing: per bucket, the lowest confidence whose tail
    meets ``target`` by ``bound`` (see :func:`threshold_for_target`).  Fields of blocked
    documents are labels too: they were read like any other.  A field is its own bucket
    once it has ``min_field_labels`` labels (default: as many as the bound needs to reach
    the target with none wrong, at least ``min_count``), else it is judged with its kind."""
    if not docs:
        raise ConfigError("no scored documents: check RESULTS_DIR and --truth")
    if bound not in BOUNDS:
        raise ConfigError(f"--bound must be one of {', '.join(BOUNDS)}")
    labelled = [
        (name, kind, confidence, correct)
        for doc in docs
        for name, kind, confidence, correct in doc.confidences
        if correct is not None
    ]
    if min_field_labels is None:
        min_field_labels = max(min_count, labels_needed(target, BOUNDS[bound]))
    thresholds, labels = field_thresholds(
        labelled,
        target=target,
        min_count=min_count,
        min_field_labels=min_field_labels,
        bound=BOUNDS[bound],
    )
    # Kinds the set never showed would fall back to the flat default: never auto-accept.
    for kinds in _known_kinds(settings):
        thresholds.setdefault(kinds, NEVER)
    return FieldCalibration(
        thresholds=thresholds,
        target=target,
        bound=bound,
        overall=field_numbers("all", docs, thresholds, settings),
        groups=tuple(field_groups(docs, thresholds, settings)),
        labels=labels,
    )


def _known_kinds(settings: Settings) -> set[str]:
    try:
        kinds = {kind for of_form in _field_kinds(settings).values() for kind in of_form.values()}
        return kinds | BLANK_BUCKETS
    except FaxflowError:  # no templates: nothing to add
        return set()


def write_field_thresholds(calibration: FieldCalibration, path: Path = THRESHOLDS_FILE) -> None:
    """Store field-level thresholds (and the numbers behind them) as the settings default."""
    path.write_text(json.dumps(calibration.as_dict(), indent=2) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------
# Thresholds learned from people's answers
# --------------------------------------------------------------------------------------


def review_labels(engine: Any, settings: Settings) -> list[tuple[str, str, float, bool]]:
    """(field, routing kind, confidence, right) for every field a person confirmed or corrected:
    confirmed means the machine was right; corrected means it was right only when the
    person's value equals the machine's.  No values leave this function."""
    import sqlalchemy as sa

    from loaders.load import CONFIRMED, CORRECTED
    from loaders.tables import documents, fields

    kinds_by_form = _field_kinds(settings)
    query = (
        sa.select(
            documents.c.form_type,
            fields.c.name,
            fields.c.confidence,
            fields.c.decision,
            fields.c.value,
            fields.c.machine_value,
            fields.c.cipher,
            fields.c.machine_cipher,
        )
        .join(documents, documents.c.document_id == fields.c.document_id)
        .where(fields.c.decision.in_((CONFIRMED, CORRECTED)), fields.c.confidence.is_not(None))
    )
    labels = []
    with engine.connect() as conn:
        for row in conn.execute(query):
            kinds = kinds_by_form.get(row.form_type, {})
            kind = kinds.get(row.name) or kinds.get(row.name.partition("#")[0]) or DEFAULT_KIND
            if row.machine_cipher is None:  # a sealed value was read: never blank
                kind = routing_kind(kind, row.machine_value)
            if row.decision == CONFIRMED:
                right = True
            elif row.cipher is not None or row.machine_cipher is not None:
                right = False  # sensitive: a correction of a sealed value changed it
            else:
                right = row.value == row.machine_value
            labels.append((row.name, kind, float(row.confidence), right))
    return labels


@dataclass(frozen=True, slots=True)
class ReviewCalibration:
    """Thresholds recomputed from people's answers, over the generated-sample ones."""

    thresholds: dict[str, float]  # the merged set to store
    learned: dict[str, float]  # buckets with enough labels: threshold from the labels
    labels: dict[str, int]  # labels per bucket
    target: float

    def as_dict(self, starting: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "thresholds": dict(sorted(self.thresholds.items())),
            "calibration": {
                **dict(starting),
                "from_reviews": {
                    "target": self.target,
                    "bound": "wilson",
                    "calibrated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "learned": dict(sorted(self.learned.items())),
                    "labels": dict(sorted(self.labels.items())),
                },
            },
        }


def calibrate_from_reviews(
    labels: Sequence[tuple[str, str, float, bool]],
    starting: Mapping[str, float],
    *,
    target: float,
    min_count: int = 100,
    min_field_labels: int = 100,
) -> ReviewCalibration:
    """Per bucket with enough labels (``min_count``, and at least as many as the bound needs
    to reach ``target`` with none wrong), the threshold whose tail meets ``target`` by a
    one-sided 95 % Wilson lower bound; other buckets keep the starting (generated-sample)
    threshold, and a bucket with neither never auto-accepts."""
    min_count = max(min_count, labels_needed(target, wilson_lower_bound))
    thresholds, counts = field_thresholds(
        labels,
        target=target,
        min_count=min_count,
        min_field_labels=max(min_field_labels, labels_needed(target, wilson_lower_bound)),
        bound=wilson_lower_bound,
    )
    learned = {b: t for b, t in thresholds.items() if counts[b] >= min_count}
    merged = {**dict(starting), **learned}
    return ReviewCalibration(merged, learned, counts, target)


def write_review_thresholds(calibration: ReviewCalibration, path: Path) -> None:
    """Store the merged thresholds at ``path`` (a deployment's own file, never the
    package's ``validate/thresholds.json``), keeping the generated-sample calibration
    numbers beside them (from ``path`` when it exists, else from the package's file)."""
    previous: Any = {}
    for source in (path, THRESHOLDS_FILE):
        try:
            previous = json.loads(source.read_text(encoding="utf-8"))
            break
        except (OSError, ValueError):
            continue
    starting = previous.get("calibration") if isinstance(previous, dict) else None
    payload = calibration.as_dict(starting if isinstance(starting, dict) else {})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
