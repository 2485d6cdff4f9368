"""Builders for real input files (made by the tests, never copied in) and ledgers."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter

from faxflow.ledger import Ledger
from faxflow.settings import Settings
from ingest.ledger import JsonlLedger, MemoryLedger


def page_image(width: int, height: int, label: str = "faxflow", mode: str = "L") -> Image.Image:
    """A page with some dark marks, so decoding mistakes show up as wrong pixels."""
    image = Image.new(mode, (width, height), 255 if mode != "1" else 1)
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 10, height // 10, width // 2, height // 5), fill=0)
    draw.text((width // 10, height // 3), label, fill=0)
    return image


def make_pdf(path: Path, pages: int = 2, size: tuple[int, int] = (425, 550)) -> Path:
    """A PDF of ``pages`` letter-sized pages (an image per page, 50 dpi)."""
    images = [page_image(*size, label=f"page {n}") for n in range(1, pages + 1)]
    images[0].save(path, "PDF", resolution=50.0, save_all=True, append_images=images[1:])
    return path


def make_tiff(
    path: Path,
    pages: int = 3,
    *,
    size: tuple[int, int] = (1728, 1100),
    dpi: tuple[float, float] = (204.0, 98.0),
    compression: str = "group4",
) -> Path:
    """A multi-page bilevel fax TIFF (CCITT G4 by default, 204x98 'normal' resolution)."""
    mode = "1" if compression.startswith("group") else "L"
    images = [page_image(*size, label=f"page {n}", mode=mode) for n in range(1, pages + 1)]
    images[0].save(
        path, "TIFF", compression=compression, dpi=dpi, save_all=True, append_images=images[1:]
    )
    return path


def make_png(path: Path, size: tuple[int, int] = (850, 1100), **kwargs: object) -> Path:
    page_image(*size).save(path, "PNG", **kwargs)
    return path


def make_jpeg(path: Path, size: tuple[int, int] = (850, 1100), **kwargs: object) -> Path:
    page_image(*size).save(path, "JPEG", quality=80, **kwargs)
    return path


def make_encrypted_pdf(path: Path, user_password: str = "secret") -> Path:
    """A PDF that needs ``user_password`` to open (an empty one: only printing and
    copying are restricted, anyone can read it)."""
    buffer = io.BytesIO()
    page_image(425, 550).save(buffer, "PDF", resolution=50.0)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue())))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def make_huge_pdf_page(path: Path, points: float = 14400.0) -> Path:
    """A one-page PDF whose page is 200 inches square (rendered: a decompression bomb)."""
    writer = PdfWriter()
    writer.add_blank_page(width=points, height=points)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A tiny, valid PNG claiming ``width`` x ``height`` pixels: the classic bomb shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
    return path


def dark_fraction(image: np.ndarray) -> float:
    return float((image < 128).mean())


@pytest.fixture
def intake_settings(settings: Settings) -> Settings:
    """Isolated settings with the default 5 s stability window."""
    return settings.model_copy(update={"stable_seconds": 5.0})


LedgerFactory = Callable[[Settings], Ledger]


def _memory(settings: Settings) -> Ledger:
    return MemoryLedger()


def _jsonl(settings: Settings) -> Ledger:
    return JsonlLedger(settings.var_dir / "ledger.jsonl")


def _sql(settings: Settings) -> Ledger:
    ledger_module = pytest.importorskip("loaders.ledger")
    db = pytest.importorskip("loaders.db")
    engine = db.engine_for(settings.db_url)
    db.upgrade(engine)
    ledger: Ledger = ledger_module.SqlLedger(engine)
    return ledger


LEDGER_FACTORIES = {"memory": _memory, "jsonl": _jsonl, "sql": _sql}
SHARED_LEDGER_FACTORIES = {"jsonl": _jsonl, "sql": _sql}  # usable from several processes


@pytest.fixture(params=sorted(LEDGER_FACTORIES))
def ledger_factory(request: pytest.FixtureRequest) -> LedgerFactory:
    return LEDGER_FACTORIES[request.param]


@pytest.fixture
def ledger(ledger_factory: LedgerFactory, intake_settings: Settings) -> Iterator[Ledger]:
    yield ledger_factory(intake_settings)


@pytest.fixture(params=sorted(SHARED_LEDGER_FACTORIES))
def shared_ledger_name(request: pytest.FixtureRequest) -> str:
    if request.param == "sql":
        pytest.importorskip("loaders.ledger")
    return str(request.param)
