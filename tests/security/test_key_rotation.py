"""Threat: a retired (or leaked) encryption key keeps opening stored SSNs because nothing
re-encrypts them; or a key change makes stored SSNs unreadable mid-way."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from faxflow.model import FormType, Status
from faxflow.settings import Settings
from loaders.db import engine_for, upgrade
from loaders.keys import encrypted_columns, rotate_keys
from loaders.load import load_document
from loaders.review import apply_correction, reveal
from tests.builders import field_result, form_result

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _settings(tmp_path: Path, keys: str) -> Settings:
    return Settings(
        var_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'k.db'}",
        encryption_key=SecretStr(keys),
    )


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[tuple[Engine, list[str]]]:
    """Three applications under the OLD key: SSNs in the typed tables, the fields rows,
    the household members and a reviewer's correction (review_events.cipher)."""
    old = _settings(tmp_path, OLD)
    engine = engine_for(old.db_url)
    upgrade(engine)
    ids = []
    for n in range(1, 4):
        ssn = f"12345678{n}"
        result = form_result(
            n,
            FormType.MDHHS_DHS1171,
            status=Status.NEEDS_REVIEW,
            values={"applicant_ssn": ssn, "household_members": [{"ssn": f"98765432{n}"}]},
            fields={"applicant_ssn": field_result(ssn, 0.5, (1, 1, 9, 9))},
            template_pages=(4,),
        )
        load_document(engine, result, settings=old)
        ids.append(result.document_id)
    apply_correction(engine, ids[0], "applicant_ssn", "111111111", reviewer="rita", settings=old)
    yield engine, ids
    engine.dispose()


def _tokens(engine: Engine) -> list[str]:
    import sqlalchemy as sa

    tokens = []
    with engine.connect() as connection:
        for _table, columns in encrypted_columns():
            for row in connection.execute(sa.select(*columns)):
                tokens += [t for t in row if t]
    return tokens


def _readable_with(key: str, token: str) -> bool:
    try:
        Fernet(key.encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def test_rotation_moves_every_ssn_to_the_new_key_and_survives_a_stop(
    stored, tmp_path: Path
) -> None:
    engine, ids = stored
    both = _settings(tmp_path, f"{NEW},{OLD}")
    before = _tokens(engine)
    assert len(before) >= 10 and all(_readable_with(OLD, t) for t in before)
    # While the change runs, old tokens are read through the new setting.
    assert reveal(engine, ids[1], "applicant_ssn", actor="admin", settings=both) == "123456782"

    class Stop(Exception):
        pass

    def stop_after_first_batch(table: str, rows: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        rotate_keys(engine, both, batch_size=2, progress=stop_after_first_batch)
    halfway = _tokens(engine)
    assert any(_readable_with(NEW, t) for t in halfway)
    assert any(_readable_with(OLD, t) for t in halfway)

    report = rotate_keys(engine, both, batch_size=2)  # resumes: finished batches stay done
    assert report.total_rotated == sum(not _readable_with(NEW, t) for t in halfway)
    after = _tokens(engine)
    assert len(after) == len(before)
    assert all(_readable_with(NEW, t) and not _readable_with(OLD, t) for t in after)

    new_only = _settings(tmp_path, NEW)
    assert reveal(engine, ids[0], "applicant_ssn", actor="admin", settings=new_only) == (
        "111111111"
    )
    assert reveal(engine, ids[2], "household_members[0].ssn", actor="admin", settings=new_only) == (
        "987654323"
    )
    assert rotate_keys(engine, both).total_rotated == 0


def test_keys_rotate_command(stored, tmp_path: Path) -> None:
    engine, _ = stored
    done = subprocess.run(
        [sys.executable, "-m", "faxflow.cli", "keys", "rotate", "--batch-size", "2"],
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            "FAXFLOW_ENCRYPTION_KEY": f"{NEW},{OLD}",
            "FAXFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
            "FAXFLOW_VAR_DIR": str(tmp_path / "var"),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "re-encrypted" in done.stdout + done.stderr
    assert all(_readable_with(NEW, t) for t in _tokens(engine))
