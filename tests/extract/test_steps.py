"""The assembly steps of extract/steps.py on field values: what each repair and check does
within the repair policy, and that every change is recorded as provenance."""

from __future__ import annotations

from extract.repairs import LEXICON_REPAIR_CONFIDENCE, NAMED_STATE_CONFIDENCE
from extract.steps import STEPS, Stage, run_assembly_steps, steps_for
from extract.template import FieldKind
from faxflow.model import FieldResult, FormType


def _steps(result: FieldResult) -> list[str]:
    return [p.step for p in result.provenance]


def test_the_step_list_says_which_steps_touch_a_kind_in_order() -> None:
    names = [s.name for s in steps_for(FieldKind.NAME)]
    assert names.index("normalise") < names.index("repair.name_spelling")
    assert names.index("repair.name_spelling") < names.index("check.unknown_name")
    assert "repair.county" not in names
    assert [s.stage for s in steps_for(FieldKind.IDENTIFIER, Stage.REPAIR)] == [Stage.REPAIR]
    assert all(s.body is None for s in STEPS if s.stage in (Stage.READ, Stage.REREAD))


def test_the_step_list_names_the_kinds_the_digit_classifier_reads_again() -> None:
    from extract.extractor import ZONE_DIGIT_KINDS
    from extract.steps import STEPS

    (digits,) = [step for step in STEPS if step.name == "reread.digits"]
    assert digits.kinds == ZONE_DIGIT_KINDS


def test_doubted_county_and_phrase_near_misses_are_repaired_in_the_named_state(templates) -> None:  # type: ignore[no-untyped-def]
    template = templates[FormType.CDC_PUI_2020]
    fields = {
        "state_of_residence": FieldResult(value="OH", confidence=0.9),
        "county_of_residence": FieldResult(value="Frankhn", confidence=0.8),
        "reporting_jurisdiction": FieldResult(value="Wisconsin", confidence=0.9),
        "reporting_health_department": FieldResult(value="Brawn Co, HD", confidence=0.8),
        "interviewer_affiliation": FieldResult(value="Dane County Health Dept", confidence=0.8),
    }
    run_assembly_steps(template, fields)
    county = fields["county_of_residence"]
    assert county.value == "Franklin"
    assert county.confidence == min(0.8, LEXICON_REPAIR_CONFIDENCE)
    assert [(p.step, p.before, p.after) for p in county.provenance] == [
        ("repair.county", "Frankhn", "Franklin")
    ]
    assert fields["reporting_health_department"].value == "Brown Co. HD"
    assert _steps(fields["reporting_health_department"]) == ["repair.phrase"]
    # Already right: value, confidence and provenance untouched.
    affiliation = fields["interviewer_affiliation"]
    assert affiliation.value == "Dane County Health Dept" and affiliation.confidence == 0.8
    assert affiliation.provenance == ()


def test_a_near_miss_read_surely_is_not_repaired(templates) -> None:  # type: ignore[no-untyped-def]
    """OCR did not doubt it, and a town may be called so: 'South Amvytown' read at 0.96
    stays as written."""
    template = templates[FormType.MDHHS_DHS1171]
    words = (("South", 0.97), ("Amvytown", 0.96))
    fields = {"residential_city": FieldResult(value="South Amvytown", confidence=0.96, words=words)}
    run_assembly_steps(template, fields)
    assert fields["residential_city"].value == "South Amvytown"
    assert fields["residential_city"].provenance == ()


def test_a_reading_that_is_no_county_failed_its_format_even_read_surely(templates) -> None:  # type: ignore[no-untyped-def]
    """US counties are a closed list: 'Dene' beside Wisconsin is no county, as good as a
    doubt; 'Dane County' is one, and stays."""
    template = templates[FormType.CDC_PUI_2020]
    fields = {
        "state_of_residence": FieldResult(value="WI", confidence=0.97),
        "county_of_residence": FieldResult(value="Dene", confidence=0.96, words=(("Dene", 0.96),)),
    }
    run_assembly_steps(template, fields)
    assert fields["county_of_residence"].value == "Dane"
    assert _steps(fields["county_of_residence"]) == ["repair.county"]


