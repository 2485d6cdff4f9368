"""Normalisers: tables of the formats people write, and totality on hostile strings."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from extract.normalise import (
    NORMALISERS,
    STRICT_KINDS,
    known_email_domains,
    load_email_domains,
    normalise,
    normalise_date,
    normalise_email,
    normalise_identifier,
    normalise_integer,
    normalise_money,
    normalise_name,
    normalise_phone,
    normalise_ssn,
    normalise_state,
    normalise_text,
    normalise_zip,
    ocr_edit_cost,
    pivot_year,
    repair_email_domain,
)
from extract.template import FieldKind
from faxflow.errors import TemplateError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/04/2020", "2020-03-04"),
        ("3/4/20", "2020-03-04"),
        ("3-4-2020", "2020-03-04"),
        ("2020-03-04", "2020-03-04"),
        ("March 4, 2020", "2020-03-04"),
        ("Mar. 4 2020", "2020-03-04"),
        ("4 March 2020", "2020-03-04"),
        ("03 04 2020", "2020-03-04"),  # printed slashes removed with the form
        ("03 / 04 / 2020", "2020-03-04"),
        ("7,20, 2020", "2020-07-20"),  # the printed slashes' slivers read as commas
        ("3,30, 20", "2020-03-30"),
        ("12,4 _,_3994", None),  # no such year
        ("03042020", "2020-03-04"),
        ("O3/O4/2O2O", "2020-03-04"),  # OCR letter/digit confusions
        ("l2/3l/l999", "1999-12-31"),
        ("7/4/61", "1961-07-04"),
        ("13/05/2020", "2020-05-13"),  # day > 12 first: unambiguous D/M/Y
        ("Septmber 12, 1999", "1999-09-12"),  # garbled month name
        ("November i 7, 1996", "1996-11-17"),  # a day split by a gap, a 1 read as i
        ("August 14, 1 953", "1953-08-14"),  # a year split by a gap
        ("Jan 5 20 20", "2020-01-05"),  # ... not the day: no comma after it
        ("9 1] 76", "1976-09-11"),  # a 1 read as a bracket
        ("02/30/2020", None),  # no such day
        ("", None),
        (None, None),
        ("unknown", None),
    ],
)
def test_dates(text: str | None, expected: str | None) -> None:
    assert normalise_date(text) == expected


def test_two_digit_years_pivot_to_the_past_century_when_in_the_future() -> None:
    from datetime import date

    today = date(2026, 11, 27)
    assert pivot_year(20, today=today) == 2020
    assert pivot_year(27, today=today) == 2027  # next year is still plausible
    assert pivot_year(61, today=today) == 1961


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(517) 555-0199", "5175550199"),
        ("+1 517 555 0199", "5175550199"),
        ("517.555.0l99", "5175550199"),
        ("555-0199", None),
    ],
)
def test_phones(text: str, expected: str | None) -> None:
    assert normalise_phone(text) == expected


@pytest.mark.parametrize(
    ("function", "text", "expected"),
    [
        (normalise_ssn, "123-45-6789", "123456789"),
        (normalise_ssn, "12345678", None),
        (normalise_zip, "48933", "48933"),
        (normalise_zip, "48933-1234", "48933-1234"),
        (normalise_zip, "4893", None),
        (normalise_email, " John.Doe@Example.COM ", "john.doe@example.com"),
        (normalise_email, "john at example", None),
        (normalise_integer, "45 yrs", 45),
        (normalise_integer, "4S", 45),
        (normalise_integer, "none", None),
        (normalise_text, "  Ingham   County  ", "Ingham County"),
        (normalise_text, " ___ | ", None),
        (normalise_name, " _Maria  Gonzalez| ", "Maria Gonzalez"),
    ],
)
def test_simple_kinds(function, text: str, expected: object) -> None:  # type: ignore[no-untyped-def]
    assert function(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1,250.00", 1250.0),
        ("1250", 1250.0),
        ("S40.00", 40.0),  # a dollar sign read as S
        ("$ 1 250.00", 1250.0),
        ("12.5", 12.5),
        ("none", None),
        ("1;:760.00", 1760.0),  # a thousands comma the fax turned into ';:'
        ("1, 834", 1834.0),
        ("5, 00", 5.0),  # two digits after it: no thousands
        ("3496, 21", 3496.21),  # ... but cents
        ("2388:89", 2388.89),
        ("4.545", 4545.0),  # three digits after a point: thousands
        ("0.125", 0.12),
        ("45]", 451.0),  # look-alikes of 1 and 8 beside digits
        ("B49", 849.0),
    ],
)
def test_money(text: str, expected: float | None) -> None:
    assert normalise_money(text) == expected


@pytest.mark.parametrize(
    ("text", "left_out"),
    [
        ("1,403 42", True),  # a decimal point the fax lost: the cents are not in 1403
        ("1403 42", True),
        ("0.125", True),
        ("956 00", False),  # no cents either way: the amount is the same
        ("4 603 00", False),
        ("$1,250.00", False),
        ("3496, 21", False),  # cents after a comma are in the amount
        ("1, 834", False),
        ("S40.00", False),
        ("none", False),
    ],
)
def test_an_amount_that_leaves_written_digits_out_is_told(text: str, left_out: bool) -> None:
    from extract.normalise import money_leaves_digits

    assert money_leaves_digits(text) is left_out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MI", "MI"),
        ("mi", "MI"),
        ("Ml", "MI"),  # l read for I
        ("Michigan", "MI"),
        ("michgan", "MI"),
        ("New York", "NY"),
        ("N.Y.", "NY"),
        ("Texas ", "TX"),
        ("Atlantis", None),
    ],
)
def test_states(text: str, expected: str | None) -> None:
    assert normalise_state(text) == expected


def test_every_state_the_reader_gives_passes_validation_and_the_generators_codes_are_read() -> None:
    """The reader never yields a code validation refuses, and reads every code the
    form-pack generator writes (Faker's, with the freely associated states: FM once read
    as nothing, a Micronesian applicant's state lost)."""
    from faker import Faker

    from extract.normalise import STATES
    from validate.rules import US_STATE_CODES

    assert set(STATES) <= US_STATE_CODES
    faker = Faker("en_US")
    Faker.seed(7)
    drawn = {faker.state_abbr(include_territories=False) for _ in range(2000)}
    assert {code for code in drawn if normalise_state(code.lower()) != code} == set()


def test_dispatch_by_kind_and_checkbox_kinds_are_not_text() -> None:
    assert normalise(FieldKind.DATE, "3/4/2020") == "2020-03-04"
    assert normalise("state", "Ohio") == "OH"
    assert normalise(FieldKind.CHOICE, "yes") is None
    assert normalise("no-such-kind", "x") is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_every_normaliser_is_total(text: str) -> None:
    for kind, function in NORMALISERS.items():
        value = function(text)
        assert value is None or isinstance(value, str | int | float), kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [("yr", "yr"), ("yt", "yr"), ("Years", "yr"), ("months", "mo"), ("d", "day"), ("vi", None)],
)
def test_free_text_snaps_to_a_fixed_answer(text: str, expected: str | None) -> None:
    from extract.normalise import snap_to_choices

    assert snap_to_choices(text, ["yr", "mo", "day"]) == expected


