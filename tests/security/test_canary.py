"""Threat: personal data leaks through a side channel — a log line, an XCom value, an
exception message, an export — on its way through the CLI, the DAG, the dashboard.

GIVEN two real rendered forms (a CDC case report and a DHS-1171 application) carrying a
      unique fake name and a unique fake SSN, written by the sample generator
WHEN  they go through ``faxflow process`` (verbose), the ``fax_intake`` and
      ``daily_aggregates`` DAGs (``dag.test()``), the dashboard (every role looks, an admin
      reveals, a reviewer submits a bad correction carrying the canary) and every export
THEN  the canary is stored (so the test is not vacuous) and appears in no log line, XCom
      value, exception message or export.

The schemas hold no free-text diagnosis (``other_diagnosis`` is yes/no/unknown), so no
unique diagnosis can be planted; names and SSNs stand for every personal field.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from faxflow.model import FormType

pytestmark = [pytest.mark.slow, pytest.mark.airflow]

CANARY_SURNAME = "QUARVEXTON"
CANARY_SSN = "518273946"
DAG_RUNNER = r"""
import sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
for dag_id in ("fax_intake", "daily_aggregates"):
    print(dag_id, bag.get_dag(dag_id).test().state)
"""


def _canary_documents(out: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    import samples.generate as generate

    real = generate.make_record

    def with_canary(form_type: FormType, seed: int, *rest: Any) -> dict[str, Any]:
        record = real(form_type, seed, *rest)
        if form_type is FormType.CDC_PUI_2020:
            record["patient_last_name"] = CANARY_SURNAME.title()
        else:
            first = str(record["applicant_full_name"]).split()[0]
            record["applicant_full_name"] = f"{first} {CANARY_SURNAME.title()}"
            record["applicant_ssn"] = CANARY_SSN
        return record

    monkeypatch.setattr(generate, "make_record", with_canary)
    specs = [
        generate.SampleSpec(FormType.CDC_PUI_2020, "fax_fine", index=0, seed=424242),
        generate.SampleSpec(FormType.MDHHS_DHS1171, "scan_grey", index=1, seed=424242),
    ]
    return [generate.generate_document(spec, out).document for spec in specs]


def _leaks(text: str, canaries: set[str]) -> list[str]:
    folded = text.casefold()
    digits = "".join(ch for ch in text if ch.isdigit())
    return sorted(c for c in canaries if c.casefold() in folded or (c.isdigit() and c in digits))


def _run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=1500, check=False
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]  # 1: documents need review
    return done.stdout + done.stderr


def test_canary_never_leaks(
    tmp_path: Path, project_root: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    documents = _canary_documents(tmp_path / "generated", monkeypatch)
    var_dir = tmp_path / "var"
    env = {
        **os.environ,
        "OMP_THREAD_LIMIT": "1",
        "FAXFLOW_VAR_DIR": str(var_dir),
        "FAXFLOW_STABLE_SECONDS": "0",
        "FAXFLOW_ENCRYPTION_KEY": os.environ["FAXFLOW_ENCRYPTION_KEY"],
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(project_root / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    env.pop("FAXFLOW_DATABASE_URL", None)
    outputs: dict[str, str] = {}

    # The CLI, verbose, with its own database.
    cli_db = f"sqlite:///{tmp_path / 'cli.db'}"
    outputs["cli"] = _run(
        [
            sys.executable,
            "-m",
            "faxflow.cli",
            "-v",
            "process",
            *map(str, documents),
            "--out",
            str(tmp_path / "cli-out"),
            "--db",
            cli_db,
            "--workers",
            "1",
        ],
        env,
        project_root,
    )

    # The DAGs, through dag.test(), on the watched inbox.
    inbox = var_dir / "intake" / "inbox" / "clinic-7"
    inbox.mkdir(parents=True)
    for document in documents:
        shutil.copy(document, inbox / document.name)
    airflow = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    outputs["dag"] = _run(
        [sys.executable, "-c", DAG_RUNNER, str(project_root / "dags")], env, project_root
    )
    assert "fax_intake success" in outputs["dag"], outputs["dag"][-2000:]
    for log in (tmp_path / "airflow" / "logs").rglob("*"):
        if log.is_file():
            outputs[f"task log {log.name}"] = log.read_text("utf-8", errors="replace")
    with sqlite3.connect(tmp_path / "airflow" / "airflow.db") as connection:
        xcoms = connection.execute("SELECT key, value FROM xcom").fetchall()
    assert xcoms
    outputs["xcom"] = "\n".join(f"{k}={v!r}" for k, v in xcoms)

    # What the pipeline stored: the canary as written and as read.
    from dashboard.app import create_app
    from dashboard.users import add_user
    from faxflow.settings import Settings
    from loaders.db import engine_for
    from loaders.review import reveal

    settings = Settings(var_dir=var_dir)
    engine = engine_for(settings.db_url)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT document_id, name, value FROM fields"
            " WHERE name IN ('patient_last_name', 'applicant_full_name', 'applicant_ssn')"
        ).fetchall()
    read = {name: (doc, value) for doc, name, value in rows}
    ssn_doc = read["applicant_ssn"][0]
    read_ssn = reveal(engine, ssn_doc, "applicant_ssn", actor="canary-test")
    canaries = {CANARY_SURNAME, CANARY_SSN}
    canaries |= {str(v).split()[-1] for n, (_, v) in read.items() if v and "ssn" not in n}
    canaries |= {read_ssn} if read_ssn and len(read_ssn) >= 7 else set()
    canaries = {c for c in canaries if len(c) >= 5}
    assert CANARY_SURNAME.casefold() in {c.casefold() for c in canaries}
    stored_names = " ".join(str(v) for _, v in read.values())
    assert _leaks(stored_names, {CANARY_SURNAME}) or read_ssn == CANARY_SSN, (
        "the canary did not make it into the database: nothing was tested"
    )

    # The dashboard: every role looks, the admin reveals, a bad correction carries it.
    for role in ("reviewer", "analyst", "admin"):
        add_user(
            engine,
            role,
            "correct horse battery",
            role,
            centres=() if role == "admin" else ["clinic-7"],
        )
    app = create_app(settings, engine=engine)
    errors: list[str] = []
    with caplog.at_level(logging.DEBUG):
        for role in ("reviewer", "analyst", "admin"):
            with TestClient(app, base_url="http://127.0.0.1") as client:
                from tests.dashboard.conftest import csrf_of, login

                login(client, role, "correct horse battery")
                for doc, _ in read.values():
                    client.get(f"/documents/{doc}")
                    client.get(f"/documents/{doc}/pages/1/image")
                client.get("/overview")
                for chart in ("documents_per_day", "epidemic_curve", "applications_per_county"):
                    response = client.get(f"/overview/{chart}.csv")
                    if response.status_code == 200:
                        outputs[f"dashboard csv {chart} ({role})"] = response.text
                if role == "admin":
                    client.post(
                        f"/documents/{ssn_doc}/reveal", data={"csrf_token": csrf_of(client)}
                    )
                if role == "reviewer":
                    bad = client.post(
                        f"/documents/{ssn_doc}/fields/applicant_birth_date",
                        data={
                            "value": f"{CANARY_SURNAME} {CANARY_SSN}",
                            "csrf_token": csrf_of(client),
                        },
                        headers={"accept": "application/json"},
                    )
                    # The review page shows the record (the name belongs there); the
                    # typed SSN must not come back.
                    assert bad.status_code == 400
                    assert CANARY_SSN not in bad.text
    outputs["dashboard log"] = "\n".join(r.getMessage() for r in caplog.records)

    # Exception messages about values carrying the canary.
    from faxflow.errors import FaxflowError
    from loaders.review import apply_correction

    for field in ("applicant_birth_date", "applicant_ssn", "residential_zip"):
        try:
            apply_correction(
                engine, ssn_doc, field, f"{CANARY_SURNAME} {CANARY_SSN}x", reviewer="canary"
            )
        except FaxflowError as error:
            errors.append(str(error))
    assert len(errors) == 3
    outputs["exception messages"] = "\n".join(errors)

    # Every export.
    for csv_file in (var_dir / "exports").glob("*.csv"):
        outputs[f"export {csv_file.name}"] = csv_file.read_text("utf-8")
    engine.dispose()

    leaks = {where: found for where, text in outputs.items() if (found := _leaks(text, canaries))}
    assert leaks == {}
