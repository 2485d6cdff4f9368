"""Every check an input file must pass before a page of it is decoded.

:func:`open_source` is cheap: it reads the file once to hash it, and parses only structure
(PDF cross-reference and page tree, TIFF directories, PNG chunks) to count pages and
measure them. Rasterising happens later, one page at a time, in :mod:`ingest.raster`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from io import BufferedReader
from pathlib import Path

from PIL import Image

from faxflow.errors import ErrorCode, InputRejected
from faxflow.model import FileKind, SourceDocument
from faxflow.settings import Settings
from ingest.filetype import HEADER_BYTES, describe_header, kind_from_header
from ingest.names import display_name

log = logging.getLogger(__name__)

POINTS_PER_INCH = 72.0
_PLAIN_REASON = re.compile(r"[A-Za-z0-9 ,.:;()_/-]{1,100}")

# TIFF tags that locate image data: strips (273 offsets, 279 byte counts) or tiles (324, 325).
_TIFF_DATA_TAGS = ((273, 279), (324, 325))


def open_source(
    path: Path,
    settings: Settings,
    *,
    source_name: str | None = None,
    centre_id: str | None = None,
    received_at: datetime | None = None,
) -> SourceDocument:
    """Check one input file and describe it, without rasterising it.

    Raises :class:`InputRejected` with the first failing check's code: ``E_NOT_FOUND``,
    ``E_UNSAFE`` (symlink, FIFO, device, folder), ``E_EMPTY``, ``E_TOO_LARGE``, ``E_TYPE``,
    ``E_ENCRYPTED``, ``E_CORRUPT``, ``E_PAGES`` or ``E_BOMB``.
    """
    # An absolute path can never be read as an option by poppler, whatever the name.
    path = Path(os.path.abspath(path))
    name = display_name(source_name if source_name is not None else path.name)
    info = _lstat(path, name)
    if info.st_size == 0:
        raise InputRejected(ErrorCode.EMPTY, f"'{name}' is empty (0 bytes)")
    if info.st_size > settings.max_file_bytes:
        raise InputRejected(
            ErrorCode.TOO_LARGE,
            f"'{name}' is {_megabytes(info.st_size)}; the limit is "
            f"{_megabytes(settings.max_file_bytes)}",
        )
    with _open_regular(path, name, info) as handle:
        header = handle.read(HEADER_BYTES)
        kind = kind_from_header(header)
        if kind is None:
            raise InputRejected(
                ErrorCode.TYPE,
                f"'{name}' is not a PDF, TIFF, PNG or JPEG file ({describe_header(header)})",
            )
        handle.seek(0)
        document_id = hashlib.file_digest(handle, "sha256").hexdigest()
    if kind is FileKind.PDF:
        page_count = _check_pdf(path, name, settings)
    else:
        page_count = _check_image(path, name, kind, info.st_size, settings)
    return SourceDocument(
        document_id=document_id,
        path=path,
        source_name=name,
        kind=kind,
        page_count=page_count,
        size_bytes=info.st_size,
        centre_id=centre_id,
        received_at=received_at,
    )


def sha256_of(path: Path) -> str:
    """The document id of a file: the SHA-256 of its bytes, read in chunks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


# --------------------------------------------------------------------------------------
# file-system checks
# --------------------------------------------------------------------------------------


def _lstat(path: Path, name: str) -> os.stat_result:
    try:
        info = path.lstat()
    except FileNotFoundError as exc:
        raise InputRejected(ErrorCode.NOT_FOUND, f"'{name}' does not exist") from exc
    except OSError as exc:
        raise InputRejected(
            ErrorCode.UNSAFE, f"'{name}' cannot be examined ({exc.strerror or 'error'})"
        ) from exc
    if stat.S_ISLNK(info.st_mode):
        raise InputRejected(
            ErrorCode.UNSAFE, f"'{name}' is a symbolic link; only real files are accepted"
        )
    if not stat.S_ISREG(info.st_mode):
        raise InputRejected(
            ErrorCode.UNSAFE,
            f"'{name}' is a {_file_type_name(info.st_mode)}, not a regular file",
        )
    return info