@pytest.mark.parametrize(
    ("kind", "text"),
    [("zip", "１２３４５"), ("ssn", "١٢٣٤٥٦٧٨٩"), ("phone", "5¹75550¹23"), ("money", "-1")],
)
def test_foreign_digits_and_negative_money_are_not_normal_forms(kind: str, text: str) -> None:
    from extract.normalise import normalise

    assert normalise(kind, text) is None


# --------------------------------------------------------------------------------------
# Identifiers: OCR misreads measured on generated 200 dpi faxes (read -> truth)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("read", "truth"),
    [
        ("M1840800474", "M1840800474"),  # a valid ID as read: letter and digits, kept
        ("W1587926205", "W1587926205"),
        ("0H784159066", "OH784159066"),  # 0 for O in the letter prefix
        ("1L911093117", "IL911093117"),
        ("OH83837G444", "OH838376444"),  # G for 6 between digits
        ("IN303 794493", "IN303794493"),  # a space inside the ID
        ("IN 987934", "IN 987934"),  # a space after the letter prefix: the writer's
        ("mi 840800474", "MI 840800474"),
        ("0H 784159066", "OH 784159066"),
        ("12 345678", "12345678"),  # no letter prefix: the space is OCR's
        ("IN 98 7934", "IN987934"),  # spaces among the digits too: OCR's
        ("W1-20-72386", "W1-20-72386"),
        ("Mi-20-04332", "MI-20-04332"),
        ("MI. 20-27516", "MI-20-27516"),  # other separators where '-' is the separator
        ("OH: 20-73480", "OH-20-73480"),
        ("IN -20-72695", "IN-20-72695"),
        ("IL 20-02658", "IL-20-02658"),
        ("_Mi-20-04332", "MI-20-04332"),  # rule debris at the edge
        ("OH440185110-09", "OH440185110-09"),  # already right: untouched
        ("mi840800474", "MI840800474"),
        ("5K123456", "SK123456"),  # a real letter makes the look-alike digit a letter
        ("2O45", "2045"),  # no real letter in the prefix: O between digits is 0
        ("M|-20-98223", "MI-20-98223"),  # a bar for the I of a state code
        ("[L-20-48569", "IL-20-48569"),
        ("QH-20-26192", "QH-20-26192"),  # valid as read: QH is no state, but an ID may say so
        ("1L.913027447", "IL913027447"),  # a point left between prefix and digits
        ("12.345678", "12.345678"),  # a number with a point is left as written
        ("M1I163173111", "MI163173111"),  # one I read as '1I'
        ("W1I999438228", "WI999438228"),
        ("MI1244289264", "MI1244289264"),  # an I then a one: both may be written
        ("IN2/8922161-07", "IN278922161-07"),  # a 7 read as '/' in a lettered ID
        ("Ml435/62/ 78-19", "MI435762778-19"),
        ("2020/0042", "2020/0042"),  # a number-only ID may hold a slash
    ],
)
def test_identifier_misreads_are_repaired(read: str, truth: str) -> None:
    assert normalise_identifier(read) == truth
    assert normalise(FieldKind.IDENTIFIER, read) == truth


