"""The dashboard against PostgreSQL (production's database): the review round trip and
the overview's aggregates, on a fresh database of the session's throwaway server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from dashboard.app import create_app
from dashboard.users import add_user
from faxflow.settings import Settings
from loaders.db import engine_for, upgrade
from loaders.review import get_document, review_queue
from tests.dashboard.conftest import (
    FIXTURE_CENTRES,
    PASSWORD,
    ROLES,
    XSS,
    csrf_of,
    load_fixture_documents,
    login,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_engine(fresh_pg_url: str) -> Iterator[Engine]:
    engine = engine_for(fresh_pg_url)
    upgrade(engine)
    for role in ROLES:
        add_user(engine, role, PASSWORD, role, centres=() if role == "admin" else FIXTURE_CENTRES)
    yield engine
    engine.dispose()


def test_review_round_trip_and_overview_on_postgresql(
    pg_engine: Engine, dash_settings: Settings, blank_page_png
) -> None:
    docs = load_fixture_documents(pg_engine, dash_settings, blank_page_png)
    app = create_app(dash_settings, engine=pg_engine)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, "reviewer")
        queue = client.get("/queue", params={"centre": "centre-a"}, headers={"accept": "text/html"})
        assert docs.xss_case in queue.text and docs.benefit not in queue.text
        # The menus still offer the rest of the queue (one UNION query of distinct values).
        for value in ("centre-b", "mdhhs_dhs1171", "age_mismatch", "low_confidence"):
            assert f'<option value="{value}"' in queue.text
        page = client.get(f"/documents/{docs.xss_case}", headers={"accept": "text/html"})
        assert "&lt;script&gt;" in page.text and XSS not in page.text
        token = csrf_of(client)
        client.post(
            f"/documents/{docs.xss_case}/fields/age", data={"value": "59", "csrf_token": token}
        )
        client.post(f"/documents/{docs.xss_case}/approve", data={"csrf_token": token})
    doc = get_document(pg_engine, docs.xss_case)
    age = doc.field("age")
    assert doc.status == "accepted" and age is not None and age.value == 59
    assert docs.xss_case not in [item.document_id for item in review_queue(pg_engine)]

    with TestClient(app, base_url="http://127.0.0.1") as analyst:
        login(analyst, "analyst")
        overview = analyst.get("/overview", headers={"accept": "text/html"})
        assert overview.status_code == 200 and overview.text.count('class="chart"') == 7
        corrections = analyst.get("/overview/corrections_per_field.csv")
        assert "cdc_pui_2020,age,1,1" in corrections.text
