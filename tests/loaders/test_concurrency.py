"""Many workers at once: migrations and loads of one document do not collide."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from faxflow.model import Issue, Status
from loaders.db import current_revision, engine_for, head_revision, upgrade
from loaders.load import load_document
from loaders.tables import documents, fields, validation_issues
from tests.loaders.conftest import infection_result, url_of


def test_parallel_upgrades_of_a_new_database(db_url: str) -> None:
    engines = [engine_for(db_url) for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(upgrade, engines))
    assert current_revision(db_url) == head_revision()
    for engine in engines:
        engine.dispose()


def test_parallel_loads_of_one_document_leave_one_set_of_rows(engine: Engine) -> None:
    result = infection_result(
        1,
        status=Status.NEEDS_REVIEW,
        patient_last_name="Doe",
        sex="female",
        issues=[Issue(field="sex", code="low_confidence", message="check")],
    )
    engines = [engine_for(url_of(engine)) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda e: [load_document(e, result) for _ in range(3)], engines))
    with engine.connect() as connection:
        assert connection.execute(sa.select(documents.c.load_count)).scalar_one() == 12
        assert connection.execute(sa.select(sa.func.count()).select_from(fields)).scalar() == 2
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(validation_issues)).scalar()
            == 1
        )
    for other in engines:
        other.dispose()