@pytest.mark.parametrize(
    "text",
    [
        "4°49266",  # a degree sign for a digit: nothing says which
        "I-5",
        "A1-20",  # A followed by 1 is no state code
        "M5",  # a lone letter+digit value is not stretched into a state
        "1234S",  # a letter at the end is not 'between digits'
        "Case 12345",  # words are kept as written
        "see attached",
        "pending",
        "in",
        "N/A",
        "MI/20/123",
        "Ünïcode-12",
    ],
)
def test_identifiers_of_other_shapes_are_kept_as_read(text: str) -> None:
    assert normalise_identifier(text) == normalise_text(text)


@pytest.mark.parametrize("text", [None, "", "   ", "___", "-", "\x00", "\x00MI-20-1\x00"])
def test_identifier_of_nothing_is_none_or_text(text: str | None) -> None:
    assert normalise_identifier(text) == normalise_text(text)


def test_identifier_of_a_huge_string_is_bounded() -> None:
    value = normalise_identifier("MI-20-" + "1" * 10_000)
    assert value is not None and len(value) <= 400


def test_identifier_is_not_a_strict_kind() -> None:
    # An ID has no pattern: a read that cannot be repaired is still the value, not a miss.
    assert FieldKind.IDENTIFIER not in STRICT_KINDS
    assert NORMALISERS[FieldKind.IDENTIFIER] is normalise_identifier


@settings(max_examples=400, deadline=None)
@given(
    st.text(max_size=60)
    | st.text(alphabet="MIOHWLNil0125689GSBZ -.:;,_°", max_size=30)
    | st.from_regex(
        r"[A-Za-z0-9]{1,3}[0-9OIlSGBZ ]{3,12}(-[A-Za-z0-9 .:]{1,8}){0,3}", fullmatch=True
    )
)
@example("0\x08.")  # one pass of normalise_text leaves new edge debris
def test_identifier_is_total_and_idempotent(text: str) -> None:
    once = normalise_identifier(text)
    assert once is None or isinstance(once, str)
    assert normalise_identifier(once) == once


