"""Scoring: truth as results scores 1.0, nothing scores 0, one wrong field costs one field."""

from __future__ import annotations

import copy
import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from faxflow.cli import app
from faxflow.errors import ConfigError
from faxflow.model import FormType
from samples.evaluate import CHECKBOX, TEXT, evaluate, score_document, values_match
from samples.people import make_record


def _truth(form_type: FormType, seed: int, profile: str = "fax_fine") -> dict[str, Any]:
    record_type = (
        "infection_report" if form_type is FormType.CDC_PUI_2020 else "benefit_application"
    )
    return {
        "document": f"{form_type.value}-{profile}-{seed:04d}.tif",
        "form_type": form_type.value,
        "record_type": record_type,
        "profile": profile,
        "seed": 1,
        "page_count": 2,
        "record": make_record(form_type, seed),
    }


@pytest.fixture
def truth_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "truth"
    folder.mkdir()
    for seed, form_type, profile in [
        (1, FormType.CDC_PUI_2020, "fax_fine"),
        (2, FormType.CDC_PUI_2020, "scan_grey"),
        (3, FormType.MDHHS_DHS1171, "fax_standard"),
        (7, FormType.MDHHS_DHS1171, "with_cover"),
    ]:
        truth = _truth(form_type, seed, profile)
        stem = truth["document"].rsplit(".", 1)[0]
        (folder / f"{stem}.json").write_text(json.dumps(truth))
    return folder


def _as_result(truth: dict[str, Any], status: str = "needs_review") -> dict[str, Any]:
    return {
        "document_id": "0" * 64,
        "source_name": truth["document"],
        "form_type": truth["form_type"],
        "record_type": truth["record_type"],
        "page_count": truth["page_count"],
        "status": status,
        "record": copy.deepcopy(truth["record"]),
        "fields": {},
        "issues": [],
        "pages": [],
    }


