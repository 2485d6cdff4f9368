from __future__ import annotations

from datetime import UTC, datetime

import pytest

from faxflow.errors import EXIT_CODE_BY_CODE, ErrorCode, ExitCode
from faxflow.ledger import LedgerEntry, LedgerStatus
from ingest.reasons import EXPLANATIONS, explain, render_reason

REFUSAL_CODES = sorted(c for c, e in EXIT_CODE_BY_CODE.items() if e is ExitCode.INPUT_ERROR)


@pytest.mark.parametrize("code", REFUSAL_CODES)
def test_every_refusal_code_has_its_own_explanation(code: ErrorCode) -> None:
    assert code in EXPLANATIONS
    explanation = explain(code.value)
    assert explanation.meaning.endswith(".") and explanation.next_step.endswith(".")


def test_unknown_codes_get_a_generic_explanation() -> None:
    assert "data engineers" in explain("E_SOMETHING_NEW").next_step


def test_reason_file_text() -> None:
    entry = LedgerEntry(
        arrival_id="a" * 32,
        original_name="Jones, fax 3.pdf",
        centre_id=None,
        status=LedgerStatus.QUARANTINED,
        first_seen_at=datetime(2026, 3, 4, 9, 30, tzinfo=UTC),
        updated_at=datetime(2026, 3, 4, 9, 31, tzinfo=UTC),
        reason_code="E_ENCRYPTED",
        reason="'Jones, fax 3.pdf' is protected by a password",
        document_id="d" * 64,
    )
    text = render_reason(entry)
    assert "Original file name: Jones, fax 3.pdf\n" in text
    assert "file was not in a centre folder" in text
    assert "Received:           2026-03-04 09:30:00 UTC" in text
    assert "Reason code:        E_ENCRYPTED" in text
    assert "without a password" in text  # the next step
    assert f"Arrival id: {'a' * 32}" in text and f"(SHA-256): {'d' * 64}" in text