# --------------------------------------------------------------------------------------
# E-mail domains
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("read", "truth"),
    [
        ("qsellers@ yahoo.com", "qsellers@yahoo.com"),
        ("leresqim@gmall.com", "leresqim@gmall.com"),  # well-formed: may be real, kept
        ("jacquelinepal@qmail.com", "jacquelinepal@qmail.com"),
        ("zimnerman90@outlook.cam", "zimnerman90@outlook.com"),
        ("rinningham@exampie.orc", "rinningham@example.org"),  # garbled TLD: a plain edit too
        ("kevin.wang@exainple.org", "kevin.wang@exainple.org"),
        ("tyler.wilson@mail.comeee", "tyler.wilson@mail.com"),  # debris after the TLD
        ("a.b@outlok.com", "a.b@outlok.com"),
        ("a.b@yahoo.corn", "a.b@yahoo.com"),  # rn for m
        ("a.b@county.con", "a.b@county.com"),  # unknown domain: only the TLD is repaired
        ("a.b@county.arg", "a.b@county.org"),
        ("a.b@county.gov", "a.b@county.gov"),
        ("a.b@yahvo.com", "a.b@yahvo.com"),  # a real TLD: the address is valid as read
        ("a.b@outlogk.com", "a.b@outlogk.com"),
        ("a.b@wexample.org", "a.b@wexample.org"),
        ("a.b@imail.com", "a.b@imail.com"),  # one edit from mail, gmail and ymail: left
        ("a.b@yahvo.org", "a.b@yahvo.org"),  # only a known domain with the same TLD
    ],
)
def test_email_domain_misreads_are_repaired(read: str, truth: str) -> None:
    assert normalise_email(read) == truth


def test_email_domain_snaps_only_to_the_unique_closest() -> None:
    # A garbled TLD lets the domain be repaired: ymall is one look-alike from ymail.com and
    # two from gmail.com: the nearer one wins, never the more popular one.
    assert normalise_email("lphnsat@ymall.corn") == "lphnsat@ymail.com"
    assert normalise_email("lphnsat@ymall.com") == "lphnsat@ymall.com"  # valid: kept
    known = frozenset({"exampleo.org", "examplee.org"})
    assert repair_email_domain("exampleo.orq", known) == "exampleo.org"
    # c is a look-alike of both o and e: equally close to two entries, so left as read
    assert repair_email_domain("examplec.org", known) == "examplec.org"


@pytest.mark.parametrize(
    "address",
    [
        "nurse@umich.edu",
        "a@aon.com",  # one plain edit from aol.com, but .com is real: not an OCR slip
        "a@love.com",
        "a@gg.com",  # two look-alikes from qq.com is too much for six letters
        "a@hotmail.co",  # a real TLD: not stretched to .com
        "a@sparrow.org",
        "a@state.mi.us",
        "a@shop.new",  # .new is a real TLD, not a garbled .net
        "a@x.community",
        "a@gmx.de",
    ],
)
def test_real_domains_far_from_the_list_stay_unchanged(address: str) -> None:
    assert normalise_email(address) == address


@pytest.mark.parametrize(
    ("read", "truth", "cost"),
    [
        ("gmall", "gmail", 0.5),
        ("exainple", "example", 0.5),
        ("outlok", "outlook", 0.5),
        ("aon", "aol", 1.0),
        ("abc", "abc", 0.0),
        ("", "abc", 3.0),
    ],
)
def test_ocr_edit_cost_makes_look_alikes_cheap(read: str, truth: str, cost: float) -> None:
    assert ocr_edit_cost(read, truth) == cost


def test_plain_edits_can_be_forbidden() -> None:
    assert math.isinf(ocr_edit_cost("aon", "aol", plain_cost=math.inf))
    assert ocr_edit_cost("qmail", "gmail", plain_cost=math.inf) == 0.5


def test_the_shipped_domain_list_loads() -> None:
    domains = known_email_domains()
    assert {"gmail.com", "yahoo.com", "outlook.com", "example.org"} <= domains
    assert all(d == d.lower() and "." in d for d in domains)


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("gmail.com\nnot a domain\n", 2),
        ("# c\n\nGmail.com\n", 3),
        ("gmail.com\ngmail.com  # again\n", 2),
    ],
)
def test_a_bad_domain_list_names_file_and_line(tmp_path: Path, content: str, line: int) -> None:
    path = tmp_path / "domains.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_email_domains(path)
    assert str(path) in str(caught.value) and f"line {line}" in str(caught.value)