def test_a_reading_that_is_none_of_the_schemas_answers_failed_its_format_even_read_surely(
    templates,
) -> None:  # type: ignore[no-untyped-def]
    """The schema's answers (age units: yr/mo/day) are a closed list: 'yt' read at 0.95 is
    none of them, as good as a doubt, so it is taken to the nearest answer, recorded, and
    no longer sure; an answer read surely stays as read."""
    template = templates[FormType.CDC_PUI_2020]
    fields = {"age_units": FieldResult(value="yt", confidence=0.95, words=(("yt", 0.95),))}
    run_assembly_steps(template, fields)
    units = fields["age_units"]
    assert units.value == "yr"
    assert [(p.step, p.before, p.after) for p in units.provenance] == [
        ("repair.fixed_answer", "yt", "yr")
    ]
    assert units.confidence < 0.95
    kept = {"age_units": FieldResult(value="mo", confidence=0.95, words=(("mo", 0.95),))}
    run_assembly_steps(template, kept)
    assert kept["age_units"].value == "mo" and kept["age_units"].provenance == ()


def test_a_state_that_fails_its_format_is_the_nearest_state_name(templates) -> None:  # type: ignore[no-untyped-def]
    template = templates[FormType.CDC_PUI_2020]
    fields = {
        "state_of_residence": FieldResult(value=None, confidence=0.9, raw_text="Ohlo"),
        "county_of_residence": FieldResult(value="Frankhn", confidence=0.8),
        "reporting_jurisdiction": FieldResult(value="litinois", confidence=0.8),
    }
    run_assembly_steps(template, fields)
    state = fields["state_of_residence"]
    assert state.value == "OH" and state.confidence == LEXICON_REPAIR_CONFIDENCE
    assert [(p.step, p.before, p.after) for p in state.provenance] == [
        ("repair.state_name", "Ohlo", "OH")
    ]
    assert fields["county_of_residence"].value == "Franklin"  # within the repaired state
    assert fields["reporting_jurisdiction"].value == "Illinois"
    unreadable = {"state_of_residence": FieldResult(value=None, confidence=0.1, raw_text="us")}
    run_assembly_steps(template, unreadable)
    assert unreadable["state_of_residence"].value is None


def test_a_doubtful_state_may_be_the_state_named_elsewhere_but_gains_no_letter(templates) -> None:  # type: ignore[no-untyped-def]
    template = templates[FormType.CDC_PUI_2020]
    fields = {
        "state_of_residence": FieldResult(value=None, confidence=0.9, raw_text="Ou"),
        "reporting_jurisdiction": FieldResult(value="Qhio", confidence=0.8),
    }
    run_assembly_steps(template, fields)
    assert fields["state_of_residence"].value == "OH"
    assert fields["state_of_residence"].confidence == NAMED_STATE_CONFIDENCE
    assert _steps(fields["state_of_residence"]) == ["repair.state_named_elsewhere"]
    assert fields["reporting_jurisdiction"].value == "Ohio"
    # A misread prefix of a malformed ID ('Mj'): the named state, with provenance.
    fields = {
        "reporting_jurisdiction": FieldResult(value="Michigan", confidence=0.9),
        "case_state_local_id": FieldResult(value="Mj-20-39864", confidence=0.7),
    }
    run_assembly_steps(template, fields)
    assert fields["case_state_local_id"].value == "MI-20-39864"
    assert fields["case_state_local_id"].confidence == NAMED_STATE_CONFIDENCE
    assert _steps(fields["case_state_local_id"]) == ["repair.id_state_prefix"]
    # A speck 'i' beside DuPage is not IL: that would add a letter nobody saw.
    fields = {
        "county_of_residence": FieldResult(value="DuPage", confidence=0.9),
        "reporting_jurisdiction": FieldResult(value=None, confidence=0.3, raw_text="i"),
    }
    run_assembly_steps(template, fields)
    assert fields["reporting_jurisdiction"].value is None
    # A valid ID with three letters is no misread state prefix.
    fields = {
        "reporting_jurisdiction": FieldResult(value="Indiana", confidence=0.9),
        "nndss_case_id": FieldResult(value="ING27844850", confidence=0.6),
    }
    run_assembly_steps(template, fields)
    assert fields["nndss_case_id"].value == "ING27844850"


