"""The dashboard in a real browser: headless Debian chromium driven by Playwright.

GIVEN the app served by uvicorn on a free 127.0.0.1 port against a scratch SQLite database
with hand-made documents, WHEN a person logs in and works through the screens, THEN the
page behaves as a reviewer expects. Screenshots land in pytest's tmp folder.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from dashboard.app import create_app
from faxflow.model import Status
from faxflow.settings import Settings
from loaders.load import load_document
from loaders.review import apply_correction
from loaders.tables import infection_reports, review_events
from tests.builders import pack_result, source_for
from tests.dashboard.conftest import PASSWORD, XSS, Fixture

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread; yields its base URL."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def server(app: FastAPI, docs: Fixture) -> Iterator[str]:
    """The app on a free loopback port; yields its base URL."""
    with running(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make sysdeps-test installs it)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server: str) -> Iterator[object]:
    # Reduced motion: the zoom jumps instead of animating, so the view can be read at once.
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, base_url=server, reduced_motion="reduce"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def on_console(message) -> None:
        # A refused correction is answered 400 on purpose; any other error counts.
        if message.type == "error" and "status of 400" not in message.text:
            errors.append(message.text)

    page.on("console", on_console)
    page.js_errors = errors
    yield page
    context.close()


def _view(svg) -> tuple[float, ...]:
    return tuple(float(v) for v in svg.get_attribute("viewBox").split())


def _login(page, username: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def _stored_first_name(engine: Engine, document_id: str) -> tuple[object, int]:
    """The typed record's value and how many review events corrected it."""
    with engine.connect() as connection:
        value = connection.execute(
            sa.select(infection_reports.c.patient_first_name).where(
                infection_reports.c.document_id == document_id
            )
        ).scalar()
        events = connection.execute(
            sa.select(sa.func.count()).where(
                review_events.c.document_id == document_id,
                review_events.c.field == "patient_first_name",
                review_events.c.action == "correct",
            )
        ).scalar()
    return value, int(events or 0)


