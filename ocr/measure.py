"""Measure what cleanup buys: raw Tesseract vs faxflow cleanup + Tesseract.

Data (all from ``../shared/realdata``, never copied into the repository):

* UNLV pages ``8071_093.3B`` and ``8087_054.3B`` with transcriptions: as scanned, and
  re-faxed by :func:`samples.degrade.degrade_page` (``fax_fine``, ``fax_standard``; fixed
  seed).  Character error rate (CER) and word accuracy (:mod:`ocr.textmetrics`).
* FUNSD scanned forms: recall of the annotated words.
* Orientation and skew: UNLV pages turned and tilted by known angles, and the real
  faxes in ``fax_tiff`` (upright, so the right answer is rotation 0, small skew).

Both sides start from the same :class:`~faxflow.model.PageImage`, the page as ingest
delivers it (square pixels at ``settings.page_dpi``): "raw" is Tesseract ``--psm 3`` on
that image unchanged, "cleanup" is :func:`ocr.page.read_page`.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
from PIL import Image

from faxflow.model import PageImage
from faxflow.settings import Settings
from ocr.cleanup import detect_rotation, estimate_skew, rotate_quarter, rotate_small
from ocr.page import read_page
from ocr.tesseract import read_words, words_to_text
from ocr.textmetrics import character_error_rate, line_matched_error_rate, word_accuracy

UNLV_PAGES = ("8071_093.3B", "8087_054.3B")
FAX_VARIANTS = ("fax_fine", "fax_standard")
FAX_PAPER_WIDTH_IN = 8.4
"""A page wider than this is reduced to fit the fax scan line, as fax machines do."""
SEED = 20200314
RAW_RECEIVED = "raw, page as received"
RAW_PAGE = "raw, page as ingest delivers it"
STEPS = (
    "border",
    "blobs",
    "orientation",
    "deskew",
    "despeckle",
    "normalise_background",
    "binarise",
)
KNOWN_SKEWS = (-3.0, -1.2, 0.7, 2.5)
KNOWN_TURNS = (90, 180, 270)
FAX_TIFF_SUFFIXES = (".tif", ".tiff")

_T = TypeVar("_T")
_R = TypeVar("_R")


@dataclass(frozen=True, slots=True, eq=False)
class TextSample:
    name: str
    variant: str  # "original", "fax_fine", "fax_standard"
    page: PageImage  # as ingest delivers it: square pixels at settings.page_dpi
    received: np.ndarray  # as the file stores it (fax: 204 x 98 or 196 dpi, 1-bit)
    truth: str


@dataclass(frozen=True, slots=True)
class TextRow:
    """One page, one method: CER (plain and line-matched), word accuracy and seconds."""

    name: str
    variant: str
    method: str  # RAW_RECEIVED, RAW_PAGE, "cleanup" or "cleanup without <step>"
    cer: float
    matched_cer: float
    word_accuracy: float
    cleanup_seconds: float
    ocr_seconds: float


@dataclass(frozen=True, slots=True)
class GeometryRow:
    """Known vs found rotation and skew for one page."""

    name: str
    true_rotation: int | None  # None: unknown (real fax, expected upright)
    found_rotation: int
    true_skew: float | None
    found_skew: float
    method: str


# --------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------


def as_page(image: np.ndarray, *, source_dpi: tuple[float, float], page_dpi: int) -> PageImage:
    """What ingest delivers for ``image``: square pixels at ``page_dpi``, shrunk by area
    averaging and enlarged linearly (the same choices as ``ingest.raster``)."""
    width = round(image.shape[1] * page_dpi / source_dpi[0])
    height = round(image.shape[0] * page_dpi / source_dpi[1])
    shrinking = width * height < image.shape[0] * image.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    resized = cv2.resize(image, (width, height), interpolation=interpolation)
    return PageImage(number=1, image=resized, dpi=page_dpi, source_dpi=source_dpi)


def load_grey(path: Path) -> tuple[np.ndarray, tuple[float, float]]:
    """First frame of an image file as grey uint8 and its declared (x, y) dpi."""
    with Image.open(path) as frame:
        dpi = frame.info.get("dpi", (200.0, 200.0))
        grey = np.asarray(frame.convert("L"), dtype=np.uint8).copy()
    return grey, (float(dpi[0]) or 200.0, float(dpi[1]) or 200.0)


def unlv_samples(realdata: Path, settings: Settings) -> Iterator[TextSample]:
    """UNLV pages as scanned and re-faxed (fine and standard), with their transcriptions."""
    from samples.degrade import degrade_page

    folder = realdata / "ocr_ground_truth"
    for name in UNLV_PAGES:
        image, dpi = load_grey(folder / f"{name}.tif")
        truth = (folder / f"{name}.txt").read_text(encoding="utf-8", errors="replace")
        page = as_page(image, source_dpi=dpi, page_dpi=settings.page_dpi)
        yield TextSample(name, "original", page, image, truth)
        fit_dpi = max(round(dpi[0]), math.ceil(image.shape[1] / FAX_PAPER_WIDTH_IN))
        for variant in FAX_VARIANTS:
            faxed = degrade_page(
                image, profile=variant, dpi=fit_dpi, rng=np.random.default_rng(SEED), header=""
            )
            page = as_page(faxed.image, source_dpi=faxed.dpi, page_dpi=settings.page_dpi)
            yield TextSample(name, variant, page, faxed.image, truth)


# --------------------------------------------------------------------------------------
# Text accuracy
# --------------------------------------------------------------------------------------


def raw_row(sample: TextSample, settings: Settings, *, received: bool = False) -> TextRow:
    """Tesseract ``--psm 3`` on the page unchanged: as the file stores it (``received``)
    or as ingest delivers it."""
    image = sample.received if received else sample.page.image
    started = time.perf_counter()
    words = read_words(image, settings=settings, psm=3)
    seconds = time.perf_counter() - started
    return _text_row(
        sample, RAW_RECEIVED if received else RAW_PAGE, words_to_text(words), 0.0, seconds
    )


def _text_row(
    sample: TextSample, method: str, text: str, cleanup_seconds: float, ocr_seconds: float
) -> TextRow:
    return TextRow(
        sample.name,
        sample.variant,
        method,
        character_error_rate(sample.truth, text),
        line_matched_error_rate(sample.truth, text),
        word_accuracy(sample.truth, text),
        cleanup_seconds,
        ocr_seconds,
    )


def cleanup_row(sample: TextSample, settings: Settings, *, toggle: str | None = None) -> TextRow:
    """faxflow cleanup + Tesseract; ``toggle`` flips one step's switch (ablation)."""
    effective = settings
    method = "cleanup"
    if toggle is not None:
        on = not getattr(settings.cleanup, toggle)
        cleanup = settings.cleanup.model_copy(update={toggle: on})
        effective = settings.model_copy(update={"cleanup": cleanup})
        method = f"cleanup {'with' if on else 'without'} {toggle}"
    result = read_page(sample.page, effective)
    text = words_to_text(list(result.words))
    return _text_row(sample, method, text, result.cleanup_seconds, result.ocr_seconds)


