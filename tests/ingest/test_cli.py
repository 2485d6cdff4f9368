from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from faxflow.cli import app
from faxflow.settings import get_settings
from tests.fakes import crashing_tesseract
from tests.ingest.conftest import make_png, make_tiff


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FAXFLOW_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FAXFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'ff.db'}")
    monkeypatch.setenv("FAXFLOW_STABLE_SECONDS", "0")
    get_settings.cache_clear()
    yield tmp_path / "var" / "intake"
    get_settings.cache_clear()


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.mark.parametrize("ledger_args", [[], ["--ledger", "LEDGER"]], ids=["default", "jsonl"])
def test_run_once_then_status(env: Path, tmp_path: Path, ledger_args: list[str]) -> None:
    ledger_args = [str(tmp_path / "l.jsonl") if a == "LEDGER" else a for a in ledger_args]
    (env / "inbox" / "c1").mkdir(parents=True)
    make_tiff(env / "inbox" / "c1" / "fax.tif", pages=2, size=(864, 550))
    (env / "inbox" / "c1" / "blank.pdf").write_bytes(b"")
    result = invoke("intake", "run", "--once", "--process", "verify", *ledger_args)
    assert result.exit_code == 3  # a file was quarantined
    assert "archived" in result.output and "E_EMPTY" in result.output
    assert len(list((env / "archive" / "c1").glob("*.tif"))) == 1
    assert len(list((env / "quarantine" / "E_EMPTY").glob("*.reason.txt"))) == 1

    status = invoke("intake", "status", "--json", *ledger_args)
    assert status.exit_code == 0
    data = json.loads(status.stdout)
    assert data["by_status"] == {"archived": 1, "quarantined": 1}
    assert data["quarantined_by_code"] == {"E_EMPTY": 1}
    assert data["invariant_ok"] is True and data["problems"] == []


def test_status_reports_a_broken_invariant(env: Path) -> None:
    (env / "archive" / "c1").mkdir(parents=True)
    (env / "archive" / "c1" / "stray.pdf").write_bytes(b"%PDF-")
    result = invoke("intake", "status")
    assert result.exit_code == 1
    assert "archive/c1/stray.pdf has no ledger row" in result.output


def test_run_once_waits_for_a_file_still_arriving(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAXFLOW_STABLE_SECONDS", "0.3")
    get_settings.cache_clear()
    (env / "inbox" / "c2").mkdir(parents=True)
    make_png(env / "inbox" / "c2" / "scan.png")
    result = invoke("intake", "run", "--once", "--process", "verify", "--wait", "30")
    assert result.exit_code == 0
    assert len(list((env / "archive" / "c2").glob("*.png"))) == 1


def test_help_explains_the_commands() -> None:
    for command, words in (
        ("run", ["--once", "--wait", "--process", "--ledger"]),
        ("status", ["--json", "invariant"]),
    ):
        result = invoke("intake", command, "--help")
        assert result.exit_code == 0
        assert all(word in result.output for word in words), command


def test_run_polls_until_interrupted(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.cli

    (env / "inbox" / "c3").mkdir(parents=True)
    make_png(env / "inbox" / "c3" / "scan.png")
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(ingest.cli.time, "sleep", sleep)
    result = invoke("intake", "run", "--process", "verify", "--interval", "7")
    assert result.exit_code == 0
    assert polls == [7.0, 7.0]
    assert "stopped" in result.output and "intake summary" in result.output
    assert len(list((env / "archive" / "c3").glob("*.png"))) == 1


@pytest.mark.slow
def test_run_tries_a_crashed_ocr_engine_again_and_quarantines_only_on_every_try(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, samples_dir: Path
) -> None:
    """GIVEN a good 2-page fax and an engine SIGKILLed on its first 3 calls (one try's
    worth: each call is repeated twice in place), WHEN `intake run --once` runs twice,
    THEN the fax is archived with a record on the second try; GIVEN an engine killed on
    every call, THEN a third run quarantines the next fax with its 3 tries listed."""
    fax = samples_dir / "docs" / "cdc_pui_2020-fax_fine-0000.tif"
    (env / "inbox" / "c1").mkdir(parents=True)
    shutil.copy(fax, env / "inbox" / "c1" / "case.tif")
    monkeypatch.setenv("FAXFLOW_TESSERACT_RETRY_DELAY_S", "0.1")
    monkeypatch.setenv(
        "FAXFLOW_TESSERACT_CMD", str(crashing_tesseract(tmp_path / "flaky", crashes=3))
    )
    get_settings.cache_clear()

    first = invoke("intake", "run", "--once", "--process", "pipeline")
    assert first.exit_code == 0 and "left in work/ for a retry" in first.output
    second = invoke("intake", "run", "--once", "--process", "pipeline")
    assert second.exit_code == 0
    assert len(list((env / "archive" / "c1").glob("*.tif"))) == 1

    (env / "inbox" / "c1" / "again.tif").write_bytes(fax.read_bytes() + b"\0")
    monkeypatch.setenv(
        "FAXFLOW_TESSERACT_CMD", str(crashing_tesseract(tmp_path / "dead", crashes=None))
    )
    get_settings.cache_clear()
    exits = [invoke("intake", "run", "--once", "--process", "pipeline").exit_code for _ in "123"]
    assert exits == [0, 0, 3]  # the third try quarantines
    (reason,) = (env / "quarantine" / "E_OCR_FAILED").glob("*.reason.txt")
    text = reason.read_text()
    assert "failed on every one of 3 tries" in text
    assert all(f"  try {n}: E_OCR_FAILED tesseract" in text for n in (1, 2, 3))

    status = json.loads(invoke("intake", "status", "--json").stdout)
    assert status["by_status"] == {"archived": 1, "quarantined": 1}
    assert status["invariant_ok"] is True
    from sqlalchemy import text as sql

    from loaders.db import engine_for

    with engine_for(get_settings().db_url).connect() as connection:
        assert connection.execute(sql("select count(*) from documents")).scalar() == 1
