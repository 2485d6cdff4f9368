"""The document pipeline: ingest → cleanup → extraction (zonal OCR) → validation → result.

This module only composes the stage functions of ``ingest``, ``ocr``, ``extract`` and
``validate``; the CLI (``faxflow process``), the intake loop and the Airflow DAGs all call
:func:`process_path` / :func:`process_source`, so every entry point runs the same code.

Memory stays flat in the page count: pages are rasterised one at a time, cleaned, and
spilled to a scratch folder as PNG; extraction reads them back lazily.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, overload

import cv2
import numpy as np

from faxflow.errors import (
    DatabaseError,
    ErrorCode,
    FaxflowError,
    InputRejected,
    MissingDependency,
    OcrError,
    safe_traceback,
)
from faxflow.model import (
    CleanPage,
    DocumentResult,
    FormType,
    Issue,
    PageImage,
    PageReport,
    PageRole,
    PageTiming,
    SourceDocument,
    Status,
    record_type_of,
)
from faxflow.private import private_dir, write_private
from faxflow.settings import Settings

log = logging.getLogger(__name__)

STAGES = ("intake", "cleanup", "extraction", "validation", "load")


@dataclass(frozen=True, slots=True)
class ProcessOutcome:
    """The result of one document plus what it cost. ``page_images`` are file paths
    (relative to ``settings.var_dir``) of the images the result's boxes refer to."""

    result: DocumentResult
    timings: tuple[PageTiming, ...] = ()
    source: SourceDocument | None = None
    page_images: dict[int, str] = field(default_factory=dict)

    def seconds(self, stage: str | None = None) -> float:
        return sum(t.seconds for t in self.timings if stage is None or t.stage == stage)

    def stage_seconds(self) -> dict[str, float]:
        """Seconds per stage, summed over pages."""
        totals: dict[str, float] = {}
        for timing in self.timings:
            totals[timing.stage] = totals.get(timing.stage, 0.0) + timing.seconds
        return totals


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: list[PageTiming] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings.append(PageTiming(name, time.perf_counter() - started))


