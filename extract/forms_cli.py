"""``faxflow forms``: form packs (``faxflow/packs.py``).

* ``new NAME --blank FORM.pdf --out DIR`` drafts the whole pack ``DIR/NAME/`` from a blank
  form (:mod:`extract.pack_draft`);
* ``check NAME|FOLDER`` validates a pack and lists every fault with its code;
* ``list`` lists the packs faxflow finds (built in, and under ``FAXFLOW_FORMS_DIR``).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from faxflow.errors import ExitCode, PackProblem
from faxflow.settings import get_settings

console = Console(stderr=True)

forms_app = typer.Typer(
    help="Form packs: one folder of data files per form (blank, template, schema, rules).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``forms`` command group to the root CLI."""
    app.add_typer(forms_app, name="forms")


def _print_problems(problems: list[PackProblem]) -> None:
    for problem in problems:
        console.print(f"  [red]{problem.code}[/red] {problem.file}: {problem.message}")


@forms_app.command("new")
def new_command(
    name: str = typer.Argument(..., help="The form's name: lower case, digits and _."),
    blank: Path = typer.Option(
        ..., "--blank", exists=True, dir_okay=False, help="The blank form (PDF, fillable or flat)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="The pack is written to OUT/NAME/."),
    title: str | None = typer.Option(
        None, "--title", help="The form's title (default: the PDF's own title, else its file name)."
    ),
) -> None:
    """Draft a whole pack from a blank form: schema.json, labels.yaml, template.yaml,
    rules.yaml (empty), SOURCES.md and a copy of the blank.

    A fillable PDF's text widgets become text fields, single checkboxes booleans, radio
    groups and yes/no box pairs enums of their values, comb cells one field; a flat PDF's
    blanks and boxes become fields named after the words beside them. A text field whose
    name or tooltip clearly names a date, phone, ZIP, SSN, e-mail, state or amount is
    drafted in that format (extract/rules/field_formats.yaml). Then check it with
    'faxflow forms check OUT/NAME'.
    """
    from extract.pack_draft import draft_pack, write_pack
    from faxflow.packs import check_pack

    with console.status(f"reading {blank.name}: widgets, text layer, printed boxes"):
        draft = draft_pack(name, blank, title=title)
        command = f"faxflow forms new {name} --blank {blank.name} --out {out}"
        folder = write_pack(draft, blank, out, command=command)
    kinds: dict[str, int] = {}
    for prop in draft.schema["properties"].values():
        declared = prop.get("type", [])
        kind = "enum" if "enum" in prop else next(t for t in declared if t != "null")
        kinds[kind] = kinds.get(kind, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    console.print(f"[bold]{name}[/bold]: {len(draft.schema['properties'])} fields ({summary})")
    if draft.formats:
        found = ", ".join(f"{field} ({fmt})" for field, fmt in draft.formats.items())
        console.print(f"  in a format their names or tooltips name: {found}")
    for problem in draft.problems:
        console.print(f"  [yellow]not placed[/yellow] {problem}")
    _, problems = check_pack(folder)
    _print_problems(problems)
    console.print(f"written to {folder}" + ("" if not problems else "; fix the problems above"))
    typer.echo(str(folder))
    if problems:
        raise typer.Exit(int(ExitCode.BAD_ARGS))


def _pack_folder(name_or_folder: str) -> Path | None:
    from faxflow.packs import TEMPLATE_FILE, pack_dirs

    path = Path(name_or_folder)
    if (path / TEMPLATE_FILE).is_file() or (path.is_dir() and "/" in name_or_folder):
        return path
    for root in pack_dirs(get_settings()):
        if (root / name_or_folder).is_dir():
            return root / name_or_folder
    return None


@forms_app.command("check")
def check_command(
    pack: str = typer.Argument(..., help="A pack's name (looked up like 'forms list') or folder."),
) -> None:
    """Validate a pack: every file there and well formed, the template against the schema,
    the rules naming only schema fields. Exit 2 when anything is wrong."""
    from faxflow.packs import check_pack

    folder = _pack_folder(pack)
    if folder is None:
        console.print(f"[red]no pack {pack!r}[/red]; 'faxflow forms list' shows the packs")
        raise typer.Exit(int(ExitCode.BAD_ARGS))
    loaded, problems = check_pack(folder)
    if loaded is None or problems:
        console.print(f"[red]{folder}[/red]: {len(problems)} problem(s)")
        _print_problems(problems)
        raise typer.Exit(int(ExitCode.BAD_ARGS))
    rules = "rules in Python and rules.yaml (built in)" if loaded.builtin else "rules.yaml"
    console.print(
        f"[green]ok[/green] {loaded.name}: {len(loaded.schema['properties'])} fields, "
        f"{len(loaded.template.fields)} zones, {rules}"
    )


@forms_app.command("list")
def list_command() -> None:
    """List the packs: built in, then those under FAXFLOW_FORMS_DIR."""
    from faxflow.packs import TEMPLATE_FILE, check_pack, pack_dirs

    table = Table("form", "folder", "fields", "rules", "status")
    failed = 0
    for root in pack_dirs(get_settings()):
        for template_file in sorted(root.glob(f"*/{TEMPLATE_FILE}")):
            folder = template_file.parent
            pack, problems = check_pack(folder)
            if pack is None:
                failed += 1
                table.add_row(folder.name, str(folder), "", "", f"[red]{len(problems)} problems")
                continue
            rules = "Python + rules.yaml" if pack.builtin else "rules.yaml"
            fields = str(len(pack.schema["properties"]))
            table.add_row(pack.name, str(folder), fields, rules, "[green]ok")
    Console().print(table)
    if failed:
        raise typer.Exit(int(ExitCode.BAD_ARGS))
