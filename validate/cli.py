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
    from faxflow.settings import Settings
    from validate.calibrate import (
        Calibration,
        DocumentSample,
        FieldCalibration,
        FieldNumbers,
        GroupNumbers,
    )

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
    results_dir: Path | None = typer.Argument(
        None, help="Folder of result JSONs (`faxflow process DOCS --out RESULTS_DIR`)."
    ),
    truth: Path | None = typer.Option(
        None, "--truth", "-t", help="Folder of truth JSONs (`faxflow samples generate` OUT/truth)."
    ),
    target: float | None = typer.Option(
        None,
        "--target",
        min=0.5,
        max=1.0,
        help="Auto-accept precision to keep (default: FAXFLOW_TARGET_ACCURACY).",
    ),
    from_reviews: bool = typer.Option(
        False,
        "--from-reviews",
        help="Learn thresholds from reviewers' confirmations and corrections in the database "
        "(one-sided 95 % Wilson bound); buckets with too few labels keep the stored ones.",
    ),
    per_document: bool = typer.Option(
        False,
        "--per-document",
        help="The older document-level search (a document accepted only when every field "
        "passes); the default calibrates each field for field-level routing.",
    ),
    bound: str = typer.Option(
        "wilson",
        "--bound",
        help="Field-level: 'wilson' (one-sided 95 % lower bound) or 'point' (observed share).",
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
    faxflow calibrate R --truth S/truth --write.  From production: faxflow calibrate
    --from-reviews --write.
    """
    from faxflow.errors import ConfigError
    from validate.calibrate import (
        calibrate,
        calibrate_fields,
        group_numbers,
        load_samples,
        simulate,
        write_field_thresholds,
        write_thresholds,
    )

    settings = get_settings()
    target = settings.target_accuracy if target is None else target
    if from_reviews:
        _calibrate_from_reviews(settings, target=target, min_count=min_count, write=write)
        return
    if results_dir is None or truth is None:
        raise ConfigError("give RESULTS_DIR and --truth, or --from-reviews")
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
    if not per_document:
        fields_result = calibrate_fields(
            docs, settings, target=target, min_count=min_count, bound=bound
        )
        _print_field_numbers(fields_result, docs, settings)
        if write:
            write_field_thresholds(fields_result, THRESHOLDS_FILE)
            console.print(f"thresholds written to {THRESHOLDS_FILE}")
        else:
            console.print("dry run: add --write to store these thresholds")
        return
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


def _field_table(title: str, rows: list[FieldNumbers]) -> Table:
    table = Table(title=title)
    table.add_column("form / profile", no_wrap=True)
    for column in ("docs", "fully automated", "fields", "auto-accepted", "precision"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            row.label,
            str(row.documents),
            f"{row.fully_automated} ({_pct(row.documents_share)})",
            str(row.fields),
            f"{row.auto_accepted} ({_pct(row.automated_share)})",
            _pct(row.precision),
        )
    return table


def _print_field_numbers(
    result: FieldCalibration, docs: list[DocumentSample], settings: Settings
) -> None:
    from validate.calibrate import field_groups, field_numbers

    current = settings.confidence_thresholds
    before = [field_numbers("all", docs, current, settings), *field_groups(docs, current, settings)]
    console.print(_field_table("field-level routing with the current thresholds", before))
    console.print(
        _field_table(
            f"with calibrated thresholds (target {_pct(result.target)}, {result.bound})",
            [result.overall, *result.groups],
        )
    )
    table = Table(title="thresholds (field name or kind)")
    table.add_column("bucket")
    table.add_column("labels", justify="right")
    table.add_column("threshold", justify="right")
    for bucket, value in sorted(result.thresholds.items()):
        shown = "never auto-accept" if value > 1 else f"{value:.4f}"
        table.add_row(bucket, str(result.labels.get(bucket, 0)), shown)
    console.print(table)


def _calibrate_from_reviews(
    settings: Settings, *, target: float, min_count: int, write: bool
) -> None:
    from loaders.db import engine_for
    from validate.calibrate import calibrate_from_reviews, review_labels, write_review_thresholds

    labels = review_labels(engine_for(settings.db_url), settings)
    result = calibrate_from_reviews(
        labels, settings.confidence_thresholds, target=target, min_count=min_count
    )
    table = Table(title=f"thresholds learned from reviews (target {_pct(target)}, Wilson 95 %)")
    table.add_column("bucket")
    table.add_column("labels", justify="right")
    table.add_column("threshold", justify="right")
    for bucket, count in sorted(result.labels.items()):
        if bucket in result.learned:
            value = result.learned[bucket]
            shown = "never auto-accept" if value > 1 else f"{value:.4f}"
        else:
            shown = f"[dim]too few labels (< {min_count}): unchanged[/dim]"
        table.add_row(bucket, str(count), shown)
    console.print(table)
    console.print(f"{len(labels)} labels, {len(result.learned)} bucket(s) learned")
    if write:
        assert settings.learned_thresholds_file is not None
        write_review_thresholds(result, settings.learned_thresholds_file)
        console.print(f"thresholds written to {settings.learned_thresholds_file}")
    else:
        console.print("dry run: add --write to store these thresholds")


def register(app: typer.Typer) -> None:
    app.command("calibrate")(calibrate_command)
