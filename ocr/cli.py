"""``faxflow ocr``: measure cleanup against raw Tesseract, and read one page for debugging."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from faxflow.errors import ErrorCode, InputRejected
from faxflow.settings import get_settings

ocr_app = typer.Typer(help="Page cleanup and Tesseract OCR: measurements and debugging.")
console = Console()


@ocr_app.command("measure")
def measure_command(
    out: Path | None = typer.Option(
        None, "--out", help="Markdown file to put the result tables in (e.g. docs/ocr.md)."
    ),
    json_path: Path | None = typer.Option(None, "--json", help="Also write every row as JSON."),
    realdata: Path | None = typer.Option(
        None, "--realdata", help="Real documents folder (default ../shared/realdata)."
    ),
    funsd_pages: int = typer.Option(20, min=0, help="FUNSD forms to score (0 skips)."),
    ablation: bool = typer.Option(
        True, "--ablation/--no-ablation", help="Also run cleanup with each step switched off."
    ),
    geometry: bool = typer.Option(
        True, "--geometry/--no-geometry", help="Also check orientation and skew recovery."
    ),
    field_documents: int = typer.Option(
        4, min=0, help="Generated CDC forms whose field crops to score (0 skips)."
    ),
) -> None:
    """Character error rate, word accuracy and word recall: raw Tesseract vs cleanup.

    Uses UNLV pages (as scanned and re-faxed), FUNSD forms and the real faxes in
    ../shared/realdata; takes several minutes (a dense page costs seconds of OCR)."""
    from ocr import measure

    settings = get_settings()
    folder = realdata or Path(__file__).resolve().parent.parent.parent / "shared" / "realdata"
    if not folder.is_dir():
        raise InputRejected(ErrorCode.NOT_FOUND, f"real documents folder {folder} is absent")
    started = time.perf_counter()
    samples = list(measure.unlv_samples(folder, settings))
    total = measure.count_jobs(settings, ablation=ablation, funsd=funsd_pages, samples=len(samples))
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("OCR", total=total)

        def step() -> None:
            bar.advance(task)

        text = measure.text_rows(samples, settings, ablation=ablation, progress=step)
        funsd = measure.funsd_rows(folder, settings, count=funsd_pages, progress=step)
        geometry_rows = (
            measure.geometry_rows(folder, settings, progress=lambda: None) if geometry else []
        )
        fields = measure.field_rows(settings, documents=field_documents) if field_documents else []
    result = measure.Measurement(text, funsd, geometry_rows, fields, time.perf_counter() - started)
    markdown = measure.render_markdown(result)
    console.print(markdown)
    if out is not None:
        measure.write_markdown(out, markdown)
        console.print(f"tables written to {out}")
    if json_path is not None:
        json_path.write_text(result.to_json(), encoding="utf-8")


@ocr_app.command("page")
def page_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Image or PDF file."),
    number: int = typer.Option(1, "--page", min=1, help="1-based page number."),
    raw: bool = typer.Option(False, "--raw", help="Skip cleanup (Tesseract on the page as is)."),
) -> None:
    """Print the words Tesseract finds on one page (for debugging).

    The words go to this terminal only, never to a log: a page may hold personal data."""
    from faxflow.model import PageImage
    from ingest.raster import iter_pages
    from ingest.source import open_source
    from ocr.page import read_page
    from ocr.tesseract import read_words

    settings = get_settings()
    source = open_source(file, settings)
    page: PageImage = next(iter(iter_pages(source, settings, pages=[number])))
    if raw:
        words = read_words(page.image, settings=settings, psm=3)
        summary = "raw"
    else:
        result = read_page(page, settings)
        words = list(result.words)
        summary = (
            f"rotation {result.clean.rotation}, skew {result.clean.skew_degrees:+.2f} deg, "
            f"cleanup {result.cleanup_seconds:.2f} s, OCR {result.ocr_seconds:.2f} s"
        )
    for word in words:
        x0, y0, x1, y1 = word.bbox
        console.print(
            f"{word.confidence:4.2f} {x0:5d},{y0:5d},{x1:5d},{y1:5d} {word.text}", markup=False
        )
    console.print(f"{len(words)} words; {summary}", style="dim")


def register(app: typer.Typer) -> None:
    app.add_typer(ocr_app, name="ocr")
