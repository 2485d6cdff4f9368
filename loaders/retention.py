"""Retention: originals, page images and result files of decided documents are deleted after
``FAXFLOW_RETENTION_DAYS`` (default 90); records, review history and audit rows stay.

The minimum-necessary principle (HIPAA's safeguards, APPI's rule to erase personal data
once it is no longer needed): once a person or the machine has decided a document and
the time to correct or reprocess it has passed, the fax itself — every field in clear,
including what no record column keeps — is no longer needed; the validated record is.

A document counts as decided when its status is ``accepted`` or ``rejected``; its decision
time is the reviewer's (``reviewed_at``), else its last load (``updated_at``). A document
reopened or still in review is never touched. What is removed is written to the audit
table (``retention_purge``, one row per document: counts, no names); the ledger rows of
its files become ``purged``. Running it twice removes nothing more.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from faxflow.ledger import Ledger, LedgerStatus
from faxflow.model import Status
from faxflow.settings import Settings
from loaders.audit import RETENTION_PURGE, write_audit
from loaders.db import session_scope
from loaders.tables import documents, pages, utc_now

log = logging.getLogger(__name__)

RETENTION_ACTOR = "(retention)"


def _remove_inside(root: Path, relative: str) -> bool:
    """Delete ``root/relative`` if it is a file inside ``root`` (a stored path is never
    trusted to point elsewhere); True when something was deleted."""
    base = root.resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return False
    path.unlink()
    with contextlib.suppress(OSError):  # other files remain: the folder stays
        path.parent.rmdir()  # var/pages/<document id>/ once empty
    return True


def expired_documents(engine: Engine, settings: Settings, *, now: datetime) -> list[str]:
    """Decided documents whose decision is older than the retention period."""
    cutoff = now - timedelta(days=settings.retention_days)
    decided_at = sa.func.coalesce(documents.c.reviewed_at, documents.c.updated_at)
    query = (
        sa.select(documents.c.document_id)
        .where(
            documents.c.status.in_([Status.ACCEPTED.value, Status.REJECTED.value]),
            decided_at < cutoff,
        )
        .order_by(documents.c.document_id)
    )
    with session_scope(engine) as session:
        return list(session.scalars(query))


def purge_expired_files(
    engine: Engine, settings: Settings, ledger: Ledger, *, now: datetime | None = None
) -> dict[str, int]:
    """Delete the originals and page images of expired documents; returns counts (safe
    for XCom): ``documents``, ``originals``, ``page_images``, ``result_files``."""
    now = now or utc_now()
    counts: Counter[str] = Counter()
    entries = ledger.entries()
    for document_id in expired_documents(engine, settings, now=now):
        originals = 0
        for entry in entries:
            ours = entry.document_id == document_id or entry.duplicate_of == document_id
            keeps_file = entry.status in (LedgerStatus.ARCHIVED, LedgerStatus.DUPLICATE)
            if ours and keeps_file and entry.stored_path:
                originals += _remove_inside(settings.intake_dir, entry.stored_path)
                purged = dataclasses.replace(
                    entry, status=LedgerStatus.PURGED, stored_path=None, updated_at=now
                )
                ledger.record(purged)  # its own transaction: before ours opens
        with session_scope(engine, write=True) as session:
            stored = session.execute(
                sa.select(pages.c.id, pages.c.image_path).where(
                    pages.c.document_id == document_id, pages.c.image_path.is_not(None)
                )
            ).all()
            images = sum(_remove_inside(settings.var_dir, row.image_path) for row in stored)
            results = _remove_inside(settings.var_dir, f"results/{document_id}.json")
            if stored:
                session.execute(
                    sa.update(pages)
                    .where(pages.c.id.in_([row.id for row in stored]))
                    .values(image_path=None)
                )
            if images or originals or results:
                write_audit(
                    session,
                    actor=RETENTION_ACTOR,
                    action=RETENTION_PURGE,
                    document_id=document_id,
                    detail=(
                        f"{originals} original(s), {images} page image(s) and {int(results)} "
                        "result file(s) deleted, "
                        f"{settings.retention_days} days after the decision"
                    ),
                )
                counts["documents"] += 1
                counts["page_images"] += images
                counts["originals"] += originals
                counts["result_files"] += results
    log.info(
        "retention: %d documents, %d originals and %d page images deleted",
        counts["documents"],
        counts["originals"],
        counts["page_images"],
    )
    return {
        name: counts[name] for name in ("documents", "originals", "page_images", "result_files")
    }


__all__ = ["expired_documents", "purge_expired_files"]