def test_review_correct_approve_leaves_queue(
    page, docs: Fixture, engine: Engine, tmp_path: Path
) -> None:
    """Log in, open the oldest document from the queue, correct a field with the keyboard,
    approve with 'a': the document leaves the queue and the database holds the change."""
    _login(page, "reviewer")
    assert page.url.endswith("/queue")
    assert page.locator(f"tr[data-document='{docs.xss_case}']").count() == 1
    page.screenshot(path=str(tmp_path / "queue.png"))
    page.click("text=Start with the oldest")
    page.wait_for_selector("#review")
    assert docs.xss_case in page.url

    # The first field to check is selected on arrival; j/k move the selection and the
    # page image zooms to the selected field's box.
    svg = page.locator(".page-svg[data-page='1']")
    assert page.locator("#f-patient_first_name").get_attribute("aria-current") == "true"
    page.keyboard.press("j")
    assert page.locator(".field.selected").count() == 1
    assert page.locator("#f-patient_last_name").get_attribute("aria-current") == "true"
    x, y, width, height = _view(svg)
    assert width < 850, "zoomed in"
    assert x <= 450 and x + width >= 700 and y <= 230 and y + height >= 255, "box in view"
    assert x >= 0 and y >= 0, "the view stays on the page"
    page.keyboard.press("k")
    assert page.locator("#f-patient_first_name").get_attribute("aria-current") == "true"

    # The last field is on page 2: moving to it shows page 2 and presses its tab.
    for _ in range(8):
        page.keyboard.press("j")
    assert page.locator("#f-symptom_cough").get_attribute("aria-current") == "true"
    assert page.locator(".page-svg[data-page='2']").is_visible()
    assert not svg.is_visible()
    assert page.locator("[data-page-tab='2']").get_attribute("aria-pressed") == "true"
    page.click("[data-page-tab='1']")
    assert svg.is_visible()
    assert _view(svg) == (0, 0, 850, 1100)  # a page tab shows the whole page

    # Clicking a box selects its field and zooms to it.
    page.click("rect.box[data-field='patient_first_name']")
    assert page.locator("#f-patient_first_name").get_attribute("aria-current") == "true"
    assert _view(svg)[2] < 850, "the view zooms in on the selected box"
    page.screenshot(path=str(tmp_path / "review.png"), full_page=False)
    page.keyboard.press("e")
    editor = page.locator("#v-patient_first_name")
    assert editor.is_visible()
    page.keyboard.press("Escape")
    assert not editor.is_visible()

    # A date that is not in the calendar is refused; the editor reopens on that field.
    page.click("rect.box[data-field='date_of_birth']")
    page.keyboard.press("e")
    page.locator("#v-date_of_birth").fill("31/31/1961")
    page.locator("#v-date_of_birth").press("Enter")
    page.wait_for_load_state("networkidle")
    assert "does not exist in the calendar" in page.locator(".form-error").inner_text()
    assert page.locator("#f-date_of_birth").get_attribute("aria-current") == "true"
    assert page.locator("#v-date_of_birth").is_visible()
    page.keyboard.press("Escape")

    # The first name, corrected with 'e', typing and Enter.
    page.click("rect.box[data-field='patient_first_name']")
    page.keyboard.press("e")
    editor.fill("Janet")
    editor.press("Enter")
    page.wait_for_load_state("networkidle")
    assert "field=patient_first_name" in page.url
    assert "Janet" in page.locator("#f-patient_first_name .field-value").inner_text()
    assert _stored_first_name(engine, docs.xss_case) == ("Janet", 1)

    # 'a' asks first while fields are still to check; dismissed, nothing happens.
    page.locator("body").click(position={"x": 5, "y": 5})
    questions: list[str] = []

    def answer(dialog, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.keyboard.press("a")
    page.wait_for_timeout(300)
    assert questions and "still to check" in questions[0]
    assert "/documents/" in page.url
    # Accepted, 'a' approves; the queue no longer lists it, the database says accepted.
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.keyboard.press("a")
    page.wait_for_url("**/queue")
    assert page.locator(f"tr[data-document='{docs.xss_case}']").count() == 0
    assert "has left the queue" in page.locator(".flashes").inner_text()
    with engine.connect() as connection:
        status = connection.execute(
            sa.text("SELECT status, reviewed_by FROM documents WHERE document_id = :d"),
            {"d": docs.xss_case},
        ).one()
    assert tuple(status) == ("accepted", "reviewer")
    assert page.js_errors == []


def test_ocr_script_renders_as_text(page, docs: Fixture, tmp_path: Path) -> None:
    """An OCR value '<script>alert(1)</script>' shows as text and never runs."""
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto("/login")
    page.screenshot(path=str(tmp_path / "login.png"))
    _login(page, "reviewer")
    page.goto(f"/documents/{docs.xss_case}")
    page.wait_for_selector("#f-patient_first_name")
    shown = page.locator("#f-patient_first_name .field-value").inner_text()
    assert shown == XSS
    assert page.locator("#f-patient_first_name script").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []


def test_overview_renders_charts(page, docs: Fixture, engine: Engine, tmp_path: Path) -> None:
    """The analyst's overview draws every chart (SVG with a real size and data marks) and
    a screenshot of it is saved for people to look at."""
    apply_correction(engine, docs.later_case, "age", 61, reviewer="reviewer")
    apply_correction(engine, docs.later_case, "county_of_residence", "Kent", reviewer="reviewer")
    _login(page, "analyst")
    assert page.url.endswith("/overview")
    charts = page.locator("svg.chart")
    assert charts.count() == 7  # field automation and blind-QA accuracy included
    for index in range(charts.count()):
        chart = charts.nth(index)
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50
        if chart.get_attribute("data-chart") == "qa_accuracy":
            continue  # the fixtures hold no blind-QA answers: an empty chart
        assert chart.locator("rect.bar, circle.dot").count() > 0, chart.get_attribute("data-chart")
    shot = tmp_path / "overview.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert page.js_errors == []


GLYPHS_JS = """([selector, characters]) => {
  // Each character drawn in the element's own font: a face that lacks it draws the same
  // empty box (or nothing) for every one, so distinct drawings mean real glyphs.
  const element = document.querySelector(selector);
  const font = getComputedStyle(element).font;
  return characters.map((character) => {
    const canvas = document.createElement("canvas");
    canvas.width = 48;
    canvas.height = 48;
    const context = canvas.getContext("2d");
    context.font = font.replace(/\\d+(\\.\\d+)?px/, "32px");
    context.fillText(character, 4, 38);
    return canvas.toDataURL();
  });
}"""


def test_japanese_titles_and_values_are_drawn_in_a_japanese_face(
    browser, dash_settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    """A Japanese pack's document (fonts-ipafont / fonts-noto-cjk): its field titles and
    values show as Japanese glyphs, not as the missing-glyph box."""

    project = Path(__file__).resolve().parents[2]
    settings = dash_settings.model_copy(update={"forms_dir": project / "forms"})
    form = "jp_covid19_notification"
    values = {"patient_name": "山田 花子", "health_centre": "新宿区保健所"}
    result = pack_result(41, form, values, Status.NEEDS_REVIEW)
    source = source_for(result, centre="centre-a", received=datetime(2026, 12, 1, tzinfo=UTC))
    load_document(engine, result, source=source, settings=settings)
    with running(create_app(settings, engine=engine)) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=url)
        page = context.new_page()
        _login(page, "reviewer")
        page.goto(f"/documents/{result.document_id}")
        label = page.locator("#f-patient_name .field-name")
        assert label.inner_text() == "当該者氏名"
        assert page.locator("#f-patient_name .field-value").inner_text() == "山田 花子"
        drawn = page.evaluate(
            GLYPHS_JS, ["#f-patient_name .field-name", ["当", "該", "者", "\uffff"]]
        )
        page.screenshot(path=str(tmp_path / "japanese.png"))
        context.close()
    assert len(set(drawn)) == 4, "each Japanese character has its own glyph"