def test_truth_copied_as_results_scores_one(truth_dir: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    shutil.copytree(truth_dir, results)
    report = evaluate(results, truth_dir)
    assert report.field_accuracy().value == 1.0
    assert report.field_accuracy(kind=TEXT).value == 1.0
    assert report.field_accuracy(kind=CHECKBOX).value == 1.0
    assert report.form_type_accuracy.value == 1.0
    for profile in report.profiles:
        assert report.field_accuracy(profile=profile).value == 1.0
    assert report.status_counts["missing"] == 0
    assert report.status_counts["no_status"] == 4


def test_empty_results_score_zero(truth_dir: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    report = evaluate(results, truth_dir)
    assert report.field_accuracy().value == 0.0
    assert report.form_type_accuracy.value == 0.0
    assert report.status_counts["missing"] == 4
    assert math.isnan(report.auto_accept_precision.value)
    assert report.accepted_share == 0.0


@pytest.mark.parametrize(
    ("field", "new_value", "kind"),
    [
        ("patient_last_name", "Nobody", TEXT),
        ("date_of_birth", "1900-01-01", TEXT),
        ("sex", "other", CHECKBOX),
        ("race", ["asian", "white"], CHECKBOX),
    ],
)
def test_one_changed_field_lowers_exactly_that_field(field: str, new_value: Any, kind: str) -> None:
    truth = _truth(FormType.CDC_PUI_2020, 5)
    if truth["record"][field] == new_value:
        new_value = None
    result = _as_result(truth)
    result["record"][field] = new_value
    wrong = [s for s in score_document(result, truth) if not s.correct]
    assert [(s.name, s.kind) for s in wrong] == [(field, kind)]


def test_member_fields_are_scored_per_member_and_position() -> None:
    truth = next(
        t
        for seed in range(50)
        if len((t := _truth(FormType.MDHHS_DHS1171, seed))["record"]["household_members"]) >= 2
    )
    result = _as_result(truth)
    result["record"]["household_members"][1]["full_name"] = "Someone Else"
    wrong = [s.name for s in score_document(result, truth) if not s.correct]
    assert wrong == ["household_members[1].full_name"]

    result = _as_result(truth)
    result["record"]["household_members"].append({"full_name": "Ghost Person"})
    wrong = [s.name for s in score_document(result, truth) if not s.correct]
    index = len(truth["record"]["household_members"])
    assert wrong == [
        f"household_members[{index}].{p}"
        for p in ("full_name", "birth_date", "relationship", "sex", "ssn")
    ]


def test_normalisation_rules() -> None:
    truth = _truth(FormType.CDC_PUI_2020, 11)
    record = truth["record"]
    record.update(
        patient_first_name="Mary Ann",
        interviewer_email="mary.ann@example.org",
        race=["black", "white"],
        age=40,
    )
    result = _as_result(truth)
    result["record"].update(
        patient_first_name="  Mary   Ann ",
        interviewer_email="Mary.Ann@Example.org",
        race=["white", "black"],
        age=40.0,
    )
    assert all(s.correct for s in score_document(result, truth))
    result["record"]["patient_first_name"] = "mary ann"  # names keep their case
    wrong = [s.name for s in score_document(result, truth) if not s.correct]
    assert wrong == ["patient_first_name"]


def test_money_within_half_a_cent_and_booleans_are_not_numbers() -> None:
    truth = _truth(FormType.MDHHS_DHS1171, 3)
    truth["record"]["total_cash_assets"] = 1250.0
    truth["record"]["applying_child_care"] = True
    result = _as_result(truth)
    result["record"]["total_cash_assets"] = 1250.004
    assert all(s.correct for s in score_document(result, truth))
    result["record"]["total_cash_assets"] = 1250.01
    result["record"]["applying_child_care"] = 1
    wrong = {s.name for s in score_document(result, truth) if not s.correct}
    assert wrong == {"total_cash_assets", "applying_child_care"}


def test_wrong_form_type_makes_every_field_wrong() -> None:
    truth = _truth(FormType.CDC_PUI_2020, 4)
    result = _as_result(truth)
    result["form_type"] = "unknown"
    assert not any(s.correct for s in score_document(result, truth))


def test_auto_accept_precision_counts_only_accepted_documents(
    truth_dir: Path, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    results.mkdir()
    truths = sorted(truth_dir.glob("*.json"))
    first = json.loads(truths[0].read_text())
    accepted = _as_result(first, status="accepted")
    field = "patient_last_name"
    accepted["record"][field] = "Wrong"
    (results / truths[0].name).write_text(json.dumps(accepted))
    second = json.loads(truths[1].read_text())
    (results / truths[1].name).write_text(json.dumps(_as_result(second, "needs_review")))
    report = evaluate(results, truth_dir)
    precision = report.auto_accept_precision
    assert precision.total == len(first["record"])
    assert precision.correct == precision.total - 1
    assert report.accepted_share == 0.25
    assert report.status_counts == {
        "accepted": 1,
        "needs_review": 1,
        "rejected": 0,
        "missing": 2,
        "no_status": 0,
    }


def test_eval_command_prints_a_table_and_writes_json(truth_dir: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    shutil.copytree(truth_dir, results)
    numbers = tmp_path / "eval.json"
    outcome = CliRunner().invoke(
        app, ["eval", str(results), "--truth", str(truth_dir), "--json", str(numbers)]
    )
    assert outcome.exit_code == 0, outcome.output
    assert "auto-accept precision" in outcome.output
    data = json.loads(numbers.read_text())
    assert data["field_accuracy"]["accuracy"] == 1.0
    assert set(data["by_form_type"]) == {"cdc_pui_2020", "mdhhs_dhs1171"}
    assert data["by_profile"]["scan_grey"]["checkbox_accuracy"]["accuracy"] == 1.0
    assert "patient_last_name" in data["by_form_type"]["cdc_pui_2020"]["fields"]


def test_eval_refuses_a_missing_truth_folder_with_a_coded_error(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(app, ["eval", str(tmp_path), "--truth", str(tmp_path / "nope")])
    assert outcome.exit_code != 0
    assert "E_CONFIG" in str(outcome.exception) or "does not exist" in outcome.output


@given(
    words=st.lists(
        st.text(alphabet=st.characters(blacklist_categories=("Z", "C")), min_size=1, max_size=8),
        min_size=1,
        max_size=4,
    ),
    gaps=st.lists(st.sampled_from([" ", "  ", "\t", " \n "]), min_size=5, max_size=5),
)
def test_white_space_never_matters_and_case_does(words: list[str], gaps: list[str]) -> None:
    clean = " ".join(words)
    spaced = gaps[0] + "".join(w + g for w, g in zip(words, gaps[1:], strict=False)) + gaps[-1]
    assert values_match("patient_last_name", clean, spaced)
    if clean.lower() != clean:
        assert not values_match("patient_last_name", clean, clean.lower())
        assert values_match("interviewer_email", clean, clean.lower())


# --------------------------------------------------------------------------------------
# Splits and writing styles
# --------------------------------------------------------------------------------------


def _styled(seed: int, split: str, writing: str, mark: str, **traits: bool) -> dict[str, Any]:
    truth = _truth(FormType.CDC_PUI_2020, seed)
    truth["document"] = f"cdc_pui_2020-fax_fine-{seed:04d}.tif"
    truth["split"] = split
    truth["writing"] = {
        "writing": writing,
        "font": "FreeSans",
        "mark": mark,
        "block_capitals": traits.get("block_capitals", False),
        "overflow": traits.get("overflow", False),
        "drift": traits.get("drift", False),
        "full_width": traits.get("full_width", False),  # Japanese copies' typed digits
    }
    return truth


def test_eval_groups_by_split_writing_style_mark_and_trait(tmp_path: Path) -> None:
    """GIVEN a tune document (typed, ticks) read right at high confidence, and two locked
    ones: hand-printed with circles and block capitals, one surname wrong at 0.97 and one
    checkbox wrong; typed with X marks, all right but read unsure
    WHEN evaluated THEN each group has its own accuracy and high-confidence precision."""
    truth_dir, results = tmp_path / "truth", tmp_path / "results"
    truth_dir.mkdir()
    results.mkdir()
    docs = [
        (_styled(11, "tune", "typed", "tick"), 0.99, {}),
        (
            _styled(12, "locked", "hand_printed", "circle", block_capitals=True, drift=True),
            0.97,
            {"patient_last_name": "Wrong", "hospitalized": "unknown"},
        ),
        (_styled(13, "locked", "typed", "x", full_width=True), 0.5, {}),
    ]
    for truth, confidence, errors in docs:
        stem = truth["document"].rsplit(".", 1)[0]
        (truth_dir / f"{stem}.json").write_text(json.dumps(truth))
        result = _as_result(truth)
        result["record"].update(errors)
        result["fields"] = {
            name: {"value": value, "confidence": confidence}
            for name, value in result["record"].items()
        }
        (results / f"{stem}.json").write_text(json.dumps(result))
    report = evaluate(results, truth_dir)
    fields = len(docs[0][0]["record"])
    assert report.splits == ["locked", "tune"]
    assert report.writings(split="locked") == ["hand_printed", "typed"]
    assert report.marks(split="locked") == ["circle", "x"]
    assert report.traits(split="locked") == ["block_capitals", "drift", "full_width"]
    hand = report.field_accuracy(split="locked", writing="hand_printed")
    assert (hand.correct, hand.total) == (fields - 2, fields)
    circle = report.field_accuracy(split="locked", mark="circle", kind=CHECKBOX)
    assert circle.total - circle.correct == 1
    assert report.field_accuracy(split="locked", mark="x").value == 1.0
    # The hand-printed fields were all read at 0.97: two of them wrong; the typed locked
    # document's were below 0.95 and do not count.
    confident = report.confident_precision(split="locked")
    assert (confident.correct, confident.total) == (fields - 2, fields)
    assert report.confident_precision(split="locked", writing="typed").total == 0
    assert report.confident_precision(split="tune").value == 1.0
    assert report.field_accuracy(split="locked", trait="drift") == hand
    typed = report.field_accuracy(split="locked", writing="typed")
    assert report.field_accuracy(split="locked", trait="full_width") == typed

    outcome = CliRunner().invoke(
        app,
        ["eval", str(results), "--truth", str(truth_dir), "--json", str(tmp_path / "e.json")],
        env={"COLUMNS": "200"},
    )
    assert outcome.exit_code == 0, outcome.output
    assert "split locked" in outcome.output and "mark circle" in outcome.output
    assert "leave out the locked split" in outcome.output
    data = json.loads((tmp_path / "e.json").read_text())
    locked = data["by_split"]["locked"]
    assert locked["by_writing"]["hand_printed"]["field_accuracy"]["correct"] == fields - 2
    assert locked["by_writing"]["typed"]["by_profile"]["fax_fine"]["documents"] == 1
    assert locked["by_mark"]["circle"]["checkbox_accuracy"]["total"] == circle.total
    assert locked["by_trait"]["block_capitals"]["confident_precision"]["total"] == fields
    assert data["per_document"]["cdc_pui_2020-fax_fine-0012"]["writing"] == "hand_printed"


def test_classic_truth_counts_as_typed_in_the_classic_split(
    truth_dir: Path, tmp_path: Path
) -> None:
    report = evaluate(truth_dir, truth_dir)
    assert report.splits == ["classic"]
    assert report.writings() == ["typed"] and report.marks() == ["classic"]


def test_a_truth_file_of_no_known_form_names_the_setting_that_finds_packs(
    tmp_path: Path,
) -> None:
    truth = {**_truth(FormType.CDC_PUI_2020, 1), "record_type": "no_such_pack"}
    (tmp_path / "truth").mkdir()
    (tmp_path / "truth" / "a.json").write_text(json.dumps(truth))
    (tmp_path / "results").mkdir()
    with pytest.raises(ConfigError, match="FAXFLOW_FORMS_DIR") as raised:
        evaluate(tmp_path / "results", tmp_path / "truth")
    assert raised.value.message.startswith("a.json: unknown record_type no_such_pack")
