"""Reference images of the blank forms: each template page rendered at the working dpi.

Every later step (classification, alignment, checkbox baselines) compares an input page
with these images, so they are rendered once per process (``lru_cache``) and once per
machine (PNG files under ``var/cache/templates/<sha256-of-pdf>-<dpi>/``). The cache key is
the PDF's content hash, so replacing a blank.pdf can never reuse stale pixels.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from extract.template import FormTemplate
from faxflow.errors import MissingDependency, TemplateError

log = logging.getLogger(__name__)

POINTS_PER_INCH = 72.0


@dataclass(frozen=True, slots=True, eq=False)
class ReferencePage:
    """One page of a blank form, rendered grey at ``dpi`` (white paper, dark print)."""

    form_type: str
    number: int  # 1-based page of the blank form
    image: np.ndarray  # uint8 grey, shape (height, width)
    dpi: int

    @property
    def scale(self) -> float:
        """Pixels per PDF point."""
        return self.dpi / POINTS_PER_INCH

    @property
    def key(self) -> tuple[str, int]:
        return (self.form_type, self.number)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def reference_pages(
    template: FormTemplate, *, dpi: int, cache_root: Path | None = None
) -> tuple[ReferencePage, ...]:
    """Every page of ``template``'s blank PDF at ``dpi``, from memory, disk cache or poppler."""
    pdf = template.pdf_path
    if not pdf.is_file():
        raise TemplateError(f"blank form {pdf} of template {template.form_type} is missing")
    return _reference_pages(template.form_type, pdf, file_sha256(pdf), dpi, cache_root)


@lru_cache(maxsize=8)
def _reference_pages(
    form_type: str, pdf: Path, sha: str, dpi: int, cache_root: Path | None
) -> tuple[ReferencePage, ...]:
    images = _load_cached(cache_root, sha, dpi) if cache_root else None
    if images is None:
        images = _render(pdf, dpi)
        if cache_root is not None:
            _store_cached(cache_root, sha, dpi, images)
    return tuple(
        ReferencePage(form_type=form_type, number=i + 1, image=img, dpi=dpi)
        for i, img in enumerate(images)
    )


def _cache_folder(cache_root: Path, sha: str, dpi: int) -> Path:
    return cache_root / f"{sha[:32]}-{dpi}"


def _load_cached(cache_root: Path, sha: str, dpi: int) -> list[np.ndarray] | None:
    folder = _cache_folder(cache_root, sha, dpi)
    files = sorted(folder.glob("page-*.png"))
    if not files or not (folder / "complete").is_file():
        return None
    images = [cv2.imread(str(f), cv2.IMREAD_GRAYSCALE) for f in files]
    if any(img is None for img in images):
        log.warning("template cache %s is damaged; rendering again", folder)
        return None
    return [img for img in images if img is not None]


def _store_cached(cache_root: Path, sha: str, dpi: int, images: list[np.ndarray]) -> None:
    folder = _cache_folder(cache_root, sha, dpi)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(images, start=1):
            cv2.imwrite(str(folder / f"page-{i:03d}.png"), img)
        (folder / "complete").write_text("ok\n", encoding="utf-8")
    except OSError as exc:  # a read-only var/ only costs speed
        log.warning("cannot write template cache %s: %s", folder, exc)


def _render(pdf: Path, dpi: int) -> list[np.ndarray]:
    from pdf2image import convert_from_path, pdfinfo_from_path
    from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError

    # One page at a time: rendering all 21 DHS-1171 pages in one call holds every page
    # three times over (poppler's output, PIL, numpy) and set the worker's memory peak.
    images: list[np.ndarray] = []
    try:
        count = int(pdfinfo_from_path(str(pdf), timeout=60)["Pages"])
        for number in range(1, count + 1):
            page = convert_from_path(
                str(pdf), dpi=dpi, grayscale=True, first_page=number, last_page=number, timeout=120
            )[0]
            images.append(np.asarray(page.convert("L"), dtype=np.uint8).copy())
            del page
    except PDFInfoNotInstalledError as exc:
        raise MissingDependency(
            "poppler (pdftoppm/pdfinfo) is not installed; install poppler-utils"
        ) from exc
    except PDFPageCountError as exc:
        raise TemplateError(f"blank form {pdf} cannot be rendered: {exc}") from exc
    return images


def points_to_pixels(box: tuple[float, float, float, float], dpi: int) -> tuple[int, int, int, int]:
    """A template box in PDF points → integer pixel box at ``dpi`` (rounded outwards)."""
    s = dpi / POINTS_PER_INCH
    x0, y0, x1, y1 = box
    return (
        int(np.floor(x0 * s)),
        int(np.floor(y0 * s)),
        int(np.ceil(x1 * s)),
        int(np.ceil(y1 * s)),
    )
