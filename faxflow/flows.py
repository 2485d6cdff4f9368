"""Task bodies of the Airflow DAGs, importable and testable without Airflow.

The DAG files in ``dags/`` only wire these functions into tasks. Everything passed between
tasks (XCom) is an arrival id, a document id, a status, a file kind, a size or a count —
never a page image, a file name (it may name the patient) or a field value.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faxflow.errors import ErrorCode, FaxflowError, InputRejected
from faxflow.ledger import Ledger, LedgerEntry, LedgerStatus
from faxflow.model import DocumentResult, FileKind, SourceDocument
from faxflow.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ingest.intake import Claim

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
"""A document whose processing crashed this many times is quarantined as E_INTERNAL."""


def settings_from_environment(overrides: dict[str, Any] | None = None) -> Settings:
    """Settings for a task: FAXFLOW_* environment variables, overridden by the Airflow
    Variable ``faxflow_settings`` (a JSON object), the connection ``faxflow_db`` (database
    URL) and the connection ``faxflow_encryption`` (its password is the Fernet key for SSNs).
    Outside an Airflow task only the environment counts."""
    from airflow.sdk import Connection, Variable

    values: dict[str, Any] = {}
    raw = _optional(lambda: Variable.get("faxflow_settings", default=None))
    if raw:
        values.update(json.loads(raw))
    url = _optional(lambda: Connection.get("faxflow_db").get_uri())
    if url:
        values.setdefault("database_url", url)
    key = _optional(lambda: Connection.get("faxflow_encryption").password)
    if key:
        values.setdefault("encryption_key", key)
    values.update(overrides or {})
    return Settings(**values)


def _optional(read: Any) -> Any:
    """An Airflow variable or connection that may be absent (or no task context at all:
    tests and the CLI); absence means the environment's value applies."""
    try:
        return read()
    except Exception as exc:
        log.debug("Airflow configuration not used: %s", type(exc).__name__)
        return None


@dataclass(frozen=True, slots=True)
class Services:
    """What a task needs, opened once per task."""

    settings: Settings
    engine: Engine
    ledger: Ledger


def open_services(settings: Settings) -> Services:
    from loaders.db import engine_for, upgrade
    from loaders.ledger import SqlLedger

    engine = engine_for(settings.db_url)
    upgrade(engine)
    return Services(settings, engine, SqlLedger(engine))


def _entry_for(arrival_id: str, services: Services) -> LedgerEntry:
    entry = services.ledger.get(arrival_id)
    if entry is None:
        raise FaxflowError(f"arrival {arrival_id} has no ledger row")
    return entry


def _claim_for(arrival_id: str, services: Services) -> Claim:
    return _claim_of(_entry_for(arrival_id, services), services)


def _claim_of(entry: LedgerEntry, services: Services) -> Claim:
    from ingest.intake import Claim

    if entry.stored_path is None:
        raise FaxflowError(f"arrival {entry.arrival_id} has no stored file")
    return Claim(
        arrival_id=entry.arrival_id,
        work_path=services.settings.intake_dir / entry.stored_path,
        original_name=entry.original_name,
        centre_id=entry.centre_id,
        claimed_at=entry.updated_at,
    )


def claim_ready_files(settings: Settings) -> list[str]:
    """Recover claims a dead worker left in work/, then claim every stable inbox file.
    Returns arrival ids (safe for XCom)."""
    from ingest.intake import claim, discover, recover

    services = open_services(settings)
    claims = list(recover(settings, services.ledger))
    for candidate in discover(settings):
        claimed = claim(candidate, settings, services.ledger)
        if claimed is not None:
            claims.append(claimed)
    return [c.arrival_id for c in claims]


def results_dir(settings: Settings) -> Path:
    path = settings.var_dir / "results"
    path.mkdir(parents=True, exist_ok=True)
    return path


