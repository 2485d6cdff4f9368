"""Core CLI commands (``faxflow process``); see ``faxflow/cli.py`` for registration."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the core commands to the root app."""
    return None
