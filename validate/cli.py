"""``faxflow calibrate``: choose auto-accept thresholds on generated samples."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from faxflow.settings import DEFAULT_THRESHOLDS_FILE, get_settings

if TYPE_CHECKING:
    from validate.calibrate import Calibration, GroupNumbers

# Where --write stores the thresholds: validate.calibrate.THRESHOLDS_FILE, taken from
# faxflow.settings because importing validate.calibrate at start-up would slow every
# `faxflow` command. tests/faxflow/test_cli_startup.py keeps the two equal.
THRESHOLDS_FILE = DEFAULT_THRESHOLDS_FILE

console = Console()


def _pct(value: float) -> str:
    return "—" if math.isnan(value) else f"{100 * value:.2f}%"


def _numbers_table(title: str, rows: list[GroupNumbers]) -> Table:
    table = Table(title=title)
    for column in ("form / profile", "docs", "accepted", "accepted share", "fields", "precision"):
        if column == "form / profile":
            table.add_column(column, no_wrap=True)
        else:
            table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            row.label,
            str(row.documents),
            str(row.accepted),
            _pct(row.accepted_share),
            str(row.fields),
            _pct(row.precision),
        )
    return table


def calibrate_command(
    results_dir: Path = typer.Argument(
        ..., help="Folder of result JSONs (`faxflow process DOCS --out RESULTS_DIR`)."
    ),
    truth: Path = typer.Option(
        ..., "--truth", "-t", help="Folder of truth JSONs (`faxflow samples generate` OUT/truth)."
    ),
    target: float = typer.Option(
        0.995,
        "--target",
        min=0.5,
        max=1.0,
        help="Auto-accept precision to keep (share of correct fields in accepted documents).",
    ),
    write: bool = typer.Option(
        False, "--write", help=f"Store the thresholds in {THRESHOLDS_FILE.name} (the default)."
    ),
    min_count: int = typer.Option(
        30, "--min-count", min=1, help="Field observations a kind needs before it is tuned."
    ),
    min_field_docs: int = typer.Option(
        40, "--min-field-docs", min=1, help="Documents a field needs for its own threshold."
    ),
) -> None:
    """Choose per-kind (and, with enough data, per-field) confidence thresholds that keep
    auto-accept precision at or above --target while accepting as many documents as
    possible, and print precision and accepted share per form and profile.

    Typical run: faxflow samples generate -o S -n 60; faxflow process S/docs --out R --no-db;
    faxflow calibrate R --truth S/truth --write
    """
    from validate.calibrate import (
        calibrate,
        group_numbers,
        load_samples,
        simulate,
        write_thresholds,
    )

    settings = get_settings()
    with Progress(
        TextColumn("[bold]scoring"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("docs", total=None)
        docs, missing = load_samples(
            results_dir,
            truth,
            settings,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    result = calibrate(
        docs, settings, target=target, min_kind_count=min_count, min_field_docs=min_field_docs
    )
    before_all, before_groups = group_numbers(
        docs, simulate(docs, settings.confidence_thresholds, settings)
    )
    console.print(_numbers_table("with the current thresholds", [before_all, *before_groups]))
    console.print(
        _numbers_table(
            f"with calibrated thresholds (target {_pct(target)})",
            [result.overall, *result.groups],
        )
    )
    _print_thresholds(result)
    if missing:
        console.print(f"[yellow]{len(missing)} truth file(s) without a readable result[/yellow]")
    if not result.meets_target:
        console.print("[red]the target cannot be met on this set[/red]")
    if write:
        write_thresholds(result, THRESHOLDS_FILE)
        console.print(f"thresholds written to {THRESHOLDS_FILE}")
    else:
        console.print("dry run: add --write to store these thresholds")


def _print_thresholds(result: Calibration) -> None:
    table = Table(title="thresholds (field name or kind)")
    table.add_column("bucket")
    table.add_column("threshold", justify="right")
    for bucket, value in sorted(result.thresholds.items()):
        table.add_row(bucket, "never auto-accept" if value > 1 else f"{value:.4f}")
    for bucket in result.untuned:
        table.add_row(bucket, "[dim]too few observations: unchanged[/dim]")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("calibrate")(calibrate_command)
