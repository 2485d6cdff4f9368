"""Field-level thresholds: each bucket's auto-accepted tail meets the target by a bound."""

from __future__ import annotations

import numpy as np
import pytest

from faxflow.settings import BLANK_MARKS, BLANK_WRITING, Settings
from validate.calibrate import (
    NEVER,
    DocumentSample,
    calibrate_fields,
    calibrate_from_reviews,
    field_numbers,
    labels_needed,
    point_estimate,
    threshold_for_target,
    wilson_interval,
    wilson_lower_bound,
)


def test_wilson_lower_bound_is_below_the_observed_share_and_tightens_with_n() -> None:
    assert wilson_lower_bound(0, 0) == 0.0
    assert wilson_lower_bound(99, 100) < 0.99
    assert wilson_lower_bound(990, 1000) > wilson_lower_bound(99, 100)
    # 95 of 100, one-sided 95 % (z 1.645): worked by hand from the Wilson formula.
    assert wilson_lower_bound(95, 100) == pytest.approx(0.9008, abs=2e-4)
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=5e-4) and high == pytest.approx(0.5962, abs=5e-4)
    assert labels_needed(0.995, wilson_lower_bound) == 539
    assert labels_needed(0.995, point_estimate) == 1


def test_threshold_is_the_lowest_confidence_whose_tail_meets_the_bound() -> None:
    # 600 right at 0.9 and above; below 0.9 every reading is wrong.
    right = [(0.9 + 0.0001 * i, True) for i in range(600)]
    shaky = [(0.5 + 0.001 * i, False) for i in range(300)]
    observations = right + shaky
    # From the top, the first 539 (all right) are the first band the bound vouches for;
    # the 61 right ones below it are too few to be a band of their own.
    assert threshold_for_target(
        observations, target=0.995, min_count=30, bound=wilson_lower_bound
    ) == pytest.approx(0.9 + 0.0001 * 61)
    # Too few labels for the bound: never.
    assert (
        threshold_for_target(right[:100], target=0.995, min_count=30, bound=wilson_lower_bound)
        == NEVER
    )
    # The point estimate trusts 100 right answers (the generated-sample starting point).
    assert threshold_for_target(
        right[:100], target=0.995, min_count=30, bound=point_estimate
    ) == pytest.approx(0.901)  # three bands of 30; the last 10 are too few for a band


def test_a_band_below_a_plateau_is_accepted_only_on_its_own_labels() -> None:
    # 871 empty zones read at the top confidence, all right; 110 more just below, all
    # right. Over the whole tail the bound would accept the 110 as well; as a band of
    # their own they are too few to bound their error rate, so the threshold stays put.
    plateau = [(0.97, True)] * 871
    below = [(0.9 + 0.0005 * i, True) for i in range(110)]
    assert threshold_for_target(
        plateau + below, target=0.995, min_count=30, bound=wilson_lower_bound
    ) == pytest.approx(0.97)
    # A band that can stand alone is accepted: 539 of 600 lower readings, all right.
    deep = [(0.8 + 0.0001 * i, True) for i in range(600)]
    assert threshold_for_target(
        plateau + deep, target=0.995, min_count=30, bound=wilson_lower_bound
    ) == pytest.approx(0.8 + 0.0001 * 61)
    # A plateau the bound cannot vouch for alone (one miss in 871) takes in only as much of
    # what lies below as it needs, not the whole band.
    missed = [(0.97, True)] * 870 + [(0.97, False)]
    assert wilson_lower_bound(870, 871) < 0.995
    low = threshold_for_target(missed + below, target=0.995, min_count=30, bound=wilson_lower_bound)
    assert 0.9 < low < 0.97


def _docs(n: int, seed: int) -> list[DocumentSample]:
    """Dates below 0.7 are wrong half the time; choices are always right."""
    rng = np.random.default_rng(seed)
    docs = []
    for i in range(n):
        confidences = []
        for name, kind in (("onset_date", "date"), ("sex", "choice"), ("died", "choice")):
            conf = float(rng.uniform(0.4, 1.0))
            right = not (kind == "date" and conf < 0.7 and rng.random() < 0.5)
            confidences.append((name, kind, conf, right))
        docs.append(
            _sample(
                f"d{i}",
                confidences,
                blocked_fields=frozenset({"died"}) if i % 5 == 0 else frozenset(),
                whole_document=i % 50 == 0,
            )
        )
    return docs