def test_an_empty_or_missing_domain_list_is_a_template_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# only a comment\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="no domain"):
        load_email_domains(empty)
    with pytest.raises(TemplateError, match="cannot read"):
        load_email_domains(tmp_path / "missing.txt")


@pytest.mark.parametrize("text", ["x" * 10_000 + "@gmall.com", "a@" + "b" * 10_000 + ".com"])
def test_email_of_a_huge_string_never_crashes(text: str) -> None:
    value = normalise_email(text)
    assert value is None or len(value) <= 400


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("02/12/2614", "2014-02-12"),  # dotted 0 read as 6
        ("04 18 2820", "2020-04-18"),  # ... and as 8
        ("89 _,_16_,_2013", "2013-09-16"),  # month 89 cannot be: its 8 is a 0
        ("95, _06_, 2020", "2020-05-06"),  # a 9-for-0 month, not a day written first
        ("25/03/2020", "2020-03-25"),  # a day written first stays D/M/Y
        ("04/1& 2020", "2020-04-18"),  # & is a broken 8
        ("41-12-1994", "1994-11-12"),  # month 41 cannot be: its 4 is a 1
        ("12/44/1994", None),  # a day of 44 could be 14 or 04: left unreadable
        ("44/14/1994", None),  # month 14 after repair still cannot be: unreadable
        ("03/51/2020", None),  # 5 looks like neither 0 nor 1: a wrong day stays unreadable
        ("09/14/1955", "1955-09-14"),  # valid dates are never touched
        ("12/31/1908", "1908-12-31"),
    ],
)
def test_impossible_date_parts_are_repaired_from_zero_lookalikes(
    text: str, expected: str | None
) -> None:
    assert normalise_date(text) == expected


def test_a_future_year_is_repaired_only_to_a_past_one() -> None:
    from datetime import date

    # No look-alike to repair and still in the future: unreadable, not a guess.
    assert normalise_date("01/02/2100") is None
    repaired = normalise_date("12/31/2029")
    assert repaired is not None and int(repaired[:4]) <= date.today().year
    assert normalise_date("January 16, 2075") == "2015-01-16"  # a 1 read as 7
    assert normalise_date("02/04/2048") == "2018-02-04"  # ... and as 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Paul wilson", "Paul Wilson"),
        ("Tyler i. wilson", "Tyler I. Wilson"),
        ("Ludwig van Beethoven", "Ludwig van Beethoven"),
        ("McDonald", "McDonald"),
        ("D'Angelo", "D'Angelo"),
    ],
)
def test_name_words_read_all_lower_case_get_their_capital(text: str, expected: str) -> None:
    assert normalise_name(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EMERSYN Q ROSS", "Emersyn Q Ross"),  # the initial stays one capital
        ("MARY O'BRIEN", "Mary O'Brien"),
        ("ANNA SMITH-JONES", "Anna Smith-Jones"),
        ("ROSS, EMERSYN", "Ross, Emersyn"),
        ("JOHN SMITH III", "John Smith III"),  # a generation suffix stays in capitals
        ("DR. JOHN SMITH", "Dr. John Smith"),
        ("MCDONALD", "Mcdonald"),  # the hidden inner capital is not guessed
        ("DeShawn MCKAY", "DeShawn Mckay"),  # each word on its own; mixed case as written
        ("Mary LEE", "Mary Lee"),
        ("EMERSYN_Q ROSS", "Emersyn Q Ross"),  # the writing line read in a gap
    ],
)
def test_names_printed_in_block_capitals_get_name_case(text: str, expected: str) -> None:
    normal = normalise_name(text)
    assert normal == expected
    assert normal is not None
    assert normal.lower() == text.lower().replace("_", " ")  # the same letters


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jacob Q Ross", "Jacob Q Ross"),  # no full stop is added: maybe none was written
        ("Jacob q Ross", "Jacob Q Ross"),  # case is no change of what was written
        ("Brandon 0. Fischer", "Brandon O. Fischer"),  # a digit read for the initial
        ("Angelica Zz. Jensen", "Angelica Z. Jensen"),  # one initial read twice
        ("James. Mcbride", "James Mcbride"),  # a speck after a whole name word
        ("Charles S. Noble", "Charles S. Noble"),
        ("J. Smith", "J. Smith"),  # a first initial stays as written
        ("Dr. John Smith", "Dr. John Smith"),
        ("St. Clair Jones", "St. Clair Jones"),
        ("Mary Ann Smith", "Mary Ann Smith"),
    ],
)
def test_middle_initials_are_one_capital_with_the_stop_as_written(text: str, expected: str) -> None:
    assert normalise_name(text) == expected


