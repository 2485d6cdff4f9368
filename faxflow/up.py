"""``make up``: Airflow (scheduler, API server, DAG processor, triggerer; LocalExecutor)
with faxflow's DAGs, the watched inbox under ``var/intake/inbox``, and the review dashboard.

Everything runs in the foreground of one terminal. Ctrl-C, SIGTERM, SIGHUP or the death of
``make`` (the parent) stop every process it started: each service runs in its own process
group, which is signalled as a whole, and dies with the supervisor even if the supervisor
itself is killed outright (``prctl(PR_SET_PDEATHSIG)``).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from faxflow.demo import prepare_airflow
from faxflow.private import make_private, private_dir, write_private
from faxflow.settings import PROJECT_ROOT, get_settings

console = Console()

AIRFLOW_PORT = int(os.environ.get("FAXFLOW_AIRFLOW_PORT", "8080"))
DASHBOARD_PORT = int(os.environ.get("FAXFLOW_DASHBOARD_PORT", "8050"))
LOCALHOST = "127.0.0.1"


def airflow_services_environment(var_dir: Path, host: str = LOCALHOST) -> dict[str, str]:
    """Environment shared by every Airflow process of ``make up``."""
    home = var_dir / "airflow"
    return {
        "AIRFLOW__API__HOST": host,
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        # The pool `ocr` has one slot per core; two more let a new run's claim_and_check
        # (refusals to quarantine) and announce_records start while every core reads.
        "AIRFLOW__CORE__PARALLELISM": str((os.cpu_count() or 1) + 2),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__API__PORT": str(AIRFLOW_PORT),
        "AIRFLOW__API__BASE_URL": f"http://{_url_host(host)}:{AIRFLOW_PORT}",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "FAXFLOW_VAR_DIR": str(var_dir),
    }


ANY_INTERFACE = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 - only to name it in URLs


def _url_host(host: str) -> str:
    """The host to print in URLs (a wildcard address is reached through localhost)."""
    return LOCALHOST if host in ANY_INTERFACE else host


def service_commands(bin_dir: Path, host: str) -> dict[str, list[str]]:
    """Every process ``make up`` starts. Each server listens on ``host`` only (default
    127.0.0.1; ``FAXFLOW_BIND_HOST`` says otherwise). The scheduler's and triggerer's log
    servers are not started: Airflow binds them to every interface whatever the settings,
    and on one machine the API server reads the task logs from disk anyway."""
    airflow = str(bin_dir / "airflow")
    return {
        "scheduler": [airflow, "scheduler", "--skip-serve-logs"],
        "dag-processor": [airflow, "dag-processor"],
        "triggerer": [airflow, "triggerer", "--skip-serve-logs"],
        "api-server": [airflow, "api-server", "--host", host, "--port", str(AIRFLOW_PORT)],
        "dashboard": [
            str(bin_dir / "faxflow"),
            "dashboard",
            "--host",
            host,
            "--port",
            str(DASHBOARD_PORT),
        ],
    }


def prepare_admin_password(passwords_file: Path, username: str = "admin") -> None:
    """Write Airflow's admin password (random, 0600) before the API server starts: left to
    itself, Airflow's simple auth manager generates it and prints it in clear to its log."""
    try:
        known = json.loads(passwords_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if isinstance(known, dict) and known.get(username):
        make_private(passwords_file)
        return
    password = secrets.token_urlsafe(18)
    write_private(passwords_file, json.dumps({**known, username: password}) + "\n")


def install_dashboard_plugin(home: Path) -> None:
    # The dashboard also mounts into Airflow's API server under /faxflow (same login).
    plugins = home / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    (plugins / "faxflow_dashboard.py").write_text(
        "from dashboard.airflow_plugin import FaxflowDashboardPlugin  # noqa: F401\n",
        encoding="utf-8",
    )


def banner_text(host: str, *, var_dir: Path, home: Path, logs: Path, extra: str = "") -> str:
    shown = _url_host(host)
    inbox = var_dir / "intake" / "inbox"
    return (
        f"[bold]faxflow is up[/bold] (servers listen on {host})\n"
        f"  Airflow UI   http://{shown}:{AIRFLOW_PORT}  (user admin, password in "
        f"{home / 'passwords.json'})\n"
        f"  Dashboard    http://{shown}:{DASHBOARD_PORT}  (create a user first: "
        f"faxflow users add NAME --role admin); also inside Airflow at "
        f"http://{shown}:{AIRFLOW_PORT}/faxflow/\n"
        f"  Inbox        {inbox}/<centre id>/  — drop faxes and scans here\n"
        f"{extra}"
        f"  Logs         {logs}/\n"
        "Ctrl-C stops everything."
    )


def run_local(var_dir: Path, host: str) -> int:
    """LocalExecutor on SQLite metadata: Airflow and the dashboard, faxflow's data in
    ``var_dir``."""
    env = {**prepare_airflow(var_dir, pool_slots=os.cpu_count() or 1)}
    env.update(airflow_services_environment(var_dir, host))
    home = var_dir / "airflow"
    prepare_admin_password(Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]))
    (var_dir / "intake" / "inbox").mkdir(parents=True, exist_ok=True)
    install_dashboard_plugin(home)
    commands = service_commands(Path(sys.executable).parent, host)
    logs = private_dir(var_dir / "logs")
    banner = banner_text(host, var_dir=var_dir, home=home, logs=logs)
    return supervise(commands, env=env, logs=logs, banner=banner)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make up", description=__doc__)
    parser.add_argument(
        "--executor",
        choices=("local", "celery"),
        default="local",
        help="local: LocalExecutor on SQLite (default); celery: CeleryExecutor with Redis, "
        "PostgreSQL and two workers on the queue ocr, everything under var/celery/",
    )
    args = parser.parse_args(argv)
    var_dir = Path(os.environ.get("FAXFLOW_VAR_DIR", PROJECT_ROOT / "var")).resolve()
    host = get_settings().bind_host
    if args.executor == "celery":
        from faxflow.celery_stack import run_celery

        return run_celery(var_dir, host)
    return run_local(var_dir, host)


