"""Fixtures for the dashboard tests: a migrated SQLite database with users of every role,
hand-made documents loaded through ``loaders.load.load_document`` (with real page images
rendered from the blank CDC form; results built with :mod:`tests.builders`), the app, and
logged-in clients."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from sqlalchemy.engine import Engine

import dashboard.auth
from dashboard.app import create_app
from dashboard.users import add_user
from faxflow.model import DocumentResult, FieldResult, FormType, Issue, ProvenanceStep, Status
from faxflow.settings import Settings, get_settings
from loaders.db import engine_for, upgrade
from loaders.load import load_document
from tests.builders import CDC_TEMPLATE_PAGES, field_result, form_result, source_for

PASSWORD = "correct horse battery"
ROLES = ("reviewer", "analyst", "admin")
FIXTURE_CENTRES = ("centre-a", "centre-b")
XSS = "<script>alert(1)</script>"
PAGE_SIZE = (850, 1100)  # the blank form at 100 dpi
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SESSION_KEY = Fernet.generate_key().decode()


@dataclass(frozen=True)
class Fixture:
    """The loaded fixture documents, by role in the tests."""

    xss_case: str  # CDC PUI, needs review; patient first name is a <script> tag
    benefit: str  # DHS-1171, needs review; applicant SSN 123456789
    accepted: str  # CDC PUI, auto-accepted
    later_case: str  # CDC PUI, needs review, arrived after xss_case, other centre


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 with minimal cost for the tests: the real parameters take ~0.1-0.7 s per
    hash or login, which hundreds of logins would turn into minutes. The code under test
    is the same; only the work factor differs."""
    real = dashboard.auth._hasher
    dashboard.auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    dashboard.auth._hasher = real


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Every test: its own var/ folder, no database URL from outside, and the session's
    encryption key (the template database's SSNs were encrypted with it)."""
    monkeypatch.setenv("FAXFLOW_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FAXFLOW_ENCRYPTION_KEY", SESSION_KEY)
    monkeypatch.delenv("FAXFLOW_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def dash_settings(tmp_path: Path) -> Settings:
    # No calibrated thresholds: every field is held to the default 0.80, whatever
    # `faxflow calibrate` last wrote to validate/thresholds.json.
    return get_settings().model_copy(
        update={
            "var_dir": tmp_path / "var",
            "database_url": f"sqlite:///{tmp_path / 'dash.db'}",
            "confidence_thresholds": {},
        }
    )


@pytest.fixture
def engine(dash_settings: Settings, template: tuple[Path, Fixture]) -> Iterator[Engine]:
    """A private copy of the session's template database (users of every role and the
    fixture documents) and of its page images."""
    folder, _ = template
    shutil.copyfile(folder / "dash.db", dash_settings.db_url.removeprefix("sqlite:///"))
    shutil.copytree(folder / "var" / "pages", dash_settings.var_dir / "pages")
    engine = engine_for(dash_settings.db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def docs(engine: Engine, template: tuple[Path, Fixture]) -> Fixture:
    """The ids of the fixture documents in ``engine``."""
    return template[1]


@pytest.fixture(scope="session")
def blank_page_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Page 1 of the blank CDC form at 100 dpi (pdftoppm), or a drawn stand-in."""
    out = tmp_path_factory.mktemp("blank") / "page"
    pdf = PROJECT_ROOT / "extract" / "templates" / "cdc_pui_2020" / "blank.pdf"
    if shutil.which("pdftoppm") and pdf.is_file():
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "100",
                "-f",
                "1",
                "-l",
                "1",
                "-gray",
                "-png",
                "-singlefile",
                str(pdf),
                str(out),
            ],
            check=True,
            timeout=60,
        )
        return out.with_suffix(".png")
    image = Image.new("L", PAGE_SIZE, 255)
    draw = ImageDraw.Draw(image)
    for y in range(60, PAGE_SIZE[1] - 60, 40):
        draw.line((50, y, PAGE_SIZE[0] - 50, y), fill=120)
    image.save(out.with_suffix(".png"))
    return out.with_suffix(".png")


def _write_page(settings: Settings, document_id: str, number: int, source: Path) -> str:
    relative = f"pages/{document_id}/{number:03d}.png"
    target = settings.var_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return relative


def infection_result(
    n: int, *, status: Status, fields: dict[str, FieldResult], issues: list[Issue] | None = None
) -> DocumentResult:
    return form_result(
        n,
        FormType.CDC_PUI_2020,
        status=status,
        values={name: f.value for name, f in fields.items()},
        fields=fields,
        issues=issues or (),
        template_pages=CDC_TEMPLATE_PAGES,
    )


def benefit_result(n: int) -> DocumentResult:
    """A one-page DHS-1171 application (the page matched template page 4)."""
    fields = {
        "applicant_full_name": field_result("Jane Q Public", 0.91, (120, 300, 420, 330)),
        "applicant_ssn": field_result("123456789", 0.62, (450, 300, 640, 330), raw="123-45-6789"),
        "applicant_birth_date": field_result("1980-02-29", 0.88, (120, 350, 300, 380)),
        "residential_county": field_result("Wayne", 0.97, (120, 400, 300, 430)),
    }
    return form_result(
        n,
        FormType.MDHHS_DHS1171,
        status=Status.NEEDS_REVIEW,
        values={name: f.value for name, f in fields.items()},
        fields=fields,
        issues=[Issue(field="applicant_ssn", code="low_confidence", message="check the SSN")],
        template_pages=(4,),
    )


def cdc_fields(first_name: str, onset: str, county: str) -> dict[str, FieldResult]:
    return {
        "patient_first_name": field_result(first_name, 0.41, (150, 230, 420, 255)),
        "patient_last_name": field_result("Doe", 0.93, (450, 230, 700, 255)),
        "date_of_birth": field_result("1961-07-04", 0.72, (150, 265, 330, 290), raw="07/04/1961"),
        "onset_date": field_result(onset, 0.95, (150, 700, 330, 725)),
        "county_of_residence": field_result(county, 0.90, (450, 265, 700, 290)).model_copy(
            update={
                "provenance": (
                    ProvenanceStep(step="repair.county", before="Inghann", after=county),
                )
            }
        ),
        "age": field_result(58, 0.86, (600, 300, 680, 325)),
        "sex": field_result("female", 0.99, (150, 300, 300, 325)),
    }


def load_fixture_documents(engine: Engine, settings: Settings, page_png: Path) -> Fixture:
    xss = infection_result(
        1,
        status=Status.NEEDS_REVIEW,
        fields={
            **cdc_fields(XSS, "2020-03-02", "Wayne"),
            "symptom_cough": field_result("yes", 0.97, (100, 400, 160, 430), page=2),
        },
        issues=[
            Issue(field="onset_date", code="date_after_report", message="onset after report"),
            Issue(field=None, code="page_missing", message="page 2 was not found"),
        ],
    )
    later = infection_result(
        2,
        status=Status.NEEDS_REVIEW,
        fields=cdc_fields("Ann", "2020-03-03", "Kent"),
        issues=[Issue(field="age", code="age_mismatch", message="age does not match")],
    )
    accepted = infection_result(
        3, status=Status.ACCEPTED, fields=cdc_fields("Bob", "2020-03-02", "Wayne")
    )
    benefit = benefit_result(4)
    arrivals = [
        (xss, "centre-a", datetime(2020, 3, 4, 8, 0, tzinfo=UTC)),
        (later, "centre-b", datetime(2020, 3, 5, 8, 0, tzinfo=UTC)),
        (accepted, "centre-a", datetime(2020, 3, 5, 9, 0, tzinfo=UTC)),
        (benefit, "centre-b", datetime(2020, 3, 6, 8, 0, tzinfo=UTC)),
    ]
    for result, centre, received in arrivals:
        numbers = (1, 2) if result is xss else (1,)  # only the first has a page-2 image
        images = {n: _write_page(settings, result.document_id, n, page_png) for n in numbers}
        load_document(
            engine,
            result,
            source=source_for(result, centre=centre, received=received),
            page_images=images,
        )
    return Fixture(xss.document_id, benefit.document_id, accepted.document_id, later.document_id)


@pytest.fixture(scope="session")
def template(
    tmp_path_factory: pytest.TempPathFactory, blank_page_png: Path
) -> tuple[Path, Fixture]:
    """Built once per session: a migrated SQLite database with a user of each role
    (password :data:`PASSWORD`) and the fixture documents loaded through
    ``loaders.load.load_document``, with their page images under ``var/pages``."""
    folder = tmp_path_factory.mktemp("template")
    settings = Settings(var_dir=folder / "var", database_url=f"sqlite:///{folder / 'dash.db'}")
    with pytest.MonkeyPatch.context() as patch:
        # load_document reads image sizes below the configured var_dir.
        patch.setenv("FAXFLOW_VAR_DIR", str(settings.var_dir))
        patch.setenv("FAXFLOW_ENCRYPTION_KEY", SESSION_KEY)
        get_settings.cache_clear()
        engine = engine_for(settings.db_url)
        try:
            upgrade(engine)
            for role in ROLES:
                # Reviewer and analyst belong to both fixture centres (admins see all).
                centres = () if role == "admin" else FIXTURE_CENTRES
                add_user(engine, role, PASSWORD, role, centres=centres)
            fixture = load_fixture_documents(engine, settings, blank_page_png)
            with engine.begin() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            engine.dispose()
            get_settings.cache_clear()
    return folder, fixture


@pytest.fixture
def app(dash_settings: Settings, engine: Engine) -> FastAPI:
    return create_app(dash_settings, engine=engine)


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    form = client.get("/login", headers={"accept": "text/html"})
    token = csrf_from(form.text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def csrf_of(client: TestClient) -> str:
    """The logged-in session's CSRF token, read from a page that carries the logout form."""
    page = client.get("/documents", headers={"accept": "text/html"})
    if page.status_code != 200:
        page = client.get("/queue", headers={"accept": "text/html"})
    return csrf_from(page.text)


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture
def client_for(app: FastAPI) -> Iterator[Any]:
    """``client_for("reviewer")``: a new client logged in with that role."""
    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        client = TestClient(app, base_url="http://127.0.0.1")
        clients.append(client)
        return login(client, role)

    yield make
    for client in clients:
        client.close()