def _sample(
    stem: str,
    confidences: list[tuple[str, str, float, bool]],
    *,
    blocked_fields: frozenset[str] = frozenset(),
    whole_document: bool | None = None,
) -> DocumentSample:
    return DocumentSample(
        stem=stem,
        form_type="cdc_pui_2020",
        profile="fax_fine",
        blocked=False,
        confidences=tuple(confidences),
        correct=sum(c[3] for c in confidences),
        total=len(confidences),
        blocked_fields=blocked_fields,
        whole_document=whole_document,
    )


def test_readings_of_nothing_are_judged_apart_from_values_read(settings: Settings) -> None:
    # Marks read are always right; groups read as "no box marked" at confidence 1.0 miss a
    # faint mark one time in ten. Pooled, no threshold could keep 99.5 %; apart, the marks
    # read are accepted and the empty readings go to a person.
    rng = np.random.default_rng(3)
    docs = []
    for i in range(600):
        confidences = []
        for j in range(4):
            name = f"symptom_{j}"
            if rng.random() < 0.5:
                confidences.append((name, "choice", float(rng.uniform(0.9, 1.0)), True))
            else:
                confidences.append((name, BLANK_MARKS, 1.0, bool(rng.random() > 0.1)))
        confidences.append(("onset_date", BLANK_WRITING, 0.97, True))
        docs.append(_sample(f"d{i}", confidences))
    result = calibrate_fields(docs, settings, target=0.995, bound="wilson")
    assert result.thresholds["choice"] < 0.92  # down to its last full band of 539
    assert result.thresholds[BLANK_MARKS] == NEVER
    assert result.thresholds[BLANK_WRITING] == pytest.approx(0.97)
    # Enough labels for its own bucket, yet a field's blank readings stay in the blank one.
    assert "onset_date" not in result.thresholds
    assert result.overall.precision >= 0.995
    pooled = [
        _sample(
            d.stem,
            [(n, "choice" if k == BLANK_MARKS else k, c, bool(r)) for n, k, c, r in d.confidences],
        )
        for d in docs
    ]
    pooled_choice = calibrate_fields(pooled, settings, target=0.995, bound="wilson")
    assert pooled_choice.thresholds["choice"] == NEVER


def test_field_calibration_meets_the_target_and_counts_what_a_person_skips(
    settings: Settings,
) -> None:
    docs = _docs(1500, seed=1)
    result = calibrate_fields(docs, settings, target=0.995, bound="wilson")
    assert result.meets_target
    assert result.overall.precision >= 0.995
    assert 0.6 <= result.thresholds["onset_date"] <= 0.8  # a field with enough labels
    assert result.thresholds["sex"] < 0.6  # always right: down to its last full band
    # A field named by a blocking issue, or a document in doubt, is never auto-accepted.
    assert result.overall.auto_accepted < result.overall.fields
    assert result.thresholds.get("ssn", NEVER) == NEVER  # a kind never seen: never
    blocked_only = [d for d in docs if d.whole_document]
    assert field_numbers("x", blocked_only, result.thresholds, settings).auto_accepted == 0


def test_review_labels_override_only_buckets_with_enough_of_them() -> None:
    rng = np.random.default_rng(2)
    labels = [("onset_date", "date", float(c), c >= 0.6) for c in rng.uniform(0.3, 1.0, 3000)]
    labels += [("sex", "choice", 0.99, True)] * 20
    starting = {"choice": 0.5, "date": 0.95, "email": NEVER}
    result = calibrate_from_reviews(labels, starting, target=0.995, min_count=30)
    assert set(result.learned) == {"onset_date"}
    # Right from 0.6 up: the tail may reach a little below while the bound holds.
    assert 0.59 <= result.learned["onset_date"] < 0.7
    assert result.thresholds["choice"] == 0.5  # 20 labels: the starting point stays
    assert result.thresholds["email"] == NEVER  # no labels, no start: still under review
