"""A form pack works end to end with no code: a filled, faxed copy of the committed FAP
supplement pack's blank is classified as the pack's form, read, validated against the
pack's schema and rules, and loaded into ``form_records`` and the pack's typed view."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from faxflow.packs import load_pack
from samples.pack_fill import draw_record, faxed_copy, widget_values, written
from tests.builders import add_properties, pack_settings
from tests.processes import run_faxflow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FORMS_DIR = PROJECT_ROOT / "forms"
FAP = FORMS_DIR / "mi_fap_supplement"


def test_records_follow_the_schema_and_land_in_their_widgets():
    pack = load_pack(FAP)
    record = draw_record(pack, np.random.default_rng(5))
    assert set(record) == set(pack.schema["properties"])
    for name, value in record.items():
        prop = pack.schema["properties"][name]
        if "enum" in prop:
            assert value in prop["enum"]
        elif prop["type"] == ["boolean", "null"]:
            assert isinstance(value, bool)
    values = widget_values(
        pack,
        {
            **record,
            "anyone_pays_utilities": "yes",
            "anyone_pays_extra_air_conditioning": "no",
            "pays_utilities_heat": True,
        },
    )
    assert values["anyone_pays_utilities"] == "/Yes"  # a radio group's export value
    assert values["anyone_pays_extra_air_conditioning_no"][0] == "X"  # a box cell
    assert values["pays_utilities_heat"] == "/Yes"


def test_values_follow_the_fields_formats_and_number_types(tmp_path: Path):
    """Drawn records pass the pack's own format, type and bounds checks (dates in the
    past), and the form shows each value as a person writes it."""
    import jsonschema

    from faxflow.packs import PackRules
    from validate.declared import check_declared

    pack_settings(tmp_path, "household_support", renames={"zip": "moved_in:date"})
    folder = tmp_path / "packs" / "household_support"
    add_properties(
        folder,
        {
            "contact_email": {"type": ["string", "null"]},  # email by its name
            "home_phone": {"type": ["string", "null"], "pattern": r"^\d{10}$"},
            "applicant_ssn": {"type": ["string", "null"], "pattern": r"^\d{9}$"},
            "post_code": {"type": ["string", "null"]},
            "people": {"type": ["integer", "null"], "minimum": 1, "maximum": 9},
            "rent": {"type": ["number", "null"]},
            "score": {"type": ["null", "number"], "minimum": 2.5, "maximum": 4},
            "note": {"type": ["string", "null"], "maxLength": 4},
            "household_size": {"type": ["integer", "null"], "minimum": 0},
        },
    )
    (folder / "rules.yaml").write_text("formats: {post_code: zip, household_size: integer}\n")
    pack = load_pack(folder)
    seen: dict[str, set[type]] = {}
    for seed in range(40):
        record = draw_record(pack, np.random.default_rng(seed))
        issues = check_declared(pack.rules or PackRules(), pack.schema, record, {})
        assert issues == [], (seed, issues)
        jsonschema.Draft202012Validator(pack.schema).validate(record)
        for name, value in record.items():
            seen.setdefault(name, set()).add(type(value))
    assert seen["people"] == {int, type(None)} and float in seen["rent"]
    assert seen["household_size"] == {int, type(None)}  # a count, drawn as one
    assert str in seen["moved_in"] and str in seen["post_code"]
    assert written("date", "2020-03-04") == "03/04/2020"
    assert written("phone", "5551234567") == "(555) 123-4567"
    assert written("ssn", "123456789") == "123-45-6789"
    assert written("money", 1250.5) == "1,250.50"
    assert written(None, 3) == "3"
    # the renamed field keeps the ZIP's five cells: a date written 03/04/2020 does not fit,
    # so its digits go a cell each, as far as there are cells
    values = widget_values(pack, {"moved_in": "2020-03-04"})
    assert {name: v[0] for name, v in values.items()} == {
        f"moved_in_{i}": digit for i, digit in enumerate("03042")
    }


def test_comb_cells_take_a_character_each(tmp_path: Path):
    """A comb field (the ZIP's five cells zip_0 … zip_4) is filled a character a cell,
    digits only for a number format; a PDF has no widget named after the comb's stem."""
    pack_settings(tmp_path, "household_support", renames={})
    pack = load_pack(tmp_path / "packs" / "household_support")
    values = widget_values(pack, {"zip": "48296", "full_name_applicant": "Ana Ruiz"})
    assert {name: value[0] for name, value in values.items()} == {
        "Full Name (Applicant)": "Ana Ruiz",
        **{f"zip_{i}": digit for i, digit in enumerate("48296")},
    }


def test_free_text_in_a_comb_is_drawn_to_fit_its_cells(tmp_path: Path):
    """A free-text comb shows nothing past its last cell, so a drawn value is no longer
    than its cells and the copy shows exactly what the truth holds (two-word values
    longer than the cells were cut on the form but kept whole in the truth)."""
    pack_settings(tmp_path, "household_support", renames={"zip": "box_code"})
    pack = load_pack(tmp_path / "packs" / "household_support")
    cells = next(len(spec.boxes) for spec in pack.template.fields if spec.name == "box_code")
    drawn = [draw_record(pack, np.random.default_rng(seed))["box_code"] for seed in range(60)]
    written_values = [value for value in drawn if value]
    assert written_values and all(len(value) <= cells for value in written_values)
    for value in written_values:
        shown = widget_values(pack, {"box_code": value})
        assert "".join(shown[f"box_code_{i}"][0] for i in range(len(value))) == value
        assert len(shown) == len(value)


@pytest.mark.slow
def test_a_faxed_fap_copy_is_read_validated_and_loaded(tmp_path: Path):
    pack = load_pack(FAP)
    rng = np.random.default_rng([2026, 1])
    truth = draw_record(pack, rng)
    truth["food_supplement_applicant_full_name_page_1"] = "Grace Brewer"
    truth["anyone_buys_food_separately"] = "yes"
    truth["anyone_buys_food_separately_names"] = None  # the rule: yes needs "who?"
    fax = faxed_copy(pack, truth, tmp_path / "fap.tif", profile="fax_fine", rng=rng)
    db = tmp_path / "faxflow.db"
    run = run_faxflow(
        "process", str(fax), "--out", str(tmp_path / "out"), forms_dir=FORMS_DIR, scratch=tmp_path
    )
    assert run.returncode in (0, 1), run.stderr  # accepted or needs review
    result = json.loads((tmp_path / "out" / "fap.json").read_text())
    assert (result["form_type"], result["record_type"]) == ("mi_fap_supplement",) * 2
    record = result["record"]
    assert set(record) == set(pack.schema["properties"])
    right = [name for name, value in truth.items() if record[name] == value]
    assert len(right) >= 0.85 * len(truth), sorted(set(truth) - set(right))
    assert record["food_supplement_applicant_full_name_page_1"] == "Grace Brewer"
    issues = {(i["field"], i["code"]) for i in result["issues"]}
    assert ("anyone_buys_food_separately_names", "missing_required") in issues
    assert result["status"] == "needs_review"

    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT form_type, record FROM form_records")).one()
        view = connection.execute(
            sa.text(
                "SELECT status, food_supplement_applicant_full_name_page_1, pays_utilities_heat"
                " FROM form_mi_fap_supplement"
            )
        ).one()
    assert stored.form_type == "mi_fap_supplement"
    assert json.loads(stored.record)["food_supplement_applicant_full_name_page_1"] == "Grace Brewer"
    assert view.status == "needs_review"
    assert view.food_supplement_applicant_full_name_page_1 == "Grace Brewer"
    assert bool(view.pays_utilities_heat) is record["pays_utilities_heat"]
