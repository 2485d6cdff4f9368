"""``make bench``'s Airflow section: the stacks ``make up`` starts, measured from outside.

- Latency from drop to database, with the inbox otherwise idle, under LocalExecutor
  (``make up``) and CeleryExecutor (``make up EXECUTOR=celery``): a 2-page fax and a
  refused file dropped together, seconds until the fax's record is in the database and
  the refused file in quarantine.
- Throughput of the Celery stack (two workers) on a set of documents the in-process CLI
  also read (``faxflow.bench`` runs the CLI): pages per second from the first processing
  task's start to the last one's end, and from the drop to the last record.
- Scheduling overhead per mapped task, from Airflow's own task-instance times: the wait
  between queued and started, and the task's duration beyond the pipeline's seconds (task
  process start, imports, execution API, database sessions).

Everything runs in a scratch folder; each stack is stopped with SIGTERM afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from faxflow.settings import PROJECT_ROOT

console = Console()

TARGET_DROP_TO_DATABASE_S = 60.0
TARGET_DROP_TO_QUARANTINE_S = 20.0
TARGET_CELERY_OVER_CLI = 0.7
EXECUTORS = {"local": "LocalExecutor (make up)", "celery": "CeleryExecutor"}


@dataclass(frozen=True, slots=True)
class RunningStack:
    """A ``make up`` stack started by :func:`running_stack`."""

    executor: str
    var_dir: Path

    @property
    def root(self) -> Path:
        """faxflow's var folder of this stack (the Celery stack keeps its own)."""
        return self.var_dir / "celery" if self.executor == "celery" else self.var_dir

    def database_url(self, database: str = "faxflow") -> str | None:
        if self.executor == "celery":
            from faxflow.celery_stack import running_database_url

            return running_database_url(self.var_dir, database)
        if database == "airflow":
            return f"sqlite:///{self.root / 'airflow' / 'airflow.db'}"
        return f"sqlite:///{self.root / 'faxflow.db'}"

    def scalar(self, sql: str, database: str = "faxflow") -> Any:
        """One value from one of the stack's databases; None while it is not there yet."""
        import sqlalchemy as sa

        url = self.database_url(database)
        if url is None:
            return None
        engine = sa.create_engine(url)
        try:
            with engine.connect() as connection:
                return connection.execute(sa.text(sql)).scalar()
        except sa.exc.SQLAlchemyError:
            return None  # not created yet, or locked by a writer for a moment
        finally:
            engine.dispose()


@contextlib.contextmanager
def running_stack(executor: str, work: Path, *, timeout_s: float = 600.0) -> Iterator[RunningStack]:
    """``python -m faxflow.up --executor <executor>`` in ``work/stack-<executor>``, once
    its first fax_intake run has looked at the inbox; stopped with SIGTERM afterwards."""
    from faxflow.localservers import free_port

    var_dir = work / f"stack-{executor}"
    var_dir.mkdir(parents=True, exist_ok=True)
    var_dir.chmod(0o755)  # PostgreSQL's own user must reach its cluster inside
    env = {
        **os.environ,
        "FAXFLOW_VAR_DIR": str(var_dir),
        "FAXFLOW_AIRFLOW_PORT": str(free_port()),
        "FAXFLOW_DASHBOARD_PORT": str(free_port()),
        "OMP_THREAD_LIMIT": "1",
        # Airflow's task processes import faxflow from this checkout, whatever is installed.
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    env.pop("FAXFLOW_DATABASE_URL", None)
    stack = RunningStack(executor, var_dir)
    log_path = work / f"stack-{executor}.log"
    with log_path.open("wb") as log:
        up = subprocess.Popen(
            [sys.executable, "-m", "faxflow.up", "--executor", executor],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # The first claim_and_check leaves its inbox observations: fax_intake is running.
        observed = stack.root / "intake" / ".state" / "observations.json"
        deadline = time.monotonic() + timeout_s
        while not observed.exists():
            if up.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"make up's {executor} stack never ran fax_intake; see {log_path}"
                )
            time.sleep(1)
        yield stack
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(up.pid, signal.SIGTERM)
        try:
            up.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)


