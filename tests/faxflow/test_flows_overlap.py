"""Two fax_intake runs at once (max_active_runs=2) never take each other's claims.

GIVEN a form claimed and checked by one run, waiting in work/ for its processing task
WHEN  a second run claims a new arrival while the first is still running (Airflow counts
      two), looking twice because the new file is not yet known to be stable
THEN  it takes only the new file and leaves the first run's claim alone (no try counted);
      a run that runs alone later recovers a claim that really was abandoned
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from faxflow.flows import alone_in_intake, claim_and_check, open_services
from faxflow.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Short, not zero: each claim_and_check sees a new file once, waits, looks again.
    return Settings(var_dir=tmp_path / "var", stable_seconds=0.2)


def test_a_second_run_leaves_the_first_runs_claims_alone(
    settings: Settings, project_root: Path
) -> None:
    inbox = settings.intake_dir / "inbox" / "clinic-3"
    inbox.mkdir(parents=True)
    blank = project_root / "extract" / "templates" / "cdc_pui_2020" / "blank.pdf"
    shutil.copy(blank, inbox / "case report.pdf")

    (first,) = claim_and_check(settings)  # the first run; its processing task is queued
    ledger = open_services(settings).ledger
    (inbox / "notes.txt").write_bytes(b"not a fax\n")
    assert claim_and_check(settings, recover_abandoned=alone_in_intake(lambda: 2)) == []
    assert len(list((settings.intake_dir / "quarantine").rglob("*.reason.txt"))) == 1
    entry = ledger.get(first["arrival_id"])
    assert entry is not None and entry.attempts == 1
    assert (settings.intake_dir / "work" / first["arrival_id"]).exists()

    # The first run died before processing it: the next lone run takes it, one more try.
    (recovered,) = claim_and_check(settings, recover_abandoned=alone_in_intake(lambda: 1))
    assert recovered["arrival_id"] == first["arrival_id"]
    entry = ledger.get(first["arrival_id"])
    assert entry is not None and entry.attempts == 2


def test_recovers_as_before_when_airflow_cannot_count_runs() -> None:
    def broken() -> int:
        raise RuntimeError("execution API unavailable")

    assert alone_in_intake(broken)
    assert not alone_in_intake(lambda: 3)