def text_rows(
    samples: list[TextSample], settings: Settings, *, ablation: bool, progress: Callable[[], None]
) -> list[TextRow]:
    jobs: list[Callable[[], TextRow]] = []
    for sample in samples:
        jobs.append(partial(raw_row, sample, settings, received=True))
        jobs.append(partial(raw_row, sample, settings))
        jobs.append(partial(cleanup_row, sample, settings))
        if ablation:
            for step in STEPS:
                jobs.append(partial(cleanup_row, sample, settings, toggle=step))
    return _run_parallel(jobs, progress)


# --------------------------------------------------------------------------------------
# FUNSD
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecallRow:
    name: str
    method: str
    recall: float
    words: int
    seconds: float


def funsd_pages(realdata: Path, count: int) -> list[tuple[str, Path, list[str]]]:
    """The first ``count`` FUNSD pages (sorted names: a fixed subset) and their words."""
    folder = realdata / "funsd_train"
    result: list[tuple[str, Path, list[str]]] = []
    for annotation in sorted((folder / "annotations").glob("*.json"))[:count]:
        data = json.loads(annotation.read_text(encoding="utf-8"))
        words = [
            w["text"].strip()
            for entry in data.get("form", [])
            for w in entry.get("words", [])
            if w.get("text", "").strip()
        ]
        result.append((annotation.stem, folder / "images" / f"{annotation.stem}.png", words))
    return result