def _drop(files: list[Path], inbox: Path) -> None:
    """Each file appears whole, by a rename, as a fax server would deliver it."""
    inbox.mkdir(parents=True, exist_ok=True)
    for source in files:
        shutil.copy(source, inbox / f"{source.name}.part")
    for source in files:
        os.rename(inbox / f"{source.name}.part", inbox / source.name)


def measure_latency(stack: RunningStack, fax: Path, *, timeout_s: float = 600.0) -> dict[str, Any]:
    """Seconds from dropping a fax and a refused file together into the idle inbox to the
    fax's record in the database and the refused file's reason in quarantine."""
    inbox = stack.root / "intake" / "inbox" / "bench-latency"
    refused = fax.parent / "notes.txt"
    refused.write_bytes(b"this is not a fax\n")
    quarantine = stack.root / "intake" / "quarantine" / "E_TYPE"
    before = stack.scalar("select count(*) from documents") or 0
    # Counted, not looked for: an earlier drop on the same stack left its reason files.
    reasons_before = len(list(quarantine.glob("*.reason.txt")))
    dropped_wall = time.time()
    dropped = time.monotonic()
    _drop([fax, refused], inbox)
    to_quarantine = to_database = None
    while time.monotonic() - dropped < timeout_s and (to_quarantine is None or to_database is None):
        if to_quarantine is None and len(list(quarantine.glob("*.reason.txt"))) > reasons_before:
            to_quarantine = time.monotonic() - dropped
        if to_database is None and (stack.scalar("select count(*) from documents") or 0) > before:
            to_database = time.monotonic() - dropped
        time.sleep(0.25)
    return {
        "executor": _label(stack.executor),
        "pages": 2,
        "dropped_seconds_after_the_minute": round(dropped_wall % 60, 1),
        "drop_to_database_s": to_database,
        "drop_to_quarantine_s": to_quarantine,
    }


def measure_throughput(
    stack: RunningStack, documents: list[Path], *, timeout_s: float = 3600.0
) -> dict[str, Any]:
    """Drop ``documents`` together; pages per second and the scheduling overhead per
    mapped task once every one has its record or its quarantine (pages and the pipeline's
    seconds counted from the result files of the documents read)."""
    inbox = stack.root / "intake" / "inbox" / "bench-throughput"
    before = stack.scalar("select count(*) from intake_ledger") or 0
    results = stack.root / "results"
    earlier = set(results.glob("*.json")) if results.is_dir() else set()
    dropped_at = datetime.now(UTC)
    dropped = time.monotonic()
    _drop(documents, inbox)
    final = (
        "select count(*) from intake_ledger "
        "where status in ('archived', 'quarantined', 'duplicate')"
    )
    while (stack.scalar(final) or 0) < before + len(documents):
        if time.monotonic() - dropped > timeout_s:
            return {"error": f"not every document was done within {timeout_s:.0f} s"}
        time.sleep(1)
    drop_to_last = time.monotonic() - dropped
    tasks = _task_times(stack, dropped_at)
    if not tasks:
        return {"error": "no processing task found in Airflow's metadata"}
    first_start = min(t["start"] for t in tasks)
    last_end = max(t["end"] for t in tasks)
    window = (last_end - first_start).total_seconds()
    read = set(results.glob("*.json")) - earlier
    pages, pipeline = _pages_and_pipeline_seconds(read)
    durations = [(t["end"] - t["start"]).total_seconds() for t in tasks]
    waits = [(t["start"] - t["queued"]).total_seconds() for t in tasks if t["queued"]]
    return {
        "executor": _label(stack.executor),
        "documents": len(documents),
        "documents_read": len(read),
        "pages": pages,
        "tasks": len(tasks),
        "processing_window_s": window,
        "pages_per_second": pages / window if window else 0.0,
        "drop_to_last_record_s": drop_to_last,
        "pages_per_second_from_drop": pages / drop_to_last,
        "task_seconds_mean": sum(durations) / len(durations),
        "pipeline_seconds_mean": pipeline / len(tasks),
        "overhead_in_task_s": (sum(durations) - pipeline) / len(tasks),
        "queued_to_started_s": sum(waits) / len(waits) if waits else None,
    }


