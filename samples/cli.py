"""``faxflow samples generate`` and ``faxflow eval``. Registered by ``faxflow/cli.py``."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from faxflow.errors import ConfigError
from faxflow.model import FormType

if TYPE_CHECKING:
    from faxflow.packs import FormPack
    from samples.evaluate import Accuracy, EvalReport
    from samples.generate import GeneratedDocument

# Copies of samples.degrade.PROFILES and samples.generate.FORMS, for --help and option
# checks: importing those modules loads OpenCV, Faker and pdfplumber, which would slow every
# `faxflow` start. tests/faxflow/test_cli_startup.py keeps the copies equal to the originals.
PROFILE_NAMES = ("fax_fine", "fax_standard", "scan_grey", "scan_rotated", "with_cover")
FORM_TYPES = (FormType.CDC_PUI_2020, FormType.MDHHS_DHS1171)
# The splits of samples/splits.yaml and the classic generator (samples.splits.CLASSIC).
SPLIT_NAMES = ("tune", "locked", "classic")
LOCKED = "locked"

console = Console()

samples_app = typer.Typer(
    help="Synthetic filled faxes and scans with ground truth, for measuring accuracy.",
    no_args_is_help=True,
)


def generate_command(
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output folder: OUT/docs/<stem>.tif|pdf and OUT/truth/<stem>.json."
    ),
    count: int = typer.Option(10, "--count", "-n", min=1, help="How many documents to make."),
    seed: int = typer.Option(1, "--seed", "-s", help="Same seed, same documents, byte for byte."),
    profile: list[str] = typer.Option(
        [],
        "--profile",
        "-p",
        help=f"Degradation profile, repeatable; default all: {', '.join(PROFILE_NAMES)}.",
    ),
    form: list[str] = typer.Option(
        [],
        "--form",
        "-f",
        help=f"Form, repeatable: {', '.join(FORM_TYPES)} (default both) or the name of a "
        "form pack under FAXFLOW_FORMS_DIR.",
    ),
    start: int = typer.Option(
        0, "--start", min=0, help="Number of the first document (to add to an existing set)."
    ),
    workers: int = typer.Option(
        0, "--workers", "-j", min=0, help="Documents made in parallel; 0 = one per core."
    ),
    split: str = typer.Option(
        "tune",
        "--split",
        help="Style split (samples/splits.yaml): tune (tune extraction on it), locked (measure "
        "only, never tune on it) or classic (the generator before the split, which made "
        "samples/set).",
    ),
) -> None:
    """Fill the real blank forms with synthetic people and degrade them like faxes or scans.

    Documents are spread evenly over every (form, profile) pair. Each gets a truth file
    with the record exactly as the spec's normal forms say, and (for a split) its split
    and writing style. Stems look like
    cdc_pui_2020-fax_fine-0003; `faxflow process OUT/docs --out RESULTS` and then
    `faxflow eval RESULTS --truth OUT/truth` measure accuracy. A form pack's copies are
    typed into its blank's own widgets, with values drawn from its schema; a Japanese
    pack's are written on its blank in the split's Japanese faces, typed or by hand.
    """
    from samples.generate import generate, plan

    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; give a folder (it is created if missing)")
    if split not in SPLIT_NAMES:
        raise ConfigError(f"unknown split {split!r}; choose {', '.join(SPLIT_NAMES)}")
    forms = [_form(f) for f in form] or list(FORM_TYPES)
    specs = plan(
        count, seed, profiles=profile or PROFILE_NAMES, forms=forms, start=start, split=split
    )
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]generating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("docs", total=len(specs), last="")
        made = generate(
            out,
            specs,
            workers=workers or os.cpu_count() or 1,
            progress=lambda doc: progress.update(task, advance=1, last=doc.spec.stem),
        )
    _print_generated(made, out=out, seconds=time.perf_counter() - started)


def _form(value: str) -> FormType | FormPack:
    """A built-in form by its name, else the form pack of that name (not built in)."""
    if value in FORM_TYPES:
        return FormType(value)
    from faxflow.packs import find_packs
    from faxflow.settings import get_settings

    packs = {n: p for n, p in find_packs(get_settings()).items() if not p.builtin}
    if value not in packs:
        choices = ", ".join([*FORM_TYPES, *sorted(packs)])
        raise ConfigError(
            f"unknown form {value!r}; choose {choices} (form packs are found under "
            "FAXFLOW_FORMS_DIR)"
        )
    return packs[value]


def _print_generated(made: list[GeneratedDocument], *, out: Path, seconds: float) -> None:
    table = Table(title="faxflow samples generate")
    for column in ("form", "profile", "documents", "pages", "size", "fields filled"):
        table.add_column(column, justify="left" if column in {"form", "profile"} else "right")
    groups: dict[tuple[str, str], list[GeneratedDocument]] = {}
    for doc in made:
        groups.setdefault((str(doc.spec.form_type), doc.spec.profile), []).append(doc)
    for (form, profile), docs in sorted(groups.items()):
        size = sum(d.document.stat().st_size for d in docs)
        filled = sum(d.fields_filled for d in docs)
        total = sum(d.fields_total for d in docs)
        table.add_row(
            form,
            profile,
            str(len(docs)),
            str(sum(d.page_count for d in docs)),
            f"{size / 1e6:.1f} MB",
            f"{filled}/{total}",
        )
    console.print(table)
    console.print(
        f"{len(made)} documents in {seconds:.1f} s ({seconds / max(1, len(made)):.2f} s each): "
        f"{out}/docs and {out}/truth"
    )


def eval_command(
    results: Path = typer.Argument(
        ..., metavar="RESULTS_DIR", help="Folder of <stem>.json results from faxflow process."
    ),
    truth: Path = typer.Option(
        ..., "--truth", "-t", help="Folder of <stem>.json truth files (OUT/truth)."
    ),
    json_out: Path | None = typer.Option(
        None, "--json", help="Also write every number (no field values) to this JSON file."
    ),
    fields: bool = typer.Option(
        False, "--fields", help="List every field's accuracy, not only the ten weakest per form."
    ),
) -> None:
    """Score results against ground truth: exact-match field accuracy after normalisation.

    Prints accuracy overall, by form type, by profile and for text vs checkbox fields;
    form-type accuracy; document status counts; auto-accept precision (the share of
    correct fields in documents the pipeline accepted) and the accepted share. A missing
    result counts as every field wrong.
    """
    from samples.evaluate import evaluate

    report = evaluate(results, truth)
    _print_report(report, all_fields=fields)
    if json_out is not None:
        try:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            json_out.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {json_out}: {exc.strerror}") from exc
        console.print(f"numbers written to {json_out}")


def _pct(acc: Accuracy) -> str:
    return "—" if math.isnan(acc.value) else f"{acc.value:.1%}"


def _print_report(report: EvalReport, *, all_fields: bool) -> None:
    from samples.evaluate import CHECKBOX, TEXT, Accuracy

    table = Table(title=f"faxflow eval — {len(report.documents)} documents")
    for column in ("group", "documents", "fields", "all", "text", "checkbox"):
        table.add_column(column, justify="left" if column == "group" else "right")

    def row(label: str, *, form_type: str | None = None, profile: str | None = None) -> None:
        docs = [
            d
            for d in report.documents
            if (form_type is None or d.form_type == form_type)
            and (profile is None or d.profile == profile)
        ]
        overall = report.field_accuracy(form_type=form_type, profile=profile)
        table.add_row(
            label,
            str(len(docs)),
            str(overall.total),
            _pct(overall),
            _pct(report.field_accuracy(form_type=form_type, profile=profile, kind=TEXT)),
            _pct(report.field_accuracy(form_type=form_type, profile=profile, kind=CHECKBOX)),
        )

    row("all documents")
    for form_type in report.form_types:
        row(f"form {form_type}", form_type=form_type)
    for profile in report.profiles:
        row(f"profile {profile}", profile=profile)
    console.print(table)
    for split in report.splits:
        _print_split(report, split)

    # Per-field tables show where a split fails field by field: never for the locked split,
    # which is only measured (docs/samples/README.md).
    open_splits = [s for s in report.splits if s != LOCKED]
    if len(open_splits) < len(report.splits):
        console.print("per-field tables leave out the locked split (measured only, never tuned)")
    for form_type in report.form_types:
        summed: dict[str, Accuracy] = {}
        for open_split in open_splits:
            for name, acc in report.per_field(form_type, split=open_split).items():
                summed[name] = summed.get(name, Accuracy()) + acc
        if not summed:
            continue
        per_field = sorted(summed.items(), key=lambda kv: kv[1].value)
        shown = per_field if all_fields else per_field[:10]
        fields_table = Table(
            title=f"{form_type}: {'every field' if all_fields else 'ten weakest fields'}"
        )
        fields_table.add_column("field")
        fields_table.add_column("right", justify="right")
        fields_table.add_column("accuracy", justify="right")
        for name, acc in shown:
            fields_table.add_row(name, f"{acc.correct}/{acc.total}", _pct(acc))
        console.print(fields_table)

    counts = report.status_counts
    precision = report.auto_accept_precision
    share = report.accepted_share
    console.print(
        f"form type right: {_pct(report.form_type_accuracy)} "
        f"({report.form_type_accuracy.correct}/{report.form_type_accuracy.total}); "
        f"status: {counts['accepted']} accepted, {counts['needs_review']} need review, "
        f"{counts['rejected']} rejected, {counts['missing']} missing"
    )
    console.print(
        f"auto-accept precision: {_pct(precision)} of {precision.total} fields in accepted "
        f"documents; accepted share: {'—' if math.isnan(share) else f'{share:.1%}'}"
    )
    if report.unmatched_results:
        console.print(f"{len(report.unmatched_results)} result files had no truth file")


def _print_split(report: EvalReport, split: str) -> None:
    """One split's accuracy by writing style and profile, checkboxes by mark style, and
    the precision of fields read at confidence >= 0.95 in each group."""
    from samples.evaluate import CHECKBOX, HIGH_CONFIDENCE, TEXT

    table = Table(title=f"split {split}: by writing style, profile and mark")
    for column in ("group", "documents", "fields", "all", "text", "checkbox"):
        table.add_column(column, justify="left" if column == "group" else "right")
    table.add_column(f"right at conf ≥ {HIGH_CONFIDENCE}", justify="right")

    def row(label: str, **filters: str | None) -> None:
        confident = report.confident_precision(split=split, **filters)
        table.add_row(
            label,
            str(len(report.group(split=split, **filters))),
            str(report.field_accuracy(split=split, **filters).total),
            _pct(report.field_accuracy(split=split, **filters)),
            _pct(report.field_accuracy(split=split, kind=TEXT, **filters)),
            _pct(report.field_accuracy(split=split, kind=CHECKBOX, **filters)),
            f"{_pct(confident)} of {confident.total}",
        )

    row("all")
    for writing in report.writings(split=split):
        row(writing, writing=writing)
        for profile in report.profiles:
            if report.group(split=split, writing=writing, profile=profile):
                row(f"  {writing} / {profile}", writing=writing, profile=profile)
    for trait in report.traits(split=split):
        row(f"trait {trait}", trait=trait)
    for mark in report.marks(split=split):
        row(f"mark {mark}", mark=mark)
    console.print(table)


def jp_blanks_command(
    out: Path = typer.Option(..., "--out", "-o", help="Folder for <pack>.pdf, one per form."),
) -> None:
    """Draw the Japanese blank forms (issue #23) as fillable A4 PDFs: the COVID-19
    発生届 and the 特別定額給付金申請書, recreated (samples/jp_blanks.py). The same code
    draws the same bytes: forms/<pack>/blank.pdf is this command's output."""
    from samples.jp_blanks import write_blanks

    for name, path in write_blanks(out).items():
        console.print(f"{name}: {path}")


def register(app: typer.Typer) -> None:
    """Add ``samples generate``, ``samples jp-blanks`` and the top-level ``eval``."""
    samples_app.command("generate")(generate_command)
    samples_app.command("jp-blanks")(jp_blanks_command)
    app.add_typer(samples_app, name="samples")
    app.command("eval")(eval_command)
