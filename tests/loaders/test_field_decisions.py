"""Who decided each field: auto, confirmed or corrected, by whom and when."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from faxflow.model import FieldResult, Status
from loaders.load import load_document
from loaders.review import apply_correction, approve, confirm_field, get_document, undo_correction
from loaders.tables import fields, review_events
from tests.loaders.conftest import infection_result


def _field(value: str, *, doubt: str | None) -> FieldResult:
    return FieldResult(
        value=value,
        confidence=0.5 if doubt else 0.99,
        page=1,
        bbox=(10, 20, 110, 40),
        needs_review=doubt is not None,
        review_reason=doubt,
    )


def _decisions(engine: Engine, document_id: str) -> dict[str, tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                fields.c.name,
                fields.c.needs_review,
                fields.c.review_reason,
                fields.c.decision,
                fields.c.decided_by,
            ).where(fields.c.document_id == document_id)
        ).all()
    return {r.name: (r.needs_review, r.review_reason, r.decision, r.decided_by) for r in rows}


def _doubtful_document(engine: Engine) -> str:
    result = infection_result(
        1,
        status=Status.NEEDS_REVIEW,
        fields={
            "sex": _field("male", doubt=None),
            "onset_date": _field("2020-03-01", doubt="low_confidence"),
            "patient_last_name": _field("Doe", doubt="low_confidence"),
            "died": _field("no", doubt="unvalidated"),
        },
    )
    load_document(engine, result)
    return result.document_id


def test_load_stores_routing_and_auto_decisions(engine: Engine) -> None:
    doc = _doubtful_document(engine)
    decided = _decisions(engine, doc)
    assert decided["sex"] == (False, None, "auto", "faxflow")
    assert decided["onset_date"] == (True, "low_confidence", None, None)
    assert decided["died"] == (True, "unvalidated", None, None)


def test_confirm_correct_and_approve_record_who_decided(engine: Engine) -> None:
    doc = _doubtful_document(engine)
    confirm_field(engine, doc, "onset_date", reviewer="ana")
    apply_correction(engine, doc, "patient_last_name", "Dole", reviewer="ben")
    decided = _decisions(engine, doc)
    assert decided["onset_date"][2:] == ("confirmed", "ana")
    assert decided["patient_last_name"][2:] == ("corrected", "ben")
    assert decided["died"][2:] == (None, None)  # still waiting
    approve(engine, doc, reviewer="cleo")
    decided = _decisions(engine, doc)
    assert decided["died"][2:] == ("confirmed", "cleo")  # the approver vouched for it
    assert decided["sex"][2:] == ("auto", "faxflow")  # untouched by a person
    view = get_document(engine, doc).field("onset_date")
    assert view is not None and view.decision == "confirmed" and view.needs_review is True


def test_decisions_survive_a_reload_and_undo_returns_the_field_to_waiting(
    engine: Engine,
) -> None:
    doc = _doubtful_document(engine)
    confirm_field(engine, doc, "onset_date", reviewer="ana")
    apply_correction(engine, doc, "patient_last_name", "Dole", reviewer="ben")
    _doubtful_document(engine)  # reprocessed: review events are replayed
    decided = _decisions(engine, doc)
    assert decided["onset_date"][2:] == ("confirmed", "ana")
    assert decided["patient_last_name"][2:] == ("corrected", "ben")
    undo_correction(engine, doc, "patient_last_name", reviewer="ben")
    assert _decisions(engine, doc)["patient_last_name"][2:] == (None, None)
    with engine.connect() as conn:
        actions = conn.execute(
            sa.select(review_events.c.action).where(review_events.c.document_id == doc)
        ).scalars()
        assert "confirm" in set(actions)


def test_confirmations_and_corrections_are_labels_for_calibration(
    sqlite_engine: Engine, tmp_path: object
) -> None:
    from faxflow.settings import get_settings
    from validate.calibrate import review_labels

    doc = _doubtful_document(sqlite_engine)
    confirm_field(sqlite_engine, doc, "onset_date", reviewer="ana")
    apply_correction(sqlite_engine, doc, "patient_last_name", "Dole", reviewer="ben")
    labels = {
        name: (kind, conf, right)
        for name, kind, conf, right in review_labels(sqlite_engine, get_settings())
    }
    assert labels == {
        "onset_date": ("date", 0.5, True),  # confirmed: the machine was right
        "patient_last_name": ("name", 0.5, False),  # corrected to another value
    }


def _noisy_county_case(engine: Engine, n: int, *, reason: str | None) -> str:
    result = infection_result(
        n,
        status=Status.NEEDS_REVIEW if reason else Status.ACCEPTED,
        county_of_residence="in",
        onset_date="2020-03-01",
        fields={
            "county_of_residence": _field("in", doubt=reason),
            "onset_date": _field("2020-03-01", doubt=None),
        },
    )
    load_document(engine, result)
    return result.document_id


def test_an_unreviewed_county_counts_as_unknown_until_a_person_decides(engine: Engine) -> None:
    from loaders.aggregates import epi_curve

    doc = _noisy_county_case(engine, 1, reason="low_confidence")
    assert epi_curve(engine)["county_of_residence"].tolist() == [None]
    apply_correction(engine, doc, "county_of_residence", "Ingham", reviewer="ana")
    assert epi_curve(engine)["county_of_residence"].tolist() == ["Ingham"]
    _noisy_county_case(engine, 2, reason=None)  # auto-accepted: routing vouched for it
    assert sorted(epi_curve(engine)["county_of_residence"]) == ["Ingham", "in"]


def test_field_automation_per_centre_and_day(engine: Engine) -> None:
    from loaders.aggregates import field_automation

    doc = _doubtful_document(engine)  # 1 auto, 3 doubtful fields
    confirm_field(engine, doc, "onset_date", reviewer="ana")
    approve(engine, doc, reviewer="ana", seconds=21.0)
    _noisy_county_case(engine, 2, reason=None)  # fully automated
    frame = field_automation(engine)
    assert frame["documents"].sum() == 2
    assert frame["fully_automated"].sum() == 1
    assert frame["fields"].sum() == 6 and frame["auto_fields"].sum() == 3
    assert frame["confirmed_fields"].sum() == 3
    assert frame["human_seconds"].sum() == 21.0
    assert set(frame.columns) >= {"automation_rate", "human_seconds_per_document"}


def test_migration_0005_goes_down_and_up(sqlite_engine: Engine) -> None:
    from loaders.aggregates import epi_curve
    from loaders.db import downgrade, upgrade

    _noisy_county_case(sqlite_engine, 1, reason="low_confidence")
    downgrade(sqlite_engine, "0004")
    assert epi_curve(sqlite_engine)["county_of_residence"].tolist() == ["in"]  # 0004's views
    upgrade(sqlite_engine)
    # The routing marks went with the columns; a reload (reprocess) brings them back.
    assert epi_curve(sqlite_engine)["county_of_residence"].tolist() == ["in"]
    _noisy_county_case(sqlite_engine, 1, reason="low_confidence")
    assert epi_curve(sqlite_engine)["county_of_residence"].tolist() == [None]


def test_weekly_recalibration_writes_thresholds_from_reviews(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    import json

    from faxflow.flows import recalibrate_from_reviews
    from faxflow.settings import Settings, committed_thresholds

    doc = _doubtful_document(sqlite_engine)
    confirm_field(sqlite_engine, doc, "onset_date", reviewer="ana")
    target = tmp_path / "thresholds.json"
    target.write_text(json.dumps({"thresholds": {"date": 0.9}, "calibration": {"n": 1}}))
    settings = Settings(
        var_dir=tmp_path / "var",
        database_url=sqlite_engine.url.render_as_string(hide_password=False),
        confidence_thresholds={"date": 0.9},
    )
    counts = recalibrate_from_reviews(settings, target)
    assert counts == {"labels": 1, "buckets_learned": 0}  # one label: far too few
    assert committed_thresholds(target) == {"date": 0.9}  # the starting point stays
    stored = json.loads(target.read_text())["calibration"]
    assert stored["n"] == 1 and stored["from_reviews"]["labels"] == {"date": 1}


def test_learned_thresholds_go_to_the_deployment_not_the_package(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """The weekly DAG writes what it learned under the var folder (an installed package
    is read-only, and a source checkout must not change under a running stack), and the
    next Settings read it in place of the package's validate/thresholds.json."""
    from faxflow.flows import recalibrate_from_reviews
    from faxflow.settings import DEFAULT_THRESHOLDS_FILE, Settings, committed_thresholds

    package_file = DEFAULT_THRESHOLDS_FILE.read_bytes()
    doc = _doubtful_document(sqlite_engine)
    confirm_field(sqlite_engine, doc, "onset_date", reviewer="ana")
    url = sqlite_engine.url.render_as_string(hide_password=False)
    settings = Settings(var_dir=tmp_path / "var", database_url=url)
    recalibrate_from_reviews(settings)
    assert DEFAULT_THRESHOLDS_FILE.read_bytes() == package_file
    learned = tmp_path / "var" / "thresholds.json"
    assert settings.learned_thresholds_file == learned and learned.is_file()
    learned_thresholds = committed_thresholds(learned)
    assert learned_thresholds  # the package's numbers carried over as the starting point
    again = Settings(var_dir=tmp_path / "var", database_url=url)
    assert again.confidence_thresholds == learned_thresholds
