"""Result files on disk with their SSNs encrypted.

Each processed document's result is kept in ``var/results/<document id>.json`` (the
demo's table and a developer read it; XCom carries only ids). Those files hold every field
of the record, so the sensitive ones (SSNs, see :func:`loaders.records.is_sensitive`) are
written as Fernet tokens — their value, their raw OCR text and the before/after values of
their provenance — like the database holds them. The files are 0600 in a 0700 folder
(:mod:`faxflow.private`) and are deleted with the document's original and page images
by the retention rule (:mod:`loaders.retention`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faxflow.errors import ConfigError
from faxflow.model import DocumentResult
from faxflow.private import write_private
from faxflow.settings import Settings
from loaders.crypto import decrypt, encrypt
from loaders.records import HOUSEHOLD_MEMBERS, is_sensitive

SEALED_PREFIX = "fernet:"


def _sealer(settings: Settings) -> Callable[[Any], Any]:
    def seal(value: Any) -> Any:
        if value is None:
            return None
        token = encrypt(json.dumps(value), settings)
        return SEALED_PREFIX + str(token)

    return seal


def _opener(settings: Settings) -> Callable[[Any], Any]:
    def open_(value: Any) -> Any:
        if not isinstance(value, str) or not value.startswith(SEALED_PREFIX):
            return value
        clear = decrypt(value[len(SEALED_PREFIX) :], settings)
        try:
            return json.loads(clear or "null")
        except ValueError:
            raise ConfigError("a sealed value in a result file is not valid JSON") from None

    return open_


def _walk_sensitive(payload: dict[str, Any], change: Callable[[Any], Any]) -> dict[str, Any]:
    """A copy of a serialised :class:`DocumentResult` with ``change`` applied to every
    sensitive value."""
    out = json.loads(json.dumps(payload))
    record = out.get("record") or {}
    for name in list(record):
        if name == HOUSEHOLD_MEMBERS and isinstance(record[name], list):
            for member in record[name]:
                if isinstance(member, dict):
                    for prop in list(member):
                        if is_sensitive(prop):
                            member[prop] = change(member[prop])
        elif is_sensitive(name):
            record[name] = change(record[name])
    for name, field in (out.get("fields") or {}).items():
        if not is_sensitive(name) or not isinstance(field, dict):
            continue
        field["value"] = change(field.get("value"))
        field["raw_text"] = change(field.get("raw_text"))
        for step in field.get("provenance") or []:
            step["before"] = change(step.get("before"))
            step["after"] = change(step.get("after"))
    return out


def sealed_result(result: DocumentResult, settings: Settings) -> dict[str, Any]:
    """The JSON of ``result`` with every sensitive value encrypted."""
    return _walk_sensitive(json.loads(result.to_json()), _sealer(settings))


def opened_result(payload: dict[str, Any], settings: Settings) -> DocumentResult:
    """The result :func:`sealed_result` wrote, sensitive values decrypted again."""
    return DocumentResult.model_validate(_walk_sensitive(payload, _opener(settings)))


def write_result_file(path: Path, result: DocumentResult, settings: Settings, **extra: Any) -> Path:
    """Write ``{"result": <sealed result>, **extra}`` to ``path`` (0600, folder 0700)."""
    payload = {"result": sealed_result(result, settings), **extra}
    return write_private(path, json.dumps(payload))
