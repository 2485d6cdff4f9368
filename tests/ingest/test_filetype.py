from __future__ import annotations

from pathlib import Path

import pytest

from faxflow.errors import ErrorCode, InputRejected
from faxflow.model import FileKind
from ingest.filetype import detect_kind
from tests.ingest.conftest import make_jpeg, make_pdf, make_png, make_tiff


@pytest.mark.parametrize(
    ("builder", "kind"),
    [
        (make_pdf, FileKind.PDF),
        (make_tiff, FileKind.TIFF),
        (make_png, FileKind.PNG),
        (make_jpeg, FileKind.JPEG),
    ],
)
def test_kind_comes_from_magic_bytes_not_the_extension(tmp_path: Path, builder, kind) -> None:
    """GIVEN a real file named with a misleading extension THEN its bytes decide."""
    path = builder(tmp_path / "scan.docx")
    assert detect_kind(path) is kind


def test_big_endian_tiff_is_a_tiff(tmp_path: Path) -> None:
    path = tmp_path / "mm.tif"
    path.write_bytes(b"MM\x00*\x00\x00\x00\x08" + b"\x00" * 32)
    assert detect_kind(path) is FileKind.TIFF


def test_pdf_header_after_leading_junk_is_a_pdf(tmp_path: Path) -> None:
    """Some fax servers prepend a line; PDF readers accept the header in the first KB."""
    pdf = make_pdf(tmp_path / "p.pdf").read_bytes()
    path = tmp_path / "x"
    path.write_bytes(b"\r\nX-Fax-Id: 42\r\n" + pdf)
    assert detect_kind(path) is FileKind.PDF


def test_zero_bytes_is_e_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(InputRejected) as caught:
        detect_kind(path)
    assert caught.value.code is ErrorCode.EMPTY


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"GIF89a" + b"\x00" * 20, "GIF image"),
        (b"PK\x03\x04" + b"\x00" * 20, "ZIP archive"),
        (b"Dear clinic,\nplease find attached\n", "plain text"),
        (bytes(range(200, 240)), "unknown bytes"),
    ],
)
def test_other_content_is_e_type_and_says_what_it_is(tmp_path: Path, content, said) -> None:
    path = tmp_path / "form.pdf"
    path.write_bytes(content)
    with pytest.raises(InputRejected) as caught:
        detect_kind(path)
    assert caught.value.code is ErrorCode.TYPE
    assert said in caught.value.message


def test_missing_file_is_e_not_found(tmp_path: Path) -> None:
    with pytest.raises(InputRejected) as caught:
        detect_kind(tmp_path / "gone.pdf")
    assert caught.value.code is ErrorCode.NOT_FOUND