# --------------------------------------------------------------------------------------
# supervision: every process make up started ends when make up ends, however it ends
# --------------------------------------------------------------------------------------

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
GRACE_SECONDS = 20.0
"""How long services get to stop after SIGTERM before their process groups are killed."""


class StopRequested(Exception):
    """SIGTERM or SIGHUP arrived (Ctrl-C arrives as KeyboardInterrupt)."""


def die_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent dies (``prctl
    PR_SET_PDEATHSIG``). False where that is unavailable; the supervisor also watches its
    parent's pid, so it notices a dead parent there too, a second later."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _service_preexec() -> None:
    # In the child, before exec: if the supervisor is killed outright (SIGKILL gives it no
    # chance to clean up), the service still gets SIGTERM.
    die_with_parent(signal.SIGTERM)


@dataclass(frozen=True, slots=True)
class BackingServer:
    """A server the supervised services need before they start (a database, a broker):
    started first, polled with ``ready`` until it answers, stopped last with
    ``stop_signal``."""

    command: list[str]
    ready: Callable[[], bool]
    stop_signal: signal.Signals = signal.SIGTERM
    start_timeout: float = 60.0


RESTART_PAUSE_SECONDS = 2.0
RESTART_MIN_UPTIME_SECONDS = 10.0
RESTART_GIVE_UP_AFTER = 5
"""A restartable service that dies this many times in a row within its first
``RESTART_MIN_UPTIME_SECONDS`` is not started again: everything stops instead."""


