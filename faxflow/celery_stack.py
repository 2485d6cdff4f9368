"""``make up EXECUTOR=celery``: Airflow on CeleryExecutor, everything under ``var/celery/``.

- Redis (Debian's ``redis-server``) on a loopback port, password-protected: the broker.
- A private PostgreSQL cluster (``var/celery/postgres``): database ``airflow`` for Airflow's
  metadata (and Celery's task results), database ``faxflow`` for records and the intake
  ledger.
- Airflow's scheduler, API server, DAG processor and triggerer, and the dashboard.
- ``FAXFLOW_CELERY_WORKERS`` (2) Celery workers, one task at a time each, on the queues
  ``ocr`` (``process_document``) and ``default`` (the claims, the announcements and the
  other DAGs); the pool ``ocr`` has one slot per worker.

faxflow's own data (inbox, work, archive, quarantine, results, page images) lives in
``var/celery/`` too, beside the ledger it belongs to: the LocalExecutor stack's SQLite
ledger and this stack's PostgreSQL ledger never share an intake folder.

A worker killed outright (SIGKILL, a lost machine) holds its task's broker message
unacknowledged (``task_acks_late``), but Redis gives it to another worker only after the
visibility timeout (a day). What brings the document back is Airflow: the task's heartbeat
stops, the scheduler fails the try after ``task_instance_heartbeat_timeout`` and retries it
with backoff (``retries`` of ``fax_intake``); a late redelivery of the old message finds
its try no longer running and does nothing. The supervisor starts a killed worker again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from faxflow.assets import OCR_POOL, OCR_QUEUE
from faxflow.demo import airflow_environment, prepare_airflow
from faxflow.localservers import PostgresCluster, RedisServer, stored_secret
from faxflow.private import private_dir, write_private
from faxflow.up import (
    BackingServer,
    ServiceFailed,
    airflow_services_environment,
    banner_text,
    console,
    install_dashboard_plugin,
    prepare_admin_password,
    service_commands,
    supervise,
)

DEFAULT_QUEUE = "default"  # Airflow's [operators] default_queue
WORKER_NAME = "celery-worker-{n}"
AIRFLOW_DATABASE = "airflow"
FAXFLOW_DATABASE = "faxflow"
HEARTBEAT_TIMEOUT_S = 60
"""Seconds without a task heartbeat before the scheduler fails the try of a lost worker
(Airflow's default is 300; a 2-page fax takes well under a minute to read)."""


def worker_count() -> int:
    return max(1, int(os.environ.get("FAXFLOW_CELERY_WORKERS", "2")))


def stack_root(var_dir: Path) -> Path:
    return var_dir / "celery"


def pid_dir(root: Path) -> Path:
    """Where the supervisor keeps each service's pid (``<name>.pid``; each service leads
    its own process group)."""
    return root / "run"


def celery_environment(
    root: Path, host: str, *, postgres: PostgresCluster, redis: RedisServer
) -> dict[str, str]:
    """Settings of every process of the Celery stack, on top of LocalExecutor's."""
    metadata = postgres.url(AIRFLOW_DATABASE)
    env = airflow_services_environment(root, host)
    env.update(
        {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
            # Airflow derives an asyncpg URL otherwise; psycopg 3 does both.
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": metadata,
            "AIRFLOW__CELERY__BROKER_URL": redis.url(),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
            # One message reserved per free process: a 22-page fax holds back nothing else.
            "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
            "AIRFLOW__CELERY__TASK_ACKS_LATE": "True",
            # Explicit: Redis re-delivers an unacknowledged message after this long; a
            # lost task comes back sooner through the heartbeat timeout (module docstring).
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "86400",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": os.environ.get(
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT", str(HEARTBEAT_TIMEOUT_S)
            ),
            "FAXFLOW_DATABASE_URL": postgres.url(FAXFLOW_DATABASE),
        }
    )
    return env


def worker_commands(bin_dir: Path, workers: int) -> dict[str, list[str]]:
    """Celery workers on the queues ``ocr`` and ``default``, one task at a time each. No
    log server (it binds every interface); the API server reads task logs from disk."""
    airflow = str(bin_dir / "airflow")
    return {
        WORKER_NAME.format(n=n): [
            airflow,
            "celery",
            "worker",
            "--queues",
            f"{OCR_QUEUE},{DEFAULT_QUEUE}",
            "--concurrency",
            "1",
            "--celery-hostname",
            f"{WORKER_NAME.format(n=n)}@%h",
            "--skip-serve-logs",
            "--without-mingle",
            "--without-gossip",
        ]
        for n in range(1, workers + 1)
    }