def test_names_are_kept_and_doubted_near_misses_go_to_a_person(templates) -> None:  # type: ignore[no-untyped-def]
    template = templates[FormType.MDHHS_DHS1171]
    fields = {
        "applicant_full_name": FieldResult(
            value="Lessica Ramos",
            confidence=0.8,
            words=(("Lessica", 0.7), ("Ramos", 0.95)),
        ),
        "household_members[1].full_name": FieldResult(value="Nevaeh Scott", confidence=0.95),
    }
    run_assembly_steps(template, fields)
    applicant = fields["applicant_full_name"]
    assert applicant.value == "Lessica Ramos"  # a valid name, perhaps a rare one
    assert applicant.confidence <= 0.5  # but OCR doubted it and it is near Jessica
    assert applicant.provenance == ()
    member = fields["household_members[1].full_name"]
    assert member.value == "Nevaeh Scott" and member.confidence == 0.95


def test_street_lines_are_repaired_by_their_parts_and_dust_is_dropped(templates) -> None:  # type: ignore[no-untyped-def]
    template = templates[FormType.MDHHS_DHS1171]
    fields = {
        "residential_street": FieldResult(value="11073 Richard Mountains Sune 178", confidence=0.8),
        "mailing_street": FieldResult(value="PO Box 6522", confidence=0.9),
        "residential_city": FieldResult(value="South Amvytown", confidence=0.8),
    }
    run_assembly_steps(template, fields)
    assert fields["residential_street"].value == "11073 Richard Mountains Suite 178"
    assert _steps(fields["residential_street"]) == ["repair.street"]
    assert fields["mailing_street"].value == "PO Box 6522"
    assert fields["mailing_street"].confidence == 0.9
    assert fields["residential_city"].value == "South Amytown"
    dust = {"mailing_street": FieldResult(value="ee eee", confidence=0.4)}
    run_assembly_steps(template, dust)
    assert dust["mailing_street"].value is None and dust["mailing_street"].confidence <= 0.3
    assert _steps(dust["mailing_street"]) == ["check.street_dust"]


def test_an_address_is_never_rebuilt_from_names_only_flagged_when_doubted(templates) -> None:  # type: ignore[no-untyped-def]
    template = templates[FormType.CDC_PUI_2020]
    fields = {
        "interviewer_first_name": FieldResult(value="Alan", confidence=0.95),
        "interviewer_last_name": FieldResult(value="Thomas", confidence=0.95),
        "interviewer_email": FieldResult(value="alah.thomas@gmail.com", confidence=0.8),
    }
    run_assembly_steps(template, fields)
    email = fields["interviewer_email"]
    assert email.value == "alah.thomas@gmail.com" and email.confidence <= 0.5
    sure = dict(fields)
    sure["interviewer_email"] = FieldResult(value="alah.thomas@gmail.com", confidence=0.97)
    run_assembly_steps(template, sure)
    assert sure["interviewer_email"].confidence == 0.97


def test_a_state_field_read_surely_as_no_state_is_repaired(templates) -> None:  # type: ignore[no-untyped-def]
    """'Ml' (a small L) is no state code, however sure OCR was: a failed format."""
    template = templates[FormType.CDC_PUI_2020]
    fields = {"reporting_jurisdiction": FieldResult(value="Ml", confidence=0.97)}
    run_assembly_steps(template, fields)
    assert fields["reporting_jurisdiction"].value == "MI"
    assert _steps(fields["reporting_jurisdiction"]) == ["repair.state_name"]
    kept = {"reporting_jurisdiction": FieldResult(value="mi", confidence=0.97)}
    run_assembly_steps(template, kept)
    assert kept["reporting_jurisdiction"].value in ("mi", "MI")  # case only


def _read_surely(values: dict[str, str]) -> dict[str, FieldResult]:
    return {name: FieldResult(value=value, confidence=0.97) for name, value in values.items()}


