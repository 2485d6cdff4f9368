"""Threat: another account on the server (or a service running under its own user) reads
personal data from disk: originals, page images, result files, exports were 0644 in
0755 folders, and the result files held SSNs in clear, forever."""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from faxflow.flows import claim_and_check, process_and_load, refresh_aggregates
from faxflow.model import DocumentResult, FormType, ProvenanceStep, SourceDocument, Status
from faxflow.pipeline import ProcessOutcome, store_page_images
from faxflow.settings import Settings
from loaders.db import engine_for
from loaders.review import reveal
from tests.builders import field_result, form_result

SSN = "987654321"
SSN_AS_WRITTEN = "987-65-4321"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual umask 022: without care, files come out 0644 and folders 0755."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((120, 90), 255, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _fake_process(settings: Settings) -> Any:
    """Stands in for OCR and extraction: an application whose SSN was read (and repaired)."""

    def process_source(source: SourceDocument, settings_: Settings, **_: Any) -> ProcessOutcome:
        ssn = field_result(SSN, 0.6, (10, 10, 80, 30), raw=SSN_AS_WRITTEN)
        ssn = ssn.model_copy(
            update={"provenance": (ProvenanceStep(step="digits", before="987", after=SSN),)}
        )
        result = form_result(
            1,
            FormType.MDHHS_DHS1171,
            status=Status.NEEDS_REVIEW,
            values={"applicant_ssn": SSN},
            fields={"applicant_ssn": ssn},
            template_pages=(4,),
        ).model_copy(update={"document_id": source.document_id})
        images = store_page_images(
            {1: np.full((120, 90), 255, np.uint8)},
            document_id=source.document_id,
            settings=settings_,
        )
        return ProcessOutcome(result, (), source, images)

    return process_source


def _claim(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    inbox = settings.intake_dir / "inbox" / "clinic-7"
    inbox.mkdir(parents=True)
    (inbox / "application.png").write_bytes(_png_bytes())
    monkeypatch.setattr("faxflow.pipeline.process_source", _fake_process(settings))
    return claim_and_check(settings)


def _run_intake(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Claim, check, process (fake OCR) and load the one application in the inbox."""
    return [process_and_load(item, settings) for item in _claim(settings, monkeypatch)]


def test_claimed_and_archived_originals_are_private(settings, monkeypatch) -> None:
    checked = _claim(settings, monkeypatch)
    work = settings.intake_dir / "work"
    claimed = [p for p in work.iterdir() if not p.name.endswith(".json")]
    assert claimed and all(mode(p) == 0o600 for p in claimed)
    assert mode(work) == 0o700
    for item in checked:
        process_and_load(item, settings)
    archive = settings.intake_dir / "archive"
    archived = [p for p in archive.rglob("*") if p.is_file()]
    assert archived and all(mode(p) == 0o600 for p in archived)
    assert all(mode(p) == 0o700 for p in [archive, *(p for p in archive.rglob("*") if p.is_dir())])


def test_quarantined_originals_are_private(settings) -> None:
    inbox = settings.intake_dir / "inbox" / "clinic-7"
    inbox.mkdir(parents=True)
    (inbox / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    assert claim_and_check(settings) == []  # refused by the checks, quarantined at once
    quarantine = settings.intake_dir / "quarantine"
    kept = [p for p in quarantine.rglob("*") if p.is_file()]
    assert kept and all(mode(p) == 0o600 for p in kept if not p.name.endswith(".reason.txt"))
    assert all(
        mode(p) == 0o700 for p in [quarantine, *(p for p in quarantine.rglob("*") if p.is_dir())]
    )


def test_page_images_are_private(settings) -> None:
    stored = store_page_images(
        {1: np.zeros((20, 20), np.uint8)}, document_id="ab" * 32, settings=settings
    )
    path = settings.var_dir / stored[1]
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700


def test_result_files_hold_ssns_only_encrypted(settings, monkeypatch) -> None:
    from loaders.result_files import opened_result

    outcomes = _run_intake(settings, monkeypatch)
    [document_id] = [o["document_id"] for o in outcomes]
    path = settings.var_dir / "results" / f"{document_id}.json"
    text = path.read_text("utf-8")
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    for clear in (SSN, SSN_AS_WRITTEN, "987"):
        assert clear not in text.replace(document_id, "")
    reopened = opened_result(json.loads(text)["result"], settings)  # the key opens it
    assert reopened.record["applicant_ssn"] == SSN
    engine = engine_for(settings.db_url)
    try:
        assert reveal(engine, document_id, "applicant_ssn", actor="admin") == SSN
    finally:
        engine.dispose()


def test_exports_are_private(settings, monkeypatch) -> None:
    _run_intake(settings, monkeypatch)
    refresh_aggregates(settings)
    exports = settings.var_dir / "exports"
    files = list(exports.glob("*.csv"))
    assert files and all(mode(p) == 0o600 for p in files)
    assert mode(exports) == 0o700


def test_result_roundtrip_keeps_every_value(settings) -> None:
    from loaders.result_files import opened_result, sealed_result

    result: DocumentResult = form_result(
        2,
        FormType.MDHHS_DHS1171,
        status=Status.NEEDS_REVIEW,
        values={"applicant_ssn": SSN, "household_members": [{"ssn": "111223333"}]},
        fields={"applicant_ssn": field_result(SSN, 0.9, (1, 1, 5, 5), raw=SSN_AS_WRITTEN)},
        template_pages=(4,),
    )
    sealed = sealed_result(result, settings)
    assert SSN not in json.dumps(sealed) and "111223333" not in json.dumps(sealed)
    assert opened_result(sealed, settings) == result
