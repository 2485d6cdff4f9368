from __future__ import annotations

import os
import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from ingest.names import display_name, safe_segment
from ingest.scan import is_ignored_name


@given(st.text())
def test_display_name_is_printable_utf8_on_one_line(raw: str) -> None:
    shown = display_name(raw)
    shown.encode("utf-8")  # never raises: no lone surrogates survive
    assert "\n" not in shown and "\r" not in shown
    assert not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in shown)
    assert display_name(shown) == shown or "\\" in raw  # stable once escaped


@given(st.binary(min_size=1, max_size=255))
def test_display_name_of_any_file_name_bytes(raw: bytes) -> None:
    display_name(os.fsdecode(raw)).encode("utf-8")


def test_display_name_keeps_composed_and_decomposed_forms_apart() -> None:
    nfc, nfd = unicodedata.normalize("NFC", "é.pdf"), unicodedata.normalize("NFD", "é.pdf")
    assert display_name(nfc) == nfc and display_name(nfd) == nfd and nfc != nfd


@given(st.text(min_size=1))
def test_safe_segment_is_a_plain_folder_name(label: str) -> None:
    segment = safe_segment(label)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", segment)
    assert segment not in {".", ".."} and "/" not in segment


def test_safe_segment_keeps_plain_centre_ids_and_hides_others() -> None:
    assert safe_segment("clinic-7") == "clinic-7"
    assert safe_segment("-rf").startswith("centre-")
    assert safe_segment("duplicates").startswith("centre-")
    assert safe_segment("a/b") != safe_segment("a\\b")


def test_ignored_names() -> None:
    for name in ("x.part", "X.TMP", "a.filepart", "~$form.docx", ".DS_Store", "Thumbs.db"):
        assert is_ignored_name(name), name
    for name in ("scan.pdf", "part.pdf", "tmp-fax.tif", "-x.pdf"):
        assert not is_ignored_name(name), name
