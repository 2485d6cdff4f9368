"""The census name lists and the repair of OCR-garbled names."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.names import (
    NAMES_PATH,
    TARGET_PER_MILLION,
    load_names,
    nearest_name,
    repair_address_from_names,
    repair_address_names,
    repair_name,
    without_name_debris,
)
from faxflow.errors import ErrorCode, TemplateError


def test_name_list_names_its_source_and_holds_common_first_names_and_surnames() -> None:
    assert "Census" in NAMES_PATH.read_text(encoding="utf-8").splitlines()[0]
    lexicon = load_names()
    for name in ("mary", "james", "smith", "garcia", "nguyen", "kowalczyk"):
        assert lexicon.known(name)
    assert lexicon.per_million["smith"] > lexicon.per_million["kowalczyk"] >= 1


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("Lessica Ramirez", "Jessica Ramirez"),  # J read as L
        ("Penriy Scott", "Penny Scott"),  # n broken into ri
        ("Cathertne Travis", "Catherine Travis"),
        ("Amanda Schneidpr", "Amanda Schneider"),
        ("Ehzabeth Jimenez", "Elizabeth Jimenez"),  # li run into h
        ("Isaian Carter", "Isaiah Carter"),
        ("ISAIAN CARTER", "ISAIAH CARTER"),  # capitals stay capitals
        ("Monica Ram Os", "Monica Ramos"),  # a name split in two
        ("Ty.ler Mora", "Tyler Mora"),  # a speck read as a full stop
        ("Charles.D. Quinn", "Charles D. Quinn"),  # an initial run into the name
        ("Michael X..Bass", "Michael X. Bass"),
        ("Susan L. LOpez", "Susan L. Lopez"),  # a small o read as a capital
        ("Mary Garcia-Hernandcz", "Mary Garcia-Hernandez"),  # each part of a double name
        ("Flizabeth Thomas", "Elizabeth Thomas"),  # not the rare Lizabeth, as near
        ("Jonnson", "Jonnson"),  # a rare surname of its own, not a misread Johnson
    ],
)
def test_garbled_names_are_repaired(read: str, meant: str) -> None:
    assert repair_name(read) == meant


@pytest.mark.parametrize(
    "name",
    [
        "Nevaeh Kowalczyk",  # in no 1990 list, near no common name
        "Xiomara Nguyen",
        "Aaliyah Okonkwo",
        "Al Ng",  # short names are never corrected
        "Jon Jan",  # known names, however near each other
        "Anne-Marie O'Neil",
        "J. R. R. Tolkien",
    ],
)
def test_real_names_stay_as_written(name: str) -> None:
    assert repair_name(name) == name


def test_a_reading_between_two_common_names_is_not_guessed() -> None:
    # 'Diag' is one letter from Diaz, Dias, Dial and Dian: none is clearly meant.
    assert nearest_name("diag") is None
    assert repair_name("Christopher Diag") == "Christopher Diag"
    assert nearest_name("chany") is None  # Chang and Chan, about as common


def test_corrections_are_always_common_names() -> None:
    lexicon = load_names()
    for read in ("lessica", "penriy", "cathertne", "schneidpr", "ldwe", "bradiey"):
        meant = nearest_name(read)
        assert meant is not None
        assert lexicon.per_million[meant] >= TARGET_PER_MILLION


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(sorted(load_names().per_million)[::97]), min_size=1, max_size=4))
def test_known_names_are_never_changed(words: list[str]) -> None:
    text = " ".join(w.capitalize() for w in words)
    assert repair_name(text) == text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.ascii_letters + " .,-'!0123", max_size=30))
def test_any_text_comes_back_without_crashing_and_repairs_once(text: str) -> None:
    repaired = repair_name(text)
    assert isinstance(repaired, str)
    assert repair_name(repaired) == repaired


@pytest.mark.parametrize(
    ("line", "problem"),
    [("Smith\t100", "lower-case name"), ("smith", "tab"), ("smith\tmany", "whole number")],
)
def test_bad_line_in_name_list_is_a_template_error_naming_file_and_line(
    tmp_path: Path, line: str, problem: str
) -> None:
    path = tmp_path / "names.tsv"
    path.write_text(f"# comment\nmary\t13145\n{line}\n", encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_names(path)
    assert caught.value.code is ErrorCode.TEMPLATE
    assert str(path) in caught.value.message
    assert "line 3" in caught.value.message
    assert problem in caught.value.message


def test_duplicate_and_empty_name_lists_are_refused(tmp_path: Path) -> None:
    duplicate = tmp_path / "duplicate.tsv"
    duplicate.write_text("mary\t10\nmary\t12\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="line 2: duplicate"):
        load_names(duplicate)
    empty = tmp_path / "empty.tsv"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="holds no names"):
        load_names(empty)


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("elizabeth.tavlor@outlook.com", "elizabeth.taylor@outlook.com"),
        ("balricia.hull@example.org", "patricia.hull@example.org"),
        ("schroeger41@example.org", "schroeder41@example.org"),
        ("kgercia@yahoo.com", "kgarcia@yahoo.com"),  # an initial and a surname
        ("alanbro@mail.com", "alanbro@mail.com"),  # a name and a piece of another
        ("lisarod@mail.com", "lisarod@mail.com"),
        ("jsmith@mail.com", "jsmith@mail.com"),
        ("info@clinic.org", "info@clinic.org"),
        ("no address", "no address"),
    ],
)
def test_names_in_email_addresses_are_repaired(read: str, meant: str) -> None:
    assert repair_address_names(read) == meant


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        # Letters and digits that look alike where a name meets its number.
        ("farrelli2@outlook.com", "farrell12@outlook.com"),
        ("espinozas5@example.org", "espinoza55@example.org"),
        ("watts8s@mail.com", "watts85@mail.com"),
        ("taylor3q@mail.com", "taylor30@mail.com"),
        ("campbel111@mail.com", "campbell11@mail.com"),  # a digit that was a letter
        ("robinsons4@mail.com", "robinson54@mail.com"),  # rare name as read, common one
        ("penal4@outlook.com", "pena14@outlook.com"),
        # A common name as read, or a number without look-alikes, stays.
        ("lois12@mail.com", "lois12@mail.com"),
        ("bill1985@mail.com", "bill1985@mail.com"),
        ("ross11@mail.com", "ross11@mail.com"),
        ("jsmith2010@mail.com", "jsmith2010@mail.com"),
        ("john.smith12@mail.com", "john.smith12@mail.com"),
        ("user1234567@mail.com", "user1234567@mail.com"),  # too long for a name's number
    ],
)
def test_a_name_and_its_number_are_told_apart_in_an_address(read: str, meant: str) -> None:
    assert repair_address_names(read) == meant


@pytest.mark.parametrize(
    ("read", "name"),
    [
        ("Robert ‘Cline", "Robert Cline"),  # a fax mark glued to a word
        ("Roy| Avila", "Roy Avila"),
        ("Kimberly [Hansen", "Kimberly Hansen"),
        ("Beverly w.|Morgan", "Beverly w. Morgan"),
        ("“Jasmin -Sweeney", "Jasmin Sweeney"),
        ("ee a Lauren Gardner", "Lauren Gardner"),  # lower-case debris at the edges
        ("Christopher Avila i", "Christopher Avila"),
        ("Kenneth Maddox eons", "Kenneth Maddox"),
        # Kept: a common name read in lower case, particles, names read all in lower case,
        # and a single capitalised word with its neighbour (too little to tell).
        ("Tyler I. wilson", "Tyler I. wilson"),
        ("Maria de la Cruz", "Maria de la Cruz"),
        ("mary ann smith", "mary ann smith"),
        ("Padilla pase", "Padilla pase"),
        ("Mary-Jane O'Neil", "Mary-Jane O'Neil"),
    ],
)
def test_marks_and_lower_case_debris_around_name_words_go(read: str, name: str) -> None:
    assert without_name_debris(read) == name


@pytest.mark.parametrize(
    ("address", "names", "meant"),
    [
        ("alah.thomas@gmail.com", ["Alan", "Thomas"], "alan.thomas@gmail.com"),
        ("ehzabethgar@gmail.com", ["Elizabeth Gardner"], "elizabethgar@gmail.com"),
        ("qaryzam@yahoo.com", ["Gary", "Zamora"], "garyzam@yahoo.com"),
        ("lynn.dllen55@mail.com", ["Lynn Allen"], "lynn.allen55@mail.com"),  # digits kept
        # Already a spelling of the names, or far from any: kept.
        ("hall17@mail.com", ["Jeffery", "Hall"], "hall17@mail.com"),
        ("info@clinic.org", ["Mary", "Smith"], "info@clinic.org"),
        # A name field read doubtfully is no guide ...
        ("johnram@example.org", ["Lohn Ramirez"], "johnram@example.org"),
        # ... nor one beside which the address holds a name at least as common.
        ("eric.rodriguez@yahoo.com", ["Eric T. Rodriquez"], "eric.rodriguez@yahoo.com"),
        ("kevin.foley@outlook.com", ["Kevin", "Boley"], "kevin.foley@outlook.com"),
        ("no address", ["Mary"], "no address"),
        ("mary@x.org", [], "mary@x.org"),
    ],
)
def test_an_address_made_of_the_persons_names_is_spelled_like_them(
    address: str, names: list[str], meant: str
) -> None:
    assert repair_address_from_names(address, names) == meant
