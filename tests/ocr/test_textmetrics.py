"""Edit distance, CER and word accuracy, checked against a plain dynamic-programming
reference implementation on random strings (hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ocr.textmetrics import (
    character_error_rate,
    levenshtein,
    line_matched_error_rate,
    normalise_text,
    word_accuracy,
)


def _reference(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


@given(st.text(alphabet="abc d", max_size=25), st.text(alphabet="abc d", max_size=25))
def test_levenshtein_matches_the_textbook_algorithm(a: str, b: str) -> None:
    assert levenshtein(a, b) == _reference(a, b)


def test_levenshtein_on_word_sequences() -> None:
    assert levenshtein(["the", "cat", "sat"], ["the", "sat"]) == 1
    assert levenshtein([], ["x"]) == 1


def test_cer_ignores_layout_and_typographic_quotes() -> None:
    truth = '  "It\'s nothing."\n How could  she'
    ocr = "\u201cIt\u2019s nothing.\u201d How could she"
    assert normalise_text(truth) == normalise_text(ocr)
    assert character_error_rate(truth, ocr) == 0.0


def test_cer_counts_edits_per_reference_character() -> None:
    assert character_error_rate("abcd", "abxd") == 0.25
    assert character_error_rate("abcd", "") == 1.0


def test_word_accuracy_is_order_free_recall() -> None:
    assert word_accuracy("one two three four", "four three two one") == 1.0
    assert word_accuracy("one two two", "two one") == 2 / 3


def test_free_end_alignment_matches_the_best_stretch() -> None:
    assert levenshtein("abc", "xxabcxx", free_ends=True) == 0
    assert levenshtein("abc", "xxabxcxx", free_ends=True) == 1


def test_line_matched_error_rate_ignores_reading_order() -> None:
    truth = "left column line\nright column line"
    swapped = "right column line left column line"
    assert line_matched_error_rate(truth, swapped) == 0.0
    assert character_error_rate(truth, swapped) > 0.2
    # A missing line still costs (nearly) its length.
    assert line_matched_error_rate("alpha beta gamma\nsix seven", "alpha beta gamma") > 0.25
