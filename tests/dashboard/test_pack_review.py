"""Reviewers correct a form pack's fields in the dashboard as they do a built-in form's:
parsed and checked by the pack's ``schema.json`` (and ``rules.yaml``), stored with the
reviewer's name, the record in ``form_records`` updated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from dashboard.app import create_app
from dashboard.fields import input_hint, parse_input, property_schema
from faxflow.model import Status
from faxflow.settings import Settings
from loaders.load import load_document
from loaders.review import InvalidCorrection
from loaders.tables import fields, form_records, review_events
from tests.builders import add_properties, doc_id, pack_result, pack_settings, source_for
from tests.dashboard.conftest import csrf_of, login

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FAP = "mi_fap_supplement"
NAME = "food_supplement_applicant_full_name_page_1"
HTML = {"accept": "text/html"}


@pytest.fixture
def fap_settings(dash_settings: Settings) -> Settings:
    return dash_settings.model_copy(update={"forms_dir": PROJECT_ROOT / "forms"})


@pytest.fixture
def fap_doc(engine: Engine, fap_settings: Settings) -> str:
    """A FAP supplement waiting for review, from a centre the fixture reviewer sees."""
    record = {NAME: "Ana Ruiz", "anyone_pays_utilities": "no", "pays_utilities_heat": False}
    result = pack_result(40, FAP, record, Status.NEEDS_REVIEW)
    when = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    source = source_for(result, centre="centre-a", received=when)
    load_document(engine, result, source=source, settings=fap_settings)
    return result.document_id


@pytest.fixture
def reviewer(fap_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    app = create_app(fap_settings, engine=engine)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield login(client, "reviewer")


def _stored(engine: Engine, document_id: str) -> dict[str, Any]:
    with engine.connect() as connection:
        record = connection.execute(
            sa.select(form_records.c.record).where(form_records.c.document_id == document_id)
        ).scalar_one()
    return record if isinstance(record, dict) else json.loads(record)


def _correct(client: TestClient, document_id: str, field: str, text: str) -> Any:
    """The review page's correction form, posted; the response, not followed."""
    data = {"value": text, "csrf_token": csrf_of(client)}
    url = f"/documents/{document_id}/fields/{field}"
    return client.post(url, data=data, headers=HTML, follow_redirects=False)


def test_a_reviewer_corrects_a_pack_field(
    reviewer: TestClient, fap_doc: str, engine: Engine
) -> None:
    """GIVEN a FAP supplement in review WHEN a reviewer types "Yes" for a Yes/No question
    THEN the record holds "yes", the field says who corrected it, and the event is kept."""
    page = reviewer.get(f"/documents/{fap_doc}", headers=HTML).text
    assert f"/documents/{fap_doc}/fields/anyone_pays_utilities" in page  # editable
    assert "no / yes (empty = blank)" in page  # the hint from the schema's enum
    response = _correct(reviewer, fap_doc, "anyone_pays_utilities", "Yes")
    assert response.status_code == 303
    assert _stored(engine, fap_doc)["anyone_pays_utilities"] == "yes"
    with engine.connect() as connection:
        field = connection.execute(
            sa.select(fields).where(
                fields.c.document_id == fap_doc, fields.c.name == "anyone_pays_utilities"
            )
        ).one()
        events = connection.execute(
            sa.select(review_events).where(review_events.c.document_id == fap_doc)
        ).all()
    assert (field.decision, field.decided_by, field.reviewed_by) == (
        "corrected",
        "reviewer",
        "reviewer",
    )
    assert field.machine_value == "no"
    assert [(e.action, e.field, e.old_value, e.new_value) for e in events] == [
        ("correct", "anyone_pays_utilities", "no", "yes")
    ]
    _correct(reviewer, fap_doc, "pays_utilities_heat", "x")  # a checkbox too
    assert _stored(engine, fap_doc)["pays_utilities_heat"] is True
    page = reviewer.get(f"/documents/{fap_doc}", headers=HTML).text
    assert "corrected by reviewer" in page