def _task_times(stack: RunningStack, since: datetime) -> list[dict[str, Any]]:
    """Queued, start and end of every successful processing task that started after
    ``since``, from Airflow's metadata database."""
    import sqlalchemy as sa

    url = stack.database_url("airflow")
    assert url is not None
    engine = sa.create_engine(url)
    query = sa.text(
        "select queued_dttm, start_date, end_date from task_instance where dag_id = "
        "'fax_intake' and task_id = 'process_document' and state = 'success' "
        "and start_date >= :since"
    )
    stamp: Any = since if engine.dialect.name == "postgresql" else since.replace(tzinfo=None)
    try:
        with engine.connect() as connection:
            rows = connection.execute(query, {"since": stamp}).all()
    finally:
        engine.dispose()

    def aware(value: Any) -> datetime | None:
        if value is None:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    return [{"queued": aware(q), "start": aware(s), "end": aware(e)} for q, s, e in rows]


def _pages_and_pipeline_seconds(result_files: set[Path]) -> tuple[int, float]:
    """Pages, and the pipeline's own seconds (every stage), summed over these documents'
    result files."""
    pages, seconds = 0, 0.0
    for path in result_files:
        payload = json.loads(path.read_text(encoding="utf-8"))
        pages += int(payload["result"]["page_count"])
        seconds += sum(float(v) for v in payload.get("seconds", {}).values())
    return pages, seconds


def measure_airflow_path(documents: list[Path], fax: Path, work: Path) -> dict[str, Any]:
    """Latency under both executors (``fax``: a 2-page fax that is not one of
    ``documents``, else it would be their duplicate) and the Celery stack's throughput
    on ``documents`` (see the module docstring). A stack that fails to start is
    reported, not raised."""
    results: dict[str, Any] = {"latency": [], "throughput": None}
    loads = [os.getloadavg()[0]]
    for executor in ("local", "celery"):
        console.print(f"make up ({executor}): latency from drop to database …")
        try:
            with running_stack(executor, work) as stack:
                latency_fax = work / f"latency-{executor}" / "fax.tif"
                latency_fax.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(fax, latency_fax)
                results["latency"].append(measure_latency(stack, latency_fax))
                if executor == "celery":
                    console.print(f"make up (celery): {len(documents)} documents …")
                    results["throughput"] = measure_throughput(stack, documents)
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            results["latency"].append({"executor": _label(executor), "error": str(exc)})
        loads.append(os.getloadavg()[0])
    # Other jobs on a shared machine make every number here noisy: say how busy it was.
    results["load_average"] = [min(loads), max(loads)]
    results["cores"] = os.cpu_count() or 1
    return results


def _label(executor: str) -> str:
    """How a stack is named in the report: the Celery one with its number of workers."""
    if executor == "celery":
        from faxflow.celery_stack import worker_count

        count = worker_count()
        return f"{EXECUTORS[executor]}, {count} worker{'s' * (count > 1)}"
    return EXECUTORS[executor]


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _shown(seconds: float | None, target: float) -> str:
    if seconds is None:
        return "not reached within the time limit: missed"
    return f"**{seconds:.0f} s** (target ≤ {target:.0f} s: {_mark(seconds <= target)})"


