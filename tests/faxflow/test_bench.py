"""The benchmark report's auto-accept table: precision among the documents the pipeline
accepted, per form and per form and profile."""

from __future__ import annotations

from faxflow.bench import auto_accept_groups
from samples.evaluate import DocumentScore, EvalReport, FieldScore


def _doc(stem: str, profile: str, status: str, right: int, wrong: int) -> DocumentScore:
    scores = tuple(FieldScore(f"f{i}", "text", True) for i in range(right)) + tuple(
        FieldScore(f"g{i}", "text", False) for i in range(wrong)
    )
    return DocumentScore(stem, "cdc_pui_2020", profile, True, True, status, scores)


def test_precision_counts_only_accepted_documents_per_group() -> None:
    report = EvalReport(
        (
            _doc("a", "fax_fine", "accepted", 99, 1),
            _doc("b", "fax_fine", "needs_review", 50, 50),
            _doc("c", "scan_grey", "accepted", 100, 0),
            _doc("d", "scan_grey", "needs_review", 10, 0),
        )
    )
    rows = {row["group"]: row for row in auto_accept_groups(report)}
    assert rows["all"]["documents"] == 4 and rows["all"]["accepted"] == 2
    assert rows["all"]["precision"] == 199 / 200
    assert rows["cdc_pui_2020 / fax_fine"]["precision"] == 0.99
    assert rows["cdc_pui_2020 / scan_grey"]["precision"] == 1.0
    nothing = auto_accept_groups(EvalReport((_doc("e", "fax_fine", "needs_review", 5, 0),)))
    assert nothing[0]["accepted"] == 0 and nothing[0]["precision"] is None


def test_the_latency_section_marks_each_target_and_a_missing_measurement() -> None:
    from faxflow.bench import latency_lines

    measured = {
        "executor": "LocalExecutor (make up)",
        "pages": 2,
        "dropped_seconds_after_the_minute": 57.3,
        "drop_to_database_s": 52.0,
        "drop_to_quarantine_s": 24.0,
    }
    text = "\n".join(latency_lines(measured))
    assert "**52 s** (target ≤ 60 s: met)" in text
    assert "**24 s** (target ≤ 20 s: **missed**)" in text
    never = "\n".join(latency_lines({**measured, "drop_to_database_s": None}))
    assert "not reached within the time limit: missed" in never
    assert latency_lines(None) == []
