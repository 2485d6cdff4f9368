"""Safe handling of the names people give files.

File names arrive from scanners, fax servers and people: they may hold newlines, a leading
dash, bytes that are not UTF-8, or decomposed Unicode (NFD, as macOS writes them). Internally
faxflow never uses them as paths; they are kept only for display, in the ledger and in
reason files, after :func:`display_name` has made them printable.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata

_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
RESERVED_SEGMENTS = frozenset({"duplicates", "work", "inbox", "archive", "quarantine"})


def display_name(raw: str) -> str:
    """A printable, UTF-8-encodable form of a file name, for people to read.

    Bytes that are not UTF-8 (kept by Python as surrogate escapes) become ``\\xNN``; control
    characters and line/paragraph separators become ``\\n``-style escapes. Composed and
    decomposed Unicode are kept as written: they are different names on disk.
    """
    text = os.fsencode(raw).decode("utf-8", "backslashreplace")
    out: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif category in ("Cc", "Zl", "Zp") or (category == "Cf" and char not in "\u200d"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out) or "(no name)"


def safe_segment(label: str) -> str:
    """A folder name for a label (such as a centre id) that is safe on any file system.

    Labels that are already short, plain ASCII are kept so folders stay readable; anything
    else is replaced by a stable hash so it can never escape, collide with a reserved
    folder or be mistaken for an option.
    """
    if _SAFE_SEGMENT.fullmatch(label) and label.lower() not in RESERVED_SEGMENTS:
        return label
    digest = hashlib.sha256(os.fsencode(label)).hexdigest()[:16]
    return f"centre-{digest}"
