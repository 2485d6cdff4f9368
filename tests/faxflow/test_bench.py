"""The benchmark report's auto-accept table: precision among the documents the pipeline
accepted, per form and per form and profile."""

from __future__ import annotations

import json

from faxflow.bench import accuracy_lines, auto_accept_groups, target_checks
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


def test_the_airflow_section_marks_each_target_and_a_missing_measurement() -> None:
    from faxflow.bench_airflow import airflow_lines

    local = {
        "executor": "LocalExecutor (make up)",
        "pages": 2,
        "dropped_seconds_after_the_minute": 57.3,
        "drop_to_database_s": 52.0,
        "drop_to_quarantine_s": 24.0,
    }
    celery = {**local, "executor": "CeleryExecutor, 2 workers", "drop_to_database_s": None}
    throughput = {
        "executor": "CeleryExecutor, 2 workers",
        "documents": 6,
        "pages": 60,
        "tasks": 6,
        "processing_window_s": 50.0,
        "pages_per_second": 1.2,
        "drop_to_last_record_s": 100.0,
        "pages_per_second_from_drop": 0.6,
        "task_seconds_mean": 20.0,
        "pipeline_seconds_mean": 15.0,
        "overhead_in_task_s": 5.0,
        "queued_to_started_s": 1.5,
    }
    cli = {"pages_per_second": 2.0, "seconds": 30.0, "workers": 2}
    measured = {
        "latency": [local, celery],
        "throughput": throughput,
        "load_average": [3.25, 11.5],
        "cores": 2,
    }
    text = "\n".join(airflow_lines(measured, cli))
    assert "load average was 3.2–11.5 on 2 cores" in text
    assert "**52 s** (target ≤ 60 s: met)" in text
    assert "**24 s** (target ≤ 20 s: **missed**)" in text
    assert "not reached within the time limit: missed" in text  # Celery's fax never came
    assert "**0.60×** (target ≥ 0.7×: **missed**)" in text  # 1.2 / 2.0 pages/s
    assert "5.0 s of each task's 20.0 s" in text and "1.5 s from queued to started" in text
    failed = {"executor": "CeleryExecutor, 2 workers", "error": "never ran fax_intake"}
    assert "not measured: never ran fax_intake" in "\n".join(
        airflow_lines({"latency": [failed], "throughput": None}, None)
    )
    assert airflow_lines(None, None) == []


def test_the_airflow_section_replaces_its_own_section_and_nothing_else() -> None:
    from faxflow.bench_airflow import replace_section

    report = "# Benchmarks\n\n## Speed\n\nfast\n\n![benchmarks](benchmarks.png)\n"
    added = replace_section(report, ["", "## Airflow", "", "first"])
    chart = "![benchmarks](benchmarks.png)\n"
    assert added == "# Benchmarks\n\n## Speed\n\nfast\n\n## Airflow\n\nfirst\n\n" + chart
    again = replace_section(added, ["", "## Airflow", "", "second"])
    assert "first" not in again and "second" in again and "fast" in again
    assert again.count("## Airflow") == 1 and again.endswith("![benchmarks](benchmarks.png)\n")


def _styled(stem: str, split: str, writing: str, mark: str, right: int, wrong: int):
    scores = tuple(FieldScore(f"f{i}", "text", True, confidence=0.99) for i in range(right))
    scores += tuple(FieldScore(f"c{i}", "checkbox", False, confidence=0.5) for i in range(wrong))
    return DocumentScore(
        stem, "cdc_pui_2020", "fax_standard", True, True, "needs_review", scores,
        split=split, writing=writing, mark=mark,
    )  # fmt: skip


def test_targets_count_on_the_locked_split_per_style() -> None:
    """GIVEN a locked split whose typed fax_standard documents reach 95 % (target 92 %) and
    whose hand-printed ones 80 % (target 85 %), with checkboxes wrong only under circles,
    and a tune split that would miss everything
    WHEN the report's accuracy section is written THEN only the locked split is judged."""
    report = EvalReport(
        (
            _styled("a", "locked", "typed", "x", 95, 0),
            _styled("b", "locked", "typed", "x", 0, 5),  # five unsure checkbox errors
            _styled("c", "locked", "hand_printed", "circle", 80, 20),
            _styled("d", "tune", "hand_printed", "tick", 0, 50),
        )
    )
    locked = report.style_breakdown("locked")
    checks = {what: (measured, target) for what, measured, target in target_checks(locked)}
    assert checks["typed, fax_standard: fields"] == (0.95, 0.92)
    assert checks["hand_printed: fields"] == (0.8, 0.85)
    assert checks["mark circle: checkboxes"] == (0.0, 0.995)
    assert checks["typed: fields at confidence ≥ 0.95"] == (1.0, 0.995)
    assert not any("tick" in what for what in checks)  # the tune split is not judged
    accuracy = {"splits": {s: report.style_breakdown(s) for s in report.splits}, "by_profile": {}}
    lines = "\n".join(accuracy_lines(accuracy))
    assert "| typed, fax_standard: fields | 95.0% | ≥ 92.0% | met |" in lines
    assert "| hand_printed: fields | 80.0% | ≥ 85.0% | **missed** |" in lines
    assert "### Split `tune`" in lines and "### Split `locked`" in lines


