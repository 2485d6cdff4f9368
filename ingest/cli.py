"""``faxflow intake``: run the watched inbox and check its state.

``faxflow intake run`` polls ``<intake root>/inbox/`` and processes every file whose size
and modification time have been stable for ``FAXFLOW_STABLE_SECONDS``; ``faxflow intake
status`` counts the ledger and checks the intake invariant.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections import Counter
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from faxflow.errors import ExitCode, FaxflowError
from faxflow.ledger import Ledger
from faxflow.model import SourceDocument
from faxflow.settings import Settings, get_settings
from ingest.ledger import JsonlLedger

if TYPE_CHECKING:
    # ingest.intake and ingest.raster load Pillow and OpenCV: imported where they are used,
    # so that `faxflow --help` and unrelated commands start fast.
    from ingest.intake import IntakeReport, ProcessFn

console = Console(stderr=True)

# What faxflow.pipeline.process_source needs, as (module, attribute) pairs.
PIPELINE_PARTS = (
    ("faxflow.pipeline", "process_source"),
    ("extract.extractor", "extract_document"),
    ("ocr.cleanup", "clean_page"),
    ("validate", "validate_extraction"),
)


RUN_HELP = (
    "Process the inbox: claim stable files, check and process them, archive or quarantine."
    "\n\n"
    "Files in inbox/<centre>/ are claimed once their size and modification time have not "
    "changed for FAXFLOW_STABLE_SECONDS (default 5). Refused files go to "
    "quarantine/<CODE>/ with a reason file a clerk can read; exact duplicates go to "
    "archive/duplicates/. Without --once it polls until Ctrl-C. "
    "Exit code 3 when any file was quarantined."
)
STATUS_HELP = (
    "Count ledger rows by status and check the intake invariant."
    "\n\n"
    "The invariant: every file that entered the inbox is in archive/ or quarantine/ (or in "
    "work/ while claimed) and has exactly one ledger row. Exit code 1 when it is broken."
)


class ProcessMode(StrEnum):
    AUTO = "auto"
    PIPELINE = "pipeline"
    VERIFY = "verify"


def register(app: typer.Typer) -> None:
    """Add the ``intake`` command group to the root app."""
    intake = typer.Typer(
        help="The watched inbox: claim stable files, check them, then archive or quarantine.",
        no_args_is_help=True,
    )
    intake.command("run", help=RUN_HELP)(run_command)
    intake.command("status", help=STATUS_HELP)(status_command)
    app.add_typer(intake, name="intake")


# --------------------------------------------------------------------------------------
# choosing the ledger and the process function
# --------------------------------------------------------------------------------------


def _available(*modules: str) -> bool:
    try:
        return all(importlib.util.find_spec(name) is not None for name in modules)
    except ModuleNotFoundError:
        return False


def _pipeline_ready() -> bool:
    """Whether every stage of the OCR pipeline is installed (other packages may still be
    under construction; then intake only verifies pages)."""
    try:
        return all(
            hasattr(importlib.import_module(module), attribute)
            for module, attribute in PIPELINE_PARTS
        )
    except ImportError:
        return False


def open_ledger(settings: Settings, path: Path | None) -> Ledger:
    """The JSONL ledger at ``path``; without one, the database ledger when the loaders
    package provides it, else ``<intake root>/.state/ledger.jsonl``."""
    if path is None and _available("loaders.ledger", "loaders.db"):
        db = importlib.import_module("loaders.db")
        engine = db.engine_for(settings.db_url)
        db.upgrade(engine)
        ledger: Ledger = importlib.import_module("loaders.ledger").SqlLedger(engine)
        return ledger
    from ingest.intake import IntakeFolders

    folders = IntakeFolders.from_settings(settings)
    return JsonlLedger(path or folders.state / "ledger.jsonl")


def choose_process(settings: Settings, mode: ProcessMode) -> tuple[ProcessFn, str]:
    """The function run on each checked document, and its description."""
    if mode is ProcessMode.AUTO:
        mode = ProcessMode.PIPELINE if _pipeline_ready() else ProcessMode.VERIFY
    if mode is ProcessMode.VERIFY:
        from ingest.raster import verify_pages

        return (lambda source: verify_pages(source, settings)), "decode every page, then archive"
    return _pipeline_process(settings), "the full pipeline (OCR, extraction, validation)"


def _pipeline_process(settings: Settings) -> Callable[[SourceDocument], None]:
    # Imported by name: the pipeline and the loaders are optional at intake's level.
    process_source = importlib.import_module("faxflow.pipeline").process_source
    loader: Callable[..., Any] | None = None
    engine: Any = None
    if _available("loaders.load", "loaders.db"):
        settings.require_secrets()
        db = importlib.import_module("loaders.db")
        engine = db.engine_for(settings.db_url)
        db.upgrade(engine)
        loader = importlib.import_module("loaders.load").load_document
    results = settings.var_dir / "results"

    def process(source: SourceDocument) -> None:
        outcome = process_source(source, settings)
        if loader is not None:
            loader(
                engine,
                outcome.result,
                source=source,
                page_images=outcome.page_images,
                settings=settings,
            )
            return
        # SSNs sealed, 0600 (loaders.result_files)
        write_result_file = importlib.import_module("loaders.result_files").write_result_file
        write_result_file(results / f"{source.document_id}.json", outcome.result, settings)

    return process


# --------------------------------------------------------------------------------------
# faxflow intake run
# --------------------------------------------------------------------------------------


def run_command(
    once: bool = typer.Option(
        False, "--once", help="One pass, then exit (waits up to --wait for files still arriving)."
    ),
    interval: float = typer.Option(
        10.0, "--interval", min=0.1, help="Seconds between polls of the inbox."
    ),
    wait: float | None = typer.Option(
        None,
        "--wait",
        min=0,
        help="With --once: longest wait for files not yet stable (default stable_seconds + 1).",
    ),
    process: ProcessMode = typer.Option(
        ProcessMode.AUTO,
        "--process",
        help="pipeline: OCR and load each document; verify: only decode its pages; "
        "auto: pipeline when installed.",
    ),
    ledger_path: Path | None = typer.Option(
        None, "--ledger", help="JSON-lines ledger file (default: the database ledger if any)."
    ),
) -> None:
    """Process the inbox: claim stable files, check and process them, archive or quarantine.

    Files in inbox/<centre>/ are claimed once their size and modification time have not
    changed for FAXFLOW_STABLE_SECONDS. Refused files go to quarantine/<CODE>/ with a
    reason file a clerk can read. Exit code 3 when any file was quarantined.
    """
    from ingest.intake import IntakeFolders, IntakeReport, Outcome

    settings = get_settings()
    ledger = open_ledger(settings, ledger_path)
    process_fn, description = choose_process(settings, process)
    folders = IntakeFolders.from_settings(settings)
    console.print(f"intake root {folders.root}; processing: {description}")
    total = IntakeReport()
    deadline = time.monotonic() + (settings.stable_seconds + 1 if wait is None else wait)
    try:
        while True:
            try:
                report = _one_pass(settings, ledger, process_fn)
            except FaxflowError as error:
                if once or not error.transient:
                    raise
                console.print(f"[yellow]pass skipped[/yellow] {error}; retrying")
                time.sleep(interval)
                continue
            total.results += report.results
            total.recovered += report.recovered
            total.lost_races += report.lost_races
            total.waiting = report.waiting
            if once and (report.waiting == 0 or time.monotonic() >= deadline):
                break
            time.sleep(min(interval, 1.0) if once else interval)
    except KeyboardInterrupt:
        console.print("stopped")
    _print_summary(total)
    if total.count(Outcome.QUARANTINED):
        raise typer.Exit(int(ExitCode.INPUT_ERROR))


def _one_pass(settings: Settings, ledger: Ledger, process_fn: ProcessFn) -> IntakeReport:
    from ingest.intake import claim_ready, process_claim

    claims, report = claim_ready(settings, ledger)
    if not claims:
        return report
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("processing", total=len(claims))
        for claimed in claims:
            report.results.append(process_claim(claimed, settings, ledger, process_fn))
            progress.advance(task)
    return report


def _print_summary(report: IntakeReport) -> None:
    from ingest.intake import Outcome

    table = Table(title="intake summary", show_header=True)
    table.add_column("outcome")
    table.add_column("files", justify="right")
    for label, value in (
        ("archived", report.count(Outcome.ARCHIVED)),
        ("duplicates (archived, not processed again)", report.count(Outcome.DUPLICATE)),
        ("quarantined", report.count(Outcome.QUARANTINED)),
        ("left in work/ for a retry", report.count(Outcome.RETRY)),
        ("recovered from a stopped worker", report.recovered),
        ("still arriving (not yet stable)", report.waiting),
    ):
        table.add_row(label, str(value))
    for code, count in sorted(report.codes.items()):
        if code != "E_DUPLICATE":
            table.add_row(f"  {code}", str(count))
    console.print(table)


# --------------------------------------------------------------------------------------
# faxflow intake status
# --------------------------------------------------------------------------------------


def status_command(
    ledger_path: Path | None = typer.Option(
        None, "--ledger", help="JSON-lines ledger file (default: the database ledger if any)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON on stdout."),
) -> None:
    """Count ledger rows by status and check the intake invariant.

    The invariant: every file that entered the inbox is in archive/ or quarantine/ (or in
    work/ while claimed) and has exactly one ledger row. Exit code 1 when it is broken.
    """
    from ingest.intake import IntakeFolders, check_invariant, inbox_files

    settings = get_settings()
    ledger = open_ledger(settings, ledger_path)
    folders = IntakeFolders.from_settings(settings)
    entries = ledger.entries()
    by_status = Counter(e.status.value for e in entries)
    codes = Counter(e.reason_code for e in entries if e.status.value == "quarantined")
    waiting = len(inbox_files(settings))
    problems = check_invariant(settings, ledger)
    status: dict[str, Any] = {
        "intake_root": str(folders.root),
        "ledger_rows": len(entries),
        "by_status": dict(sorted(by_status.items())),
        "quarantined_by_code": {str(k): v for k, v in sorted(codes.items(), key=str)},
        "inbox_files": waiting,
        "invariant_ok": not problems,
        "problems": problems,
    }
    if as_json:
        typer.echo(json.dumps(status, indent=2))
    else:
        table = Table(title=f"intake {folders.root}")
        table.add_column("status")
        table.add_column("files", justify="right")
        for name, count in status["by_status"].items():
            table.add_row(name, str(count))
        for code, count in status["quarantined_by_code"].items():
            table.add_row(f"  {code}", str(count))
        table.add_row("in the inbox (not yet claimed)", str(waiting))
        console.print(table)
        if problems:
            console.print(f"[red]{len(problems)} problem(s)[/red] with the intake invariant:")
            for problem in problems[:20]:
                console.print(f"  {problem}")
        else:
            console.print(
                "[green]invariant holds[/green]: every claimed file is in exactly "
                "one place with exactly one ledger row"
            )
    if problems:
        raise typer.Exit(int(ExitCode.NEEDS_REVIEW))
