"""A throwaway PostgreSQL server for the test session (a pytest plugin).

``pg_url`` starts one cluster per session: ``initdb`` into a temporary folder, ``pg_ctl
start`` on a free loopback port with its unix socket inside that folder, one database
``faxflow``; it yields a psycopg URL and stops and deletes the cluster afterwards. As root
(initdb refuses root) the server commands run as the ``postgres`` system user.

When the server cannot start the PostgreSQL tests are skipped locally, but they FAIL when
the environment variable ``CI`` is set: in CI the PostgreSQL tests must never be skipped.

``db_url`` is parametrised over ``sqlite`` and ``postgresql`` so one test body runs on
both databases; each test gets a fresh, empty database.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from faxflow.localservers import PostgresCluster, postgres_bin_dir

DB_NAME = "faxflow"
DB_PASSWORD = "faxflow-test"  # a throwaway cluster on 127.0.0.1 only; not a secret


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"PostgreSQL tests must run in CI, but the server is unavailable: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


class _Cluster(PostgresCluster):
    """The session's cluster, fast and throwaway (no fsync), one database ``faxflow``."""

    def __init__(self, bin_dir: Path, root: Path) -> None:
        super().__init__(
            root,
            password=DB_PASSWORD,
            bin_dir=bin_dir,
            settings=(
                "fsync=off",
                "synchronous_commit=off",
                "full_page_writes=off",
                "max_connections=50",
            ),
        )

    def start(self) -> None:
        self.initdb()
        super().start()
        self.create_database(DB_NAME)

    def url(self, database: str = DB_NAME) -> str:
        return super().url(database)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[_Cluster]:
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        _unavailable("no initdb found (install the Debian package postgresql)")
    assert bin_dir is not None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("the psycopg package is not installed")
    root = Path(tempfile.mkdtemp(prefix="faxflow-pg-"))
    cluster: _Cluster | None = None
    try:
        try:
            cluster = _Cluster(bin_dir, root)  # KeyError: no `postgres` user to run as
            cluster.start()
        except (subprocess.SubprocessError, OSError, KeyError) as exc:
            detail = getattr(exc, "stderr", "") or ""
            _unavailable(f"{type(exc).__name__}: {str(detail).strip()[-500:] or exc}")
        assert cluster is not None
        yield cluster
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_url(pg_cluster: _Cluster) -> str:
    """URL of the session's ``faxflow`` database on the throwaway server."""
    return pg_cluster.url()


class PgDatabases:
    """Creates empty databases on the throwaway server; the whole cluster is deleted after
    the session. Each database is some 8 MB of small files: create few (share one and
    empty its tables between tests where a test needs no fresh schema)."""

    def __init__(self, cluster: _Cluster) -> None:
        self.cluster = cluster

    def create(self) -> str:
        """The URL of a new, empty database."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.cluster.admin_dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.cluster.url(name)


@pytest.fixture(scope="session")
def pg_databases(pg_cluster: _Cluster) -> PgDatabases:
    """``pg_databases.create()`` gives the URL of a new, empty database (any scope)."""
    return PgDatabases(pg_cluster)


@pytest.fixture
def fresh_pg_url(pg_databases: PgDatabases) -> str:
    """A new, empty database on the throwaway server."""
    return pg_databases.create()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL: a SQLite file, or a new database on the PG server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'faxflow-test.db'}"
    return str(request.getfixturevalue("fresh_pg_url"))