def _file_type_name(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


@contextmanager
def _open_regular(path: Path, name: str, expected: os.stat_result) -> Iterator[BufferedReader]:
    """Open without following links or blocking on FIFOs, and make sure the file opened is
    the one that was checked (it may have been swapped in between)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise InputRejected(
            ErrorCode.UNSAFE, f"'{name}' cannot be opened safely ({exc.strerror or 'error'})"
        ) from exc
    with os.fdopen(fd, "rb") as handle:
        opened = os.fstat(handle.fileno())
        if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (
            expected.st_dev,
            expected.st_ino,
        ):
            raise InputRejected(ErrorCode.UNSAFE, f"'{name}' was replaced while being checked")
        yield handle


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# --------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------


def _check_pdf(path: Path, name: str, settings: Settings) -> int:
    """Page count of a PDF after refusing encrypted, broken, too long or too large ones."""
    from pypdf import PasswordType, PdfReader

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise InputRejected(
                ErrorCode.ENCRYPTED,
                f"'{name}' is protected by a password; send it again without protection",
            )
        page_count = len(reader.pages)
        if page_count == 0:
            raise InputRejected(ErrorCode.CORRUPT, f"'{name}' is a PDF without pages")
        if page_count > settings.max_pages:
            raise InputRejected(ErrorCode.PAGES, _too_many_pages(name, page_count, settings))
        render_scale = settings.page_dpi / POINTS_PER_INCH
        for number, page in enumerate(reader.pages, start=1):
            box = page.mediabox
            unit = float(page.get("/UserUnit", 1) or 1)
            width = abs(float(box.width)) * unit * render_scale
            height = abs(float(box.height)) * unit * render_scale
            _check_pixels(name, number, width, height, settings)
    except InputRejected:
        raise
    except MemoryError as exc:
        raise InputRejected(
            ErrorCode.BOMB, f"'{name}' needs too much memory to read its structure"
        ) from exc
    except Exception as exc:  # hostile input can make any parser raise anything
        log.debug("pdf structure unreadable: %s", type(exc).__name__)
        raise InputRejected(
            ErrorCode.CORRUPT, f"'{name}' is a damaged PDF ({short_reason(exc)})"
        ) from exc
    return page_count


# --------------------------------------------------------------------------------------
# TIFF, PNG, JPEG
# --------------------------------------------------------------------------------------


def _check_image(path: Path, name: str, kind: FileKind, size: int, settings: Settings) -> int:
    """Frame count of an image file after checking each frame's header and data bounds."""
    if kind is FileKind.PNG:
        _verify_png(path, name)
    try:
        with Image.open(path) as image:
            frames = 0
            while True:
                if frames > settings.max_pages:
                    raise InputRejected(
                        ErrorCode.PAGES, _too_many_pages(name, f"more than {frames - 1}", settings)
                    )
                try:
                    image.seek(frames)
                except EOFError:
                    break
                frames += 1
                width, height = image.size
                _check_pixels(name, frames, width, height, settings)
                if kind is FileKind.TIFF:
                    _check_tiff_bounds(image, name, frames, size)
                if kind is not FileKind.TIFF:
                    break  # PNG/JPEG pages are single images (APNG/MPO extras are ignored)
    except InputRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise InputRejected(ErrorCode.BOMB, f"'{name}' declares an enormous image") from exc
    except MemoryError as exc:
        raise InputRejected(ErrorCode.BOMB, f"'{name}' needs too much memory to open") from exc
    except Exception as exc:  # hostile input can make any parser raise anything
        log.debug("image structure unreadable: %s", type(exc).__name__)
        raise InputRejected(
            ErrorCode.CORRUPT,
            f"'{name}' is a damaged {kind.value.upper()} file ({short_reason(exc)})",
        ) from exc
    if frames == 0:
        raise InputRejected(ErrorCode.CORRUPT, f"'{name}' holds no image")
    if kind is FileKind.TIFF:
        _check_tiff_chain(path, name, frames, size)
    return frames


def _verify_png(path: Path, name: str) -> None:
    """Check every PNG chunk's CRC and that the file reaches its end marker, without
    decoding pixels."""
    try:
        with Image.open(path) as image:
            image.verify()
    except Image.DecompressionBombError as exc:
        raise InputRejected(ErrorCode.BOMB, f"'{name}' declares an enormous image") from exc
    except Exception as exc:  # hostile input can make any parser raise anything
        raise InputRejected(
            ErrorCode.CORRUPT, f"'{name}' is a damaged PNG file ({short_reason(exc)})"
        ) from exc


def _check_tiff_bounds(image: Image.Image, name: str, page: int, size: int) -> None:
    """Refuse a TIFF page whose image data would lie beyond the end of the file: the
    usual sign of a fax that was cut off in transmission or copied half-way."""
    tags = getattr(image, "tag_v2", None)
    if tags is None:
        return
    for offsets_tag, counts_tag in _TIFF_DATA_TAGS:
        offsets = tags.get(offsets_tag)
        counts = tags.get(counts_tag)
        if offsets is None or counts is None:
            continue
        offsets = offsets if isinstance(offsets, tuple) else (offsets,)
        counts = counts if isinstance(counts, tuple) else (counts,)
        for offset, count in zip(offsets, counts, strict=False):
            if int(offset) + int(count) > size:
                raise InputRejected(
                    ErrorCode.CORRUPT,
                    f"page {page} of '{name}' is cut off: its image data runs past the end "
                    "of the file (the transfer was probably interrupted)",
                )
        return
    raise InputRejected(ErrorCode.CORRUPT, f"page {page} of '{name}' has no image data")


def _check_tiff_chain(path: Path, name: str, frames: int, size: int) -> None:
    """Refuse a TIFF whose chain of page directories breaks off: Pillow (like libtiff)
    stops at an unreadable directory as if the file ended there, which would silently
    drop the last pages of a fax cut off in transmission."""
    with path.open("rb") as handle:
        header = handle.read(8)
        if header[:2] not in (b"II", b"MM") or header[2:4] not in (b"*\x00", b"\x00*"):
            return  # BigTIFF: Pillow's own checks apply
        order = "<" if header[:2] == b"II" else ">"
        (offset,) = struct.unpack(f"{order}I", header[4:8])
        seen: set[int] = set()
        page = 0
        while offset and page <= frames:
            page += 1
            if offset in seen or offset + 2 > size:
                break
            seen.add(offset)
            handle.seek(offset)
            (count,) = struct.unpack(f"{order}H", handle.read(2))
            link = offset + 2 + 12 * count
            if link + 4 > size:
                break
            handle.seek(link)
            (offset,) = struct.unpack(f"{order}I", handle.read(4))
        else:
            if page == frames:
                return
    raise InputRejected(
        ErrorCode.CORRUPT,
        f"page {page} of '{name}' is cut off: its directory is missing or damaged (the "
        "transfer was probably interrupted)",
    )


# --------------------------------------------------------------------------------------
# shared limits
# --------------------------------------------------------------------------------------


def _check_pixels(name: str, page: int, width: float, height: float, settings: Settings) -> None:
    pixels = width * height
    if width <= 0 or height <= 0:
        raise InputRejected(ErrorCode.CORRUPT, f"page {page} of '{name}' has no area")
    if pixels > settings.max_page_pixels:
        raise InputRejected(
            ErrorCode.BOMB,
            f"page {page} of '{name}' would be {int(width)}x{int(height)} pixels "
            f"({pixels / 1e6:.0f} megapixels); the limit is "
            f"{settings.max_page_pixels / 1e6:.0f} megapixels",
        )


def _too_many_pages(name: str, count: int | str, settings: Settings) -> str:
    return f"'{name}' has {count} pages; the limit is {settings.max_pages}"


def short_reason(exc: BaseException) -> str:
    """A one-line technical reason from a parser exception. The parser's own words are kept
    only when they are plain prose, so no bytes of the file can leak into a message."""
    text = " ".join(str(exc).split())
    if _PLAIN_REASON.fullmatch(text):
        return f"{type(exc).__name__}: {text}"
    return type(exc).__name__
