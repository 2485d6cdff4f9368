"""SSN encryption: key from settings, a local key file when none is set, masking."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from faxflow.errors import ConfigError
from faxflow.settings import Settings
from loaders.crypto import KEY_FILE_NAME, decrypt, encrypt, mask_ssn


@pytest.mark.parametrize(
    ("ssn", "masked"),
    [("123456789", "***-**-6789"), ("123-45-6789", "***-**-6789"), ("12", "***"), (None, None)],
)
def test_mask_ssn(ssn, masked) -> None:
    assert mask_ssn(ssn) == masked


def test_round_trip_with_the_configured_key(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, encryption_key=Fernet.generate_key().decode())
    token = encrypt("123456789", settings)
    assert token is not None and "123456789" not in token
    assert decrypt(token, settings) == "123456789"
    assert not (tmp_path / KEY_FILE_NAME).exists()


def test_without_a_key_a_private_key_file_is_created_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(var_dir=tmp_path / "var", encryption_key=None)
    token = encrypt("123456789", settings)
    key_file = tmp_path / "var" / KEY_FILE_NAME
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert "FAXFLOW_ENCRYPTION_KEY" in caplog.text
    assert decrypt(token, Settings(var_dir=tmp_path / "var", encryption_key=None)) == "123456789"
    assert key_file.read_text().strip() not in caplog.text


def test_key_rotation_and_wrong_keys(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = encrypt("123456789", Settings(var_dir=tmp_path, encryption_key=old))
    rotated = Settings(var_dir=tmp_path, encryption_key=f"{new},{old}")
    assert decrypt(token, rotated) == "123456789"
    with pytest.raises(ConfigError, match="cannot be decrypted"):
        decrypt(token, Settings(var_dir=tmp_path, encryption_key=new))
    with pytest.raises(ConfigError, match="not a valid Fernet key") as caught:
        encrypt("1", Settings(var_dir=tmp_path, encryption_key="not-a-key"))
    assert "not-a-key" not in str(caught.value)


def test_only_reveal_decrypts(project_root: Path) -> None:
    """Reading a clear SSN goes through loaders.review.reveal (audited), nowhere else;
    loaders.result_files opens the sealed result files only to hand them to the loader,
    which encrypts the SSNs again."""
    uses = re.compile(
        r"from loaders\.crypto import[^\n]*\bdecrypt\b|crypto\.decrypt\(|\bcipher\(\)"
    )
    packages = ("faxflow", "ingest", "ocr", "extract", "validate", "loaders", "dashboard", "dags")
    callers = sorted(
        path.relative_to(project_root).as_posix()
        for package in packages
        for path in (project_root / package).rglob("*.py")
        if path.name != "crypto.py" and uses.search(path.read_text(encoding="utf-8"))
    )
    assert callers == ["loaders/result_files.py", "loaders/review.py"]
