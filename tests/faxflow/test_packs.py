"""The form-pack registry: finding packs, loading them, coded problems."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from faxflow.errors import ErrorCode, ExitCode, PackError, exit_code_for
from faxflow.packs import check_pack, find_packs, load_pack, pack_templates
from faxflow.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FORMS_DIR = PROJECT_ROOT / "forms"
FAP = FORMS_DIR / "mi_fap_supplement"


@pytest.fixture
def fap_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "packs" / "mi_fap_supplement"
    shutil.copytree(FAP, folder)
    return folder


def test_registry_finds_built_in_forms_and_packs_under_the_forms_dir():
    settings = Settings(forms_dir=FORMS_DIR)
    packs = find_packs(settings)
    assert set(packs) == {
        "cdc_pui_2020",
        "mdhhs_dhs1171",
        "mi_fap_supplement",
        "jp_covid19_notification",
        "jp_special_cash_payment",
    }
    fap = packs["mi_fap_supplement"]
    assert fap.rules is not None and fap.aggregates is not None
    assert fap.rules.required == ["food_supplement_applicant_full_name_page_1"]
    assert fap.rules.conditional[0].if_field == "anyone_buys_food_separately"
    assert fap.schema["properties"]["anyone_pays_utilities"]["enum"] == ["no", "yes", None]
    cdc = packs["cdc_pui_2020"]
    assert cdc.builtin and not fap.builtin  # schema and most rules still Python
    assert cdc.rules is not None and cdc.rules.identity is not None
    assert cdc.rules.identity.birth_date == "date_of_birth"
    templates = pack_templates(settings)
    assert templates["mi_fap_supplement"].record_type == "mi_fap_supplement"


def test_without_a_forms_dir_only_the_built_in_forms_are_found():
    assert set(pack_templates(Settings())) == {"cdc_pui_2020", "mdhhs_dhs1171"}


def test_a_complete_pack_has_no_problems(fap_copy: Path):
    pack, problems = check_pack(fap_copy)
    assert problems == []
    assert pack is not None and pack.field_titles()["pays_utilities_heat"] == "Pays utilities heat"


def test_every_fault_is_listed_with_its_code(fap_copy: Path):
    (fap_copy / "SOURCES.md").unlink()
    (fap_copy / "rules.yaml").write_text(
        "required: [no_such_field]\nranges: {x: {min: 1, maximum: 3}}\n", encoding="utf-8"
    )
    (fap_copy / "aggregates.yaml").write_text("group_by: [nor_this]\n", encoding="utf-8")
    pack, problems = check_pack(fap_copy)
    assert pack is None
    codes = sorted((p.code, p.file) for p in problems)
    assert codes == [
        ("pack_bad_rules", "rules.yaml"),
        ("pack_missing_file", "SOURCES.md"),
        ("pack_unknown_field", "aggregates.yaml"),
    ]


def test_rules_naming_unknown_fields_are_reported(fap_copy: Path):
    (fap_copy / "rules.yaml").write_text(
        "required: [no_such_field]\ndate_order: [[a_date, b_date]]\n", encoding="utf-8"
    )
    _, problems = check_pack(fap_copy)
    assert [(p.code, p.message.split()[0]) for p in problems] == [
        ("pack_unknown_field", "no_such_field"),
        ("pack_unknown_field", "a_date"),
        ("pack_unknown_field", "b_date"),
    ]


def test_a_broken_schema_keeps_the_pack_from_loading(fap_copy: Path):
    (fap_copy / "schema.json").write_text('{"properties": {"a": {"type": 7}}}', encoding="utf-8")
    with pytest.raises(PackError) as caught:
        load_pack(fap_copy)
    assert caught.value.code is ErrorCode.PACK
    assert [p.code for p in caught.value.problems] == ["pack_bad_schema"]
    assert exit_code_for(caught.value) is ExitCode.BAD_ARGS


def test_a_template_field_missing_from_the_schema_is_a_template_problem(fap_copy: Path):
    schema = (fap_copy / "schema.json").read_text(encoding="utf-8")
    (fap_copy / "schema.json").write_text(
        schema.replace('"pays_utilities_heat"', '"pays_utilities_heating"'), encoding="utf-8"
    )
    _, problems = check_pack(fap_copy)
    assert {p.code for p in problems} == {"pack_bad_template"}
    assert "pays_utilities_heat" in problems[0].message


def test_folder_and_form_names_must_agree_and_be_safe(tmp_path: Path):
    folder = tmp_path / "Bad-Name"
    shutil.copytree(FAP, folder)
    _, problems = check_pack(folder)
    assert {p.code for p in problems} == {"pack_bad_name", "pack_name_mismatch"}


def test_a_name_that_would_clash_with_another_packs_counts_is_refused(tmp_path: Path):
    # Pack "x_counts" would own the view form_x_counts, which is pack "x"'s counts.
    folder = tmp_path / "mi_fap_supplement_counts"
    shutil.copytree(FAP, folder)
    _, problems = check_pack(folder)
    assert "pack_reserved_name" in {p.code for p in problems}


def test_two_packs_with_one_name_are_refused(tmp_path: Path, fap_copy: Path):
    shutil.copytree(FAP, tmp_path / "more" / "mi_fap_supplement")
    settings = Settings(forms_dir=fap_copy.parent, templates_dir=tmp_path / "more")
    with pytest.raises(PackError) as caught:
        find_packs(settings)
    assert [p.code for p in caught.value.problems] == ["pack_duplicate"]


def test_a_forms_dir_that_is_not_a_folder_is_a_configuration_error(tmp_path: Path):
    from faxflow.errors import ConfigError

    with pytest.raises(ConfigError, match="is not a folder"):
        find_packs(Settings(forms_dir=tmp_path / "no-such-folder"))


def test_choice_titles_must_name_enum_values_once_each(fap_copy: Path):
    """x-enum-titles name a property's enum values for people: a title for a value the
    enum lacks, or one title for two values (a correction typed as it could not be read
    back), keeps the pack from loading; good titles load."""
    import json

    path = fap_copy / "schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    prop = schema["properties"]["anyone_pays_utilities"]
    for titles, problem in [
        ({"yes": "はい", "maybe": "たぶん"}, "does not have: maybe"),
        ({"yes": "はい", "no": "はい"}, "two values one title"),
        ({"yes": 1}, "must map values to text"),
    ]:
        prop["x-enum-titles"] = titles
        path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
        with pytest.raises(PackError) as caught:
            load_pack(fap_copy)
        assert [p.code for p in caught.value.problems] == ["pack_bad_schema"]
        assert problem in caught.value.problems[0].message
    prop["x-enum-titles"] = {"yes": "はい", "no": "いいえ"}
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    assert check_pack(fap_copy)[1] == []


def test_a_field_checked_in_a_format_must_be_read_in_it(fap_copy: Path):
    """GIVEN rules.yaml checking a field as a state WHEN its template reads it as free text
    THEN the pack does not load (pack_kind_mismatch naming the field and the kind to give):
    read as text, 'va' would stay as written and fail its check on every copy."""
    template = fap_copy / "template.yaml"
    text = template.read_text(encoding="utf-8")
    field = "anyone_food_assistance_other_state_which_state"
    at = text.index(f"- name: {field}\n")
    end = text.index("- name:", at + 1)
    template.write_text(
        text[:at] + text[at:end].replace("kind: state", "kind: text") + text[end:],
        encoding="utf-8",
    )
    # without the schema's pattern (which the template check holds to a kind too), the
    # rules' format alone
    path = fap_copy / "schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    del schema["properties"][field]["pattern"]
    path.write_text(json.dumps(schema), encoding="utf-8")
    with pytest.raises(PackError) as caught:
        load_pack(fap_copy)
    problems = caught.value.problems
    assert [p.code for p in problems] == ["pack_kind_mismatch"]
    assert field in problems[0].message and "kind state" in problems[0].message
