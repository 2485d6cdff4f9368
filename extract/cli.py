"""``faxflow template``: draft, review and check form templates.

* ``from-pdf BLANK.pdf --form-type NAME`` drafts a template from a blank form's widgets
  or text layer (see :mod:`extract.from_pdf`);
* ``show FORM_TYPE --page N --out PNG`` draws every zone on the blank page for review;
* ``validate [PATH]`` loads templates and checks them against the record schema.

``faxflow digits train`` re-trains the comb-box digit classifier (:mod:`extract.digits`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from faxflow.errors import ExitCode, TemplateError
from faxflow.model import FormType
from faxflow.settings import get_settings

if TYPE_CHECKING:
    # extract.from_pdf and extract.template (pdfplumber, PyYAML, NumPy) are imported in the
    # commands that use them, so that `faxflow --help` and other commands start fast.
    from extract.template import FormTemplate

console = Console(stderr=True)

template_app = typer.Typer(
    help="Draft, review and check the form templates (where each field is on a form).",
    no_args_is_help=True,
)


digits_app = typer.Typer(
    help="The digit classifier that reads comb boxes (SSNs, phone numbers) one box at a time.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``template`` and ``digits`` command groups to the root CLI."""
    app.add_typer(template_app, name="template")
    app.add_typer(digits_app, name="digits")


@digits_app.command("train")
def digits_train_command(
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Where to write the model. Default: the one faxflow reads."
    ),
    per_font: int = typer.Option(
        30, "--per-font", min=1, help="Renderings of each digit per font face and member."
    ),
) -> None:
    """Train the comb-box digit classifier on digits rendered from this machine's fonts.

    Three small perceptrons, each on fresh renderings (20-41 px, tilted, blurred, faxed,
    specked) of every digit, and of the slashes, hyphens, brackets and points written
    among digits, in every DejaVu, Liberation, Noto Mono and URW face found and in the
    hand-printed faces of the generator's tune split (samples/splits.yaml; drawn more
    often, with each writer's slant, pen and wobble), then scored on renderings none of
    them saw. The renderings and the perceptrons come from fixed seeds, so the same
    fonts give the same model. Needs scikit-learn (pip install -e '.[train]').
    """
    import importlib.util

    if importlib.util.find_spec("sklearn") is None:
        console.print(
            "[red]cannot train:[/red] scikit-learn is not installed. Install the training "
            "extra: .venv/bin/pip install -e '.\\[train]'"
        )
        raise typer.Exit(int(ExitCode.MISSING_DEPENDENCY))
    from extract.digit_training import hand_fonts, train_digit_model, typed_fonts
    from extract.digits import MODEL_PATH

    target = out or MODEL_PATH
    typed, hands = typed_fonts(), hand_fonts()
    if not typed:
        console.print(
            "[red]no font faces found[/red]: install fonts-dejavu-core, "
            "fonts-liberation, fonts-noto-mono and fonts-urw-base35"
        )
        raise typer.Exit(int(ExitCode.BAD_ARGS))
    with console.status(f"training on {len(typed)} typed and {len(hands)} hand-printed faces"):
        report = train_digit_model(target, fonts=typed + hands, hands=hands, per_font=per_font)
    console.print(
        f"{report.samples} renderings of {report.fonts} faces -> {target}; "
        f"held-out renderings read right: {report.held_out_accuracy:.1%} of {report.held_out}"
        f" ({report.hand_held_out_accuracy:.1%} of {report.hand_held_out} hand-printed)"
    )


def _form_type(value: str) -> FormType | str:
    """A built-in form type, or a form pack's name (``faxflow forms list``)."""
    from faxflow.packs import PACK_NAME, pack_dirs

    try:
        form_type = FormType(value)
    except ValueError:
        roots = pack_dirs(get_settings())
        if PACK_NAME.match(value) and any((root / value).is_dir() for root in roots):
            return value  # a pack's: its record type is its own name
        known = ", ".join(f.value for f in FormType if f is not FormType.UNKNOWN)
        raise typer.BadParameter(
            f"unknown form type {value!r}; known: {known}, or a pack under FAXFLOW_FORMS_DIR"
        ) from None
    if form_type is FormType.UNKNOWN:
        raise typer.BadParameter("'unknown' has no template")
    return form_type