def process_claimed(arrival_id: str, settings: Settings) -> dict[str, Any]:
    """Inspect, de-duplicate and process one claimed file; bad input goes to quarantine at
    once. The result JSON is written under var/results/ (not XCom); the file stays in work/
    until :func:`load_processed` has stored the record."""
    from faxflow.pipeline import process_source
    from ingest.intake import find_duplicate, finish, inspect, quarantine

    services = open_services(settings)
    claim = _claim_for(arrival_id, services)
    try:
        source = inspect(claim, settings, services.ledger)
    except InputRejected as error:
        quarantine(claim, error, settings, services.ledger)
        return {"arrival_id": arrival_id, "outcome": "quarantined", "code": error.code.value}
    duplicate_of = find_duplicate(source, services.ledger)
    if duplicate_of is not None:
        finish(claim, source, settings, services.ledger)
        return {"arrival_id": arrival_id, "outcome": "duplicate", "document_id": duplicate_of}
    from loaders.duplicates import find_possible_duplicates

    def finder(**kwargs: Any) -> list[str]:
        return find_possible_duplicates(services.engine, **kwargs)

    try:
        outcome = process_source(source, settings, duplicate_finder=finder)
    except InputRejected as error:
        quarantine(claim, error, settings, services.ledger)
        return {"arrival_id": arrival_id, "outcome": "quarantined", "code": error.code.value}
    except FaxflowError as error:
        if error.transient:
            raise  # retried by Airflow with backoff
        quarantine(claim, InputRejected(error.code, error.message), settings, services.ledger)
        return {"arrival_id": arrival_id, "outcome": "quarantined", "code": error.code.value}
    except Exception:
        entry = services.ledger.get(arrival_id)
        if entry is not None and entry.attempts >= MAX_ATTEMPTS:
            quarantine(
                claim,
                InputRejected(
                    ErrorCode.INTERNAL,
                    f"processing failed {entry.attempts} times; the file is kept for a "
                    "developer to look at (see the task log)",
                ),
                settings,
                services.ledger,
            )
            return {"arrival_id": arrival_id, "outcome": "quarantined", "code": "E_INTERNAL"}
        raise
    payload = {
        "result": json.loads(outcome.result.to_json()),
        "page_images": outcome.page_images,
        "seconds": outcome.stage_seconds(),
    }
    path = results_dir(settings) / f"{source.document_id}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    os.replace(tmp, path)
    return {
        "arrival_id": arrival_id,
        "outcome": "processed",
        "document_id": source.document_id,
        "status": outcome.result.status.value,
        # What inspect measured, so load_processed can archive the file without reading
        # it again. A file kind and two numbers: nothing personal.
        "file_kind": source.kind.value,
        "page_count": source.page_count,
        "size_bytes": source.size_bytes,
    }


def load_processed(outcomes: Sequence[dict[str, Any]], settings: Settings) -> dict[str, int]:
    """Store each processed document (one transaction each), then archive its file.

    The source document is rebuilt from the processing task's outcome and the ledger row;
    the work file is neither opened nor hashed again. One failing document does not stop
    the others; it stays in work/ for the next run. A document a previous attempt of this
    task already archived (Airflow retried it) is counted, not loaded a second time.
    """
    from ingest.intake import finish
    from loaders.load import load_document

    services = open_services(settings)
    counts: Counter[str] = Counter()
    # Index by position: Airflow's lazy XCom sequence logs an error when iterated past its end.
    for index in range(len(outcomes)):
        item = outcomes[index]
        if item.get("outcome") != "processed":
            counts[str(item.get("outcome"))] += 1
            continue
        try:
            entry = _entry_for(str(item["arrival_id"]), services)
            if entry.status in (LedgerStatus.ARCHIVED, LedgerStatus.DUPLICATE):
                counts[str(item["status"])] += 1
                continue
            result, page_images = _read_result(settings, item)
            claim = _claim_of(entry, services)
            source = _processed_source(item, entry, claim.work_path)
            load_document(services.engine, result, source=source, page_images=page_images)
            finish(claim, source, settings, services.ledger)
        except FaxflowError as error:
            if error.transient:
                raise
            log.warning("document %s not loaded: %s", item.get("document_id"), error.code.value)
            counts["failed"] += 1
            continue
        counts[result.status.value] += 1
    return dict(counts)


