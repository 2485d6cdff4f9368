"""The county lexicon snaps OCR-garbled county names, and leaves everything else alone.

The garbled readings are ones Tesseract produced on faxed forms; the states are those the
forms gave (the DHS-1171 is a Michigan form; the CDC form has ``state_of_residence``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract.lexicon import (
    COUNTIES_PATH,
    load_counties,
    match_county,
    nearest_choice,
    nearest_state,
    ocr_distance,
    repair_words,
    snap_county,
    state_as_written,
    with_named_state,
)
from faxflow.errors import ErrorCode, TemplateError

VOCABULARY = (
    *("County", "Co.", "Health", "Department", "Dept", "Dept."),
    *("HD", "Public", "District", "of"),
)


# -- the data file ------------------------------------------------------------------------


def test_county_list_names_its_source_and_holds_every_michigan_county() -> None:
    header = COUNTIES_PATH.read_text(encoding="utf-8").split("\nstate\tcounty\n")[0]
    assert "U.S. Census Bureau" in header
    assert "public domain" in header.lower().replace("-", " ")
    assert "addfips 0.4.2" in header
    lexicon = load_counties()
    assert len(lexicon.names_by_state["MI"]) == 83
    assert {"Oakland", "Wayne", "St. Clair", "Grand Traverse"} <= set(lexicon.names_by_state["MI"])
    assert "Lucas" in lexicon.names_by_state["OH"]


def test_county_names_carry_no_designation() -> None:
    names = [n for names in load_counties().names_by_state.values() for n in names]
    assert len(names) > 3200
    designations = (" County", " Parish", " Borough", " Census Area", " Municipio")
    assert not [n for n in names if n.endswith(designations)]
    assert "Orleans" in load_counties().names_by_state["LA"]  # was 'Orleans Parish'


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("MI Oakland", "2 tab-separated fields"),
        ("Michigan\tOakland", "two-letter"),
        ("MI\t", "empty"),
        ("MI\tOakland\textra", "2 tab-separated fields"),
        ("MI\tWayne", "duplicate"),
    ],
)
def test_bad_line_in_county_list_is_a_template_error_naming_file_and_line(
    tmp_path: Path, line: str, problem: str
) -> None:
    path = tmp_path / "counties.tsv"
    path.write_text(f"# comment\nstate\tcounty\nMI\tWayne\n{line}\n", encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_counties(path)
    assert caught.value.code is ErrorCode.TEMPLATE
    assert str(path) in caught.value.message
    assert "line 4" in caught.value.message
    assert problem in caught.value.message


def test_county_list_without_header_or_counties_is_refused(tmp_path: Path) -> None:
    no_header = tmp_path / "no_header.tsv"
    no_header.write_text("MI\tWayne\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="line 1"):
        load_counties(no_header)
    empty = tmp_path / "empty.tsv"
    empty.write_text("# nothing\nstate\tcounty\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="no counties"):
        load_counties(empty)
    with pytest.raises(TemplateError, match="cannot read"):
        load_counties(tmp_path / "absent.tsv")


# -- snap_county --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ocr", "state", "county"),
    [
        ("Frankhn", "OH", "Franklin"),
        ("Brawn", "WI", "Brown"),
        ("Mak lane", "MI", "Oakland"),
        ("Li cis", "OH", "Lucas"),
        ("Manan", "OH", "Marion"),
        ("Manan", "IN", "Marion"),
        ("Weayiie?", "MI", "Wayne"),
        ("Lalom", "MI", "Eaton"),
        ("Fr ank iin", "OH", "Franklin"),
        ("Cock", "IL", "Cook"),
        ("Elabert", "IN", "Elkhart"),
        ("flkhart", "IN", "Elkhart"),
        ("Kalamaz00", "MI", "Kalamazoo"),
    ],
)
def test_garbled_county_snaps_to_the_real_name(ocr: str, state: str, county: str) -> None:
    name, similarity = snap_county(ocr, state)
    assert name == county
    assert 0.65 <= similarity < 1.0


@pytest.mark.parametrize(
    ("ocr", "county"),
    [("Frankhn", "Franklin"), ("Brawn", "Brown"), ("Fr ank iin", "Franklin"), ("Cock", "Cook")],
)
def test_clear_readings_snap_without_a_state(ocr: str, county: str) -> None:
    assert snap_county(ocr)[0] == county


def test_match_reports_name_distance_and_similarity() -> None:
    match = match_county("Frankhn", "OH")
    assert match is not None
    assert (match.name, match.distance) == ("Franklin", pytest.approx(0.5))
    assert match.similarity == pytest.approx(1 - 0.5 / 7.5, abs=0.001)
    assert match_county("Street", "OH") is None


@pytest.mark.parametrize("ocr", ["Li cis", "Lalom", "Weayiie?", "Mak lane"])
def test_weak_readings_are_not_guessed_among_all_states(ocr: str) -> None:
    """'Li cis' is Lucas in Ohio, but among 3,200 names it is no clear reading."""
    assert snap_county(ocr) == (ocr, 0.0)


def test_specks_read_as_digits_or_bars_around_a_name_are_ignored() -> None:
    assert snap_county("Lake 7", "MI") == ("Lake", 1.0)
    assert snap_county("| Oaklsnd :", "MI") == ("Oakland", pytest.approx(0.857, abs=0.001))


@pytest.mark.parametrize(
    ("text", "county"),
    [
        ("Oakland", "Oakland"),
        ("oakland", "Oakland"),
        ("OAKLAND COUNTY", "Oakland"),
        ("Oakland Co.", "Oakland"),
        ("St Clair", "St. Clair"),
        ("Saint Clair", "St. Clair"),
        ("Grand Traverse", "Grand Traverse"),
    ],
)
def test_exact_county_comes_back_spelled_as_in_the_lexicon(text: str, county: str) -> None:
    assert snap_county(text, "MI") == (county, 1.0)


def test_accents_are_not_needed_to_match() -> None:
    assert snap_county("Dona Ana", "NM") == ("Doña Ana", 1.0)


@pytest.mark.parametrize("word", ["Street", "Hospital", "Jennifer", "Katherine", "Apartment"])
@pytest.mark.parametrize("state", ["MI", "OH", None])
def test_words_far_from_every_county_stay(word: str, state: str | None) -> None:
    assert snap_county(word, state) == (word, 0.0)


@pytest.mark.parametrize("answer", ["None", "Unknown", "same"])
def test_non_answers_are_not_snapped_to_lookalike_counties(answer: str) -> None:
    """'None' is one letter from Nome, Alaska; it is still no county."""
    assert snap_county(answer) == (answer, 0.0)


def test_candidates_are_restricted_to_the_state() -> None:
    """Kalamazoo and Oakland are Michigan counties; Ohio has neither."""
    assert snap_county("Kalamaz00", "OH") == ("Kalamaz00", 0.0)
    assert snap_county("Mak lane", "OH")[0] != "Oakland"
    assert snap_county("Oakland", "OH") == ("Oakland", 0.0)  # not Ashland, Ohio
    assert snap_county("Kalamaz00", "oh") == ("Kalamaz00", 0.0)  # codes fold case


def test_unknown_state_means_all_states() -> None:
    assert snap_county("Kalamaz00", "M1") == ("Kalamazoo", pytest.approx(0.933, abs=0.01))
    assert snap_county("Kalamaz00", "") == snap_county("Kalamaz00", None)


@pytest.mark.parametrize("text", [None, "", "   ", "\x00", "x" * 10_240, "Frankhn " * 1_300])
def test_odd_input_comes_back_unchanged_without_crashing(text: str | None) -> None:
    assert snap_county(text, "MI") == (text, 0.0)
    assert snap_county(text) == (text, 0.0)


def test_control_characters_inside_a_name_are_ignored_like_punctuation() -> None:
    assert snap_county("Oak\x00land", "MI") == ("Oakland", 1.0)


def test_ambiguous_reading_is_not_guessed() -> None:
    """'Lace' is one edit from both Lake and Luce; 'Barch' two from Barry and Branch."""
    assert snap_county("Lace", "MI") == ("Lace", 0.0)
    assert snap_county("Barch", "MI") == ("Barch", 0.0)
    assert snap_county("Luse", "MI") == ("Luce", pytest.approx(0.75))  # one clear reading


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=30))
def test_any_text_gives_itself_or_a_real_county(text: str) -> None:
    name, similarity = snap_county(text, "MI")
    if similarity == 0.0:
        assert name == text
    else:
        assert name in load_counties().names_by_state["MI"]
        assert 0.65 <= similarity <= 1.0


# -- ocr_distance -------------------------------------------------------------------------


def test_ocr_confusions_cost_less_than_arbitrary_edits() -> None:
    assert ocr_distance("frankhn", "franklin") == pytest.approx(0.5)  # 'li' read as 'h'
    assert ocr_distance("brawn", "brown") < ocr_distance("brxwn", "brown") == 1.0
    assert ocr_distance("manan", "marion") < ocr_distance("manan", "mason")
    assert ocr_distance("wayne", "wayne") == 0.0
    assert ocr_distance("street", "oakland", limit=1.0) > 1.0


# -- repair_words -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ocr", "state", "repaired"),
    [
        ("Brawn Co, HD", "WI", "Brown Co. HD"),
        ("Brawn Co, HD", None, "Brown Co. HD"),
        ("Franklin County Heaith Dept", "OH", "Franklin County Health Dept"),
        ("Fr ank iin County Heaith Dept", "OH", "Franklin County Health Dept"),
        ("Weayiie County HO", "MI", "Wayne County HD"),
        ("Livingstan HD", "MI", "Livingston HD"),
        ("Health Department of Mak lane County", "MI", "Health Department of Oakland County"),
        ("Cock Co HD", "IL", "Cook Co. HD"),  # the lost full stop too
        ("(Brawn Co.)", "WI", "(Brown Co.)"),
        ("FRANKHN COUNTY HEAITH DEPT", "OH", "FRANKLIN COUNTY HEALTH DEPT"),
        ("Ottawa  County\tHealth Dept", "MI", "Ottawa  County\tHealth Dept"),
        ("Deparment of Pubiic Heaith", "MI", "Department of Public Health"),
        ("Marquette Co. HD", "MI", "Marquette Co. HD"),
        # The designation misread between the county and 'HD', or run into the county;
        # left alone, the county reading took it in ('Marion. HD').
        ("Marion Ce. HD", "IN", "Marion Co. HD"),
        ("Eaton Go, HD", "MI", "Eaton Co. HD"),
        ("Isabella (o, HD", "MI", "Isabella Co. HD"),
        ("Milwauk oO. HD", "WI", "Milwaukee Co. HD"),
        ("Marion-Ca. HD", "OH", "Marion Co. HD"),
        ("Cuyahogaco HD", "OH", "Cuyahoga Co. HD"),
        ("WillL€o, HD", "IL", "Will Co. HD"),
        ("WishtenawCo HD", "MI", "Washtenaw Co. HD"),
        # A county read in lower case gets its capital.
        ("ingham Co. HD", "MI", "Ingham Co. HD"),
        ("Qakland Co HD", "MI", "Oakland Co. HD"),
    ],
)
def test_free_text_words_and_counties_are_repaired(
    ocr: str, state: str | None, repaired: str
) -> None:
    assert repair_words(ocr, VOCABULARY, state) == repaired


@pytest.mark.parametrize(
    "text",
    [
        "Dent County",  # a Missouri county one letter from 'Dept' stays a county
        "Saint Clair Co. HD",  # already a county (St. Clair), written out
        "Main Street Clinic",
        "Dxpxrtmxnt of Hxaxxh",  # too many edits for either word
        "Detroit HD",  # a city health department: no county is near 'Detroit'
        "HX Co",  # two-letter words change only through the confusion table
        "Marengo HD",  # a county ending like 'Co' ('go') is not split
    ],
)
def test_correct_or_unrecognisable_words_stay(text: str) -> None:
    assert repair_words(text, VOCABULARY, "MI") == text


def test_county_is_snapped_only_before_an_anchor() -> None:
    assert repair_words("Brawn Health Dept", VOCABULARY, "WI") == "Brawn Health Dept"
    # Anchors count only when the caller's vocabulary has them.
    assert repair_words("Brawn Co, HD", ["Health"], "WI") == "Brawn Co, HD"


def test_confusion_table_applies_only_towards_the_vocabulary() -> None:
    assert repair_words("Bay Co, HD", ["County", "Co.", "HD"], "MI") == "Bay Co. HD"
    assert repair_words("Bay Co, HO", ["County"], "MI") == "Bay Co, HO"


def test_a_tie_between_two_vocabulary_words_is_not_guessed() -> None:
    assert repair_words("Cxst", ["Cast", "Cost"], None) == "Cxst"
    assert repair_words("Depf", ["Dept", "Dept."], None) == "Dept"
    assert repair_words("Depf.", ["Dept", "Dept."], None) == "Dept."


@pytest.mark.parametrize("text", ["", " ", "\x00\x00", "County " * 1_500, "Brawn Co " * 1_200])
def test_odd_free_text_does_not_crash(text: str) -> None:
    repaired = repair_words(text, VOCABULARY, None)
    assert isinstance(repaired, str)
    assert len(repaired) <= len(text) + 10


def test_abbreviation_whose_full_stop_became_a_comma_is_repaired() -> None:
    vocabulary = ["Apt.", "Suite", "Street", "Box"]
    assert repair_words("778 Elizabeth Forges Apt, 270", vocabulary) == (
        "778 Elizabeth Forges Apt. 270"
    )
    assert repair_words("PO Bax 722", vocabulary) == "PO Box 722"
    assert repair_words("Hale Street", vocabulary) == "Hale Street"
    # Only when the caller's vocabulary has the dotted form.
    assert repair_words("Apt, 270", ["Suite"]) == "Apt, 270"


def test_a_state_lexicon_keeps_code_or_name_as_written() -> None:
    assert state_as_written("Wi") == "WI"
    assert state_as_written("iL") == "IL"
    assert state_as_written("il") == "IL"  # not 'II' from the l-for-I look-alike
    assert state_as_written("New Yrok") == "New York"
    assert state_as_written("Michigan") == "Michigan"
    assert state_as_written("Lake County") == "Lake County"  # no state: unchanged


def test_a_misread_state_name_is_taken_for_the_clearly_nearest_state() -> None:
    # OCR of faxed 'Illinois' and 'Indiana' that difflib's 0.8 ratio missed.
    assert nearest_state("litinois") == "IL"
    assert nearest_state("Indland") == "IN"
    assert state_as_written("litinois") == "Illinois"
    assert nearest_state("Mlchigan") == "MI"
    # Two letters one look-alike from two codes ('ot': OH or CT) are no guess ...
    assert nearest_state("ot") is None
    assert nearest_state("ML") is None
    # ... nor is a word near no state name, or too far from the nearest.
    assert nearest_state("Lake") is None
    assert nearest_state("Thinois") is None


def test_a_misread_state_is_the_nearby_one_the_document_names_elsewhere() -> None:
    # The other state field of the form says which state two doubtful letters are.
    assert nearest_state("ot", {"OH"}) == "OH"
    assert nearest_state("Ou", {"OH", "MI"}) == "OH"
    assert nearest_state("ML", {"MI"}) == "MI"
    assert nearest_state("Mie", {"MI"}) == "MI"
    assert nearest_state("Thinois", {"IL"}) == "IL"  # near the named state's name
    assert state_as_written("if", {"IL"}) == "IL"
    assert state_as_written("Thinois", {"IL"}) == "Illinois"
    # Too far from any state named, or as near to two of them: no guess.
    assert nearest_state("us", {"IL"}) is None
    assert nearest_state("ee", {"OH", "MI"}) is None
    assert nearest_state("M", {"MI", "MO"}) is None
    assert nearest_state("", {"IL"}) is None
    # A state read as such is kept whatever the other field says.
    assert nearest_state("Mt", {"MI"}) == "MT"


def test_plural_and_singular_of_a_vocabulary_word_stay_as_written() -> None:
    vocabulary = ["Parkway", "Gardens", "Street"]
    assert repair_words("30506 Herrera Parkways Apt. 819", vocabulary) == (
        "30506 Herrera Parkways Apt. 819"
    )
    assert repair_words("85004 Olson Garden", vocabulary) == "85004 Olson Garden"
    assert repair_words("12 Hale Stre et", vocabulary) == "12 Hale Stre et"
    assert repair_words("85004 Olson Gardems", vocabulary) == "85004 Olson Gardens"


@pytest.mark.parametrize(
    ("text", "repaired"),
    [
        ("Milwaukee Co HD", "Milwaukee Co. HD"),  # the full stop a fax lost
        ("Milwaukee Co_ HD", "Milwaukee Co. HD"),  # ... or turned into rule debris
        ("Cook Co", "Cook Co"),  # at the end it may be written so
        ("Kent Dept Health", "Kent Dept Health"),  # 'Dept' is also a form of its own
    ],
)
def test_a_dotted_abbreviation_between_usual_words_gets_its_full_stop(
    text: str, repaired: str
) -> None:
    vocabulary = ["County", "Co.", "Health", "Dept.", "Dept", "HD"]
    assert repair_words(text, vocabulary, "MI") == repaired


@pytest.mark.parametrize(
    ("read", "answer"),
    [
        ("yr", "yr"),
        ("vr", "yr"),  # v for y
        ("ye", "yr"),
        ("Yr.", "yr"),
        ("rno", "mo"),  # m read as rn
        ("dav", "day"),
        ("oe", None),  # as far from every answer
        ("", None),
        ("xyzzy", None),
    ],
)
def test_short_readings_snap_to_the_one_near_fixed_answer(read: str, answer: str | None) -> None:
    assert nearest_choice(read, ["yr", "mo", "day"]) == answer


@pytest.mark.parametrize(
    ("read", "state", "meant"),
    [
        ("Washtenaw Co_HD", "MI", "Washtenaw Co. HD"),  # words glued by a rule
        ("Marquette Co.|HD", "MI", "Marquette Co. HD"),
        ("Bernen Co.HD", "MI", "Berrien Co. HD"),  # a dotted word run into the next
        ("Lucas, Co. HD", "OH", "Lucas Co. HD"),  # a speck read as a comma
        ("Allen County, Health Dept", "IN", "Allen County Health Dept"),
        ("Cook] Co.+ HD", "IL", "Cook Co. HD"),  # brackets and bars at word edges
        ("Muskegon’ County Health Dept", "MI", "Muskegon County Health Dept"),
        ("Allegan Co. HB", "MI", "Allegan Co. HD"),  # the short word after 'Co.'
        ("Cuyahoga Co. XD", "OH", "Cuyahoga Co. HD"),
        ("Dept. of Health", "MI", "Dept. of Health"),  # right as read
        ("Kent County Health Dept (Public)", "MI", "Kent County Health Dept (Public)"),
    ],
)
def test_debris_between_the_words_of_a_usual_phrase_is_removed(
    read: str, state: str, meant: str
) -> None:
    assert repair_words(read, VOCABULARY, state) == meant


def test_usual_words_read_in_the_wrong_case_get_the_vocabulary_spelling() -> None:
    vocabulary = ["County", "Co.", "Health", "Dept", "HD"]
    # c, o, s, w look the same small and capital: small print loses the difference.
    assert repair_words("Lake county Health Dept", vocabulary) == "Lake County Health Dept"
    assert repair_words("Wayne CO. HD", vocabulary) == "Wayne Co. HD"
    assert repair_words("Isabella co. HD", vocabulary) == "Isabella Co. HD"
    # Other letters show their case: as written.
    assert repair_words("Lake County hEALTH Dept", vocabulary) == "Lake County hEALTH Dept"


@pytest.mark.parametrize(
    ("read", "named", "meant"),
    [
        ("Mj-20-39864", {"MI"}, "MI-20-39864"),
        ("WH-20-22155", {"WI", "IL"}, "WI-20-22155"),
        ("I-20-20055", {"IL"}, "IL-20-20055"),
        ("ING27844850", {"IN"}, "IN627844850"),  # a 6 read as G after the state
        ("IL-20-06527", {"OH"}, "IL-20-06527"),  # a state code stays, named or not
        ("ML-20-1", {"MI", "MT"}, "ML-20-1"),  # as near two named states
        ("Mj-20-39864", set(), "Mj-20-39864"),  # no state named
        ("A12345", {"AL"}, "A12345"),  # one letter before digits: no prefix to mend
        ("2066159", {"IL"}, "2066159"),
        ("Oll-20-08810", {"OH"}, "Oll-20-08810"),  # too far
    ],
)
def test_an_ids_misread_state_prefix_is_the_state_the_document_names(
    read: str, named: set[str], meant: str
) -> None:
    assert with_named_state(read, named) == meant


def test_the_states_a_county_name_belongs_to() -> None:
    counties = load_counties()
    assert counties.states_of("DuPage") == {"IL"}
    assert counties.states_of("du page") == {"IL"}
    assert "OH" in counties.states_of("Franklin") and len(counties.states_of("Franklin")) > 10
    assert counties.states_of("Nowhere") == frozenset()