class SpilledPages(Sequence[CleanPage]):
    """Cleaned pages kept on disk and loaded on access, so a 200-page fax costs the memory
    of one page at a time."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._meta: list[tuple[int, int, int, float, float]] = []

    def append(self, page: CleanPage) -> None:
        path = self._folder / f"{len(self._meta):05d}.png"
        if not cv2.imwrite(str(path), page.image, [cv2.IMWRITE_PNG_COMPRESSION, 1]):
            raise OSError(f"cannot write scratch page image {path}")
        self._meta.append((page.number, page.dpi, page.rotation, page.skew_degrees, page.seconds))

    def replace(self, index: int, page: CleanPage) -> None:
        """Swap in a re-cleaned page (a second pass that turned it upright)."""
        path = self._folder / f"{index:05d}.png"
        if not cv2.imwrite(str(path), page.image, [cv2.IMWRITE_PNG_COMPRESSION, 1]):
            raise OSError(f"cannot write scratch page image {path}")
        self._meta[index] = (page.number, page.dpi, page.rotation, page.skew_degrees, page.seconds)

    def index_of(self, number: int) -> int:
        return next(i for i, meta in enumerate(self._meta) if meta[0] == number)

    def __len__(self) -> int:
        return len(self._meta)

    @overload
    def __getitem__(self, index: int) -> CleanPage: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[CleanPage]: ...

    def __getitem__(self, index: int | slice) -> CleanPage | Sequence[CleanPage]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        number, dpi, rotation, skew, seconds = self._meta[index]
        image = cv2.imread(str(self._folder / f"{index:05d}.png"), cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise OSError(f"scratch page {index} vanished")
        return CleanPage(number, image, dpi, rotation, skew, seconds)


def rejected_result(
    error: InputRejected, *, document_id: str, source_name: str, page_count: int = 0
) -> DocumentResult:
    """The result of a document that could not be read at all (quarantined by intake)."""
    return DocumentResult(
        document_id=document_id,
        source_name=source_name,
        form_type=FormType.UNKNOWN,
        record_type=None,
        page_count=page_count,
        status=Status.REJECTED,
        issues=[Issue(field=None, code=error.code.value, message=error.message)],
    )


def store_page_images(
    images: dict[int, np.ndarray], *, document_id: str, settings: Settings
) -> dict[int, str]:
    """Write the images the field boxes refer to under var/pages/<document_id>/."""
    folder = private_dir(settings.var_dir / "pages" / document_id)
    stored: dict[int, str] = {}
    for number, image in sorted(images.items()):
        path = folder / f"{number:03d}.png"
        encoded, png = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 3])
        if not encoded:
            raise FaxflowError(f"page {number} of document {document_id[:12]} cannot be encoded")
        write_private(path, png.tobytes())
        stored[number] = str(path.relative_to(settings.var_dir))
    return stored


DuplicateFinder = Callable[..., list[str]]


def process_source(
    source: SourceDocument,
    settings: Settings,
    *,
    duplicate_finder: DuplicateFinder | None = None,
    store_pages: bool = True,
) -> ProcessOutcome:
    """Run cleanup, extraction and validation on one checked input file.

    Raises :class:`InputRejected` when a page cannot be decoded; everything the document
    says (blank fields, unknown form) is a result, not an exception.
    """
    from extract.extractor import extract_document
    from ingest.raster import iter_pages
    from ocr.cleanup import clean_page
    from validate import validate_extraction

    # Orientation costs an OCR pass per page and most pages come upright: clean without it,
    # let extraction (whose feature matching is rotation-invariant) say which pages are
    # turned, and only then re-clean those pages upright (see _turn_pages).
    upright_first = settings.cleanup.orientation
    first_pass = (
        settings.model_copy(
            update={"cleanup": settings.cleanup.model_copy(update={"orientation": False})}
        )
        if upright_first
        else settings
    )
    watch = _Stopwatch()
    with tempfile.TemporaryDirectory(prefix="faxflow-pages-") as scratch:
        pages = SpilledPages(Path(scratch))
        page_iter = iter_pages(source, settings)
        while True:
            with watch.stage("intake"):
                page = next(page_iter, None)
            if page is None:
                break
            with watch.stage("cleanup"):
                pages.append(clean_page(page, first_pass))
            del page
        with watch.stage("extraction"):
            extracted = extract_document(pages, settings=settings)
        if upright_first:
            turns = _pages_to_turn(extracted.extraction.pages)
            if turns:
                with watch.stage("cleanup"):
                    turned = _turn_pages(source, pages, turns, settings, first_pass)
                if turned:
                    with watch.stage("extraction"):
                        extracted = extract_document(pages, settings=settings)
    extraction = extracted.extraction
    with watch.stage("validation"):
        outcome = validate_extraction(
            extraction,
            settings=settings,
            duplicate_finder=duplicate_finder,
            document_id=source.document_id,  # a reprocessed document is not its own duplicate
        )
    stored = (
        store_page_images(extracted.page_images, document_id=source.document_id, settings=settings)
        if store_pages
        else {}
    )
    form_type = extraction.form_type
    result = DocumentResult(
        document_id=source.document_id,
        source_name=source.source_name,
        form_type=form_type,
        record_type=record_type_of(form_type),
        page_count=source.page_count,
        status=outcome.status,
        record=dict(extraction.record),
        fields=dict(outcome.fields),
        issues=list(outcome.issues),
        pages=list(extraction.pages),
        template_version=extraction.template_version,
    )
    return ProcessOutcome(result, tuple(watch.timings), source, stored)


def _pages_to_turn(reports: Sequence[PageReport]) -> dict[int, int | None]:
    """Pages that need another cleanup: form pages extraction found turned (by how much,
    clockwise) and unknown pages (None: let orientation detection decide)."""
    turns: dict[int, int | None] = {}
    for report in reports:
        if report.role is PageRole.FORM and report.rotation % 360:
            turns[report.number] = report.rotation % 360
        elif report.role is PageRole.UNKNOWN:
            turns[report.number] = None
    return turns


def _turn_pages(
    source: SourceDocument,
    pages: SpilledPages,
    turns: dict[int, int | None],
    settings: Settings,
    first_pass: Settings,
) -> bool:
    """Re-rasterise and re-clean the pages in ``turns`` upright; True when any changed."""
    from ingest.raster import iter_pages
    from ocr.cleanup import clean_page, rotate_quarter

    changed = False
    for page in iter_pages(source, settings, pages=sorted(turns)):
        turn = turns[page.number]
        if turn is None:
            cleaned = clean_page(page, settings)  # with orientation detection
            if cleaned.rotation == 0:
                continue
        else:
            upright = PageImage(
                page.number, rotate_quarter(page.image, turn), page.dpi, page.source_dpi
            )
            cleaned = replace(clean_page(upright, first_pass), rotation=turn)
        pages.replace(pages.index_of(page.number), cleaned)
        changed = True
    return changed


def process_path(
    path: Path,
    settings: Settings,
    *,
    source_name: str | None = None,
    centre_id: str | None = None,
    duplicate_finder: DuplicateFinder | None = None,
    store_pages: bool = True,
) -> ProcessOutcome:
    """Check, then process one file. Refused input becomes a ``rejected`` result whose issue
    carries the refusal code; it never raises for bad input."""
    from ingest.source import open_source

    watch = _Stopwatch()
    name = source_name or path.name
    try:
        with watch.stage("intake"):
            source = open_source(path, settings, source_name=name, centre_id=centre_id)
    except InputRejected as error:
        return ProcessOutcome(
            rejected_result(error, document_id=_hash_or_blank(path), source_name=name),
            tuple(watch.timings),
        )
    try:
        outcome = process_source(
            source, settings, duplicate_finder=duplicate_finder, store_pages=store_pages
        )
    except InputRejected as error:
        return _rejected_outcome(error, source, name, watch)
    except (MissingDependency, DatabaseError):
        raise  # not this document's fault: the caller stops or retries
    except OcrError as error:
        # The engine failed on every call of one crop (ocr.tesseract retried it in place).
        # Without an intake ledger there is no later try: the result says so, with the code.
        return _rejected_outcome(InputRejected(error.code, error.message), source, name, watch)
    except Exception as exc:
        # A bug must not take the other documents of a batch down with it. Only the
        # exception's type is reported: its message may quote a field value.
        log.error("internal error on document %s: %s", source.document_id, type(exc).__name__)
        # At INFO, so that `faxflow -v` (the rerun the message asks for) shows where it
        # failed; safe_traceback names files and lines only, never the message.
        log.info("where: %s", safe_traceback(exc))
        internal = InputRejected(
            ErrorCode.INTERNAL,
            f"faxflow failed on this document ({type(exc).__name__}); it was not read. "
            "Rerun with `faxflow -v process …` and report the log.",
        )
        return _rejected_outcome(internal, source, name, watch)
    return ProcessOutcome(
        outcome.result, tuple(watch.timings) + outcome.timings, source, outcome.page_images
    )


def _rejected_outcome(
    error: InputRejected, source: SourceDocument, name: str, watch: _Stopwatch
) -> ProcessOutcome:
    """A file intake accepted but the pipeline could not read: a rejected result."""
    result = rejected_result(
        error, document_id=source.document_id, source_name=name, page_count=source.page_count
    )
    return ProcessOutcome(result, tuple(watch.timings), source)


def _hash_or_blank(path: Path) -> str:
    """The document id of a refused file: its hash when it can be read, else empty."""
    from ingest.source import sha256_of

    if not path.is_file() or path.is_symlink():
        return ""
    try:
        return sha256_of(path)
    except OSError:
        return ""  # unreadable: the refusal code already says why


def summarise(outcome: ProcessOutcome) -> dict[str, Any]:
    """A row for the closing table: no personal data, only counts, codes and times."""
    result = outcome.result
    filled = sum(
        1
        for value in result.record.values()
        if value is not None and value != [] and value is not False
    )
    return {
        "file": result.source_name,
        "form_type": str(result.form_type),
        "status": result.status.value,
        "pages": result.page_count,
        "fields_filled": filled,
        "fields_total": len(result.record),
        "issues": len(result.issues),
        "codes": sorted({i.code for i in result.issues}),
        "seconds": round(outcome.seconds(), 2),
    }