def _read_result(settings: Settings, item: dict[str, Any]) -> tuple[DocumentResult, dict[int, str]]:
    """The result and page image paths :func:`process_claimed` wrote under var/results/."""
    path = results_dir(settings) / f"{item['document_id']}.json"
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        result = DocumentResult.model_validate(payload["result"])
        page_images = {int(k): str(v) for k, v in payload["page_images"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise FaxflowError(
            f"the result file of document {item['document_id']} is missing or unreadable "
            f"({type(exc).__name__}); the file stays in work/ and is processed again"
        ) from None
    return result, page_images


def _processed_source(item: dict[str, Any], entry: LedgerEntry, work_path: Path) -> SourceDocument:
    """The source document of a processed arrival: the file facts from the processing
    task's outcome, the arrival facts (name, centre, first seen) from the ledger row, as
    ``ingest.intake.inspect`` built them."""
    document_id = str(item["document_id"])
    if entry.document_id != document_id:
        raise FaxflowError(
            f"arrival {entry.arrival_id} is recorded with another document id than its "
            "processing outcome; the file stays in work/ and is processed again"
        )
    try:
        kind = FileKind(item["file_kind"])
        page_count = int(item["page_count"])
        size_bytes = int(item["size_bytes"])
    except (KeyError, ValueError, TypeError):
        raise FaxflowError(
            f"the processing outcome of arrival {entry.arrival_id} lacks the file's kind, "
            "pages or size (made by an older faxflow?); the file stays in work/ and is "
            "processed again"
        ) from None
    return SourceDocument(
        document_id=document_id,
        path=work_path,
        source_name=entry.original_name,
        kind=kind,
        page_count=page_count,
        size_bytes=size_bytes,
        centre_id=entry.centre_id,
        received_at=entry.first_seen_at,
    )


def select_documents(
    settings: Settings,
    *,
    document_ids: Sequence[str] = (),
    form_type: str | None = None,
    status: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[str]:
    """Document ids to reprocess: the given ids, or those matching the filters."""
    from loaders.queries import find_documents

    services = open_services(settings)
    if document_ids:
        return list(dict.fromkeys(document_ids))
    return find_documents(
        services.engine, form_type=form_type, status=status, since=since, until=until
    )


def reprocess_document(document_id: str, settings: Settings) -> dict[str, Any]:
    """Run the current templates and code on the archived original of one document and
    reload it; the loader keeps every reviewer correction."""
    from faxflow.pipeline import process_source
    from ingest.source import open_source
    from loaders.load import load_document

    services = open_services(settings)
    entry = services.ledger.first_with_document(document_id)
    if entry is None or entry.stored_path is None or entry.status != LedgerStatus.ARCHIVED:
        return {"document_id": document_id, "outcome": "no_archived_original"}
    path = settings.intake_dir / entry.stored_path
    source = open_source(path, settings, source_name=entry.original_name, centre_id=entry.centre_id)
    outcome = process_source(source, settings)
    load_document(services.engine, outcome.result, source=source, page_images=outcome.page_images)
    return {
        "document_id": document_id,
        "outcome": "reprocessed",
        "status": outcome.result.status.value,
    }


def refresh_aggregates(settings: Settings) -> dict[str, int]:
    """Recompute every aggregate and export it as CSV under var/exports/."""
    from loaders.aggregates import AGGREGATES

    services = open_services(settings)
    folder = settings.var_dir / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    for name, compute in AGGREGATES.items():
        frame = compute(services.engine)
        frame.to_csv(folder / f"{name}.csv", index=False)
        rows[name] = len(frame)
    return rows
