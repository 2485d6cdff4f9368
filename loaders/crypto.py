"""Encryption of sensitive columns (SSNs) at rest, with Fernet (AES-128-CBC + HMAC-SHA256).

The key comes from the settings: ``FAXFLOW_ENCRYPTION_KEY`` (in Airflow, set it on the
workers' environment or from a secrets backend; never in code or in the repository).
Several comma-separated keys rotate keys: the first encrypts, every one decrypts.

When no key is set and ``FAXFLOW_ENV`` is ``development`` (the default) faxflow still
works on one machine: the first use creates a random key file ``<var_dir>/encryption.key``
(mode 0600) and logs a warning. ``FAXFLOW_ENV=production`` refuses to run without
``FAXFLOW_ENCRYPTION_KEY`` — a key file beside the database protects nothing when both are
copied, separate workers would each make their own, and a lost key file makes every
stored SSN unreadable.

Only :func:`loaders.review.reveal` decrypts (it writes an audit row); everything else shows
:func:`mask_ssn`'s ``***-**-6789``.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from faxflow.errors import ConfigError
from faxflow.settings import Settings, get_settings

log = logging.getLogger(__name__)

KEY_FILE_NAME = "encryption.key"


def mask_ssn(ssn: str | None) -> str | None:
    """``"123456789"`` → ``"***-**-6789"``; None stays None; too short to mask → ``"***"``."""
    if ssn is None:
        return None
    digits = "".join(ch for ch in str(ssn) if ch.isdigit())
    if len(digits) < 4:
        return "***"
    return f"***-**-{digits[-4:]}"


def _key_file(settings: Settings) -> Path:
    return settings.var_dir / KEY_FILE_NAME


def _local_key(settings: Settings) -> str:
    """Read the machine-local key file, creating it (0600, atomically) on first use."""
    path = _key_file(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it a moment ago
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(Fernet.generate_key().decode("ascii") + "\n")
            log.warning(
                "FAXFLOW_ENCRYPTION_KEY is not set: created a local key file %s for SSN "
                "encryption. Production must set FAXFLOW_ENCRYPTION_KEY (keep a copy: without "
                "the key stored SSNs cannot be read).",
                path,
            )
    return path.read_text(encoding="ascii").strip()


@cache
def _fernet_for(keys: str) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.strip()) for key in keys.split(",") if key.strip()])
    except (ValueError, TypeError):
        raise ConfigError(
            "FAXFLOW_ENCRYPTION_KEY is not a valid Fernet key (32 url-safe base64-encoded "
            "bytes; make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        ) from None


def _keys(settings: Settings | None) -> str:
    settings = settings or get_settings()
    if settings.encryption_key is not None and settings.encryption_key.get_secret_value():
        keys = settings.encryption_key.get_secret_value()
    else:
        settings.require_secrets()  # production never falls back to a key file
        keys = _local_key(settings)
    if not keys.strip(", "):
        raise ConfigError(f"the encryption key file {_key_file(settings)} is empty")
    return keys


def cipher(settings: Settings | None = None) -> MultiFernet:
    """The Fernet cipher for the configured key(s): the first encrypts, all decrypt."""
    return _fernet_for(_keys(settings))


def current_key_cipher(settings: Settings | None = None) -> Fernet:
    """The first (encrypting) key alone: what a token made before a key change cannot be
    read with (see ``faxflow keys rotate``)."""
    _fernet_for(_keys(settings))  # validates every key, with the usual message
    first = next(key.strip() for key in _keys(settings).split(",") if key.strip())
    return Fernet(first)


def encrypt(text: str | None, settings: Settings | None = None) -> str | None:
    """A Fernet token (text) for ``text``; None stays None."""
    if text is None:
        return None
    return cipher(settings).encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str | None, settings: Settings | None = None) -> str | None:
    """The clear text of a token. Call only from :func:`loaders.review.reveal` (audited)
    and from the loader, which re-encrypts preserved corrections without showing them."""
    if token is None:
        return None
    try:
        return cipher(settings).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ConfigError(
            "a stored value cannot be decrypted with the configured FAXFLOW_ENCRYPTION_KEY "
            "(was the key changed? list the old key after the new one, comma-separated)"
        ) from None
