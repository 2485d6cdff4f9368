"""``faxflow export`` and ``faxflow db``: analysts' tables and schema migrations."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from faxflow.errors import ConfigError
from faxflow.settings import Settings, get_settings
from loaders.aggregate_names import DESCRIPTIONS

if TYPE_CHECKING:  # pandas and SQLAlchemy load only when a table is exported
    import pandas as pd
    from sqlalchemy.engine import Engine

console = Console(stderr=True)

# A copy of loaders.aggregates.describe_aggregates(), for --help and checking --what:
# importing that module loads pandas, SQLAlchemy and Alembic, which would slow every
# `faxflow` start. tests/faxflow/test_cli_startup.py keeps the copy equal to the original.
AGGREGATE_DESCRIPTIONS = DESCRIPTIONS


class ExportFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


def _names_help() -> str:
    built_in = "\n\n".join(f"{name}: {text}" for name, text in AGGREGATE_DESCRIPTIONS.items())
    return (
        f"{built_in}\n\n{PACK_PREFIX}<pack>{PACK_COUNTS}: a form pack's counts, by the fields "
        f"its aggregates.yaml names\n\n{PACK_PREFIX}<pack>: a form pack's records (audited)"
    )


PACK_PREFIX, PACK_COUNTS = "form_", "_counts"  # loaders.pack_views / pack_aggregates


def _table(name: str, settings: Settings) -> Callable[[Engine], pd.DataFrame]:
    """The export called ``name``: a built-in aggregate, or a form pack's counts or
    records (``form_<pack>_counts``, ``form_<pack>``); ConfigError naming the choices."""
    if name in AGGREGATE_DESCRIPTIONS:
        from loaders.aggregates import AGGREGATES

        return AGGREGATES[name]
    packs: dict[str, Any] = {}
    if name.startswith(PACK_PREFIX):
        from loaders.pack_aggregates import pack_tables

        packs = pack_tables(settings)
        if name in packs:
            return packs[name][0]
    choices = ", ".join([*AGGREGATE_DESCRIPTIONS, *packs])
    hint = "" if packs or settings.forms_dir else "; form packs need FAXFLOW_FORMS_DIR"
    raise ConfigError(f"no table named {name!r}; choose one of: {choices}{hint}")


def _cli_actor() -> str:
    """Who ran the command, for the audit trail: ``cli:<login name>``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


DB_OPTION = typer.Option(
    None,
    "--db",
    help="Database URL (default: FAXFLOW_DATABASE_URL, else SQLite var/faxflow.db).",
    show_default=False,
)


def export(
    what: str = typer.Option(
        ...,
        "--what",
        "-w",
        help=f"Which table to export: {', '.join(AGGREGATE_DESCRIPTIONS)}; a form pack's "
        "form_<pack>_counts or form_<pack> (its records).",
        show_default=False,
    ),
    fmt: ExportFormat = typer.Option(ExportFormat.CSV, "--format", "-f", help="File format."),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Output file; '-' writes CSV to standard output. "
        "Default: var/exports/<NAME>.<FORMAT>.",
        show_default=False,
    ),
    db: str | None = DB_OPTION,
    bom: bool = typer.Option(
        False,
        "--bom",
        help="Start the CSV with a UTF-8 byte-order mark, for spreadsheet programs "
        "(without it they open Japanese text and accented names garbled).",
    ),
) -> None:
    """Export an analysts' table (counts by place and day) as CSV or Parquet."""
    settings = get_settings()
    settings.require_secrets()
    name = what.strip().lower()
    compute = _table(name, settings)
    from loaders.db import engine_for, upgrade
    from loaders.exports import csv_text, write_export

    engine = engine_for(db or settings.db_url)
    try:
        upgrade(engine)
        frame = compute(engine)
        if name.startswith(PACK_PREFIX) and not name.endswith(PACK_COUNTS):
            # a pack's records, not counts: who took a copy is audited, as in the dashboard
            from loaders.audit import EXPORT, record_audit

            detail = f"{name}: {len(frame)} rows"
            record_audit(engine, actor=_cli_actor(), action=EXPORT, detail=detail)
    finally:
        engine.dispose()
    if out is not None and str(out) == "-":
        if fmt is not ExportFormat.CSV:
            raise typer.BadParameter(
                "only CSV can be written to standard output", param_hint="--out"
            )
        sys.stdout.write(csv_text(frame, bom=bom))
        return
    path = out or settings.var_dir / "exports" / f"{name}.{fmt.value}"
    try:
        write_export(frame, path, "csv" if fmt is ExportFormat.CSV else "parquet", bom=bom)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None
    console.print(f"[green]exported[/green] {name}: {len(frame)} rows → {path}")


