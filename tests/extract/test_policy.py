"""The repair policy (extract/policy.py, docs/extraction.md): a repair changes only what OCR
doubted, never turns one valid value into another, never adds characters.

The first tests write real values onto the real blank forms with PIL, at form-like size,
fax them (threshold, specks, a tilt) and run the real read → assembly path; the rest check
the policy over the step list for any input (hypothesis)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from extract.extractor import extract_document
from extract.policy import adds_characters, permits, valid_name_word
from extract.reference import ReferencePage, reference_pages
from extract.steps import STEPS, Stage, run_assembly_steps
from extract.template import FieldKind, FormTemplate
from faxflow.model import CleanPage, FieldResult, FormType
from faxflow.settings import Settings
from tests.extract.synthetic import Style, fax, fill_page, move

DPI = 200


def _faxed(image: np.ndarray, seed: int) -> list[CleanPage]:
    page = fax(move(image, angle=0.6, shift=(6, 4)), seed=seed)
    return [CleanPage(number=1, image=page, dpi=DPI, rotation=0, skew_degrees=0.0)]


def _provenance(result: FieldResult) -> list[tuple[str, object, object]]:
    return [(p.step, p.before, p.after) for p in result.provenance]


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("policy")
    return Settings(var_dir=root / "var", database_url=f"sqlite:///{root / 'ff.db'}")


@pytest.fixture(scope="module")
def cdc_read(templates, cdc_pages, module_settings) -> Mapping[str, FieldResult]:  # type: ignore[no-untyped-def]
    """A CDC first page filled in by somebody else's hand: modern given names, an address
    unrelated to the person's name, IDs without a state prefix, and a county misspelt
    ('Wayme', which Tesseract reads as written but doubts: 0.87 when this test was
    written)."""
    template = templates[FormType.CDC_PUI_2020]
    values = {
        "patient_first_name": "Jaxon",
        "patient_last_name": "Abdullahi",
        "interviewer_first_name": "Jill",
        "interviewer_last_name": "Ullrich",
        "interviewer_email": "jill.rich@gmail.com",
        "case_state_local_id": "M-2020-0042",
        "nndss_case_id": "OHD123456",
        "reporting_jurisdiction": "Michigan",
        "state_of_residence": "Michigan",
        "county_of_residence": "Wayme",
    }
    style = Style(font_index=4, size_pt=10)
    image = fill_page(cdc_pages[0].image, template, 1, values, dpi=DPI, style=style, seed=3)
    out = extract_document(_faxed(image, 3), settings=module_settings, templates=templates)
    assert out.extraction.form_type is FormType.CDC_PUI_2020
    return out.extraction.fields


@pytest.mark.slow
def test_valid_modern_given_names_stay_as_written(cdc_read) -> None:  # type: ignore[no-untyped-def]
    # Jaxon is one look-alike from Jason in the 1990 census lists; Abdullahi one letter
    # from Abdullah. Both are names: no repair may touch them.
    assert cdc_read["patient_first_name"].value == "Jaxon"
    assert cdc_read["patient_last_name"].value == "Abdullahi"
    assert not [p for p in cdc_read["patient_first_name"].provenance if p.step.startswith("repair")]


@pytest.mark.slow
def test_an_address_unrelated_to_the_name_stays(cdc_read) -> None:  # type: ignore[no-untyped-def]
    # Beside a person named Ullrich, 'jill.rich@' was once rebuilt as 'ullrich@'.
    assert cdc_read["interviewer_last_name"].value == "Ullrich"
    assert cdc_read["interviewer_email"].value == "jill.rich@gmail.com"


@pytest.mark.slow
def test_ids_get_no_guessed_state_prefix(cdc_read) -> None:  # type: ignore[no-untyped-def]
    # The document names Michigan; the IDs were written without MI / with OHD.
    assert cdc_read["reporting_jurisdiction"].value == "Michigan"
    assert cdc_read["case_state_local_id"].value == "M-2020-0042"
    assert cdc_read["nndss_case_id"].value == "OHD123456"


@pytest.mark.slow
def test_a_doubtful_misread_is_repaired_with_provenance(cdc_read) -> None:  # type: ignore[no-untyped-def]
    county = cdc_read["county_of_residence"]
    assert county.raw_text == "Wayme"
    assert any(confidence < 0.9 for _, confidence in county.words)  # OCR doubted it
    assert county.value == "Wayne"  # the one Michigan county it is a near-miss of
    assert _provenance(county) == [("repair.county", "Wayme", "Wayne")]
    assert county.confidence <= 0.85  # a repaired value is never trusted like a read one


@pytest.fixture(scope="module")
def dhs_pages(templates, cache_root) -> tuple[ReferencePage, ...]:  # type: ignore[no-untyped-def]
    return reference_pages(templates[FormType.MDHHS_DHS1171], dpi=DPI, cache_root=cache_root)


def _dhs_read(templates, dhs_pages, settings, values: Mapping[str, str]) -> dict[str, FieldResult]:  # type: ignore[no-untyped-def]
    """``values`` written on the DHS-1171's pages that hold them, each faxed and read on
    its own."""
    template = templates[FormType.MDHHS_DHS1171]
    found: dict[str, FieldResult] = {}
    style = Style(font_index=4, size_pt=10, dx_pt=4)
    pages = sorted({spec.page for spec in template.fields if spec.name in values}, reverse=True)
    for page in pages:
        image = fill_page(
            dhs_pages[page - 1].image, template, page, values, dpi=DPI, style=style, seed=page
        )
        out = extract_document(_faxed(image, page), settings=settings, templates=templates)
        on_page = {spec.name for spec in template.fields_on_page(page)}
        found.update({k: v for k, v in out.extraction.fields.items() if k in on_page})
    return found


@pytest.mark.slow
def test_a_middle_initial_without_a_stop_stays_without(templates, dhs_pages, settings) -> None:  # type: ignore[no-untyped-def]
    values = {"applicant_full_name": "Emersyn Q Ross", "email": "mdhhs-covid@michigan.gov"}
    found = _dhs_read(templates, dhs_pages, settings, values)
    assert found["applicant_full_name"].value == "Emersyn Q Ross"
    assert found["email"].value == "mdhhs-covid@michigan.gov"


@pytest.mark.slow
def test_a_block_capital_name_is_read_in_name_case(templates, dhs_pages, settings) -> None:  # type: ignore[no-untyped-def]
    """Forms ask people to print in capitals; the record keeps the letters written, in the
    spec's name case, and says that it changed the case."""
    found = _dhs_read(templates, dhs_pages, settings, {"applicant_full_name": "EMERSYN Q ROSS"})
    name = found["applicant_full_name"]
    assert name.value == "Emersyn Q Ross"
    assert [after for step, _, after in _provenance(name) if step == "normalise"] == [
        "Emersyn Q Ross"
    ]


