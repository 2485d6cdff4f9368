"""The supervision task in a real browser, through the Airflow plugin's mount at /faxflow.

GIVEN the plugin's lazy app mounted in a host FastAPI app the way Airflow's API server
mounts plugin apps, served by uvicorn, WHEN a reviewer works a task with three doubtful
fields from the keyboard, THEN the decisions are stored, and the effort (keystrokes,
seconds) is recorded in docs/ (reported, not asserted by timing).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from dashboard.app import create_app
from faxflow.settings import Settings
from loaders.tables import documents, fields, review_events
from tests.dashboard.conftest import PASSWORD, Fixture
from tests.dashboard.test_browser import browser, running  # noqa: F401 - a fixture
from tests.dashboard.test_supervise import load_three_doubt_task

pytestmark = pytest.mark.browser


@pytest.fixture
def mounted(dash_settings: Settings, engine: Engine, docs: Fixture) -> Iterator[str]:
    """The dashboard under /faxflow of a host app, on a free loopback port."""
    plugin = pytest.importorskip("dashboard.airflow_plugin")
    lazy = plugin.LazyDashboard()
    lazy._app = create_app(dash_settings, engine=engine)
    host = FastAPI()
    host.mount(plugin.URL_PREFIX, lazy)
    with running(host) as url:
        yield url


class CountingKeyboard:
    """Presses keys and types text through Playwright, counting every key the reviewer
    would press (a chord such as Control+Enter is one)."""

    def __init__(self, page) -> None:
        self.page = page
        self.count = 0

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.count += 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.count += len(text)


def test_three_field_task_from_the_keyboard_through_the_airflow_mount(
    browser,  # noqa: F811 - the fixture imported above
    mounted: str,
    engine: Engine,
    dash_settings: Settings,
    blank_page_png: Path,
    tmp_path: Path,
) -> None:
    doc = load_three_doubt_task(engine, dash_settings, blank_page_png)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=mounted)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/faxflow/login")
    page.fill("input[name=username]", "reviewer")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/faxflow/queue")

    started = time.perf_counter()
    response = page.goto(f"/faxflow/supervise/{doc}")
    assert response is not None and response.status == 200
    page.wait_for_selector(".task-field img")  # the crops load through the mount
    assert page.locator(".task-field").count() == 3
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page.locator("#t-died")).to_be_focused()  # the first open field
    keys = CountingKeyboard(page)
    keys.press("Enter")  # died: the value is right
    expect(page.locator("#t-onset_date")).to_be_focused()
    keys.press("Enter")  # onset date: right
    expect(page.locator("#t-patient_last_name")).to_be_focused()
    keys.type("Dole")  # the selected value is replaced by typing
    keys.press("Enter")
    expect(page.locator("#open-count")).to_have_text("0")
    page.screenshot(path=str(tmp_path / "supervise.png"), full_page=True)
    keys.press("Control+Enter")  # approve
    page.wait_for_url(lambda url: f"/supervise/{doc}" not in url)
    seconds = time.perf_counter() - started
    assert not errors, errors

    with engine.connect() as conn:
        decided = dict(
            conn.execute(
                sa.select(fields.c.name, fields.c.decision).where(fields.c.document_id == doc)
            ).all()
        )
        status = conn.execute(
            sa.select(documents.c.status).where(documents.c.document_id == doc)
        ).scalar()
        recorded = conn.execute(
            sa.select(review_events.c.seconds).where(
                review_events.c.document_id == doc, review_events.c.action == "approve"
            )
        ).scalar()
    assert decided["died"] == "confirmed" and decided["onset_date"] == "confirmed"
    assert decided["patient_last_name"] == "corrected"
    assert decided["sex"] == "auto" and status == "accepted"
    assert recorded is not None and 0 < recorded <= seconds + 1  # the page's own clock
    assert keys.count == 8  # Enter, Enter, D-o-l-e, Enter, Ctrl+Enter
    # The measurement, for docs/benchmarks (numbers are recorded, not asserted by time).
    (tmp_path / "effort.json").write_text(
        json.dumps({"keystrokes": keys.count, "seconds": round(seconds, 2)})
    )
    print(f"\nsupervision task, 3 doubtful fields: {keys.count} keystrokes, {seconds:.2f} s")
    context.close()
