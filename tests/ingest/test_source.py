from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

import pytest

from faxflow.errors import ErrorCode, InputRejected
from faxflow.model import FileKind
from faxflow.settings import Settings
from ingest.raster import iter_pages
from ingest.source import open_source
from tests.ingest.conftest import (
    make_encrypted_pdf,
    make_huge_pdf_page,
    make_jpeg,
    make_pdf,
    make_png,
    make_tiff,
    png_header_only,
)


def refusal(path: Path, settings: Settings) -> InputRejected:
    with pytest.raises(InputRejected) as caught:
        open_source(path, settings)
    return caught.value


def test_describes_a_good_pdf_without_rasterising(tmp_path: Path, settings: Settings) -> None:
    path = make_pdf(tmp_path / "form.pdf", pages=3)
    source = open_source(path, settings, source_name="Intake form.pdf", centre_id="c7")
    assert source.kind is FileKind.PDF
    assert source.page_count == 3
    assert source.document_id == hashlib.sha256(path.read_bytes()).hexdigest()
    assert source.size_bytes == path.stat().st_size
    assert (source.source_name, source.centre_id) == ("Intake form.pdf", "c7")


@pytest.mark.parametrize(
    ("builder", "kind", "pages"),
    [(make_tiff, FileKind.TIFF, 3), (make_png, FileKind.PNG, 1), (make_jpeg, FileKind.JPEG, 1)],
)
def test_counts_image_pages(tmp_path: Path, settings: Settings, builder, kind, pages) -> None:
    source = open_source(builder(tmp_path / "in"), settings)
    assert (source.kind, source.page_count) == (kind, pages)


def test_missing_file_is_e_not_found(tmp_path: Path, settings: Settings) -> None:
    assert refusal(tmp_path / "nope.pdf", settings).code is ErrorCode.NOT_FOUND


def test_empty_file_is_e_empty(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "empty.tif"
    path.touch()
    assert refusal(path, settings).code is ErrorCode.EMPTY


def test_file_over_the_size_limit_is_e_too_large(tmp_path: Path, settings: Settings) -> None:
    path = make_pdf(tmp_path / "big.pdf")
    small = settings.model_copy(update={"max_file_bytes": path.stat().st_size - 1})
    error = refusal(path, small)
    assert error.code is ErrorCode.TOO_LARGE
    assert "limit" in error.message


def test_text_named_pdf_is_e_type(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "form.pdf"
    path.write_text("not a pdf at all")
    assert refusal(path, settings).code is ErrorCode.TYPE


def test_password_protected_pdf_is_e_encrypted(tmp_path: Path, settings: Settings) -> None:
    error = refusal(make_encrypted_pdf(tmp_path / "locked.pdf"), settings)
    assert error.code is ErrorCode.ENCRYPTED
    assert "password" in error.message


def test_pdf_restricted_only_by_an_owner_password_is_read(
    tmp_path: Path, settings: Settings
) -> None:
    source = open_source(make_encrypted_pdf(tmp_path / "restricted.pdf", ""), settings)
    (page,) = iter_pages(source, settings)
    assert page.image.shape == (2200, 1700)


def test_pdf_with_broken_structure_is_e_corrupt(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\n%%EOF\n")
    assert refusal(path, settings).code is ErrorCode.CORRUPT


def test_png_with_bad_checksum_is_e_corrupt(tmp_path: Path, settings: Settings) -> None:
    path = make_png(tmp_path / "scan.png")
    data = bytearray(path.read_bytes())
    data[40] ^= 0xFF  # inside the first IDAT chunk: its CRC no longer matches
    path.write_bytes(bytes(data))
    assert refusal(path, settings).code is ErrorCode.CORRUPT


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_cut_off_tiff_is_e_corrupt(tmp_path: Path, settings: Settings) -> None:
    path = make_tiff(tmp_path / "fax.tif", pages=2, compression="tiff_adobe_deflate")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.75)])  # inside page 2
    assert refusal(path, settings).code is ErrorCode.CORRUPT


def _claim_longer_last_strip(data: bytes, extra: int) -> bytes:
    """Patch a little-endian TIFF so its first page's last strip ends past the file end:
    what a fax server that writes the directory first leaves when a transfer stops."""
    patched = bytearray(data)
    (ifd,) = struct.unpack_from("<I", data, 4)
    (count,) = struct.unpack_from("<H", data, ifd)
    for index in range(count):
        entry = ifd + 2 + 12 * index
        tag, kind, number = struct.unpack_from("<HHI", data, entry)
        if tag == 279:
            size = {3: 2, 4: 4}[kind]
            fmt = {3: "<H", 4: "<I"}[kind]
            where = (
                entry + 8 if number * size <= 4 else struct.unpack_from("<I", data, entry + 8)[0]
            )
            last = where + (number - 1) * size
            (value,) = struct.unpack_from(fmt, data, last)
            struct.pack_into(fmt, patched, last, value + extra)
            return bytes(patched)
    raise AssertionError("no StripByteCounts tag")