@pytest.mark.slow
def test_a_street_town_and_relationship_in_block_capitals_keep_their_letters(  # type: ignore[no-untyped-def]
    templates, dhs_pages, settings
) -> None:
    """Printed in capitals, faxed and read: the record has the same letters in its own
    case, and the provenance says the case changed and nothing else."""
    values = {
        "residential_street": "8753 LINDA LOOP",
        "residential_city": "NEW EDWARD",
        "household_members[0].full_name": "JESSICA MILLER",
        "household_members[0].relationship": "STEPSON",
    }
    found = _dhs_read(templates, dhs_pages, settings, values)
    assert found["residential_street"].value == "8753 Linda Loop"
    assert found["residential_city"].value == "New Edward"
    assert found["household_members[0].relationship"].value == "stepson"
    for name in ("residential_street", "residential_city", "household_members[0].relationship"):
        steps = _provenance(found[name])
        assert ("normalise.capitals", values[name], found[name].value) in steps


# --------------------------------------------------------------------------------------
# The policy over the step list, for any input
# --------------------------------------------------------------------------------------

REPAIR_STEPS = [s for s in STEPS if s.body is not None]
_name_word = st.from_regex(r"[A-Z][a-z]{2,9}", fullmatch=True)


def test_every_step_has_a_stage_in_order_and_a_unique_name() -> None:
    stages = [s.stage for s in STEPS]
    order = list(Stage)
    assert stages == sorted(stages, key=order.index)  # read → reread → normalise → repair → check
    assert len({s.name for s in STEPS}) == len(STEPS)
    assembly = {s.name for s in REPAIR_STEPS if s.stage not in (Stage.REPAIR, Stage.CHECK)}
    # the normal forms that need more than the reading: a field's words, an era's choice
    assert assembly == {"normalise.capitals", "normalise.era_field"}
    assert all(s.name.startswith(s.stage.value) for s in STEPS)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=_name_word, last=_name_word, initial=st.sampled_from("ABCQXZ"))
def test_valid_names_are_never_changed_by_any_step(templates, first, last, initial) -> None:  # type: ignore[no-untyped-def]
    """GIVEN any name made of name-shaped words, read even doubtfully, THEN no assembly step
    changes it (they may lower its confidence)."""
    name = f"{first} {initial} {last}"
    assert all(valid_name_word(w) for w in name.split())
    fields = {"applicant_full_name": FieldResult(value=name, confidence=0.5, raw_text=name)}
    run_assembly_steps(templates[FormType.MDHHS_DHS1171], fields)
    assert fields["applicant_full_name"].value == name
    assert fields["applicant_full_name"].provenance == ()