db_app = typer.Typer(
    help="The faxflow database: migrate it up or down, show its schema version.",
    no_args_is_help=True,
)


@db_app.callback()
def _db_needs_secrets() -> None:
    """Production refuses database work without its keys (FAXFLOW_ENV=production)."""
    get_settings().require_secrets()


def _where(db: str | None) -> str:
    from sqlalchemy.engine import make_url

    from loaders.db import describe

    return describe(make_url(db or get_settings().db_url))


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Argument("head", help="Target migration (default: the newest)."),
    db: str | None = DB_OPTION,
) -> None:
    """Create or migrate faxflow's tables up to REVISION."""
    from alembic.util import CommandError

    from loaders.db import current_revision, upgrade

    url = db or get_settings().db_url
    try:
        upgrade(url, revision)
    except CommandError as exc:
        raise ConfigError(f"cannot migrate to {revision!r}: {exc}") from None
    console.print(f"{_where(db)} is at migration {current_revision(url)}")


@db_app.command("downgrade")
def db_downgrade(
    revision: str = typer.Argument(
        ..., help="Target migration: an id, '-1' for one step, 'base' to drop every table."
    ),
    db: str | None = DB_OPTION,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Migrate faxflow's tables down to REVISION (data in dropped tables is lost)."""
    from alembic.util import CommandError

    from loaders.db import current_revision, downgrade

    url = db or get_settings().db_url
    if not yes:
        typer.confirm(f"Downgrade the {_where(db)} to {revision}? Data may be lost", abort=True)
    try:
        downgrade(url, revision)
    except CommandError as exc:
        raise ConfigError(f"cannot migrate to {revision!r}: {exc}") from None
    console.print(f"{_where(db)} is at migration {current_revision(url) or 'base (empty)'}")


@db_app.command("current")
def db_current(db: str | None = DB_OPTION) -> None:
    """Show the database's migration and the newest this code knows."""
    from loaders.db import current_revision, head_revision

    url = db or get_settings().db_url
    current = current_revision(url)
    head = head_revision()
    state = "up to date" if current == head else "run `faxflow db upgrade`"
    typer.echo(f"{_where(db)}: migration {current or 'none'} (newest {head}; {state})")


keys_app = typer.Typer(
    help="The encryption keys of stored SSNs (FAXFLOW_ENCRYPTION_KEY).", no_args_is_help=True
)


@keys_app.command("rotate")
def keys_rotate(
    db: str | None = DB_OPTION,
    batch_size: int = typer.Option(
        500, "--batch-size", min=1, help="Rows per transaction (a stop loses at most one)."
    ),
) -> None:
    """Re-encrypt every stored SSN under the first key of FAXFLOW_ENCRYPTION_KEY.

    First set FAXFLOW_ENCRYPTION_KEY=NEW,OLD everywhere (both keys read meanwhile); run
    this; when it reports nothing left to rotate, drop OLD. Safe to stop and run again."""
    from loaders.db import engine_for, upgrade
    from loaders.keys import rotate_keys

    settings = get_settings()
    settings.require_secrets()
    engine = engine_for(db or settings.db_url)
    try:
        upgrade(engine)
        report = rotate_keys(engine, settings, batch_size=batch_size)
    finally:
        engine.dispose()
    for name in sorted(set(report.rotated) | set(report.current)):
        console.print(
            f"{name}: {report.rotated.get(name, 0)} re-encrypted, "
            f"{report.current.get(name, 0)} already under the new key"
        )
    console.print(
        f"[green]done[/green]: {report.total_rotated} values re-encrypted; every stored SSN is "
        "now under the first key, so the others can be dropped from FAXFLOW_ENCRYPTION_KEY"
    )


def register(app: typer.Typer) -> None:
    """Add ``export`` and the ``db`` and ``keys`` groups to the root app."""
    export.__doc__ = f"{export.__doc__}\n\nTables:\n\n{_names_help()}"
    app.command("export")(export)
    app.add_typer(db_app, name="db")
    app.add_typer(keys_app, name="keys")
