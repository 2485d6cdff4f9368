"""The ``faxflow`` command line.

Core commands live here; each area adds its own through ``<package>/cli.py`` exposing
``register(app: typer.Typer) -> None`` (see :data:`COMMAND_MODULES`). Errors are mapped to
stable exit codes by :func:`faxflow.errors.exit_code_for` in one place, :func:`main`.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys

import typer
from rich.console import Console

from faxflow.errors import ExitCode, FaxflowError, exit_code_for, safe_traceback

COMMAND_MODULES = (
    "faxflow.commands",
    "ingest.cli",
    "ocr.cli",
    "extract.cli",
    "extract.forms_cli",
    "validate.cli",
    "loaders.cli",
    "samples.cli",
    "dashboard.cli",
)

EPILOG = (
    "Exit codes: 0 ok; 1 some documents need review; 2 bad arguments; 3 input files "
    "refused (quarantined); 4 missing dependency (tesseract, poppler); 5 database error; "
    "70 internal error. Settings come from FAXFLOW_* environment variables, for example "
    "FAXFLOW_DATABASE_URL."
)

app = typer.Typer(
    name="faxflow",
    help="Turn faxed and scanned forms into validated records in a central database.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

err_console = Console(stderr=True)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details."),
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _register_commands() -> None:
    for module_name in COMMAND_MODULES:
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        module.register(app)


_register_commands()


def main() -> None:
    """Console-script entry point: run the app and map every failure to an exit code.

    Usage errors are handled by typer itself (exit 2, with the usage line); faxflow's own
    errors are mapped here, in one place, by :func:`exit_code_for`.
    """
    try:
        app()  # standalone mode: exits itself on success, usage errors and typer.Exit
    except FaxflowError as exc:
        err_console.print(f"[red]error[/red] {exc}")
        sys.exit(int(exit_code_for(exc)))
    except Exception as exc:
        # A bug: say so without dumping locals (they may hold personal data).
        err_console.print(
            f"[red]internal error[/red] {type(exc).__name__}; rerun with -v and report it"
        )
        # INFO: shown by -v, as the message says (files and lines only, no message).
        logging.getLogger("faxflow").info("internal error: %s", safe_traceback(exc))
        sys.exit(int(ExitCode.INTERNAL_ERROR))


if __name__ == "__main__":
    main()
