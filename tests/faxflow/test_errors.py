from __future__ import annotations

import pytest

from faxflow.errors import (
    DatabaseError,
    ErrorCode,
    ExitCode,
    InputRejected,
    MissingDependency,
    OcrTimeout,
    exit_code_for,
)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (InputRejected(ErrorCode.CORRUPT, "page 2 cannot be decoded"), ExitCode.INPUT_ERROR),
        (InputRejected(ErrorCode.ENCRYPTED, "password protected"), ExitCode.INPUT_ERROR),
        (InputRejected(ErrorCode.DUPLICATE, "seen before"), ExitCode.OK),
        (MissingDependency("tesseract not found"), ExitCode.MISSING_DEPENDENCY),
        (DatabaseError("cannot connect"), ExitCode.DATABASE_ERROR),
        (OcrTimeout("took too long"), ExitCode.INTERNAL_ERROR),
        (ValueError("bug"), ExitCode.INTERNAL_ERROR),
    ],
)
def test_one_mapping_from_error_to_exit_code(error: BaseException, expected: ExitCode) -> None:
    assert exit_code_for(error) is expected


def test_message_carries_stable_code() -> None:
    error = InputRejected(ErrorCode.TYPE, "not a PDF, TIFF, PNG or JPEG")
    assert str(error) == "E_TYPE: not a PDF, TIFF, PNG or JPEG"
    assert error.code.value == "E_TYPE"
    assert not error.transient
    assert DatabaseError("down").transient


def test_safe_traceback_names_the_place_not_the_message() -> None:
    from faxflow.errors import safe_traceback

    def parse() -> None:
        raise ValueError("SSN 123-45-6789 of Jane Roe")

    try:
        parse()
    except ValueError as error:
        text = safe_traceback(error)
    assert "ValueError" in text and "parse" in text and "test_errors.py" in text
    assert "6789" not in text and "Jane" not in text