def test_tiff_whose_data_runs_past_the_end_is_e_corrupt_naming_the_page(
    tmp_path: Path, settings: Settings
) -> None:
    path = make_tiff(tmp_path / "fax.tif", pages=1)
    path.write_bytes(_claim_longer_last_strip(path.read_bytes(), 5_000))
    error = refusal(path, settings)
    assert error.code is ErrorCode.CORRUPT
    assert "page 1" in error.message and "cut off" in error.message


def test_too_many_pdf_pages_is_e_pages(tmp_path: Path, settings: Settings) -> None:
    path = make_pdf(tmp_path / "long.pdf", pages=3)
    error = refusal(path, settings.model_copy(update={"max_pages": 2}))
    assert error.code is ErrorCode.PAGES
    assert "3 pages" in error.message


def test_too_many_tiff_pages_is_e_pages(tmp_path: Path, settings: Settings) -> None:
    path = make_tiff(tmp_path / "long.tif", pages=4, size=(200, 100))
    assert refusal(path, settings.model_copy(update={"max_pages": 3})).code is ErrorCode.PAGES


def test_tiff_missing_its_last_pages_is_e_corrupt_not_shorter(
    tmp_path: Path, settings: Settings
) -> None:
    """A 3-page fax cut inside page 3 must not pass as a 2-page document."""
    path = make_tiff(tmp_path / "fax.tif", pages=3, size=(864, 550))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 60])  # page 3's directory is cut short
    error = refusal(path, settings)
    assert error.code is ErrorCode.CORRUPT
    assert error.message.startswith("page 3 of 'fax.tif' is cut off")


def test_image_over_the_pixel_cap_is_e_bomb(tmp_path: Path, settings: Settings) -> None:
    path = png_header_only(tmp_path / "bomb.png", 8_000, 8_000)  # 64 Mpx in 100 bytes
    assert path.stat().st_size < 200
    error = refusal(path, settings.model_copy(update={"max_page_pixels": 50_000_000}))
    assert error.code is ErrorCode.BOMB
    assert "megapixels" in error.message


def test_pillow_decompression_bomb_check_maps_to_e_bomb(tmp_path: Path, settings: Settings) -> None:
    """With our cap raised above Pillow's own, Pillow's refusal still becomes E_BOMB."""
    path = png_header_only(tmp_path / "bomb.png", 20_000, 10_000)  # 200 Mpx > 2 x 89 Mpx
    roomy = settings.model_copy(update={"max_page_pixels": 10**9})
    assert refusal(path, roomy).code is ErrorCode.BOMB


def test_pdf_page_that_renders_huge_is_e_bomb(tmp_path: Path, settings: Settings) -> None:
    path = make_huge_pdf_page(tmp_path / "poster.pdf")  # 200 x 200 inches
    assert refusal(path, settings).code is ErrorCode.BOMB


def test_symlink_is_e_unsafe_and_never_followed(tmp_path: Path, settings: Settings) -> None:
    target = make_pdf(tmp_path / "real.pdf")
    link = tmp_path / "link.pdf"
    link.symlink_to(target)
    assert refusal(link, settings).code is ErrorCode.UNSAFE


def test_fifo_is_e_unsafe_without_blocking(tmp_path: Path, settings: Settings) -> None:
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    error = refusal(fifo, settings)  # would hang forever if the pipe were opened
    assert error.code is ErrorCode.UNSAFE
    assert "FIFO" in error.message


def test_folder_is_e_unsafe(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "dir.pdf").mkdir()
    assert refusal(tmp_path / "dir.pdf", settings).code is ErrorCode.UNSAFE


def test_leading_dash_name_is_never_read_as_an_option(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """poppler receives an absolute path, so ``-f.pdf`` cannot become ``pdftoppm -f``."""
    make_pdf(tmp_path / "-f.pdf", pages=1)
    monkeypatch.chdir(tmp_path)
    source = open_source(Path("-f.pdf"), settings)
    assert source.path.is_absolute()
    pages = list(iter_pages(source, settings))
    assert len(pages) == 1


def test_refusal_messages_name_the_display_name(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "x"
    path.touch()
    with pytest.raises(InputRejected) as caught:
        open_source(path, settings, source_name="line\nbreak.pdf")
    assert "'line\\nbreak.pdf'" in caught.value.message
    assert "\n" not in caught.value.message
