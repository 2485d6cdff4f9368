"""Street lines repaired by their parts: house number, street name, suffix, unit."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.streets import load_street_words, looks_like_street, repair_place, repair_street
from faxflow.errors import ErrorCode, TemplateError


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("846] Kelly Knol! Suite 044", "8461 Kelly Knoll Suite 044"),  # look-alikes
        ("0.33 Christopher Comer", "033 Christopher Corner"),
        ("S611 Rachael Stravenue Suite 092", "5611 Rachael Stravenue Suite 092"),
        ("B3457 Matthews Squares Apt. 47]", "83457 Matthews Squares Apt. 471"),
        ("6029 Karen Place Sune 165", "6029 Karen Place Suite 165"),  # unit designators
        ("5836 Conley Port Suite-711", "5836 Conley Port Suite 711"),
        ("520 Williams Groves Api_395", "520 Williams Groves Apt. 395"),
        ("3973 Christina Parkways Apt 939", "3973 Christina Parkways Apt. 939"),
        ("981 Boyle Prairie Apt, 296", "981 Boyle Prairie Apt. 296"),
        ("29664 Mitchell Reads Apt. 823", "29664 Mitchell Roads Apt. 823"),  # suffixes
        ("97318 Barbara Meadow. Suite 641", "97318 Barbara Meadow Suite 641"),
        ("573 Daugherty curve Apt. 011", "573 Daugherty Curve Apt. 011"),
        ("I 1982 Candace Greens", "1982 Candace Greens"),  # specks around the line
        ("ee 650 Bartlett Spur Suite 327", "650 Bartlett Spur Suite 327"),
        ("PO Box 6522 1", "PO Box 6522"),
        ("587 Jessica Glen 1", "587 Jessica Glen"),
        ("317 Ford Mountains Apt. 079°", "317 Ford Mountains Apt. 079"),
        ("684 ‘Campbell Rue Apt. 907", "684 Campbell Rue Apt. 907"),
        ("7111 Miller|Brooks", "7111 Miller Brooks"),
        ("8726 Collins Harbor’Suite 039", "8726 Collins Harbor Suite 039"),
        ("18619 Brown Avenue Apt’. 578", "18619 Brown Avenue Apt. 578"),
    ],
)
def test_misread_street_lines_are_repaired(read: str, meant: str) -> None:
    assert repair_street(read) == meant


@pytest.mark.parametrize(
    "line",
    [
        "11073 Richard Mountains Suite 178",  # a name that looks like 'Orchard' stays
        "817 Richard Mall",
        "56815 Harper Estates",  # ... and 'Harper' is not 'Harbor'
        "351 Ruiz Stream Suite 483",  # every USPS suffix is known: no 'Street'
        "206 Kelley Course",
        "042 Hobbs Greens",
        "123 Main St",
        "123 Main St 5",
        "12A Oak Ave. Apt. 3",  # a house number with a letter
        "PO Box 1022",
        "P.O. Box 77",
        "PO 5408 Box",  # words in an odd order are not specks
        "12 O'Brien Street",  # an apostrophe of a name stays
        "same as above",  # not an address: left as written
        "Homeless",
    ],
)
def test_right_and_unusual_lines_stay_as_written(line: str) -> None:
    assert repair_street(line) == line


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789 abcdeilnorstAEKOPS.,]|!@-_°'", max_size=40))
def test_any_text_comes_back_without_crashing_and_repairs_once(text: str) -> None:
    repaired = repair_street(text)
    assert isinstance(repaired, str)
    assert repair_street(repaired) == repaired


def test_street_word_list_holds_usps_suffixes_and_unit_designators() -> None:
    words = load_street_words()
    for suffix in ("Street", "Stravenue", "Trafficway", "Knoll", "Course", "St."):
        assert words.suffixes.contains(suffix)
    for unit in ("Apt.", "Suite", "Unit"):
        assert words.units.contains(unit)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("suffix\tStreet\nunit\tSuite\n", "line 1: expected the header"),
        ("kind\tword\nroad\tStreet\nunit\tSuite\n", "line 2: expected 'suffix', 'unit'"),
        ("kind\tword\nsuffix\tStreet\n", "needs both suffix and unit words"),
    ],
)
def test_bad_street_word_lists_are_template_errors(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "street_words.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_street_words(path)
    assert caught.value.code is ErrorCode.TEMPLATE
    assert str(path) in caught.value.message
    assert problem in caught.value.message


@pytest.mark.parametrize(
    ("text", "street"),
    [
        ("ae", False),  # dust in an empty zone
        ("ee eee", False),
        ("coe", False),
        ("7", False),  # a speck read as a digit
        ("12", False),
        ("12 Oak St", True),
        ("PO Box 7", True),
        ("P.O. Box", True),
        ("Homeless", True),
        ("General Delivery", True),
    ],
)
def test_dust_is_no_street_line(text: str, street: bool) -> None:
    assert looks_like_street(text) is street


@pytest.mark.parametrize(
    ("read", "town"),
    [
        ("South Amvytown", "South Amytown"),  # a name and a place ending: the name mended
        ("Port Richafdberg", "Port Richardberg"),
        ("New Roberthorough", "New Robertborough"),  # a known name: the ending mended
        ("[ast Danielstad", "East Danielstad"),  # the opening word
        ("Fast Johushire", "East Johnshire"),
        ("Port Nicoie", "Port Nicole"),  # a name after an opening word
        ("staceyfort", "Staceyfort"),  # town names are written with capitals
        # Real towns stay: no ending, a word before the ending, short words.
        ("Kalamazoo", "Kalamazoo"),
        ("Grand Rapids", "Grand Rapids"),
        ("Farmington Hills", "Farmington Hills"),
        ("Marysville", "Marysville"),
        ("Coopersville", "Coopersville"),
        ("Lexington", "Lexington"),
        ("Jacksonville", "Jacksonville"),
        ("Novi", "Novi"),
        ("Sault Ste. Marie", "Sault Ste. Marie"),
        ("Lake of the Woods", "Lake of the Woods"),
    ],
)
def test_town_names_are_repaired_by_their_parts(read: str, town: str) -> None:
    assert repair_place(read) == town


def test_street_word_list_holds_town_endings_and_opening_words() -> None:
    words = load_street_words()
    assert "borough" in words.endings and "ville" in words.endings
    assert list(words.endings) == sorted(words.endings, key=len, reverse=True)
    assert words.prefixes.contains("North") and words.prefixes.contains("Port")
