"""Core CLI commands: ``faxflow process``. Registered by ``faxflow/cli.py``."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from faxflow.errors import ConfigError, ErrorCode, ExitCode
from faxflow.model import Status
from faxflow.pipeline import ProcessOutcome, process_path, summarise
from faxflow.private import private_dir, write_private
from faxflow.settings import Settings, get_settings

console = Console()

_WORKER_STATE: dict[str, Any] = {}


def collect_inputs(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and every regular non-hidden file under named folders, sorted.
    Refusing unsupported types is the pipeline's job (it gives a coded reason)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if (p.is_file() or p.is_symlink())
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        elif path.exists() or path.is_symlink():
            found.append(path)
        else:
            raise typer.BadParameter(f"{path} does not exist", param_hint="FILE_OR_DIR")
    return found


def output_names(inputs: list[Path]) -> list[str]:
    """``<stem>.json`` per input; a stem seen twice gets a numbered suffix, never overwritten."""
    seen: dict[str, int] = {}
    names = []
    for path in inputs:
        stem = path.stem or "document"
        count = seen.get(stem, 0)
        seen[stem] = count + 1
        names.append(f"{stem}.json" if count == 0 else f"{stem}-{count + 1}.json")
    return names


def _init_worker(settings_json: str, db_url: str | None) -> None:
    # One Tesseract thread per worker process: parallelism comes from documents, and
    # Tesseract's own threads oversubscribe two cores (12 s instead of 4.4 s per page).
    os.environ["OMP_THREAD_LIMIT"] = "1"
    _WORKER_STATE["settings"] = Settings.model_validate_json(settings_json)
    _WORKER_STATE["db_url"] = db_url


def _duplicate_finder(db_url: str | None) -> Any:
    if db_url is None:
        return None
    if "finder" not in _WORKER_STATE:
        from loaders.db import engine_for
        from loaders.duplicates import find_possible_duplicates

        engine = engine_for(db_url)

        def finder(**kwargs: Any) -> list[str]:
            return find_possible_duplicates(engine, **kwargs)

        _WORKER_STATE["finder"] = finder
    return _WORKER_STATE["finder"]


def _process_in_worker(path: str) -> ProcessOutcome:
    settings: Settings = _WORKER_STATE["settings"]
    return process_path(
        Path(path), settings, duplicate_finder=_duplicate_finder(_WORKER_STATE["db_url"])
    )


def run_documents(
    inputs: list[Path], settings: Settings, *, workers: int, db_url: str | None
) -> Iterator[tuple[int, ProcessOutcome]]:
    """Process documents in parallel worker processes; yield (input index, outcome) as each
    finishes. With one worker everything runs in this process (easier to debug)."""
    if workers <= 1:
        _init_worker(settings.model_dump_json(), db_url)
        for index, path in enumerate(inputs):
            yield index, _process_in_worker(str(path))
        return
    with ProcessPoolExecutor(
        max_workers=workers,
        initializer=_init_worker,
        initargs=(settings.model_dump_json(), db_url),
    ) as pool:
        futures: dict[Future[ProcessOutcome], int] = {
            pool.submit(_process_in_worker, str(path)): index for index, path in enumerate(inputs)
        }
        for future in as_completed(futures):
            yield futures[future], future.result()


def process(
    inputs: list[Path] = typer.Argument(
        ...,
        metavar="FILE_OR_DIR...",
        help="Fax or scan files (TIFF, PDF, PNG, JPEG) or folders of them.",
        show_default=False,
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Folder for one result JSON per document: OUT/<stem>.json."
    ),
    db: str | None = typer.Option(
        None,
        "--db",
        help="Database URL to load results into (default: FAXFLOW_DATABASE_URL, "
        "else SQLite var/faxflow.db).",
    ),
    no_db: bool = typer.Option(False, "--no-db", help="Write JSON only; load nothing."),
    workers: int = typer.Option(
        0, "--workers", "-j", min=0, help="Documents processed in parallel; 0 = one per core."
    ),
) -> None:
    """Read faxes and scans into validated records.

    Runs intake checks, page cleanup and OCR, template extraction and validation on each
    document, writes OUT/<input stem>.json (the per-document result of the spec) and loads
    it into the database. Files that cannot be read get a result with status "rejected"
    and a coded reason (E_CORRUPT, E_ENCRYPTED, E_TYPE, ...).
    """
    from ocr.tesseract import probe

    base = get_settings()
    settings = base.model_copy(update={"database_url": db}) if db else base
    probe(settings)  # fail fast with E_MISSING_DEPENDENCY before touching any file
    files = collect_inputs(inputs)
    if not files:
        raise ConfigError("no input files found; pass files or folders holding faxes/scans")
    try:
        private_dir(out)
    except OSError as exc:
        raise ConfigError(f"cannot create output folder {out}: {exc.strerror}") from exc
    names = output_names(files)
    worker_count = workers or settings.workers or (os.cpu_count() or 1)
    worker_count = max(1, min(worker_count, len(files)))

    engine = None
    if not no_db:
        from loaders.db import engine_for, upgrade

        settings.require_secrets()
        engine = engine_for(settings.db_url)
        upgrade(engine)
        if settings.forms_dir is not None:
            from loaders.pack_views import ensure_pack_views

            ensure_pack_views(engine, settings)

    rows: list[dict[str, Any]] = [{} for _ in files]
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]processing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("docs", total=len(files), last="")
        db_url = None if no_db else settings.db_url
        for index, outcome in run_documents(files, settings, workers=worker_count, db_url=db_url):
            # The JSON contract (SSNs as 9 digits) for the caller: private to this account.
            write_private(out / names[index], outcome.result.to_json() + "\n")
            if engine is not None:
                from loaders.load import load_document

                load_document(
                    engine,
                    outcome.result,
                    source=outcome.source,
                    page_images=outcome.page_images,
                    settings=settings,
                )
            rows[index] = summarise(outcome)
            progress.update(task, advance=1, last=files[index].name)
    wall = time.perf_counter() - started
    _print_summary(rows, wall=wall, out=out)
    statuses = {row["status"] for row in rows}
    if any(ErrorCode.INTERNAL.value in row["codes"] for row in rows):
        raise typer.Exit(int(ExitCode.INTERNAL_ERROR))
    if Status.REJECTED.value in statuses:
        raise typer.Exit(int(ExitCode.INPUT_ERROR))
    if Status.NEEDS_REVIEW.value in statuses:
        raise typer.Exit(int(ExitCode.NEEDS_REVIEW))


def _print_summary(rows: list[dict[str, Any]], *, wall: float, out: Path) -> None:
    table = Table(title="faxflow process", show_lines=False)
    table.add_column("file", overflow="fold")  # the name is what a clerk looks for
    for column in ("form type", "status", "pages", "fields filled", "issues", "seconds"):
        table.add_column(
            column, justify="right" if column in {"pages", "seconds"} else "left", overflow="fold"
        )
    colours = {"accepted": "green", "needs_review": "yellow", "rejected": "red"}
    for row in rows:
        status = row["status"]
        issues = ", ".join(row["codes"][:3]) + (" …" if len(row["codes"]) > 3 else "")
        table.add_row(
            row["file"],
            row["form_type"],
            f"[{colours.get(status, 'white')}]{status}[/]",
            str(row["pages"]),
            f"{row['fields_filled']}/{row['fields_total']}",
            issues,
            f"{row['seconds']:.1f}",
        )
    console.print(table)
    pages = sum(row["pages"] for row in rows)
    counts = {s.value: sum(1 for r in rows if r["status"] == s.value) for s in Status}
    console.print(
        f"{len(rows)} documents, {pages} pages in {wall:.1f} s "
        f"({pages / wall if wall else 0:.2f} pages/s): "
        f"{counts['accepted']} accepted, {counts['needs_review']} need review, "
        f"{counts['rejected']} rejected. Results in {out}/"
    )


def register(app: typer.Typer) -> None:
    """Add the core commands to the root app."""
    app.command("process")(process)