def funsd_rows(
    realdata: Path, settings: Settings, *, count: int, progress: Callable[[], None]
) -> list[RecallRow]:
    jobs: list[Callable[[], RecallRow]] = []
    for name, path, words in funsd_pages(realdata, count):
        jobs.append(partial(_funsd_one, name, path, words, settings, raw=True))
        jobs.append(partial(_funsd_one, name, path, words, settings, raw=False))
    return _run_parallel(jobs, progress)


def _funsd_one(
    name: str, path: Path, truth: list[str], settings: Settings, *, raw: bool
) -> RecallRow:
    image, _ = load_grey(path)
    # FUNSD pages are letter-size scans reduced to ~1000 px tall (about 90 dpi).
    dpi = max(50, round(image.shape[0] / 11.0))
    page = PageImage(number=1, image=image, dpi=dpi, source_dpi=(dpi, dpi))
    started = time.perf_counter()
    if raw:
        text = words_to_text(read_words(image, settings=settings, psm=3))
    else:
        text = words_to_text(list(read_page(page, settings).words))
    seconds = time.perf_counter() - started
    return RecallRow(
        name, "raw" if raw else "cleanup", word_accuracy(" ".join(truth), text), len(truth), seconds
    )


# --------------------------------------------------------------------------------------
# Field crops of generated forms
# --------------------------------------------------------------------------------------

FIELD_DOCUMENTS = 4
FIELD_RENDER_DPI = 300
_NOT_VERBATIM = ("date", "phone", "telephone", "email", "state_of_residence")
"""Fields the sample writer rewrites (date styles, phone punctuation, state names)."""


@dataclass(frozen=True, slots=True)
class FieldRow:
    document: str
    variant: str
    field: str
    method: str  # "raw crop" or "prepared crop"
    exact: bool
    cer: float
    seconds: float


def field_rows(settings: Settings, *, documents: int = FIELD_DOCUMENTS) -> list[FieldRow]:
    """CDC forms filled by the sample generator, faxed, straightened with the *known*
    skew and header offset (registration is the extraction package's job), and every
    written text field cropped from its layout box: raw crop vs :func:`prepare_field_crop`,
    both read with ``read_text`` (psm 7)."""
    from faxflow.model import FormType
    from samples.degrade import degrade_page
    from samples.layout import TextSlot, form_layout
    from samples.people import make_record
    from samples.render import fill_pages

    form = FormType.CDC_PUI_2020
    layout = form_layout(form)
    rows: list[FieldRow] = []
    for seed in range(documents):
        record = make_record(form, seed)
        pages = fill_pages(form, record, {}, dpi=FIELD_RENDER_DPI, rng=np.random.default_rng(seed))
        for variant in FAX_VARIANTS:
            for number, clean in enumerate(pages, start=1):
                faxed = degrade_page(
                    clean, profile=variant, dpi=FIELD_RENDER_DPI, rng=np.random.default_rng(seed)
                )
                page = as_page(faxed.image, source_dpi=faxed.dpi, page_dpi=settings.page_dpi)
                straight = rotate_small(page.image, -faxed.skew_degrees)
                offset = _header_band(settings.page_dpi)
                for name, places in layout.items():
                    value = record.get(name)
                    if value is None or any(part in name for part in _NOT_VERBATIM):
                        continue
                    for slot in places.slots:
                        if isinstance(slot, TextSlot) and slot.page == number:
                            crop = _crop(straight, slot.box, settings.page_dpi, offset)
                            rows += _field_reads(
                                f"seed {seed}", variant, name, str(value), crop, settings
                            )
    return rows