def test_a_pack_field_refuses_what_its_schema_does_not_allow(
    reviewer: TestClient, fap_doc: str, engine: Engine
) -> None:
    response = _correct(reviewer, fap_doc, "anyone_pays_utilities", "perhaps")
    assert response.status_code == 400
    # the message names the field by its schema title and the rule, never the value
    assert "Not saved. Anyone pays utilities: use one of no, yes" in response.text
    state = "anyone_food_assistance_other_state_which_state"
    response = _correct(reviewer, fap_doc, state, "Ohio")
    assert response.status_code == 400
    assert "two-letter state code" in response.text  # rules.yaml's format: state
    assert _stored(engine, fap_doc)["anyone_pays_utilities"] == "no"
    with engine.connect() as connection:
        assert connection.execute(sa.select(review_events)).all() == []


def test_a_pack_fields_formats_numbers_and_bounds(tmp_path: Path) -> None:
    """A pack's schema formats (date, email), number types and bounds, and its rules'
    ranges, decide how typed text is read and what is refused."""
    settings = pack_settings(tmp_path, "household_support", renames={"zip": "moved_in:date"})
    folder = tmp_path / "packs" / "household_support"
    add_properties(
        folder,
        {
            "contact": {"type": ["string", "null"], "format": "email"},
            "people": {"type": ["integer", "null"], "minimum": 1},
            "rent": {"type": ["number", "null"]},
            "score": {"type": "number", "minimum": 0, "maximum": 10},
        },
    )
    (folder / "rules.yaml").write_text("ranges: {people: {max: 20}}\n")
    form = "household_support"

    def parse(name: str, text: str) -> Any:
        return parse_input(form, name, text, settings)

    assert parse("moved_in", "3/4/2020") == "2020-03-04"
    assert input_hint(form, "moved_in", settings) == "YYYY-MM-DD, MM/DD/YYYY or 令和3年4月5日"
    assert parse("contact", " Ana@Example.ORG") == "ana@example.org"
    assert parse("people", "4") == 4
    assert parse("rent", "$1,250.50") == 1250.5  # a plain number is read as money
    assert parse("score", "7.25") == 7.25
    assert input_hint(form, "score", settings) == "amount in dollars, 0 to 10"
    assert input_hint(form, "people", settings) == "whole number, at least 1"
    assert parse("marital", "Sing") == "single"
    assert parse("owns_car", "no") is False
    assert parse("moved_in", "") is None
    for name, text, rule in [
        ("moved_in", "last spring", "YYYY-MM-DD"),
        ("people", "0", "People: a number, 1 to 20"),  # schema.json's minimum
        ("people", "21", "1 to 20"),  # and rules.yaml's max
        ("score", "11", "0 to 10"),
        ("score", "lots", "dollars"),  # a number is money, as validation reads it
        ("contact", "nobody", "valid email"),
        ("marital", "widowed", "use one of"),
    ]:
        with pytest.raises(InvalidCorrection) as caught:
            parse(name, text)
        assert rule in caught.value.message
        assert len(text) < 3 or text not in caught.value.message  # values are never quoted
    assert property_schema(form, "no_such_field", settings) is None
    assert property_schema(form, "household_members[0].ssn", settings) is None
    assert property_schema(form, "owns_car") is None  # without settings: the environment's


