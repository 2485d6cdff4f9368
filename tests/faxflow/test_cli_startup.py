"""``faxflow`` starts without loading the heavy libraries its commands use.

Every package's ``cli.py`` is imported by the root CLI just to build ``--help``, so a
top-level ``import pandas`` there is paid by every command. These tests import the CLI in
a fresh interpreter (the test session itself has long since loaded everything) and look at
``sys.modules``; they measure no time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from faxflow.cli import app

FAXFLOW = str(Path(sys.executable).with_name("faxflow"))

HEAVY_LIBRARIES = (
    "pandas",
    "alembic",
    "sqlalchemy",
    "fastapi",
    "starlette",
    "faker",
    "pdfplumber",
    "pdfminer",
    "cv2",
    "spacy",
    "numpy",
    "PIL",
    "yaml",
)

# Loaded at start-up by modules outside the package CLIs; drop an entry once its module
# stops importing the library at top level.
LOADED_ELSEWHERE = {
    "numpy": "faxflow/model.py imports numpy at module level",
    "cv2": "faxflow/commands.py imports faxflow/pipeline.py, which imports cv2 at module level",
}

PACKAGE_CLIS = (
    "samples.cli",
    "loaders.cli",
    "dashboard.cli",
    "validate.cli",
    "ingest.cli",
    "extract.cli",
)

# What every package CLI may rely on: the core modules and the CLI libraries themselves.
CORE = "import faxflow.errors, faxflow.model, faxflow.settings, typer, rich.console"


def _heavy_loaded(code_before: str, module: str) -> list[str]:
    """Heavy libraries (top-level names) that importing ``module`` adds to ``sys.modules``
    of a fresh interpreter after running ``code_before``."""
    script = (
        f"import json, sys\n{code_before}\n"
        "before = set(sys.modules)\n"
        f"import {module}\n"
        "added = {name.split('.')[0] for name in set(sys.modules) - before}\n"
        f"print(json.dumps(sorted(added & set({list(HEAVY_LIBRARIES)!r}))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    loaded: list[str] = json.loads(done.stdout)
    return loaded


def test_root_cli_loads_no_heavy_library() -> None:
    loaded = _heavy_loaded("", "faxflow.cli")
    assert [name for name in loaded if name not in LOADED_ELSEWHERE] == []


@pytest.mark.parametrize("module", PACKAGE_CLIS)
def test_package_cli_loads_no_heavy_library(module: str) -> None:
    # Stricter than the root test: nothing is excused, beyond what the core already loads.
    assert _heavy_loaded(CORE, module) == []


def test_help_lists_every_command_group(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200", "FAXFLOW_VAR_DIR": str(tmp_path / "var")}
    done = subprocess.run(
        [FAXFLOW, "--help"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    listed = {line.strip("│ ").split(" ")[0] for line in done.stdout.splitlines()}
    expected = {
        "process",
        "ocr",
        "samples",
        "eval",
        "export",
        "db",
        "dashboard",
        "users",
        "calibrate",
        "intake",
        "template",
    }
    assert expected <= listed, f"missing from --help: {sorted(expected - listed)}"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["samples", "generate"], ["--profile", "fax_fine", "with_cover", "mdhhs_dhs1171"]),
        (["eval"], ["RESULTS_DIR", "--truth"]),
        (["export"], ["--what", "infections_by_day", "corrections_by_field", "parquet"]),
        (["db", "upgrade"], ["REVISION", "--db"]),
        (["dashboard"], ["--port", "--secure-cookies"]),
        (["users", "add"], ["--role", "reviewer", "analyst", "admin"]),
        (["calibrate"], ["--target", "--write", "thresholds.json"]),
        (["intake", "run"], ["--once", "--process", "verify"]),
        (["intake", "status"], ["--ledger", "--json"]),
        (["template", "from-pdf"], ["--form-type", "--no-proposals"]),
        (["template", "show"], ["--page", "--dpi"]),
    ],
)
def test_command_help_still_renders(command: list[str], expected: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    missing = [word for word in expected if word not in result.output]
    assert missing == []


# The CLIs keep light copies of a few constants for --help; these keep them equal to the
# originals in the heavy modules.


def test_profile_and_form_copies_match_samples() -> None:
    import samples.cli
    from samples.degrade import PROFILES
    from samples.generate import FORMS
    from samples.splits import CLASSIC, load_splits

    assert samples.cli.PROFILE_NAMES == PROFILES
    assert samples.cli.FORM_TYPES == FORMS
    assert (*load_splits(), CLASSIC) == samples.cli.SPLIT_NAMES


def test_aggregate_copies_match_loaders() -> None:
    import loaders.cli
    from loaders.aggregates import AGGREGATES, describe_aggregates

    assert describe_aggregates() == loaders.cli.AGGREGATE_DESCRIPTIONS
    assert list(loaders.cli.AGGREGATE_DESCRIPTIONS) == list(AGGREGATES)


def test_role_choices_match_dashboard_roles() -> None:
    from dashboard.auth import Role
    from dashboard.cli import RoleChoice

    assert [(r.name, r.value) for r in RoleChoice] == [(r.name, r.value) for r in Role]


def test_thresholds_file_matches_calibrate() -> None:
    import validate.cli
    from validate.calibrate import THRESHOLDS_FILE

    assert validate.cli.THRESHOLDS_FILE == THRESHOLDS_FILE