def test_fields_printed_in_block_capitals_take_the_case_of_their_words(templates) -> None:  # type: ignore[no-untyped-def]
    """A street, a town, a county and a relationship printed in capitals and read surely:
    the letters stay, the case becomes the record's, the step is recorded, and the
    confidence is what OCR gave (a change of case claims nothing new)."""
    fields = _read_surely(
        {
            "residential_street": "8753 LINDA LOOP APT. 4",
            "residential_city": "NEW EDWARD",
            "residential_county": "ISABELLA",
            "household_members[0].relationship": "STEP SON",
            "applicant_full_name": "Sandra Bell-Miller",
        }
    )
    run_assembly_steps(templates[FormType.MDHHS_DHS1171], fields)
    assert fields["residential_street"].value == "8753 Linda Loop Apt. 4"
    assert fields["residential_city"].value == "New Edward"
    assert fields["residential_county"].value == "Isabella"
    assert fields["household_members[0].relationship"].value == "stepson"
    for name in ("residential_street", "residential_city", "household_members[0].relationship"):
        assert _steps(fields[name]) == ["normalise.capitals"]
        assert fields[name].confidence == 0.97
    assert fields["applicant_full_name"].provenance == ()


def test_an_agency_in_capitals_keeps_its_acronyms(templates) -> None:  # type: ignore[no-untyped-def]
    fields = _read_surely(
        {
            "reporting_health_department": "HAMILTON CO. HD",
            "interviewer_affiliation": "NC DEPT OF HEALTH",
        }
    )
    run_assembly_steps(templates[FormType.CDC_PUI_2020], fields)
    assert fields["reporting_health_department"].value == "Hamilton Co. HD"
    assert fields["interviewer_affiliation"].value == "NC Dept of Health"


def _era_template(tmp_path):  # type: ignore[no-untyped-def]
    from tests.builders import one_page_template

    properties = {
        "birth_date": {"type": ["string", "null"], "format": "date"},
        "birth_era": {"type": ["string", "null"], "enum": ["showa", "heisei", "reiwa", None]},
    }
    options = [
        {"value": era, "box": [100 + 20 * i, 100, 110 + 20 * i, 110]}
        for i, era in enumerate(["showa", "heisei", "reiwa"])
    ]
    born = {"name": "birth_date", "kind": "era_date", "era_field": "birth_era"}
    return one_page_template(
        tmp_path,
        properties,
        [
            {**born, "region": [10, 10, 90, 30]},
            {"name": "birth_era", "kind": "choice", "options": options},
        ],
    )


def test_an_era_date_takes_its_era_from_the_choice_field(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """GIVEN digits read in the gaps of 年　月　日 and 昭和 ticked WHEN the record is
    assembled THEN the date is ISO in Showa, the step is recorded, and the date is no
    surer than the tick."""
    template = _era_template(tmp_path)
    fields = {
        "birth_date": FieldResult(value="40年3月2日", confidence=0.95, raw_text="40 3 2"),
        "birth_era": FieldResult(value="showa", confidence=0.6),
    }
    run_assembly_steps(template, fields)
    born = fields["birth_date"]
    assert born.value == "1965-03-02"
    assert born.confidence == 0.6
    assert [(p.step, p.before, p.after) for p in born.provenance] == [
        ("normalise.era_field", "40年3月2日", "1965-03-02")
    ]


def test_an_era_date_outside_the_ticked_era_or_without_one_is_dropped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    template = _era_template(tmp_path)
    for era in ("heisei", None):  # Heisei ended in its year 31; no era ticked
        fields = {
            "birth_date": FieldResult(value="40年3月2日", confidence=0.95, raw_text="40 3 2"),
            "birth_era": FieldResult(value=era, confidence=0.97),
        }
        run_assembly_steps(template, fields)
        assert fields["birth_date"].value is None
        assert fields["birth_date"].raw_text == "40 3 2"  # validation reports the writing
        assert _steps(fields["birth_date"]) == ["normalise.era_field"]


def test_a_written_era_wins_over_the_choice_field(tmp_path) -> None:  # type: ignore[no-untyped-def]
    template = _era_template(tmp_path)
    fields = {
        "birth_date": FieldResult(value="1990-04-05", confidence=0.9, raw_text="平成2年4月5日"),
        "birth_era": FieldResult(value="showa", confidence=0.97),
    }
    run_assembly_steps(template, fields)
    assert fields["birth_date"].value == "1990-04-05"
    assert fields["birth_date"].provenance == ()
