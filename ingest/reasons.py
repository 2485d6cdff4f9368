"""Reason files: what a clerk reads beside a quarantined file.

Each refusal code has a plain-language meaning and a next step. The file also names the
original file and the centre it came from, so the clerk can find the sender; it never
quotes anything from inside the document.
"""

from __future__ import annotations

from dataclasses import dataclass

from faxflow.errors import ErrorCode
from faxflow.ledger import LedgerEntry


@dataclass(frozen=True, slots=True)
class Explanation:
    meaning: str
    next_step: str


EXPLANATIONS: dict[ErrorCode, Explanation] = {
    ErrorCode.EMPTY: Explanation(
        "The file is empty (0 bytes): nothing was received.",
        "Ask the sender to fax or scan the document again.",
    ),
    ErrorCode.CORRUPT: Explanation(
        "The file is damaged or incomplete, so its pages cannot be read. This usually "
        "means the fax or upload was interrupted.",
        "Ask the sender to send the document again. If it keeps happening, tell IT which "
        "machine it came from.",
    ),
    ErrorCode.ENCRYPTED: Explanation(
        "The PDF is protected by a password, so faxflow cannot open it.",
        "Ask the sender to send it again without a password (print to PDF or scan the "
        "paper form instead).",
    ),
    ErrorCode.TOO_LARGE: Explanation(
        "The file is larger than faxflow accepts.",
        "Ask the sender to split it into smaller files or to scan at a lower resolution "
        "(200 dpi, black and white is enough).",
    ),
    ErrorCode.PAGES: Explanation(
        "The file has more pages than faxflow accepts in one document.",
        "Ask the sender to send each form as a separate file.",
    ),
    ErrorCode.BOMB: Explanation(
        "A page of the file is far too large to open safely (it would need too much "
        "memory or time). Scanners do not produce such files; it may be malicious.",
        "Do not open the file. Tell IT, and ask the sender to scan the form again at 200 dpi.",
    ),
    ErrorCode.TYPE: Explanation(
        "The file is not a PDF, TIFF, PNG or JPEG, whatever its name says.",
        "Ask the sender to fax the form, or scan it to PDF or TIFF.",
    ),
    ErrorCode.UNSAFE: Explanation(
        "The item in the inbox is not an ordinary file (a link, a pipe, a device or a "
        "folder) or points outside the inbox. faxflow never follows such items.",
        "Tell IT: something other than a scanner or fax server is writing into the inbox.",
    ),
    ErrorCode.NOT_FOUND: Explanation(
        "The file disappeared before it could be read.",
        "Check whether someone moved it; ask the sender to send it again if it is lost.",
    ),
    ErrorCode.OCR_TIMEOUT: Explanation(
        "Reading the text of a page took far longer than a form should, so faxflow gave "
        "up on the document.",
        "Ask the sender for a cleaner copy (a scan rather than a fax of a fax). If many "
        "files do this, tell the data engineers.",
    ),
    ErrorCode.OCR_FAILED: Explanation(
        "The text-recognition program failed on a page of this file.",
        "Tell the data engineers (quote the arrival id below); ask the sender for a new "
        "copy if it is urgent.",
    ),
    ErrorCode.INTERNAL: Explanation(
        "faxflow failed on this file several times in a row, which points to a fault in "
        "faxflow rather than in the file.",
        "Keep the file; tell the data engineers (quote the arrival id below).",
    ),
}

_FALLBACK = Explanation(
    "faxflow could not process this file.",
    "Tell the data engineers (quote the arrival id and code below).",
)


def explain(code: str) -> Explanation:
    """The meaning and next step for a reason code (a generic one for unknown codes)."""
    try:
        return EXPLANATIONS.get(ErrorCode(code), _FALLBACK)
    except ValueError:
        return _FALLBACK


def render_reason(entry: LedgerEntry) -> str:
    """The text of a reason file, built from the ledger entry alone (so it can be written
    again after a crash)."""
    code = entry.reason_code or ErrorCode.INTERNAL.value
    explanation = explain(code)
    lines = [
        "faxflow could not process this file",
        "",
        f"Original file name: {entry.original_name}",
        f"Sent by centre:     {entry.centre_id or '(unknown: file was not in a centre folder)'}",
        f"Received:           {entry.first_seen_at:%Y-%m-%d %H:%M:%S %Z}".rstrip(),
        f"Reason code:        {code}",
        "",
        "What happened:",
        f"  {explanation.meaning}",
    ]
    if entry.reason:
        lines += ["", "Details:", *(f"  {line}" for line in entry.reason.splitlines())]
    lines += [
        "",
        "What to do next:",
        f"  {explanation.next_step}",
        "",
        f"Arrival id: {entry.arrival_id}",
    ]
    if entry.document_id:
        lines.append(f"Document id (SHA-256): {entry.document_id}")
    return "\n".join(lines) + "\n"
