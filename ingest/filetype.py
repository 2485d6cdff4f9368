"""Decide what an input file is from its first bytes, never from its name.

Scanners and fax servers name files ``scan0001.pdf`` whatever they hold, and clerks rename
files by hand, so the extension is ignored on purpose.
"""

from __future__ import annotations

from pathlib import Path

from faxflow.errors import ErrorCode, InputRejected
from faxflow.model import FileKind
from ingest.names import display_name

HEADER_BYTES = 1024
"""PDF readers accept the ``%PDF-`` header anywhere in the first kilobyte (ISO 32000-1, H.3)."""

_PREFIXES: tuple[tuple[bytes, FileKind], ...] = (
    (b"\x89PNG\r\n\x1a\n", FileKind.PNG),
    (b"\xff\xd8\xff", FileKind.JPEG),
    (b"II*\x00", FileKind.TIFF),  # little-endian TIFF
    (b"MM\x00*", FileKind.TIFF),  # big-endian TIFF
    (b"II+\x00", FileKind.TIFF),  # BigTIFF
    (b"MM\x00+", FileKind.TIFF),
)

EXTENSION_BY_KIND: dict[FileKind, str] = {
    FileKind.PDF: ".pdf",
    FileKind.TIFF: ".tif",
    FileKind.PNG: ".png",
    FileKind.JPEG: ".jpg",
}


def kind_from_header(header: bytes) -> FileKind | None:
    """The kind whose magic bytes start ``header`` (or, for PDF, occur in it), else None."""
    for prefix, kind in _PREFIXES:
        if header.startswith(prefix):
            return kind
    if b"%PDF-" in header[:HEADER_BYTES]:
        return FileKind.PDF
    return None


def detect_kind(path: Path) -> FileKind:
    """The file's kind by magic bytes.

    Raises :class:`InputRejected` with ``E_EMPTY`` for a zero-byte file, ``E_TYPE`` for
    anything that is not PDF, TIFF, PNG or JPEG, and ``E_NOT_FOUND`` when it cannot be read.
    """
    name = display_name(path.name)
    try:
        with path.open("rb") as handle:
            header = handle.read(HEADER_BYTES)
    except FileNotFoundError as exc:
        raise InputRejected(ErrorCode.NOT_FOUND, f"'{name}' does not exist") from exc
    except IsADirectoryError as exc:
        raise InputRejected(ErrorCode.UNSAFE, f"'{name}' is a folder, not a file") from exc
    except OSError as exc:
        raise InputRejected(
            ErrorCode.CORRUPT, f"'{name}' cannot be read ({exc.strerror or 'I/O error'})"
        ) from exc
    if not header:
        raise InputRejected(ErrorCode.EMPTY, f"'{name}' is empty (0 bytes)")
    kind = kind_from_header(header)
    if kind is None:
        raise InputRejected(
            ErrorCode.TYPE,
            f"'{name}' is not a PDF, TIFF, PNG or JPEG file ({describe_header(header)})",
        )
    return kind


def describe_header(header: bytes) -> str:
    """A short, safe description of unrecognised leading bytes for a reason message."""
    known = {
        b"GIF8": "GIF image",
        b"PK\x03\x04": "ZIP archive or Office document",
        b"\xd0\xcf\x11\xe0": "old Microsoft Office document",
        b"BM": "BMP image",
        b"RIFF": "RIFF (WebP/AVI) file",
        b"\x1f\x8b": "gzip archive",
        b"{\\rtf": "RTF document",
    }
    for prefix, name in known.items():
        if header.startswith(prefix):
            return f"it is a {name}"
    text = header[:256].decode("utf-8", errors="ignore")
    if text and sum(c.isprintable() or c in "\t\r\n" for c in text) >= 0.95 * len(text):
        return "it is plain text"
    return f"unknown bytes {header[:8].hex(' ')}"