def test_field_automation_counts_fields_no_person_sees(tmp_path, settings) -> None:
    """Sixty documents whose onset date is misread below 0.75: with a threshold of 0.75
    for dates, the misread ones go to a person and every auto-accepted field is right."""
    from faxflow.bench import field_automation_lines, field_automation_summary
    from faxflow.settings import BLANK_MARKS, BLANK_WRITING
    from tests.validate.test_calibrate import _write_set

    results, truth = _write_set(tmp_path, 60)
    # Blank readings have buckets of their own (never accepted without one).
    thresholds = {"date": 0.75, BLANK_WRITING: 0.9, BLANK_MARKS: 0.9}
    routed = settings.model_copy(
        update={"confidence_thresholds": thresholds, "default_confidence_threshold": 0.9}
    )
    rows = {r["group"]: r for r in field_automation_summary(results, truth, routed)}
    overall = rows["all"]
    assert overall["precision"] == 1.0
    assert 0 < overall["automated_share"] < 1
    assert overall["documents"] == 60 and rows["cdc_pui_2020 / fax_fine"]["documents"] == 60
    # A document is fully automated exactly when its onset date was read at 0.75 or more.
    safe = sum(
        json.loads(p.read_text())["fields"]["onset_date"]["confidence"] >= 0.75
        for p in results.glob("*.json")
    )
    assert overall["fully_automated"] == safe
    assert "| all | 60 |" in "\n".join(field_automation_lines(list(rows.values()), 0.995))
    assert not any(" / typed" in group for group in rows)  # no split in these truths


def test_field_automation_is_reported_per_split_and_writing(tmp_path, settings) -> None:
    """The targets count on the locked split, typed and hand-printed apart: a group each."""
    from faxflow.bench import field_automation_summary
    from faxflow.settings import BLANK_MARKS, BLANK_WRITING
    from tests.validate.test_calibrate import _write_set

    results, truth = _write_set(tmp_path, 12)
    for i, path in enumerate(sorted(truth.glob("*.json"))):
        data = json.loads(path.read_text())
        data["split"] = "locked" if i % 3 else "tune"
        data["writing"] = {"writing": "hand_printed" if i % 2 else "typed", "mark": "x"}
        path.write_text(json.dumps(data))
    thresholds = {"date": 0.75, BLANK_WRITING: 0.9, BLANK_MARKS: 0.9}
    routed = settings.model_copy(
        update={"confidence_thresholds": thresholds, "default_confidence_threshold": 0.9}
    )
    rows = {r["group"]: r for r in field_automation_summary(results, truth, routed)}
    sizes = {g: rows[g]["documents"] for g in rows if g.startswith(("locked", "tune"))}
    assert sizes == {
        "locked / hand_printed": 4,
        "locked / typed": 4,
        "tune / hand_printed": 2,
        "tune / typed": 2,
    }
    assert sum(rows[g]["fields"] for g in sizes) == rows["all"]["fields"]


def test_confident_errors_are_counted_by_kind_split_and_writing(tmp_path, settings) -> None:
    """GIVEN twelve documents whose fields are read at 0.95, three of them with the onset
    date misread at 0.99 (two locked typed, one tune hand-printed)
    WHEN confident errors are counted THEN each group's date row holds its misreads and
    its right dates, names are never wrong, and the section shows counts only."""
    from faxflow.bench import confident_errors_by_kind, confident_errors_lines
    from tests.validate.test_calibrate import _write_set

    results, truth = _write_set(tmp_path, 12)
    styles = {}
    for i, path in enumerate(sorted(truth.glob("*.json"))):
        data = json.loads(path.read_text())
        data["split"] = "locked" if i < 6 else "tune"
        data["writing"] = {"writing": "typed" if i % 2 == 0 else "hand_printed", "mark": "x"}
        path.write_text(json.dumps(data))
        styles[path.stem] = (data["split"], data["writing"]["writing"])
        result_path = results / path.name
        result = json.loads(result_path.read_text())
        onset = result["fields"]["onset_date"]
        if i in (0, 2, 7):
            onset.update(value="2020-09-09", confidence=0.99)
            result["record"]["onset_date"] = "2020-09-09"
        else:
            onset.update(value="2020-03-01", confidence=0.96)
            result["record"]["onset_date"] = "2020-03-01"
        result_path.write_text(json.dumps(result))
    rows = confident_errors_by_kind(results, truth, settings)
    dates = {
        (r["split"], r["writing"]): (r["wrong"], r["confident"])
        for r in rows
        if r["kind"] == "date"
    }
    assert dates == {
        ("locked", "typed"): (2, 6),  # date_of_birth and onset_date of three documents
        ("locked", "hand_printed"): (0, 6),
        ("tune", "typed"): (0, 6),
        ("tune", "hand_printed"): (1, 6),
    }
    names = [r for r in rows if r["kind"] == "name"]
    assert names and all(r["wrong"] == 0 for r in names)
    lines = "\n".join(confident_errors_lines(rows))
    columns = ["locked / hand_printed", "locked / typed", "tune / hand_printed", "tune / typed"]
    assert f"| kind | {' | '.join(columns)} |" in lines
    assert "| date | 0 of 6 | 2 of 6 | 1 of 6 | 0 of 6 |" in lines
    assert "2020-09-09" not in lines
