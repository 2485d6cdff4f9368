"""The Japanese packs (issue #23): forms/jp_covid19_notification and
forms/jp_special_cash_payment, whole (forms check, the template regenerated from its
labels) and as data (rules, aggregates, era dates)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

from faxflow.packs import FormatName, PackAggregates, PackRules, check_pack
from samples.jp_blanks import ERAS

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"
PACKS = ("jp_covid19_notification", "jp_special_cash_payment")


def _read(name: str, file: str) -> Any:
    text = (FORMS_DIR / name / file).read_text(encoding="utf-8")
    return json.loads(text) if file.endswith(".json") else yaml.safe_load(text)


@pytest.mark.parametrize("name", PACKS)
def test_the_pack_checks_clean(name: str) -> None:
    pack, problems = check_pack(FORMS_DIR / name)
    assert problems == [] and pack is not None
    assert len(pack.template.fields) == len(pack.schema["properties"])


@pytest.mark.parametrize("name", PACKS)
def test_the_labels_regenerate_the_template(name: str) -> None:
    """labels.yaml was edited, template.yaml edited the same way: the first still
    regenerates the second (the command is in the template's header)."""
    from extract.from_pdf import load_label_map, template_from_pdf, template_to_yaml

    folder = FORMS_DIR / name
    labels = load_label_map(folder / "labels.yaml")
    draft = template_from_pdf(folder / "blank.pdf", name, labels, record_type=name)
    committed = (folder / "template.yaml").read_text(encoding="utf-8")
    body = "".join(line for line in committed.splitlines(True) if not line.startswith("#"))
    assert draft.problems == ()
    assert template_to_yaml(draft.template) == body


@pytest.mark.parametrize("name", PACKS)
def test_rules_and_aggregates_name_only_schema_fields(name: str) -> None:
    properties = _read(name, "schema.json")["properties"]
    rules = _read(name, "rules.yaml")
    assert set(rules["formats"].values()) <= set(get_args(FormatName))
    checked = PackRules.model_validate(rules)
    assert set(checked.field_names()) <= set(properties)
    assert set(PackAggregates.model_validate(_read(name, "aggregates.yaml")).group_by) <= set(
        properties
    )
    assert checked.identity is not None and checked.identity.birth_date in properties


@pytest.mark.parametrize("name", PACKS)
def test_every_date_is_an_era_date_with_its_era(name: str) -> None:
    """A date property is read as an era date; one with a printed 令和 says so, a birth
    date names the choice field of its era squares, whose values are the five eras."""
    properties = _read(name, "schema.json")["properties"]
    fields = {f["name"]: f for f in _read(name, "template.yaml")["fields"]}
    labels = _read(name, "labels.yaml")["fields"]
    for prop_name, prop in properties.items():
        field = fields[prop_name]
        assert labels[prop_name]["kind"] == field["kind"], prop_name
        if prop.get("format") != "date":
            assert field["kind"] != "era_date", prop_name
            continue
        assert field["kind"] == "era_date", prop_name
        if "era_field" in field:
            era_field = fields[field["era_field"]]
            assert era_field["kind"] == "choice"
            assert [o["value"] for o in era_field["options"]] == [e for e, _ in ERAS]
        elif "birth" not in prop_name:
            assert field.get("era") == "reiwa", prop_name


def test_the_notification_orders_its_dates_and_counts_by_place_and_category() -> None:
    rules = _read("jp_covid19_notification", "rules.yaml")
    order = {tuple(pair) for pair in rules["date_order"]}
    assert {("onset_date", "diagnosis_date"), ("diagnosis_date", "report_date")} <= order
    assert _read("jp_covid19_notification", "aggregates.yaml")["group_by"] == [
        "patient_prefecture",
        "health_centre",
        "category",
    ]
    assert rules["identity"]["names"] == ["patient_name"]
