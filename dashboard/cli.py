"""``faxflow dashboard`` (serve the review dashboard) and ``faxflow users …`` (accounts)."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from faxflow.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

console = Console()


class RoleChoice(StrEnum):
    """The values of dashboard.auth.Role, for --role: importing dashboard.auth loads FastAPI,
    which would slow every `faxflow` start. tests/faxflow/test_cli_startup.py keeps the two
    equal."""

    REVIEWER = "reviewer"
    ANALYST = "analyst"
    ADMIN = "admin"


users_app = typer.Typer(
    help="Dashboard accounts: reviewer (review queue), analyst (charts, exports, read-only "
    "records) and admin (everything, SSN reveal, users).",
    no_args_is_help=True,
)


def _engine(settings: Settings) -> Engine:
    from loaders.db import engine_for, upgrade

    settings.require_secrets()  # production: keys first, before any database work
    engine = engine_for(settings.db_url)
    upgrade(engine)
    return engine


def serve(
    settings: Settings | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8050,
    secure_cookies: bool = False,
    log_level: str = "info",
) -> None:
    """Migrate the database if needed and serve the dashboard with uvicorn (blocks).
    ``faxflow.up`` and ``faxflow dashboard`` both start it through here."""
    import uvicorn

    from dashboard.app import create_app

    settings = settings or get_settings()
    engine = _engine(settings)
    app = create_app(settings, secure_cookies=secure_cookies, engine=engine)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        server_header=False,
        proxy_headers=False,
    )


def dashboard_command(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Interface to listen on; keep 127.0.0.1 unless behind TLS."
    ),
    port: int = typer.Option(8050, "--port", min=1, max=65535, help="TCP port."),
    secure_cookies: bool = typer.Option(
        False,
        "--secure-cookies/--no-secure-cookies",
        help="Mark the session cookie Secure (required when served over HTTPS).",
    ),
) -> None:
    """Serve the review dashboard (log in with an account from `faxflow users add`)."""
    if host not in ("127.0.0.1", "localhost", "::1") and not secure_cookies:
        console.print(
            "[yellow]warning[/yellow] listening beyond localhost without --secure-cookies; "
            "put the dashboard behind HTTPS"
        )
    console.print(f"faxflow dashboard on http://{host}:{port}/  (Ctrl+C stops it)")
    serve(host=host, port=port, secure_cookies=secure_cookies)


def _read_password(password_stdin: bool) -> str:
    from dashboard.auth import UserAccountError

    if password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise UserAccountError("no password on standard input")
        return line
    typed: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return typed


@users_app.command("add")
def add_command(
    name: str = typer.Argument(..., help="User name (a-z, 0-9, '.', '_', '-')."),
    role: RoleChoice = typer.Option(..., "--role", "-r", help="reviewer, analyst or admin."),
    centre: list[str] = typer.Option(
        [],
        "--centre",
        "-c",
        help="A centre (inbox/<centre id>/) whose documents a reviewer or analyst sees; "
        "repeat for several. Admins see every centre.",
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
) -> None:
    """Add a user; the password is prompted for (twice) unless --password-stdin."""
    from dashboard.users import add_user

    password = _read_password(password_stdin)
    account = add_user(_engine(get_settings()), name, password, role.value, centres=centre)
    where = ", ".join(account.centres) or ("every centre" if role.value == "admin" else "none")
    console.print(
        f"added [bold]{account.username}[/bold] as {account.role.value} (centres: {where})"
    )


@users_app.command("list")
def list_command() -> None:
    """List users with their role and status."""
    from dashboard.users import list_users

    accounts = list_users(_engine(get_settings()))
    table = Table("user", "role", "centres", "status", "created (UTC)")
    for account in accounts:
        table.add_row(
            account.username,
            account.role.value,
            "all" if account.role.value == "admin" else ", ".join(account.centres) or "none",
            "disabled" if account.disabled else "active",
            account.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)
    console.print(f"{len(accounts)} user(s)")


@users_app.command("disable")
def disable_command(name: str = typer.Argument(..., help="User name.")) -> None:
    """Disable a user; their open sessions end on their next request."""
    from dashboard.users import set_disabled

    account = set_disabled(_engine(get_settings()), name, disabled=True)
    console.print(f"disabled [bold]{account.username}[/bold]")


@users_app.command("enable")
def enable_command(name: str = typer.Argument(..., help="User name.")) -> None:
    """Re-enable a disabled user."""
    from dashboard.users import set_disabled

    account = set_disabled(_engine(get_settings()), name, disabled=False)
    console.print(f"enabled [bold]{account.username}[/bold]")


@users_app.command("centres")
def centres_command(
    name: str = typer.Argument(..., help="User name."),
    centre: list[str] = typer.Option(
        [],
        "--centre",
        "-c",
        help="A centre whose documents the user sees; repeat for several. The list replaces "
        "the user's centres.",
    ),
    clear: bool = typer.Option(
        False, "--none", help="Take every centre away (the user then sees no document)."
    ),
) -> None:
    """Set which centres a reviewer or analyst sees (admins see all)."""
    from dashboard.auth import UserAccountError
    from dashboard.users import set_centres

    if not centre and not clear:
        raise UserAccountError("give --centre ID (repeatable), or --none to take all away")
    if centre and clear:
        raise UserAccountError("give either --centre or --none, not both")
    account = set_centres(_engine(get_settings()), name, centre)
    console.print(
        f"[bold]{account.username}[/bold] now sees centres: {', '.join(account.centres) or 'none'}"
    )


def register(app: typer.Typer) -> None:
    app.command("dashboard")(dashboard_command)
    app.add_typer(users_app, name="users")
