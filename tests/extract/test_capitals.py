"""Free text printed in block capitals (extract/capitals.py): only the case of the letters
written changes, to the case the field's own words are spelled in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from extract.capitals import as_written_in_case, in_block_capitals
from extract.streets import load_street_words

BODY_WORDS = ("County", "Co.", "Health", "Department", "Dept.", "Dept", "HD", "of", "and")
RELATIONSHIPS = ("spouse", "stepson", "son-in-law", "grandchild")


def test_a_street_line_in_capitals_keeps_its_letters_and_usps_capitals() -> None:
    spellings = load_street_words().street_spellings()
    assert as_written_in_case("34244 TAYLOR GARDENS SUITE 789", spellings) == (
        "34244 Taylor Gardens Suite 789"
    )
    assert as_written_in_case("PO BOX 6144", spellings) == "PO Box 6144"
    assert as_written_in_case("123 NE MAIN ST. APT. 4B", spellings) == "123 NE Main St. Apt. 4B"


def test_a_body_keeps_its_acronyms_and_the_vocabulary_case_without_an_added_stop() -> None:
    assert as_written_in_case("HAMILTON CO. HD", BODY_WORDS, acronyms=True) == "Hamilton Co. HD"
    assert as_written_in_case("NASSAU CO HD", BODY_WORDS, acronyms=True) == "Nassau Co HD"
    assert as_written_in_case("NC DEPT OF HEALTH", BODY_WORDS, acronyms=True) == "NC Dept of Health"
    assert as_written_in_case("WASHINGTON DOH", BODY_WORDS, acronyms=True) == "Washington DOH"
    assert as_written_in_case("MDHHS", BODY_WORDS, acronyms=True) == "MDHHS"


def test_a_fixed_answer_in_capitals_is_the_answer_however_it_was_spaced() -> None:
    assert as_written_in_case("SPOUSE", RELATIONSHIPS, small=True) == "spouse"
    assert as_written_in_case("STEP SON", RELATIONSHIPS, small=True) == "stepson"
    assert as_written_in_case("SON-IN-LAW", RELATIONSHIPS, small=True) == "son-in-law"
    assert as_written_in_case("GODSON", RELATIONSHIPS, small=True) == "godson"


def test_mixed_case_digits_initials_and_numerals_stay_as_read() -> None:
    assert as_written_in_case("Hamilton CO. HD", BODY_WORDS, acronyms=True) == "Hamilton CO. HD"
    assert as_written_in_case("NEW EDWARD") == "New Edward"
    assert as_written_in_case("O'NEIL-SMITH N") == "O'Neil-Smith N"
    assert as_written_in_case("LOUIS XIV PARK III") == "Louis Xiv Park III"
    assert as_written_in_case("4B") == "4B"
    assert not in_block_capitals("N 4B")


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789 .,'-", max_size=40))
def test_only_the_case_of_letters_ever_changes(text: str) -> None:
    for vocabulary, acronyms, small in (
        ((), False, False),
        (BODY_WORDS, True, False),
        (RELATIONSHIPS, False, True),
    ):
        cased = as_written_in_case(text, vocabulary, acronyms=acronyms, small=small)
        assert cased.replace(" ", "").lower() == text.replace(" ", "").lower()
        if cased != text:
            assert in_block_capitals(text)
