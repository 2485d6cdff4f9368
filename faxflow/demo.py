"""``make demo``: the real pipeline, through the Airflow DAG, on the committed samples.

Copies ``samples/set/docs/`` (the built-in forms) and ``samples/packs/docs/`` (one copy of
each form pack in ``forms/``, which the demo reads as ``FAXFLOW_FORMS_DIR`` unless that is
set) into a fresh inbox under ``var/demo/``, runs the ``fax_intake``
DAG once with ``dag.test()`` (Airflow home and its SQLite metadata database under
``var/airflow``), loads into the SQLite database ``var/demo/faxflow.db`` and prints one row
per document. Nothing here needs a running Airflow server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from faxflow.assets import OCR_POOL
from faxflow.settings import PROJECT_ROOT

console = Console()


def airflow_environment(var_dir: Path, home: Path | None = None) -> dict[str, str]:
    """Environment for a project-local Airflow: home (default ``var_dir/airflow``), DAGs
    folder, no examples."""
    home = home or var_dir / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "OMP_THREAD_LIMIT": "1",
    }


def prepare_airflow(
    var_dir: Path,
    *,
    pool_slots: int,
    home: Path | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """Migrate Airflow's metadata database once (the ``.migrated`` marker in its home) and
    make sure the OCR pool exists. ``extra`` adds settings, such as another metadata
    database than the home's SQLite file."""
    env = {**os.environ, **airflow_environment(var_dir, home), **(extra or {})}
    airflow = str(Path(sys.executable).with_name("airflow"))
    marker = Path(env["AIRFLOW_HOME"]) / ".migrated"
    if not marker.exists():
        console.print("preparing Airflow's metadata database (first run only) …")
        subprocess.run(
            [airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=600
        )
        marker.touch()
    subprocess.run(
        [airflow, "pools", "set", OCR_POOL, str(pool_slots), "faxflow OCR workers"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return env


def main() -> int:
    project_var = Path(os.environ.get("FAXFLOW_VAR_DIR", PROJECT_ROOT / "var"))
    demo_var = project_var / "demo"
    samples = PROJECT_ROOT / "samples" / "set" / "docs"
    documents = sorted(p for p in samples.iterdir() if p.is_file()) if samples.is_dir() else []
    if not documents:
        console.print(f"[red]no sample documents in {samples}[/red]")
        return 3
    packs = PROJECT_ROOT / "samples" / "packs" / "docs"
    if packs.is_dir():
        documents += sorted(p for p in packs.iterdir() if p.is_file())
        os.environ.setdefault("FAXFLOW_FORMS_DIR", str(PROJECT_ROOT / "forms"))
    for name in ("intake", "results", "pages", "faxflow.db", "exports"):
        target = demo_var / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    prepare_airflow(project_var, pool_slots=os.cpu_count() or 1)
    os.environ.update(airflow_environment(project_var))
    os.environ["FAXFLOW_VAR_DIR"] = str(demo_var)
    os.environ["FAXFLOW_STABLE_SECONDS"] = "0"
    os.environ.pop("FAXFLOW_DATABASE_URL", None)

    inbox = demo_var / "intake" / "inbox" / "demo-centre"
    inbox.mkdir(parents=True, exist_ok=True)
    for document in documents:
        shutil.copy2(document, inbox / document.name)
    console.print(f"dropped {len(documents)} sample documents into {inbox}")

    # Imported only now: Airflow reads AIRFLOW_HOME when it is first imported.
    from airflow.dag_processing.dagbag import DagBag

    from faxflow.flows import settings_from_environment

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    if bag.import_errors:
        for path, error in bag.import_errors.items():
            console.print(f"[red]DAG import error[/red] {path}: {error}")
        return 70
    dag = bag.get_dag("fax_intake")
    assert dag is not None
    started = time.perf_counter()
    # FAXFLOW_STABLE_SECONDS=0: the files were copied whole, so one poll claims them all.
    run = dag.test()
    wall = time.perf_counter() - started
    settings = settings_from_environment()
    return print_summary(settings.var_dir, state=str(run.state), wall=wall)


def print_summary(var_dir: Path, *, state: str, wall: float) -> int:
    from faxflow.flows import open_services, settings_from_environment

    services = open_services(settings_from_environment())
    table = Table(title=f"fax_intake DAG run: {state}")
    table.add_column("file", overflow="fold")  # the name is what a clerk looks for
    for column in ("form type", "status", "pages", "fields filled", "seconds"):
        table.add_column(column, overflow="fold")
    counts: dict[str, int] = {}
    for entry in services.ledger.entries():
        form_type, status, pages, filled, seconds = "-", entry.status.value, "-", "-", "-"
        if entry.status.value == "quarantined":
            status = f"quarantined ({entry.reason_code})"
        result_path = var_dir / "results" / f"{entry.document_id}.json"
        if entry.document_id and result_path.exists() and entry.status.value == "archived":
            payload = json.loads(result_path.read_text(encoding="utf-8"))
            result = payload["result"]
            form_type, status, pages = (
                result["form_type"],
                result["status"],
                str(result["page_count"]),
            )
            record = result["record"]
            filled_count = sum(1 for v in record.values() if v not in (None, [], False))
            filled = f"{filled_count}/{len(record)}"
            seconds = f"{sum(payload['seconds'].values()):.1f}"
        counts[status] = counts.get(status, 0) + 1
        table.add_row(entry.original_name, form_type, status, pages, filled, seconds)
    console.print(table)
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    console.print(f"{sum(counts.values())} documents in {wall:.1f} s: {summary}")
    console.print(f"records in {services.settings.db_url}")
    return 0 if state.endswith("success") else 1


if __name__ == "__main__":
    raise SystemExit(main())
