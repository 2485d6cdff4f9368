"""``faxflow forms new | check | list`` through the real CLI entry point."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.fillable import make_fillable_pdf
from tests.processes import run_faxflow


def _faxflow(*args: str, env_forms: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_faxflow(*args, forms_dir=env_forms, timeout=300)


def test_new_then_check_then_list(tmp_path: Path):
    blank = make_fillable_pdf(tmp_path / "support.pdf")
    out = tmp_path / "packs"
    made = _faxflow("forms", "new", "household_support", "--blank", str(blank), "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == str(out / "household_support")
    assert "5 fields (1 boolean, 2 enum, 2 string)" in made.stderr
    assert "in a format their names or tooltips name: zip (zip)" in made.stderr
    checked = _faxflow("forms", "check", "household_support", env_forms=out)
    assert checked.returncode == 0, checked.stderr
    assert "ok household_support: 5 fields, 5 zones, rules.yaml" in checked.stderr
    listed = _faxflow("forms", "list", env_forms=out)
    assert listed.returncode == 0
    assert [line.split("│")[1].strip() for line in listed.stdout.splitlines() if "│" in line] == [
        "cdc_pui_2020",
        "mdhhs_dhs1171",
        "household_support",
    ]


def test_check_lists_coded_problems_and_exits_2(tmp_path: Path):
    blank = make_fillable_pdf(tmp_path / "support.pdf")
    out = tmp_path / "packs"
    _faxflow("forms", "new", "household_support", "--blank", str(blank), "--out", str(out))
    (out / "household_support" / "rules.yaml").write_text("required: [nobody]\n")
    checked = _faxflow("forms", "check", str(out / "household_support"))
    assert checked.returncode == 2
    assert "pack_unknown_field rules.yaml: nobody is not a property" in checked.stderr
    missing = _faxflow("forms", "check", "no_such_form")
    assert missing.returncode == 2 and "no pack 'no_such_form'" in missing.stderr


def test_template_commands_take_a_pack_name(tmp_path: Path):
    blank = make_fillable_pdf(tmp_path / "support.pdf")
    out = tmp_path / "packs"
    _faxflow("forms", "new", "household_support", "--blank", str(blank), "--out", str(out))
    folder = out / "household_support"
    regenerated = _faxflow(
        "template",
        "from-pdf",
        str(folder / "blank.pdf"),
        "--form-type",
        "household_support",
        "--no-proposals",
        env_forms=out,
    )
    assert regenerated.returncode == 0, regenerated.stderr
    body = "".join(
        line
        for line in (folder / "template.yaml").read_text().splitlines(True)
        if not line.startswith("#")
    )
    assert (
        "".join(line for line in regenerated.stdout.splitlines(True) if not line.startswith("#"))
        == body
    )
    shown = _faxflow(
        "template",
        "show",
        "household_support",
        "--page",
        "1",
        "--out",
        str(tmp_path / "z.png"),
        env_forms=out,
    )
    assert shown.returncode == 0, shown.stderr
    assert (tmp_path / "z.png").stat().st_size > 0