def backing_servers(root: Path) -> tuple[PostgresCluster, RedisServer]:
    """The stack's PostgreSQL cluster (created on first use) and Redis broker, each with
    its password kept under ``root/secrets`` and a fresh loopback port."""
    secrets = private_dir(root / "secrets")
    postgres = PostgresCluster(
        root / "postgres", password=stored_secret(secrets / "postgres.password")
    )
    redis = RedisServer(root / "redis", password=stored_secret(secrets / "redis.password"))
    postgres.initdb()
    return postgres, redis


def running_database_url(var_dir: Path, database: str = FAXFLOW_DATABASE) -> str | None:
    """The URL of a database of the stack running on ``var_dir`` now (None when its
    PostgreSQL is not running): for ``faxflow`` commands against the Celery stack,
    ``FAXFLOW_DATABASE_URL=$(…)``."""
    root = stack_root(var_dir)
    password = (root / "secrets" / "postgres.password").read_text(encoding="utf-8").strip()
    cluster = PostgresCluster(root / "postgres", password=password)
    port = cluster.running_port()
    if port is None:
        return None
    cluster.port = port
    return cluster.url(database)


def supervised_backing(postgres: PostgresCluster, redis: RedisServer) -> dict[str, BackingServer]:
    """Both servers in the foreground, for :func:`faxflow.up.supervise`."""
    return {
        # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client.
        "postgres": BackingServer(
            postgres.server_command(), postgres.ready, stop_signal=signal.SIGINT
        ),
        "redis": BackingServer(redis.server_command(), redis.ready),
    }


def run_celery(var_dir: Path, host: str) -> int:
    root = stack_root(var_dir)
    root.mkdir(parents=True, exist_ok=True)
    try:
        postgres, redis = backing_servers(root)
    except (subprocess.SubprocessError, OSError, KeyError) as exc:
        detail = getattr(exc, "stderr", "") or exc
        console.print(f"[red]PostgreSQL could not be set up in {root}:[/red] {detail}")
        return 1
    env = {
        **os.environ,
        **airflow_environment(root),
        **celery_environment(root, host, postgres=postgres, redis=redis),
    }
    # For faxflow commands against this stack: set -a; . var/celery/secrets/faxflow.env
    write_private(
        root / "secrets" / "faxflow.env",
        f"FAXFLOW_VAR_DIR={root}\nFAXFLOW_DATABASE_URL={postgres.url(FAXFLOW_DATABASE)}\n",
    )
    home = root / "airflow"
    prepare_admin_password(Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]))
    (root / "intake" / "inbox").mkdir(parents=True, exist_ok=True)
    install_dashboard_plugin(home)
    workers = worker_count()
    bin_dir = Path(sys.executable).parent

    def prepare() -> None:
        try:
            for database in (AIRFLOW_DATABASE, FAXFLOW_DATABASE):
                postgres.create_database(database)
            prepare_airflow(root, pool_slots=workers, extra=env)
        except (subprocess.SubprocessError, OSError) as exc:
            raise ServiceFailed(f"preparing Airflow's metadata database failed: {exc}") from exc

    commands = service_commands(bin_dir, host) | worker_commands(bin_dir, workers)
    logs = private_dir(root / "logs")
    extra = (
        f"  Executor     CeleryExecutor, {workers} workers on the queues {OCR_QUEUE} and "
        f"{DEFAULT_QUEUE} (pool {OCR_POOL}: {workers} slots)\n"
        f"  Broker       Redis on 127.0.0.1:{redis.port}; PostgreSQL on 127.0.0.1:"
        f"{postgres.port} (databases {AIRFLOW_DATABASE}, {FAXFLOW_DATABASE}; passwords in "
        f"{root / 'secrets'}/)\n"
    )
    return supervise(
        commands,
        env=env,
        logs=logs,
        banner=banner_text(host, var_dir=root, home=home, logs=logs, extra=extra),
        backing=supervised_backing(postgres, redis),
        prepare=prepare,
        restart=frozenset(worker_commands(bin_dir, workers)),
        pid_dir=pid_dir(root),
    )