_local = st.from_regex(r"[a-z][a-z0-9]{1,8}(\.[a-z]{2,8})?", fullmatch=True)
_domain = st.sampled_from(["gmail.com", "gmall.com", "michigan.gov", "yahoo.com", "outlogk.com"])


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(local=_local, domain=_domain, first=_name_word, last=_name_word)
def test_well_formed_addresses_are_never_changed(templates, local, domain, first, last) -> None:  # type: ignore[no-untyped-def]
    from extract.normalise import normalise_email

    address = f"{local}@{domain}"
    assert normalise_email(address) == address  # the normaliser keeps a valid address
    fields = {
        "interviewer_first_name": FieldResult(value=first, confidence=0.95),
        "interviewer_last_name": FieldResult(value=last, confidence=0.95),
        "interviewer_email": FieldResult(value=address, confidence=0.5, raw_text=address),
    }
    run_assembly_steps(templates[FormType.CDC_PUI_2020], fields)
    assert fields["interviewer_email"].value == address


_id = st.from_regex(r"[A-Z]{0,3}[0-9]{2,9}(-[0-9]{2,6}){0,2}", fullmatch=True)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(identifier=_id, state=st.sampled_from(["Michigan", "Ohio", "Illinois"]))
def test_valid_ids_are_never_changed(templates, identifier, state) -> None:  # type: ignore[no-untyped-def]
    from extract.normalise import normalise_identifier

    assert normalise_identifier(identifier) == identifier
    fields = {
        "reporting_jurisdiction": FieldResult(value=state, confidence=0.95),
        "case_state_local_id": FieldResult(value=identifier, confidence=0.4),
    }
    run_assembly_steps(templates[FormType.CDC_PUI_2020], fields)
    assert fields["case_state_local_id"].value == identifier


_reading = st.text(alphabet=st.sampled_from("abcdeilmnorstuMIOHQ01.- ,'"), min_size=1, max_size=24)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_reading, kind=st.sampled_from(list(FieldKind)), confidence=st.floats(0.0, 1.0))
def test_no_permitted_change_adds_characters(text, kind, confidence) -> None:  # type: ignore[no-untyped-def]
    """Whatever a step proposes, the policy lets through no value longer than what was
    read, nor one with more marks (an added full stop or hyphen), unless only case and
    white space differ."""
    result = FieldResult(value=text, confidence=confidence, raw_text=text)
    for after in (text + ".", "MI" + text, text.replace(" ", ". ", 1), text + "x"):
        if after.replace(" ", "").lower() == text.replace(" ", "").lower():
            continue
        assert not permits(kind, result, text, after)


@hsettings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.lists(st.from_regex(r"[A-Za-z0-9.|]{1,9}", fullmatch=True), min_size=1, max_size=3))
def test_the_steps_on_any_reading_add_nothing_and_record_every_change(templates, name) -> None:  # type: ignore[no-untyped-def]
    """GIVEN any name reading, THEN what the steps make of it is no longer than what was
    read (white space aside), and every change is in its provenance, chained from the
    reading to the value."""
    text = " ".join(name)
    fields = {"applicant_full_name": FieldResult(value=text, confidence=0.3, raw_text=text)}
    run_assembly_steps(templates[FormType.MDHHS_DHS1171], fields)
    result = fields["applicant_full_name"]
    if result.value is not None:
        assert not adds_characters(text, result.value) or (
            result.value.replace(" ", "").lower() == text.replace(" ", "").lower()
        )
    chain = [text, *[p.after for p in result.provenance]]
    assert chain[-1] == result.value
    assert all(p.before == chain[i] for i, p in enumerate(result.provenance))
    assert all(p.step in {s.name for s in REPAIR_STEPS} for p in result.provenance)


def test_a_doubted_malformed_word_is_repaired_and_recorded(templates) -> None:  # type: ignore[no-untyped-def]
    """A word OCR doubted that is no valid name word ('Ty.ler': a speck inside it) is
    repaired; the same reading with the word read surely is not."""
    template: FormTemplate = templates[FormType.MDHHS_DHS1171]
    words = (("Ty.ler", 0.62), ("Ross", 0.96))
    fields = {
        "applicant_full_name": FieldResult(
            value="Ty.ler Ross", confidence=0.7, raw_text="Ty.ler Ross", words=words
        )
    }
    run_assembly_steps(template, fields)
    result = fields["applicant_full_name"]
    assert result.value == "Tyler Ross"
    assert _provenance(result) == [("repair.name_spelling", "Ty.ler Ross", "Tyler Ross")]
    assert result.confidence <= 0.7
    sure = {
        "applicant_full_name": FieldResult(
            value="Ty.ler Ross", confidence=0.95, words=(("Ty.ler", 0.95), ("Ross", 0.96))
        )
    }
    run_assembly_steps(template, sure)
    assert sure["applicant_full_name"].value == "Ty.ler Ross"
    assert sure["applicant_full_name"].provenance == ()