def test_a_sensitive_pack_field_is_sealed_when_corrected(tmp_path: Path, engine: Engine) -> None:
    """A corrected SSN-like field of a pack is stored as a token and a masked copy, not
    dropped (the sealed value used to fail the schema check and become NULL)."""
    from loaders.review import apply_correction, undo_correction

    settings = pack_settings(tmp_path, "household_support", renames={"zip": "applicant_ssn"})
    record = {"full_name_applicant": "Ana Ruiz", "applicant_ssn": "123456789"}
    result = pack_result(41, "household_support", record, Status.NEEDS_REVIEW)
    load_document(engine, result, settings=settings)
    value = parse_input("household_support", "applicant_ssn", "987-65-4321", settings)
    apply_correction(engine, doc_id(41), "applicant_ssn", value, reviewer="r", settings=settings)
    stored = _stored(engine, doc_id(41))
    assert stored["applicant_ssn_masked"] == "***-**-4321"
    assert stored["applicant_ssn"] not in (None, "987654321")
    undo_correction(engine, doc_id(41), "applicant_ssn", reviewer="r", settings=settings)
    assert _stored(engine, doc_id(41))["applicant_ssn_masked"] == "***-**-6789"


def test_a_japanese_packs_corrections_are_read_in_its_formats(tmp_path: Path) -> None:
    """A reviewer types a correction of a Japanese pack's field as Japanese write it:
    era dates, full-width digits, half-width katakana, a prefecture's short name."""
    project = Path(__file__).resolve().parents[2]
    settings = Settings(forms_dir=project / "forms", var_dir=tmp_path / "var")
    form = "jp_covid19_notification"

    def parse(name: str, text: str) -> Any:
        return parse_input(form, name, text, settings)

    assert parse("onset_date", "令和3年4月5日") == "2021-04-05"
    assert parse("onset_date", "R3.4.5") == "2021-04-05"
    assert parse("onset_date", "2021-04-05") == "2021-04-05"
    assert parse("patient_postal", "〒１２３－４５６７") == "123-4567"
    assert parse("patient_phone", "03-1234-5678") == "0312345678"
    assert parse("patient_kana", "ﾔﾏﾀﾞ ﾊﾅｺ") == "ヤマダ ハナコ"
    assert parse("patient_prefecture", "東京") == "東京都"
    assert input_hint(form, "patient_postal", settings) == "123-4567"
    for name, text, rule in [
        ("onset_date", "令和3年2月30日", "令和3年4月5日"),  # no such day
        ("patient_postal", "12-345", "123-4567"),
        ("patient_phone", "1234", "10 or 11 digits"),
        ("patient_kana", "やまだ", "katakana"),  # hiragana: the writer's script is kept
        ("patient_prefecture", "東京州", "47 prefectures"),
    ]:
        with pytest.raises(InvalidCorrection) as caught:
            parse(name, text)
        assert rule in caught.value.message
        assert text not in caught.value.message  # values are never quoted


def test_a_japanese_packs_choices_are_shown_hinted_and_read_by_their_titles(
    tmp_path: Path,
) -> None:
    """GIVEN the notification pack, whose schema names its choices in Japanese
    (x-enum-titles), WHEN a reviewer sees and corrects them, THEN the value shows as its
    title, the hint lists titles, and a title typed (full-width or not) is read back as the
    stored value, which stays the language-neutral code."""
    from dashboard.fields import display_value
    from faxflow.packs import choice_titles

    project = Path(__file__).resolve().parents[2]
    settings = Settings(forms_dir=project / "forms", var_dir=tmp_path / "var")
    form = "jp_covid19_notification"
    category = property_schema(form, "category", settings)
    assert category is not None
    titles = choice_titles(category)
    assert display_value("suspected", titles) == "疑似症患者"
    assert display_value("suspected") == "suspected"  # without titles: the code
    assert "無症状病原体保有者" in input_hint(form, "category", settings)
    assert parse_input(form, "category", "疑似症患者", settings) == "suspected"
    assert parse_input(form, "sex", "女", settings) == "female"
    assert parse_input(form, "sex", "female", settings) == "female"  # codes still work
    assert parse_input(form, "birth_era", "令和", settings) == "reiwa"
    with pytest.raises(InvalidCorrection) as caught:
        parse_input(form, "sex", "不明", settings)
    assert "男, 女" in caught.value.message and "不明" not in caught.value.message