def test_a_phone_number_read_into_the_email_zone_is_left_out() -> None:
    assert normalise_email("3125270625 martin82@yahoo.com") == "martin82@yahoo.com"
    assert normalise_email("312.527.0625 martin82@yahoo.com") == "martin82@yahoo.com"
    # Digits that are the address itself stay.
    assert normalise_email("1234567@gmail.com") == "1234567@gmail.com"
    assert normalise_email("3125270625") is None


@pytest.mark.parametrize(
    ("read", "address"),
    [
        # Between two name words a gap is unresolved ('.', '_', '-' or nothing): unread.
        ("Shawn fleming@example.org", None),
        ("christopher davis@gmail com", None),
        ("mat thew berg@example.org", None),  # one name split in two, then a gap
        ("matt hew@example.org", "matthew@example.org"),  # one name split in two
        ("t smith@outlook.com", "tsmith@outlook.com"),  # an initial is no word
        ("rar irez7@mail.com", "rarirez7@mail.com"),  # a word with digits is no name
        ("Gomez sa@mail.com", "gomezsa@mail.com"),
        ("ecooper@ example.org", "ecooper@example.org"),
        ("ehowell@mail com", "ehowell@mail.com"),
        ("jdoe@mail .com", "jdoe@mail.com"),
    ],
)
def test_gaps_in_an_address_are_closed_only_where_one_reading_is_valid(
    read: str, address: str | None
) -> None:
    assert normalise_email(read) == address


@pytest.mark.parametrize(
    ("read", "address"),
    [
        ("malienGoutlook. com", "malien@outlook.com"),  # the @ read as a G
        ("tomqexample.org", "tom@example.org"),
        ("ann©gmail.com", "ann@gmail.com"),
        # No @-shaped glyph, or a g that may end the name: no guess.
        ("doug yahoo.com", None),
        ("johngmail.com", None),
        ("Stanley44ityahoo com", None),
        ("gmail.com", None),
    ],
)
def test_an_at_sign_read_as_a_letter_before_a_known_domain_is_given_back(
    read: str, address: str | None
) -> None:
    assert normalise_email(read) == address


def test_a_seven_read_as_a_slash_completes_a_phone_number() -> None:
    assert normalise_phone("(312) 9/2-4007") == "3129724007"
    assert normalise_phone("312/555/1234") == "3125551234"  # slashes as separators
    assert normalise_phone("9/2-4007") is None


@pytest.mark.parametrize(
    ("read", "address"),
    [
        ("jJamessal@gmail.com", "jamessal@gmail.com"),  # one letter read twice
        ("jjones@gmail.com", "jjones@gmail.com"),  # written twice: read alike
        ("Aaron@gmail.com", "aaron@gmail.com"),  # a name's capital then small
        ("cdiaz(aexample.org", "cdiaz@example.org"),  # '(a' for '@'
    ],
)
def test_an_address_keeps_its_letters_and_gets_its_at_sign(read: str, address: str) -> None:
    assert normalise_email(read) == address


@pytest.mark.parametrize(
    ("read", "kept"),
    [
        ("Hamilton County Health Dept.", "Hamilton County Health Dept."),  # as written
        ("Kent Co.  ", "Kent Co."),
        ("NC Dept. of Health", "NC Dept. of Health"),
        ("Wayne County Health Department.", "Wayne County Health Department"),  # a speck?
        ("Marquette.", "Marquette"),  # one word: its stop may be a speck
        ("Kent Co.,", "Kent Co"),  # debris after the stop: trimmed as before
        ("Ingham Co. .", "Ingham Co"),
    ],
)
def test_free_text_keeps_the_full_stop_of_a_final_abbreviation(read: str, kept: str) -> None:
    assert normalise(FieldKind.TEXT, read) == kept
    assert normalise(FieldKind.TEXT, kept) == kept  # normalised twice, unchanged