@template_app.command("from-pdf")
def from_pdf_command(
    pdf: Path = typer.Argument(..., exists=True, dir_okay=False, help="The blank form (PDF)."),
    form_type: str = typer.Option(
        ..., "--form-type", help="cdc_pui_2020, mdhhs_dhs1171 or a form pack's name."
    ),
    labels: Path | None = typer.Option(
        None,
        "--labels",
        exists=True,
        dir_okay=False,
        help="Mapping file (schema field -> widget or printed label). Default: labels.yaml "
        "beside the PDF when present.",
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write the draft here instead of to standard output."
    ),
    version: str = typer.Option("draft", "--version", help="Version written into the draft."),
    no_proposals: bool = typer.Option(
        False,
        "--no-proposals",
        help="Leave the unclaimed zones out: regenerates a finished template whose mapping "
        "file places every field.",
    ),
) -> None:
    """Draft a template from a blank form's widgets or text layer.

    A fillable PDF gives its widgets (comb cells grouped into one field); a flat PDF gets
    zones proposed from the labels of its text layer. Fields the mapping file names get
    schema names; everything else is written under 'proposals:' for a person to finish.
    Review the result with 'faxflow template show'.
    """
    from extract.from_pdf import Draft, load_label_map, template_from_pdf, template_to_yaml

    kind = _form_type(form_type)
    mapping_path = labels or (pdf.parent / "labels.yaml")
    mapping = load_label_map(mapping_path) if mapping_path.is_file() else None
    with console.status(f"reading {pdf.name}: widgets, text layer, printed boxes"):
        draft = template_from_pdf(
            pdf, kind, mapping, version=version, record_type=None if kind in set(FormType) else kind
        )
    made_by = f"`faxflow template from-pdf {pdf.name} --form-type {kind}`" + (
        f" from {mapping_path.name}" if mapping else ""
    )
    header = (
        f"# Drafted by {made_by}.\n"
        "# Finish the proposals, then review with `faxflow template show`.\n"
    )
    if no_proposals:
        draft = Draft(draft.template.model_copy(update={"proposals": []}), draft.problems)
        header = (
            f"# Generated by {made_by}; do not edit by hand:\n"
            "# change the mapping file, regenerate with --no-proposals, review with\n"
            "# `faxflow template show`. Boxes: PDF points, origin top-left [x0, y0, x1, y1].\n"
        )
    text = template_to_yaml(draft.template, header)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
    template = draft.template
    console.print(
        f"[bold]{kind}[/bold]: {len(template.fields)} mapped fields, "
        f"{len(template.proposals)} proposals to finish, {len(draft.problems)} not placed"
        + (f"; written to {out}" if out else "")
    )
    for problem in draft.problems:
        console.print(f"  [yellow]not placed[/yellow] {problem}")


def _template_for(form_type_or_path: str) -> FormTemplate:
    from extract.template import load_template

    path = Path(form_type_or_path)
    if path.suffix in {".yaml", ".yml"} or path.is_dir():
        return load_template(path / "template.yaml" if path.is_dir() else path)
    from faxflow.packs import TEMPLATE_FILE, pack_dirs

    kind = _form_type(form_type_or_path)
    for root in pack_dirs(get_settings()):
        if (root / kind / TEMPLATE_FILE).is_file():
            return load_template(root / kind / TEMPLATE_FILE)
    raise typer.BadParameter(f"no template for {kind}; 'faxflow forms list' shows the forms")


@template_app.command("show")
def show_command(
    form_type: str = typer.Argument(..., help="Form type, or the path of a template.yaml."),
    page: int = typer.Option(..., "--page", "-p", min=1, help="Page of the blank form."),
    out: Path = typer.Option(..., "--out", "-o", help="PNG file to write."),
    dpi: int = typer.Option(120, "--dpi", min=50, max=300, help="Render resolution."),
) -> None:
    """Draw every zone of a template on its blank page, for review.

    Text regions are blue, comb cells green, checkbox squares red (the group's name right
    of its last box), unfinished proposals orange. Look at it before committing a
    template change.
    """
    from extract.from_pdf import render_overlay

    template = _template_for(form_type)
    if page > len(template.pages):
        raise typer.BadParameter(
            f"{template.form_type} has pages 1..{len(template.pages)}", param_hint="--page"
        )
    image = render_overlay(template, page, dpi)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out)
    fields = template.fields_on_page(page)
    console.print(f"page {page} of {template.form_type}: {len(fields)} fields drawn -> {out}")


@template_app.command("validate")
def validate_command(
    path: Path | None = typer.Argument(
        None,
        help="A template.yaml, or a folder of <form_type>/template.yaml. "
        "Default: the configured templates folder.",
    ),
) -> None:
    """Check templates against the record schema and the blank form.

    Checks YAML and model, field names and kinds against the record schema, legal
    option values, boxes on the page, no overlapping checkboxes, every schema property
    placed or listed under 'not_on_form' with a reason, and each page's anchors printed
    on that page and no other.

    Exit code 0 when all are valid, 2 otherwise.
    """
    from extract.from_pdf import anchor_problems
    from extract.template import coverage_problems, load_template

    root = path or get_settings().templates_dir
    files = sorted(root.glob("*/template.yaml")) if root.is_dir() else [root]
    if root.is_dir() and (root / "template.yaml").is_file():
        files = [root / "template.yaml"]
    if not files:
        raise TemplateError(f"no template.yaml found under {root}")
    table = Table(title="form templates")
    table.add_column("form type", no_wrap=True)
    table.add_column("template", overflow="fold")
    for column in ("version", "fields", "result"):
        table.add_column(column)
    failed = 0
    for file in track(files, description="checking templates", console=console, transient=True):
        try:
            template = load_template(file)
        except TemplateError as exc:
            failed += 1
            table.add_row("-", str(file), "-", "-", "[red]invalid[/red]")
            console.print(f"[red]{file}[/red]: {exc.message}")
            continue
        problems = coverage_problems(template) + anchor_problems(template)
        if template.proposals:
            problems.append(f"{len(template.proposals)} proposals are still unfinished")
        for number in {f.page for f in template.fields}:
            if not template.pages[number - 1].carries_fields:
                problems.append(f"page {number} has fields but carries_fields is false")
        if problems:
            failed += 1
            console.print(f"[red]{file}[/red]:")
            for problem in problems:
                console.print(f"  {problem}")
        result = "[red]incomplete[/red]" if problems else "[green]ok[/green]"
        table.add_row(
            str(template.form_type), str(file), template.version, str(len(template.fields)), result
        )
    console.print(table)
    if failed:
        raise typer.Exit(int(ExitCode.BAD_ARGS))