def supervise(
    commands: dict[str, list[str]],
    *,
    env: dict[str, str],
    logs: Path,
    banner: str | None = None,
    grace_seconds: float = GRACE_SECONDS,
    poll_seconds: float = 1.0,
    backing: dict[str, BackingServer] | None = None,
    prepare: Callable[[], None] | None = None,
    restart: frozenset[str] = frozenset(),
    pid_dir: Path | None = None,
) -> int:
    """Start each command in its own process group (its output in ``logs/<name>.log``) and
    keep them running until one of them stops (exit 1), or until this process is told to
    stop — Ctrl-C (SIGINT), SIGTERM, SIGHUP, or the death of its parent (``make``) —
    (exit 0). Either way every process group it started gets SIGTERM, then, after
    ``grace_seconds``, SIGKILL: nothing it started keeps serving or polling the inbox.

    ``backing`` servers start before everything else, each awaited until ready; then
    ``prepare`` runs (migrations); they stop after the services, with their own signal.
    A service named in ``restart`` (a Celery worker) is started again when it dies, as a
    lost worker machine comes back. With ``pid_dir``, each service's pid (the id of its
    process group too) is kept in ``pid_dir/<name>.pid`` while it runs."""
    parent = os.getppid()
    die_with_parent(signal.SIGTERM)
    previous = {sig: signal.signal(sig, _request_stop) for sig in STOP_SIGNALS[1:]}
    logs.mkdir(parents=True, exist_ok=True)
    servers: dict[str, subprocess.Popen[bytes]] = {}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        if os.getppid() != parent:  # the parent died before the death signal was armed
            return 0
        for name, server in (backing or {}).items():
            servers[name] = _start_service(name, server.command, env=env, logs=logs, pids=pid_dir)
            _await_ready(name, server, servers[name], parent)
        if prepare is not None:
            prepare()
        started: dict[str, float] = {}
        quick_deaths: dict[str, int] = {}
        for name, command in commands.items():
            processes[name] = _start_service(name, command, env=env, logs=logs, pids=pid_dir)
            started[name] = time.monotonic()
        if banner:
            console.print(banner)
        while True:
            if os.getppid() != parent:
                console.print("the parent process ended; stopping everything")
                return 0
            dead = [n for n, p in {**servers, **processes}.items() if p.poll() is not None]
            for name in [n for n in dead if n in restart]:
                quick = time.monotonic() - started[name] < RESTART_MIN_UPTIME_SECONDS
                quick_deaths[name] = quick_deaths.get(name, 0) + 1 if quick else 0
                if quick_deaths[name] >= RESTART_GIVE_UP_AFTER:
                    continue  # dies as soon as it starts: stop everything
                console.print(f"[yellow]{name} ended; starting it again[/yellow]")
                _signal_group(processes[name].pid, signal.SIGKILL)  # its orphans, if any
                time.sleep(RESTART_PAUSE_SECONDS)
                processes[name] = _start_service(
                    name, commands[name], env=env, logs=logs, pids=pid_dir
                )
                started[name] = time.monotonic()
                dead.remove(name)
            if dead:
                console.print(f"[red]stopped:[/red] {', '.join(dead)}; see {logs}/")
                return 1
            time.sleep(poll_seconds)
    except (KeyboardInterrupt, StopRequested):
        return 0
    except ServiceFailed as exc:
        console.print(f"[red]{exc}[/red]; see {logs}/")
        return 1
    finally:
        for sig in STOP_SIGNALS:  # a second Ctrl-C must not cut the clean-up short
            signal.signal(sig, signal.SIG_IGN)
        stop_process_groups(list(processes.values()), grace_seconds=grace_seconds)
        for name, process in servers.items():  # the databases last: services write to them
            server = (backing or {})[name]
            stop_process_groups([process], grace_seconds=grace_seconds, sig=server.stop_signal)
        if pid_dir is not None:
            for name in [*processes, *servers]:
                (pid_dir / f"{name}.pid").unlink(missing_ok=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _start_service(
    name: str, command: list[str], *, env: dict[str, str], logs: Path, pids: Path | None
) -> subprocess.Popen[bytes]:
    with (logs / f"{name}.log").open("ab") as log_file:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_service_preexec,  # the supervisor runs no threads
        )
    if pids is not None:
        pids.mkdir(parents=True, exist_ok=True)
        (pids / f"{name}.pid").write_text(f"{process.pid}\n", encoding="utf-8")
    return process


def _await_ready(
    name: str, server: BackingServer, process: subprocess.Popen[bytes], parent: int
) -> None:
    deadline = time.monotonic() + server.start_timeout
    while not server.ready():
        if process.poll() is not None:
            raise ServiceFailed(f"{name} ended while starting (exit {process.returncode})")
        if os.getppid() != parent:
            raise StopRequested("the parent process ended")
        if time.monotonic() > deadline:
            raise ServiceFailed(f"{name} did not answer within {server.start_timeout:.0f} s")
        time.sleep(0.2)


class ServiceFailed(Exception):
    """A backing server did not come up."""


def _request_stop(signum: int, frame: object) -> None:
    raise StopRequested(signal.Signals(signum).name)


def stop_process_groups(
    processes: list[subprocess.Popen[bytes]],
    *,
    grace_seconds: float,
    sig: signal.Signals = signal.SIGTERM,
) -> None:
    """``sig`` (SIGTERM) to each process's group, then SIGKILL to every group still holding
    a process after ``grace_seconds`` — grandchildren included, even when the group's
    leader has already exited."""
    for process in processes:
        _signal_group(process.pid, sig)
    deadline = time.monotonic() + grace_seconds
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
    while time.monotonic() < deadline and any(_group_alive(p.pid) for p in processes):
        time.sleep(0.2)
    for process in processes:
        _signal_group(process.pid, signal.SIGKILL)
    for process in processes:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            console.print(f"[red]process {process.pid} did not stop[/red]")


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group has gone
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
