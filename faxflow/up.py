"""``make up``: Airflow (scheduler, API server, DAG processor, triggerer; LocalExecutor)
with faxflow's DAGs, the watched inbox under ``var/intake/inbox``, and the review dashboard.

Everything runs in the foreground of one terminal; Ctrl-C stops every process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from faxflow.demo import prepare_airflow
from faxflow.settings import PROJECT_ROOT

console = Console()

AIRFLOW_PORT = int(os.environ.get("FAXFLOW_AIRFLOW_PORT", "8080"))
DASHBOARD_PORT = int(os.environ.get("FAXFLOW_DASHBOARD_PORT", "8050"))


def airflow_services_environment(var_dir: Path) -> dict[str, str]:
    """Environment shared by every Airflow process of ``make up``."""
    home = var_dir / "airflow"
    return {
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(max(2, os.cpu_count() or 1)),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__API__PORT": str(AIRFLOW_PORT),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{AIRFLOW_PORT}",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "FAXFLOW_VAR_DIR": str(var_dir),
    }


def main() -> int:
    var_dir = Path(os.environ.get("FAXFLOW_VAR_DIR", PROJECT_ROOT / "var")).resolve()
    env = {**prepare_airflow(var_dir, pool_slots=os.cpu_count() or 1)}
    env.update(airflow_services_environment(var_dir))
    inbox = var_dir / "intake" / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    # The dashboard also mounts into Airflow's API server under /faxflow (same login).
    plugins = var_dir / "airflow" / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    (plugins / "faxflow_dashboard.py").write_text(
        "from dashboard.airflow_plugin import FaxflowDashboardPlugin  # noqa: F401\n",
        encoding="utf-8",
    )
    bin_dir = Path(sys.executable).parent
    commands = {
        "scheduler": [str(bin_dir / "airflow"), "scheduler"],
        "dag-processor": [str(bin_dir / "airflow"), "dag-processor"],
        "triggerer": [str(bin_dir / "airflow"), "triggerer"],
        "api-server": [str(bin_dir / "airflow"), "api-server", "--port", str(AIRFLOW_PORT)],
        "dashboard": [str(bin_dir / "faxflow"), "dashboard", "--port", str(DASHBOARD_PORT)],
    }
    logs = var_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    for name, command in commands.items():
        log_file = (logs / f"{name}.log").open("ab")
        processes[name] = subprocess.Popen(
            command, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
    console.print(
        f"[bold]faxflow is up[/bold]\n"
        f"  Airflow UI   http://127.0.0.1:{AIRFLOW_PORT}  (user admin, password in "
        f"{var_dir / 'airflow' / 'passwords.json'})\n"
        f"  Dashboard    http://127.0.0.1:{DASHBOARD_PORT}  (create a user first: "
        f"faxflow users add NAME --role admin); also inside Airflow at "
        f"http://127.0.0.1:{AIRFLOW_PORT}/faxflow/\n"
        f"  Inbox        {inbox}/<centre id>/  — drop faxes and scans here\n"
        f"  Logs         {logs}/\n"
        "Ctrl-C stops everything."
    )
    try:
        while all(p.poll() is None for p in processes.values()):
            time.sleep(1)
        dead = [n for n, p in processes.items() if p.poll() is not None]
        console.print(f"[red]stopped:[/red] {', '.join(dead)}; see {logs}/")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


if __name__ == "__main__":
    raise SystemExit(main())
