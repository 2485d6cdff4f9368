"""Confidence orders readings by how likely they are right."""

from __future__ import annotations

import pytest

from extract.confidence import (
    BLANK_CONFIDENCE,
    blank_confidence,
    pattern_miss_confidence,
    text_confidence,
    uneven_date_parts,
)
from extract.template import FieldKind


def test_pattern_fit_and_ocr_both_count() -> None:
    fits = text_confidence(
        FieldKind.DATE, word_confidences=[0.9, 0.9], raw_text="03/04/2020", value="2020-03-04"
    )
    weak = text_confidence(
        FieldKind.DATE, word_confidences=[0.9, 0.4], raw_text="03/04/2020", value="2020-03-04"
    )
    miss = pattern_miss_confidence([0.9, 0.9])
    assert 1.0 >= fits > weak > miss >= 0.0


def test_agreement_raises_confidence() -> None:
    alone = text_confidence(FieldKind.NAME, word_confidences=[0.8], raw_text="Ann", value="Ann")
    agreed = text_confidence(
        FieldKind.NAME, word_confidences=[0.8], raw_text="Ann", value="Ann", agreed=True
    )
    assert agreed > alone


def test_odd_characters_lower_text_confidence() -> None:
    clean = text_confidence(FieldKind.TEXT, word_confidences=[0.9], raw_text="Ingham", value="x")
    odd = text_confidence(FieldKind.TEXT, word_confidences=[0.9], raw_text="In§h~m", value="x")
    assert odd < clean


def test_blank_zones() -> None:
    assert blank_confidence(0, 30) == BLANK_CONFIDENCE
    assert blank_confidence(25, 30) < blank_confidence(5, 30) < BLANK_CONFIDENCE


def test_a_line_of_ink_that_reads_as_nothing_is_unread_not_blank() -> None:
    specks = text_confidence(
        FieldKind.TEXT, word_confidences=[0.0], raw_text="", value=None, ink_pixels=60
    )
    writing = text_confidence(
        FieldKind.TEXT, word_confidences=[0.0], raw_text="", value=None, ink_pixels=2400
    )
    assert writing < 0.2 < specks


@pytest.mark.parametrize(
    ("text", "uneven"),
    [
        ("07 3 2020", True),  # 07/31/2020 with the 1 lost
        ("05 6 20", True),
        ("2020-07-3", True),  # year first
        ("7 3 2020", False),
        ("07 03 2020", False),
        ("10 3 2020", False),  # no zero written: no evidence
        ("07 3", False),  # not three parts
        ("O4 01. 2020", False),  # a letter O for a 0: a misreading, not a lost digit
    ],
)
def test_a_date_with_one_part_padded_and_one_single_is_uneven(text: str, uneven: bool) -> None:
    assert uneven_date_parts(text) is uneven
