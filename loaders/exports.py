"""Exports of the analysts' tables: CSV that a spreadsheet cannot execute, private files.

Cells come from OCR'd text (a county, a centre id, a field name), so a fax could carry
``=HYPERLINK(...)`` into an analyst's spreadsheet. OWASP's CSV-injection rule: a text cell
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``,
which spreadsheets show but never evaluate; cells holding a line break are quoted. Numbers
stay numbers (a count of ``-1`` is not a formula). Files are written 0600 in a 0700 folder
(:mod:`faxflow.private`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pandas as pd

from faxflow.private import write_private

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """``'=1+1`` for ``=1+1``; any other value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def escaped_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and column name) escaped."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(escape_cell)
    out.columns = [escape_cell(str(c)) for c in out.columns]
    return out


BYTE_ORDER_MARK = "\ufeff"
"""Starts a CSV meant for spreadsheet programs, which read UTF-8 as the local code page
without it (Japanese text and accented names open garbled); programs reading CSV do not
need it, and Python's ``utf-8`` codec keeps it in the first header."""


def csv_text(frame: pd.DataFrame, *, bom: bool = False) -> str:
    """The frame as escaped CSV text, lines ended CRLF (RFC 4180): then a cell holding a
    CR or LF is quoted, so it cannot start a new row whose first cell is a formula.
    ``bom``: start with :data:`BYTE_ORDER_MARK`."""
    text: str = escaped_frame(frame).to_csv(index=False, lineterminator="\r\n")
    return BYTE_ORDER_MARK + text if bom else text


def write_export(
    frame: pd.DataFrame,
    path: Path,
    fmt: Literal["csv", "parquet"] = "csv",
    *,
    bom: bool = False,
) -> Path:
    """Write an export (CSV escaped, with a byte-order mark when ``bom``; Parquet keeps
    typed values, it is not opened by spreadsheets as formulas) to ``path``, 0600."""
    if fmt == "csv":
        return write_private(path, csv_text(frame, bom=bom))
    data: bytes = frame.to_parquet(index=False)
    return write_private(path, data)
