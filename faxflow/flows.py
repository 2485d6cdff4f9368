"""Task bodies of the Airflow DAGs, importable and testable without Airflow.

The DAG files in ``dags/`` only wire these functions into tasks. Everything passed between
tasks (XCom) is an arrival id, a document id, a status, a file kind, a size or a count —
never a page image, a file name (it may name the patient) or a field value.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faxflow.errors import ErrorCode, FaxflowError
from faxflow.ledger import Ledger, LedgerEntry, LedgerStatus
from faxflow.model import FileKind, SourceDocument
from faxflow.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ingest.intake import Claim

log = logging.getLogger(__name__)

_FINAL = frozenset({LedgerStatus.ARCHIVED, LedgerStatus.DUPLICATE, LedgerStatus.QUARANTINED})


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

    settings.require_secrets()  # a production worker never makes its own key
    engine = engine_for(settings.db_url)
    upgrade(engine)
    return Services(settings, engine, SqlLedger(engine))


def _entry_for(arrival_id: str, services: Services) -> LedgerEntry:
    entry = services.ledger.get(arrival_id)
    if entry is None:
        raise FaxflowError(f"arrival {arrival_id} has no ledger row")
    return entry


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


def claim_and_check(settings: Settings, *, recover_abandoned: bool = True) -> list[dict[str, Any]]:
    """Recover claims a dead worker left in work/ (unless ``recover_abandoned`` is False:
    see :func:`alone_in_intake`), claim every stable inbox file and run
    the intake checks on each, outside the OCR pool: a refused file is quarantined and an
    exact duplicate archived here, at once. Returns one item per accepted document for the
    processing tasks: its arrival id, document id and file facts (kind, pages, size) —
    nothing personal, safe for XCom.

    Files seen for the first time are not yet known to be stable; when there are any, the
    inbox is looked at once more after ``stable_seconds``, so a file dropped just before a
    run is taken by that run, not the next one. At most ``max_claims_per_run`` files are
    claimed: Airflow refuses to map a task over more than ``max_map_length`` (1024) items,
    and a backlog after an outage must drain over several runs, not stop every one."""
    from ingest.intake import ClaimResult, check_claim, claim_ready, release

    services = open_services(settings)
    limit = settings.max_claims_per_run
    claims, report = claim_ready(
        settings, services.ledger, limit=limit, recover_abandoned=recover_abandoned
    )
    if report.waiting and len(claims) < limit:
        time.sleep(settings.stable_seconds + 0.5)
        more, _ = claim_ready(
            settings,
            services.ledger,
            limit=limit - len(claims),
            recover_abandoned=recover_abandoned,
        )
        claims += more
    checked: list[dict[str, Any]] = []
    outcomes: Counter[str] = Counter()
    for claim in claims:
        try:
            result = check_claim(claim, settings, services.ledger)
        finally:
            release(claim)  # the processing task, another process, takes it over
        if isinstance(result, ClaimResult):
            outcomes[result.outcome] += 1
            continue
        outcomes["checked"] += 1
        checked.append(
            {
                "arrival_id": claim.arrival_id,
                "document_id": result.document_id,
                "file_kind": result.kind.value,
                "page_count": result.page_count,
                "size_bytes": result.size_bytes,
            }
        )
    log.info("claimed %d files: %s", len(claims), dict(outcomes))
    if checked and settings.forms_dir is not None:
        # A pack added since the last daily refresh gets its views before its first
        # records arrive, so SQL users and exports see them the day they are loaded.
        from loaders.pack_views import ensure_pack_views

        ensure_pack_views(services.engine, settings, missing_only=True)
    return checked


def alone_in_intake(count_running: Callable[[], int]) -> bool:
    """Whether this ``fax_intake`` run may recover abandoned claims: only when it is the
    one running run (``count_running()``, Airflow's count of running runs, is 1).

    Between a run's ``claim_and_check`` and its ``process_document`` (waiting for an OCR
    slot, or for a retry's backoff) a claim sits in work/ unlocked, exactly like one a
    dead worker left; a second run recovering it would count a try the document never
    had. A claim that really was abandoned is taken by the next run that runs alone (the
    minute's runs mostly do). When the count cannot be had, recover as before: a stolen
    claim is still processed once (the processing task locks it and checks its status),
    it only counts one try too many."""
    try:
        running = count_running()
    except Exception as exc:  # an Airflow without the count, or its API down
        log.warning("running fax_intake runs not counted (%s); recovering", type(exc).__name__)
        return True
    return running <= 1


def results_dir(settings: Settings) -> Path:
    """var/results/ (0700): each document's result file, SSNs sealed."""
    from faxflow.private import private_dir

    return private_dir(settings.var_dir / "results")


def process_and_load(
    checked: dict[str, Any], settings: Settings, *, try_number: int = 1
) -> dict[str, Any]:
    """Cleanup, OCR, extraction and validation of one checked document, then — as soon as
    it is done, not after the rest of its batch — its record in one transaction and its
    file in archive/.

    ``try_number`` is the scheduler's try of this task: a try after the first counts one
    more try in the ledger. A transient fault (a crashed OCR engine) raises, so the
    scheduler tries again with backoff, until the document's last try, which quarantines
    it with every try listed; bad input is quarantined at once. Returns what happened:
    ids, an outcome, a status or a code (XCom-safe)."""
    from ingest.intake import (
        ENVIRONMENT_ERRORS,
        Outcome,
        begin_another_try,
        hold_claim,
        process_claim,
        release,
    )

    services = open_services(settings)
    arrival_id = str(checked["arrival_id"])
    entry = _entry_for(arrival_id, services)
    report: dict[str, Any] = {"arrival_id": arrival_id, "document_id": entry.document_id}
    if entry.status in _FINAL:
        return {**report, "outcome": "already_" + entry.status.value}  # an earlier try ended
    claim = _claim_of(entry, services)
    if not hold_claim(claim, settings):
        return {**report, "outcome": "held_by_another_worker"}
    try:
        if try_number > 1:
            entry = begin_another_try(claim, settings, services.ledger)
        source = _processed_source(checked, entry, claim.work_path)
        statuses: list[str] = []

        def process(document: SourceDocument) -> None:
            statuses.append(_process_and_load(document, services))

        result = process_claim(claim, settings, services.ledger, process, source=source)
    except ENVIRONMENT_ERRORS:
        if try_number > 1:  # not this file's fault: give the try back
            current = services.ledger.get(arrival_id)
            if current is not None:
                services.ledger.record(replace(current, attempts=current.attempts - 1))
        raise
    finally:
        release(claim)
    if result.outcome == Outcome.RETRY:
        code = ErrorCode(result.code) if result.code else ErrorCode.INTERNAL
        raise FaxflowError(
            f"arrival {arrival_id}: this try failed; the file stays in work/ for the next try",
            code=code,
        )
    report.update(outcome=result.outcome, document_id=result.document_id)
    if result.code:
        report["code"] = result.code
    if statuses and result.outcome == Outcome.ARCHIVED:
        report["status"] = statuses[-1]
    return report


def _process_and_load(source: SourceDocument, services: Services) -> str:
    """The pipeline on one document, its result JSON under var/results/ (for the demo's
    table and a developer's eyes; not XCom) and its record; returns the record's status."""
    from faxflow.pipeline import process_source
    from loaders.duplicates import find_possible_duplicates
    from loaders.load import load_document

    def finder(**kwargs: Any) -> list[str]:
        return find_possible_duplicates(services.engine, **kwargs)

    from loaders.result_files import write_result_file

    outcome = process_source(source, services.settings, duplicate_finder=finder)
    # SSNs sealed (Fernet), 0600 in a 0700 folder; deleted with the originals (retention).
    write_result_file(
        results_dir(services.settings) / f"{source.document_id}.json",
        outcome.result,
        services.settings,
        page_images=outcome.page_images,
        seconds=outcome.stage_seconds(),
    )
    load_document(
        services.engine,
        outcome.result,
        source=source,
        page_images=outcome.page_images,
        settings=services.settings,
    )
    return outcome.result.status.value


def count_outcomes(outcomes: Sequence[dict[str, Any]]) -> dict[str, int]:
    """How many documents of a run ended how (archived, duplicate, quarantined …)."""
    counts: Counter[str] = Counter()
    # Index by position: Airflow's lazy XCom sequence logs an error when iterated past its end.
    for index in range(len(outcomes)):
        counts[str(outcomes[index].get("outcome"))] += 1
    return dict(counts)


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


def form_type_choices(settings: Settings | None = None) -> list[str | None]:
    """The ``form_type`` choices of the reprocess DAG's trigger form: any (None), every
    form the pack registry finds, and ``unknown``. Read when the DAG file is parsed, so
    from the DAG processor's environment (``FAXFLOW_FORMS_DIR``) only: no database, no
    Airflow Variable. A forms folder that is missing costs its packs' choices, not the
    DAG (a warning says why)."""
    from faxflow.errors import ConfigError
    from faxflow.model import FormType
    from faxflow.packs import pack_names

    settings = settings or Settings()
    try:
        names = pack_names(settings)
    except ConfigError as error:
        log.warning("reprocess form choices: built-in forms only: %s", error)
        names = pack_names(settings.model_copy(update={"forms_dir": None}))
    return [None, *names, FormType.UNKNOWN.value]


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
    load_document(
        services.engine,
        outcome.result,
        source=source,
        page_images=outcome.page_images,
        settings=settings,
    )
    return {
        "document_id": document_id,
        "outcome": "reprocessed",
        "status": outcome.result.status.value,
    }


def refresh_aggregates(settings: Settings) -> dict[str, int]:
    """Recompute every aggregate, the built-in ones and each form pack's counts (its
    ``aggregates.yaml``), and export it as CSV under var/exports/. Packs' views are
    re-created first, so SQL users read the same numbers. Records are not exported
    here: they hold personal data (``faxflow export --what form_<name>``)."""
    from loaders.aggregates import AGGREGATES
    from loaders.exports import write_export
    from loaders.pack_aggregates import pack_count_tables
    from loaders.pack_views import ensure_pack_views

    services = open_services(settings)
    ensure_pack_views(services.engine, settings)
    folder = settings.var_dir / "exports"
    rows: dict[str, int] = {}
    for name, compute in {**AGGREGATES, **pack_count_tables(settings)}.items():
        frame = compute(services.engine)
        write_export(frame, folder / f"{name}.csv")
        rows[name] = len(frame)
    return rows


def purge_expired(settings: Settings) -> dict[str, int]:
    """Delete originals and page images of documents decided more than
    ``settings.retention_days`` ago (records kept; audited). Returns counts for XCom."""
    from loaders.retention import purge_expired_files

    services = open_services(settings)
    return purge_expired_files(services.engine, settings, services.ledger)


def recalibrate_from_reviews(settings: Settings, path: Path | None = None) -> dict[str, int]:
    """``faxflow calibrate --from-reviews --write``: thresholds learned from reviewers'
    confirmations and corrections (one-sided 95 % Wilson bound at the target accuracy)
    over the generated-sample ones. Returns counts only (labels, buckets learned)."""
    from validate.calibrate import calibrate_from_reviews, review_labels, write_review_thresholds

    services = open_services(settings)
    labels = review_labels(services.engine, settings)
    result = calibrate_from_reviews(
        labels, settings.confidence_thresholds, target=settings.target_accuracy
    )
    target = path or settings.learned_thresholds_file
    assert target is not None
    write_review_thresholds(result, target)
    return {"labels": len(labels), "buckets_learned": len(result.learned)}