def airflow_lines(measured: dict[str, Any] | None, cli: dict[str, Any] | None) -> list[str]:
    """The report's section on the Airflow path (empty when not measured). ``cli`` is the
    in-process CLI's speed row on the same documents."""
    if not measured:
        return []
    lines = ["", "## The Airflow path: CeleryExecutor against the CLI, latency", ""]
    if measured.get("load_average"):
        low, high = measured["load_average"]
        lines += [
            f"The 1-minute load average was {low:.1f}–{high:.1f} on {measured['cores']} cores "
            "during these runs (other jobs shared the machine): single runs, noisy numbers.",
            "",
        ]
    throughput = measured.get("throughput")
    if throughput and "error" not in throughput and cli:
        ratio = throughput["pages_per_second"] / cli["pages_per_second"]
        lines += [
            f"The same {throughput['documents']} documents ({throughput['pages']} pages), "
            f"dropped together into the inbox of `make up EXECUTOR=celery` "
            f"({throughput['executor']}, one task each) and read by the in-process CLI ("
            f"{cli['workers']} workers):",
            "",
            "| path | pages/s | seconds |",
            "|---|---:|---:|",
            f"| CLI, in process | {cli['pages_per_second']:.3f} | {cli['seconds']:.1f} |",
            f"| Celery, first task start to last task end | "
            f"{throughput['pages_per_second']:.3f} | {throughput['processing_window_s']:.1f} |",
            f"| Celery, drop to last record (incl. the wait for a run to start) | "
            f"{throughput['pages_per_second_from_drop']:.3f} | "
            f"{throughput['drop_to_last_record_s']:.1f} |",
            "",
            f"Celery over CLI: **{ratio:.2f}×** (target ≥ {TARGET_CELERY_OVER_CLI}×: "
            f"{_mark(ratio >= TARGET_CELERY_OVER_CLI)}). Scheduling overhead per mapped task "
            f"({throughput['tasks']} tasks): {_seconds(throughput['queued_to_started_s'])} "
            "from queued to started, and "
            f"{throughput['overhead_in_task_s']:.1f} s of each task's "
            f"{throughput['task_seconds_mean']:.1f} s beyond the pipeline's own "
            f"{throughput['pipeline_seconds_mean']:.1f} s (task process, imports, execution "
            "API, database sessions).",
        ]
    elif throughput:
        lines += [f"Celery throughput not measured: {throughput.get('error', 'no CLI run')}."]
    lines += [
        "",
        "Latency with the inbox otherwise idle: a 2-page fax and a refused file dropped "
        "together (fax_intake starts when the inbox watcher sees them, within seconds "
        "wherever in the minute they land; the minute's run is the fallback):",
        "",
        "| executor | dropped after the minute | fax → database | refused → quarantine |",
        "|---|---:|---|---|",
    ]
    for row in measured.get("latency", []):
        if "error" in row:
            lines.append(f"| {row['executor']} | — | not measured: {row['error']} | — |")
            continue
        lines.append(
            f"| {row['executor']} | {row['dropped_seconds_after_the_minute']:.0f} s | "
            f"{_shown(row['drop_to_database_s'], TARGET_DROP_TO_DATABASE_S)} | "
            f"{_shown(row['drop_to_quarantine_s'], TARGET_DROP_TO_QUARANTINE_S)} |"
        )
    return lines


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def replace_section(markdown: str, lines: list[str]) -> str:
    """``markdown`` with the section ``lines`` starts with (its ``## `` heading) replaced,
    or added before the chart at the end."""
    heading = next(line for line in lines if line.startswith("## "))
    section = "\n".join(lines).strip("\n") + "\n"
    text = markdown.splitlines(keepends=True)
    for start, line in enumerate(text):
        if line.rstrip("\n") == heading:
            end = next(
                (i for i in range(start + 1, len(text)) if text[i].startswith(("## ", "!["))),
                len(text),
            )
            return "".join(text[:start]) + section + "\n" + "".join(text[end:])
    chart = next((i for i, line in enumerate(text) if line.startswith("![")), len(text))
    return "".join(text[:chart]) + section + "\n" + "".join(text[chart:])
