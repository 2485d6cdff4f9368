"""Fixtures shared by every test package.

Real documents nobody on the project made live in ``../shared/realdata/`` beside the
checkout; tests that need them take the ``realdata_dir`` fixture and skip cleanly when the
folder is absent (they are never copied into the repository).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faxflow.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("FAXFLOW_SHARED_DIR", PROJECT_ROOT.parent / "shared"))

pytest_plugins = ["tests.pg_fixture"] if (PROJECT_ROOT / "tests" / "pg_fixture.py").exists() else []


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():
        pytest.skip(f"shared folder {SHARED_DIR} is absent")
    return SHARED_DIR


@pytest.fixture(scope="session")
def realdata_dir() -> Path:
    path = SHARED_DIR / "realdata"
    if not path.is_dir():
        pytest.skip(f"real documents folder {path} is absent")
    return path


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The committed sample set (documents and their ground truth)."""
    return PROJECT_ROOT / "samples" / "set"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings isolated in a scratch folder: own var/, SQLite database and intake root."""
    return Settings(var_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'ff.db'}")