def _header_band(dpi: int) -> float:
    # samples.degrade puts the fax header in a band of round(1.6 * 8 pt) at render dpi and
    # slides the page down by it.
    size = max(8, round(8 * FIELD_RENDER_DPI / 72))
    return round(size * 1.6) * dpi / FIELD_RENDER_DPI


def _crop(
    image: np.ndarray, box: tuple[float, float, float, float], dpi: int, offset: float
) -> np.ndarray:
    scale = dpi / 72
    x0, y0, x1, y1 = box
    top = max(0, int(y0 * scale + offset - 0.06 * dpi))
    bottom = int(y1 * scale + offset + 0.02 * dpi)
    left, right = max(0, int(x0 * scale - 0.015 * dpi)), int(x1 * scale + 0.015 * dpi)
    return np.ascontiguousarray(image[top:bottom, left:right])


def _field_reads(
    document: str, variant: str, name: str, truth: str, crop: np.ndarray, settings: Settings
) -> list[FieldRow]:
    from ocr.cleanup import prepare_field_crop
    from ocr.tesseract import read_text

    rows = []
    for method in ("raw crop", "prepared crop"):
        started = time.perf_counter()
        image = crop
        if method == "prepared crop":
            image = prepare_field_crop(crop, dpi=settings.page_dpi, settings=settings)
        text = read_text(image, settings=settings, psm=7).text
        seconds = time.perf_counter() - started
        exact = _letters(text) == _letters(truth)
        rows.append(
            FieldRow(
                document, variant, name, method, exact, character_error_rate(truth, text), seconds
            )
        )
    return rows


