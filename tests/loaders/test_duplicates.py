"""Possible duplicates: same person (normalised name) and same event date."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from faxflow.model import RecordType, Status
from faxflow.settings import Settings
from loaders.duplicates import find_possible_duplicates, name_key
from loaders.load import load_document
from tests.loaders.conftest import at, benefit_result, doc_id, infection_result, source_for


def test_name_key_ignores_case_accents_punctuation_and_order() -> None:
    assert name_key(["José", "O'Neil"]) == name_key(["ONEIL, JOSE"]) is not None
    assert name_key(["Jose  O Neil"]) != name_key(["Jose Oneil"])
    assert name_key([None, ""]) == ()


def test_name_key_keeps_a_japanese_name_whole_and_folds_its_width_and_spaces() -> None:
    """A name in kanji or kana has no ASCII form: it is kept (not folded to nothing, which
    would match every such name or none), one word, full- and half-width alike."""
    assert name_key(["山田　太郎"]) == name_key(["山田太郎"]) == ("山田太郎",)
    assert name_key(["ﾔﾏﾀﾞ ﾀﾛｳ"]) == name_key(["ヤマダ タロウ"]) != name_key(["ヤマダ ハナコ"])
    assert name_key(["山田 太郎"]) != name_key(["山田 次郎"])
    assert name_key(["José", "O'Neil"]) == ("jose", "oneil")  # Latin names as before


def _case(engine: Engine, n: int, day: int, status: Status = Status.ACCEPTED, **values) -> str:
    result = infection_result(n, status=status, **values)
    load_document(engine, result, source=source_for(result, centre="A", received=at(day)))
    return result.document_id


def test_same_person_and_onset_date(engine: Engine) -> None:
    person = {
        "patient_first_name": "Ann",
        "patient_last_name": "Lee",
        "date_of_birth": "1961-07-04",
    }
    first = _case(engine, 1, 1, onset_date="2020-03-01", **person)
    second = _case(
        engine, 2, 2, onset_date="2020-03-01", patient_first_name="ANN", patient_last_name="lee"
    )
    _case(engine, 3, 2, onset_date="2020-03-02", **person)  # another episode
    _case(engine, 4, 2, onset_date="2020-03-01", patient_first_name="Anne", patient_last_name="Lee")
    _case(engine, 5, 2, onset_date="2020-03-01", status=Status.REJECTED, **person)
    _case(
        engine,
        6,
        2,
        onset_date="2020-03-01",
        patient_first_name="Ann",
        patient_last_name="Lee",
        date_of_birth="1970-01-01",
    )

    def find(document_id: str, **kw) -> list[str]:
        args = {
            "person_names": ["Lee, Ann"],
            "birth_date": "1961-07-04",
            "event_date": "2020-03-01",
        }
        args.update(kw)
        return find_possible_duplicates(
            engine, record_type=RecordType.INFECTION_REPORT, document_id=document_id, **args
        )

    # a new document (not stored yet) matches both earlier records of Ann Lee on that day
    assert find(doc_id(50)) == [first, second]
    # a stored document only sees the ones that arrived before it
    assert find(second) == [first]
    assert find(first) == []
    assert find(doc_id(50), event_date=None) == []
    assert find(doc_id(50), event_date="not a date") == []
    assert find(doc_id(50), person_names=[]) == []
    assert find(doc_id(50), birth_date=None) == [first, second, doc_id(6)]


def test_without_an_onset_date_the_next_known_event_date_counts(engine: Engine) -> None:
    """The validation stage passes the first known of onset, specimen and report dates;
    stored records are compared the same way."""
    person = {"patient_first_name": "Bo", "patient_last_name": "Ng", "date_of_birth": "1990-01-01"}
    by_specimen = _case(engine, 20, 1, first_positive_specimen_date="2020-03-05", **person)
    _case(
        engine, 21, 1, onset_date="2020-03-01", first_positive_specimen_date="2020-03-05", **person
    )
    found = find_possible_duplicates(
        engine,
        record_type=RecordType.INFECTION_REPORT,
        document_id=doc_id(52),
        person_names=["Bo", "Ng"],
        birth_date="1990-01-01",
        event_date="2020-03-05",
    )
    assert found == [by_specimen]


def test_benefit_applications_use_name_and_signature_date(engine: Engine) -> None:
    earlier = benefit_result(
        7,
        applicant_full_name="Pat  Doe",
        signature_date="2020-03-04",
        applicant_birth_date="1980-01-01",
    )
    load_document(engine, earlier, source=source_for(earlier, centre="A", received=at(4)))
    found = find_possible_duplicates(
        engine,
        record_type="benefit_application",
        document_id=doc_id(51),
        person_names=["Doe", "Pat"],
        birth_date="1980-01-01",
        event_date="2020-03-04",
    )
    assert found == [earlier.document_id]


_PACK_IDENTITY = {
    "names": ["full_name_applicant"],
    "birth_date": None,
    "event_dates": ["signed_on"],
}


def _support_pack(engine: Engine, tmp_path: Path, name: str) -> tuple[Settings, dict[str, Any]]:
    """The test pack "support" with a sign date, and a first record of ``name`` loaded."""
    from tests.builders import pack_result, pack_settings

    settings = pack_settings(tmp_path, "support", renames={"zip": "signed_on:date"})
    base = {
        "full_name_applicant": name,
        "signed_on": "2026-03-01",
        "owns_car": False,
        "marital": None,
        "has_job": None,
    }
    load_document(engine, pack_result(1, "support", base, Status.ACCEPTED), settings=settings)
    return settings, base


def test_a_form_pack_finds_duplicates_by_the_identity_its_rules_declare(
    engine: Engine, tmp_path: Path
) -> None:
    """A pack's records are JSON in form_records: the same names and event date (its
    ``identity``) is a duplicate; another date, another form or a rejected one is not."""
    from tests.builders import pack_result

    settings, base = _support_pack(engine, tmp_path, "Ana Ruiz")
    identity = _PACK_IDENTITY
    load_document(
        engine,
        pack_result(2, "support", {**base, "signed_on": "2026-03-02"}, Status.ACCEPTED),
        settings=settings,
    )

    def find(names: list[str], event: str, form: str = "support") -> list[str]:
        return find_possible_duplicates(
            engine,
            record_type=form,
            document_id=doc_id(9),
            person_names=names,
            birth_date=None,
            event_date=event,
            identity=identity,
        )

    assert find(["RUIZ, Ana"], "2026-03-01") == [doc_id(1)]
    assert find(["Ana Ruiz"], "2026-03-03") == []
    assert find(["Ana Ruis"], "2026-03-01") == []
    assert find(["Ana Ruiz"], "2026-03-01", form="another_pack") == []


def test_a_pack_finds_a_japanese_name_written_with_or_without_its_space(
    engine: Engine, tmp_path: Path
) -> None:
    _support_pack(engine, tmp_path, "山田 太郎")
    found = [
        find_possible_duplicates(
            engine,
            record_type="support",
            document_id=doc_id(9),
            person_names=[name],
            birth_date=None,
            event_date="2026-03-01",
            identity=_PACK_IDENTITY,
        )
        for name in ("山田太郎", "山田　花子")
    ]
    assert found == [[doc_id(1)], []]
