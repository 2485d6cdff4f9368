"""The ``faxflow process`` command, run as a user runs it: a subprocess with stable exit codes.

Exit codes: 0 ok, 1 needs review, 2 bad arguments, 3 input refused, 4 missing dependency,
5 database error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from faxflow.model import DocumentResult, RecordType, Status
from faxflow.schemas import schema_errors

FAXFLOW = str(Path(sys.executable).with_name("faxflow"))


def run_faxflow(
    *args: str, tmp_path: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "FAXFLOW_VAR_DIR": str(tmp_path / "var"),
        "OMP_THREAD_LIMIT": "1",
        "COLUMNS": "200",  # rich wraps messages at the terminal width
        **(env or {}),
    }
    if "FAXFLOW_DATABASE_URL" not in (env or {}):
        environment.pop("FAXFLOW_DATABASE_URL", None)
    return subprocess.run(
        [FAXFLOW, *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_help_explains_commands_and_exit_codes(tmp_path: Path) -> None:
    done = run_faxflow("--help", tmp_path=tmp_path)
    assert done.returncode == 0
    for command in ("process", "eval", "samples", "template", "export", "dashboard"):
        assert command in done.stdout
    assert "Exit codes" in done.stdout
    process_help = run_faxflow("process", "--help", tmp_path=tmp_path)
    assert "--out" in process_help.stdout and "OUT/<stem>.json" in process_help.stdout


def test_missing_arguments_exit_2(tmp_path: Path) -> None:
    done = run_faxflow("process", "--out", str(tmp_path / "out"), tmp_path=tmp_path)
    assert done.returncode == 2
    missing = run_faxflow(
        "process", str(tmp_path / "nope.pdf"), "--out", str(tmp_path), tmp_path=tmp_path
    )
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr + missing.stdout


def test_refused_inputs_exit_3_with_coded_results(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "empty.pdf").write_bytes(b"")
    (inputs / "letter.txt").write_text("not a fax")
    (inputs / "cut.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog")
    out = tmp_path / "out"
    done = run_faxflow("process", str(inputs), "--out", str(out), "--no-db", tmp_path=tmp_path)
    assert done.returncode == 3, done.stderr
    codes = {}
    for stem in ("empty", "letter", "cut"):
        result = DocumentResult.model_validate_json((out / f"{stem}.json").read_text())
        assert result.status is Status.REJECTED
        codes[stem] = result.issues[0].code
    assert codes == {"empty": "E_EMPTY", "letter": "E_TYPE", "cut": "E_CORRUPT"}
    assert "Traceback" not in done.stderr


def test_missing_tesseract_exits_4_before_touching_files(tmp_path: Path) -> None:
    done = run_faxflow(
        "process",
        str(tmp_path),
        "--out",
        str(tmp_path / "out"),
        tmp_path=tmp_path,
        env={"FAXFLOW_TESSERACT_CMD": str(tmp_path / "no-tesseract")},
    )
    assert done.returncode == 4
    assert "E_MISSING_DEPENDENCY" in done.stderr
    assert not (tmp_path / "out").exists()


def test_unreachable_database_exits_5(tmp_path: Path, project_root: Path) -> None:
    sample = tmp_path / "empty.png"
    sample.write_bytes(b"")
    done = run_faxflow(
        "process",
        str(sample),
        "--out",
        str(tmp_path / "out"),
        "--db",
        "postgresql+psycopg://nobody:secret@127.0.0.1:9/none",
        tmp_path=tmp_path,
    )
    assert done.returncode == 5, done.stderr
    assert "secret" not in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("form_type", "record_type", "pages"),
    [
        ("cdc_pui_2020", RecordType.INFECTION_REPORT, 2),
        ("mdhhs_dhs1171", RecordType.BENEFIT_APPLICATION, 21),
    ],
)
def test_blank_form_reads_as_blank_record_needing_review(
    form_type: str, record_type: RecordType, pages: int, tmp_path: Path, project_root: Path
) -> None:
    blank = tmp_path / f"{form_type}.pdf"
    blank.write_bytes(
        (project_root / "extract" / "templates" / form_type / "blank.pdf").read_bytes()
    )
    out = tmp_path / "out"
    done = run_faxflow("process", str(blank), "--out", str(out), tmp_path=tmp_path)
    assert done.returncode == 1, done.stderr  # needs review
    payload = json.loads((out / f"{form_type}.json").read_text())
    result = DocumentResult.model_validate(payload)
    assert result.form_type.value == form_type
    assert result.record_type is record_type
    assert result.page_count == pages
    assert result.status is Status.NEEDS_REVIEW
    assert schema_errors(record_type, result.record) == []
    filled = {k: v for k, v in result.record.items() if v not in (None, [], False)}
    # The blank DHS-1171 is printed with its Food Assistance box ticked (spec): it reads true.
    expected = {"applying_food_assistance": True} if form_type == "mdhhs_dhs1171" else {}
    assert filled == expected
    assert "1 need review" in done.stdout
    assert (tmp_path / "var" / "faxflow.db").exists()