def _letters(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


# --------------------------------------------------------------------------------------
# Orientation and skew
# --------------------------------------------------------------------------------------


def geometry_rows(
    realdata: Path, settings: Settings, *, progress: Callable[[], None]
) -> list[GeometryRow]:
    jobs: list[Callable[[], GeometryRow]] = []
    folder = realdata / "ocr_ground_truth"
    for name in UNLV_PAGES:
        image, dpi = load_grey(folder / f"{name}.tif")
        page = as_page(image, source_dpi=dpi, page_dpi=settings.page_dpi).image
        jobs.append(partial(_geometry, f"{name} upright", page, settings, 0, None))
        for turn in KNOWN_TURNS:
            turned = rotate_quarter(page, turn)
            label = f"{name} turned {turn}"
            jobs.append(partial(_geometry, label, turned, settings, (360 - turn) % 360, None))
        for skew in KNOWN_SKEWS:
            tilted = rotate_small(page, skew)
            jobs.append(partial(_geometry, f"{name} tilted {skew:+.1f}", tilted, settings, 0, skew))
    for path in sorted((realdata / "fax_tiff").iterdir()):
        if path.suffix.lower() in FAX_TIFF_SUFFIXES:
            jobs.append(partial(_real_fax_geometry, path, settings))
    return _run_parallel(jobs, progress)


def _real_fax_geometry(path: Path, settings: Settings) -> GeometryRow:
    image, dpi = load_grey(path)
    page = as_page(image, source_dpi=dpi, page_dpi=settings.page_dpi).image
    return _geometry(f"fax_tiff/{path.name}", page, settings, None, None)


def _geometry(
    name: str,
    image: np.ndarray,
    settings: Settings,
    true_rotation: int | None,
    true_skew: float | None,
) -> GeometryRow:
    found = detect_rotation(image, dpi=settings.page_dpi, settings=settings)
    upright = rotate_quarter(image, found.degrees)
    skew = estimate_skew(upright, dpi=settings.page_dpi)
    return GeometryRow(name, true_rotation, found.degrees, true_skew, skew, found.method)


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measurement:
    text: list[TextRow]
    funsd: list[RecallRow]
    geometry: list[GeometryRow]
    fields: list[FieldRow]
    seconds: float

    def to_json(self) -> str:
        return json.dumps(
            {
                "text": [asdict(r) for r in self.text],
                "funsd": [asdict(r) for r in self.funsd],
                "geometry": [asdict(r) for r in self.geometry],
                "fields": [asdict(r) for r in self.fields],
                "seconds": self.seconds,
            },
            indent=2,
        )


def summarise_text(rows: list[TextRow]) -> dict[tuple[str, str], tuple[float, ...]]:
    """(variant, method) -> means of (CER, line-matched CER, word accuracy, s/page)."""
    groups: dict[tuple[str, str], list[TextRow]] = {}
    for row in rows:
        groups.setdefault((row.variant, row.method), []).append(row)
    return {
        key: (
            float(np.mean([r.cer for r in group])),
            float(np.mean([r.matched_cer for r in group])),
            float(np.mean([r.word_accuracy for r in group])),
            float(np.mean([r.cleanup_seconds + r.ocr_seconds for r in group])),
        )
        for key, group in groups.items()
    }


def _change(value: float, base: float) -> str:
    return f"{(value - base) / base:+.0%}" if base else ""


def render_markdown(result: Measurement) -> str:
    summary = summarise_text(result.text)
    lines = [
        f"### Text accuracy on UNLV pages (mean of {len(UNLV_PAGES)} pages; lower CER is better)",
        "",
        "| pages | method | CER | line-matched CER | word accuracy | s/page "
        "| CER vs raw received | CER vs raw page | matched CER vs raw page |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    order = ("original", *FAX_VARIANTS)
    for variant in sorted({v for v, _ in summary}, key=order.index):
        received = summary[(variant, RAW_RECEIVED)]
        page = summary[(variant, RAW_PAGE)]
        methods = sorted((m for v, m in summary if v == variant), key=_method_order)
        for method in methods:
            cer, matched, acc, secs = summary[(variant, method)]
            changes = ("", "", "")
            if method not in (RAW_RECEIVED, RAW_PAGE):
                changes = (
                    _change(cer, received[0]),
                    _change(cer, page[0]),
                    _change(matched, page[1]),
                )
            cells = (variant, method, f"{cer:.3f}", f"{matched:.3f}", f"{acc:.3f}", f"{secs:.1f}")
            lines.append("| " + " | ".join((*cells, *changes)) + " |")
    lines += [
        "",
        "Per page:",
        "",
        "| page | pages | method | CER | line-matched CER | word accuracy |",
        "|---|---|---|---:|---:|---:|",
    ]
    for row in result.text:
        if row.method in (RAW_RECEIVED, RAW_PAGE, "cleanup"):
            cells = (
                row.name,
                row.variant,
                row.method,
                f"{row.cer:.3f}",
                f"{row.matched_cer:.3f}",
                f"{row.word_accuracy:.3f}",
            )
            lines.append("| " + " | ".join(cells) + " |")
    if result.funsd:
        lines += ["", f"### FUNSD word recall ({len(result.funsd) // 2} scanned forms)", ""]
        lines += [
            "| method | mean recall | pages better / worse than raw | s/page |",
            "|---|---:|---:|---:|",
        ]
        raw = {r.name: r for r in result.funsd if r.method == "raw"}
        for method in ("raw", "cleanup"):
            rows = [r for r in result.funsd if r.method == method]
            better = sum(r.recall > raw[r.name].recall + 1e-9 for r in rows)
            worse = sum(r.recall < raw[r.name].recall - 1e-9 for r in rows)
            mean_recall = float(np.mean([r.recall for r in rows]))
            secs = float(np.mean([r.seconds for r in rows]))
            ratio = "" if method == "raw" else f"{better} / {worse}"
            lines.append(f"| {method} | {mean_recall:.3f} | {ratio} | {secs:.1f} |")
    if result.fields:
        lines += _field_lines(result.fields)
    if result.geometry:
        lines += _geometry_lines(result.geometry)
    lines += ["", f"Measured in {result.seconds:.0f} s with `faxflow ocr measure`.", ""]
    return "\n".join(lines)


def _field_lines(rows: list[FieldRow]) -> list[str]:
    documents = len({r.document for r in rows})
    lines = [
        "",
        f"### Field crops of generated CDC forms ({documents} documents, text fields)",
        "",
        "| pages | method | crops | exact (letters and digits) | CER | s/crop |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for variant in FAX_VARIANTS:
        for method in ("raw crop", "prepared crop"):
            group = [r for r in rows if r.variant == variant and r.method == method]
            if not group:
                continue
            exact = float(np.mean([r.exact for r in group]))
            cer = float(np.mean([r.cer for r in group]))
            secs = float(np.mean([r.seconds for r in group]))
            cells = (variant, method, str(len(group)), f"{exact:.2f}", f"{cer:.3f}", f"{secs:.2f}")
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def _geometry_lines(rows: list[GeometryRow]) -> list[str]:
    """Rotation hits, and skew error relative to the same page untilted (the scans have
    a small skew of their own, which the tilt adds to)."""
    base = {r.name.split(" ")[0]: r.found_skew for r in rows if r.name.endswith(" upright")}
    lines = [
        "",
        "### Orientation and skew",
        "",
        "| page | true rotation | found | added skew | found skew | skew error | method |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for g in rows:
        true_rot = "upright" if g.true_rotation is None else str(g.true_rotation)
        added = "-" if g.true_skew is None else f"{g.true_skew:+.2f}"
        error = "-"
        if g.true_skew is not None and g.name.split(" ")[0] in base:
            error = f"{g.found_skew - base[g.name.split(' ')[0]] - g.true_skew:+.2f}"
        cells = (g.name, true_rot, str(g.found_rotation), added, f"{g.found_skew:+.2f}", error)
        lines.append("| " + " | ".join((*cells, g.method)) + " |")
    turned = [g for g in rows if g.true_rotation is not None]
    hits = sum(g.found_rotation == g.true_rotation for g in turned)
    lines += ["", f"Rotation correct on {hits} of {len(turned)} pages with a known turn."]
    return lines


START_MARK = "<!-- measure:start -->"
END_MARK = "<!-- measure:end -->"


def write_markdown(path: Path, body: str) -> None:
    """Put ``body`` between the measure markers of ``path`` (appending them if absent),
    so the hand-written part of the document stays."""
    block = f"{START_MARK}\n{body}\n{END_MARK}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# OCR measurements\n\n"
    if START_MARK in text and END_MARK in text:
        head, rest = text.split(START_MARK, 1)
        _, tail = rest.split(END_MARK, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def _method_order(method: str) -> tuple[int, str]:
    return ({RAW_RECEIVED: 0, RAW_PAGE: 1, "cleanup": 2}.get(method, 3), method)


def _run_parallel(jobs: Iterable[Callable[[], _R]], progress: Callable[[], None]) -> list[_R]:
    """Run jobs on one thread per core (the work is in Tesseract and OpenCV, which release
    the GIL) and keep the input order."""
    job_list = list(jobs)
    results: list[_R] = []
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        for result in pool.map(lambda job: job(), job_list):
            results.append(result)
            progress()
        return results


def count_jobs(settings: Settings, *, ablation: bool, funsd: int, samples: int) -> int:
    per_sample = 3 + (len(STEPS) if ablation else 0)
    return samples * per_sample + 2 * funsd
