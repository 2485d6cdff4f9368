"""``make bench``: accuracy, speed and memory in one run, beside raw Tesseract and OCRmyPDF.

1. Generates a fresh evaluation set from both style splits of the generator
   (``samples/splits.yaml``): ``BENCH_COUNT`` documents of the *tune* split and as many of
   the *locked* split, each spread evenly over both forms and every degradation profile.
   Accuracy is reported per split, by writing style (typed / hand-printed), profile, mark
   style and writing trait; the accuracy targets count on the locked split only.
2. Runs faxflow on it with every core (and on a subset with one worker), loads the records
   into a scratch SQLite database, and scores the results with ``samples.evaluate``.
3. On the same pages of a subset: raw full-page Tesseract with no cleanup, and OCRmyPDF
   (``--deskew --clean --rotate-pages``, sidecar text) — pages per second as a ratio.
4. OCR quality of faxflow's cleanup against raw Tesseract on ``../shared/realdata``.
5. Memory: peak resident memory of one worker on a 200-page fax against a 2-page one.
6. Form packs: a few generated copies of every pack that is not built in
   (``faxflow.bench_packs``), scored the same way; skipped when there is none.

Writes ``docs/benchmarks.md``, ``docs/benchmarks.json`` and ``docs/benchmarks.png``.
Targets are stated beside each number; a missed target is reported as missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from faxflow.bench_airflow import airflow_lines
from faxflow.bench_packs import DEFAULT_PACK_COUNT, bench_packs, pack_lines
from faxflow.model import Status
from faxflow.settings import PROJECT_ROOT, Settings, get_settings

if TYPE_CHECKING:
    from samples.evaluate import DocumentScore, EvalReport

console = Console()

DEFAULT_SEED = 20261127
DEFAULT_COUNT = 40  # documents per split: 80 in all, about 20 minutes on 2 idle cores
SPLITS = ("tune", "locked")
TARGETED_SPLIT = "locked"  # targets count on the split nothing was tuned on
TARGET_SPEEDUP_OVER_OCRMYPDF = 3.5
TARGET_PEAK_MB = 500.0
# Fields right, typed documents of the locked split, per profile (others: the default).
TARGET_TYPED = {"fax_standard": 0.92}
TARGET_TYPED_DEFAULT = 0.97
TARGET_HAND_PRINTED = 0.85  # fields right, hand-printed documents of the locked split
TARGET_CHECKBOX = 0.995  # checkboxes right, for every mark style
TARGET_CONFIDENT = 0.995  # fields read at confidence >= 0.95 that are right, every style
TARGET_PRECISION = 0.995


@dataclass(frozen=True, slots=True)
class SpeedRow:
    engine: str
    documents: int
    pages: int
    seconds: float

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def _timed(function: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


# --------------------------------------------------------------------------------------
# 1-2. faxflow on a fresh evaluation set
# --------------------------------------------------------------------------------------


def generate_set(out: Path, *, count: int, seed: int) -> list[Path]:
    """``count`` documents of each split into one folder (the locked split numbered after
    the tune split, so stems never clash)."""
    from samples.generate import generate, plan

    specs = [
        spec
        for number, split in enumerate(SPLITS)
        for spec in plan(count, seed, split=split, start=number * count)
    ]
    generate(out, specs, workers=os.cpu_count() or 1)
    return sorted((out / "docs").iterdir())


def run_faxflow(
    inputs: list[Path], results: Path, settings: Settings, *, workers: int
) -> tuple[SpeedRow, dict[str, float]]:
    """Process ``inputs`` with ``workers`` processes; returns speed and seconds per stage.
    (Memory is measured separately, in one fresh process: Linux children inherit the
    parent's resident-memory high-water mark, so a pool's figures would mislead.)"""
    from faxflow.commands import output_names, run_documents
    from loaders.db import engine_for, upgrade
    from loaders.load import load_document

    results.mkdir(parents=True, exist_ok=True)
    engine = engine_for(settings.db_url)
    upgrade(engine)
    names = output_names(inputs)
    stages: dict[str, float] = {}
    pages = 0
    started = time.perf_counter()
    for index, outcome in run_documents(inputs, settings, workers=workers, db_url=settings.db_url):
        (results / names[index]).write_text(outcome.result.to_json(), encoding="utf-8")
        load_started = time.perf_counter()
        load_document(
            engine, outcome.result, source=outcome.source, page_images=outcome.page_images
        )
        stages["load"] = stages.get("load", 0.0) + time.perf_counter() - load_started
        for stage, seconds in outcome.stage_seconds().items():
            stages[stage] = stages.get(stage, 0.0) + seconds
        pages += outcome.result.page_count
    wall = time.perf_counter() - started
    engine_name = f"faxflow ({workers} worker{'s' * (workers > 1)})"
    return SpeedRow(engine_name, len(inputs), pages, wall), stages


# --------------------------------------------------------------------------------------
# 3. The same pages through raw Tesseract and OCRmyPDF
# --------------------------------------------------------------------------------------


def _page_pngs(inputs: list[Path], folder: Path, settings: Settings) -> list[Path]:
    """Every page of ``inputs`` as a PNG at square pixels, the way Tesseract gets it raw."""
    import cv2

    from ingest.raster import iter_pages
    from ingest.source import open_source

    pngs = []
    for document in inputs:
        source = open_source(document, settings)
        for page in iter_pages(source, settings):
            path = folder / f"{document.stem}-{page.number:03d}.png"
            cv2.imwrite(str(path), page.image)
            pngs.append(path)
    return pngs


def _tesseract_page(png: str) -> int:
    subprocess.run(
        ["tesseract", png, "-", "--psm", "3"],
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        capture_output=True,
        timeout=600,
        check=False,
    )
    return 1


def run_raw_tesseract(pngs: list[Path], *, workers: int) -> SpeedRow:
    def work() -> int:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return sum(pool.map(_tesseract_page, [str(p) for p in pngs]))

    pages, seconds = _timed(work)
    return SpeedRow("raw Tesseract, full page (psm 3)", 0, pages, seconds)


def _as_pdf(document: Path, folder: Path) -> Path:
    """OCRmyPDF reads PDFs; a multi-page TIFF becomes a PDF at its own resolution first
    (not timed: a PDF is what a fax server hands OCRmyPDF)."""
    if document.suffix.lower() == ".pdf":
        return document
    from PIL import Image, ImageSequence

    target = folder / f"{document.stem}.pdf"
    with Image.open(document) as image:
        frames = [frame.convert("L") for frame in ImageSequence.Iterator(image)]
        dpi = image.info.get("dpi", (200, 200))
    frames[0].save(target, save_all=True, append_images=frames[1:], resolution=float(min(dpi)))
    return target


def run_ocrmypdf(inputs: list[Path], folder: Path, *, workers: int, pages: int) -> SpeedRow | None:
    executable = shutil.which("ocrmypdf")
    if executable is None:
        console.print("[yellow]ocrmypdf is not installed; `make bench` installs it[/yellow]")
        return None
    pdfs = [_as_pdf(document, folder) for document in inputs]

    def work() -> None:
        for pdf in pdfs:
            subprocess.run(
                [
                    executable,
                    "--deskew",
                    "--clean",
                    "--rotate-pages",
                    "--force-ocr",
                    "--jobs",
                    str(workers),
                    "--sidecar",
                    str(folder / f"{pdf.stem}.txt"),
                    "--output-type",
                    "pdf",
                    str(pdf),
                    str(folder / f"{pdf.stem}.ocr.pdf"),
                ],
                capture_output=True,
                timeout=3600,
                check=False,
            )

    _, seconds = _timed(work)
    return SpeedRow("OCRmyPDF --deskew --clean --rotate-pages", len(inputs), pages, seconds)


# --------------------------------------------------------------------------------------
# 5. Memory scaling
# --------------------------------------------------------------------------------------

# The peak is read from /proc/self/status (VmHWM: the high-water mark of this process's
# own address space, which exec starts afresh). ru_maxrss is not used: Linux carries the
# parent's high-water mark into a forked child, so a probe started by a bench process that
# has grown to 650 MB reported 650 MB whatever it did itself.
MEMORY_PROBE = r"""
import json, resource, sys
from pathlib import Path
from faxflow.settings import Settings
from faxflow.pipeline import process_path


def peak_mb():
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


settings = Settings(var_dir=Path(sys.argv[2]))
outcome = process_path(Path(sys.argv[1]), settings)
print(json.dumps({
    "pages": outcome.result.page_count,
    "status": outcome.result.status.value,
    "peak_mb": peak_mb(),
}))
"""


def long_fax(source: Path, target: Path, pages: int, *, description: str = "") -> Path:
    """A ``pages``-page G4 fax made by repeating the pages of ``source``; a
    ``description`` (TIFF ImageDescription) makes another file of the same pages."""
    from PIL import Image, ImageSequence
    from PIL.TiffImagePlugin import ImageFileDirectory_v2

    with Image.open(source) as image:
        frames = [frame.convert("1") for frame in ImageSequence.Iterator(image)]
        dpi = image.info.get("dpi", (204, 196))
    tags = ImageFileDirectory_v2()
    if description:
        tags[270] = description  # ImageDescription
    sequence = [frames[i % len(frames)] for i in range(pages)]
    sequence[0].save(
        target,
        save_all=True,
        append_images=sequence[1:],
        compression="group4",
        dpi=dpi,
        tiffinfo=tags,
    )
    return target


def measure_memory(document: Path, scratch: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(document), str(scratch)],
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        capture_output=True,
        text=True,
        timeout=7200,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def write_report(report: dict[str, Any], docs: Path) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {report['date']} on this machine ({report['cores']} cores,"
        f" {report['memory_gb']:.0f} GB). Evaluation set: {report['documents']} freshly generated"
        f" documents, {report['count']} from each of the generator's tune and locked splits"
        f" (`BENCH_COUNT={report['count']} BENCH_SEED={report['seed']}`; never the committed"
        f" samples), {report['pages']} pages.",
        "",
        "## Speed",
        "",
        "| engine | documents | pages | seconds | pages/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in report["speed"]:
        lines.append(
            f"| {row['engine']} | {row['documents'] or ''} | {row['pages']} | "
            f"{row['seconds']:.1f} | {row['pages_per_second']:.3f} |"
        )
    comparison = report.get("comparison")
    if comparison:
        ratio = comparison["faxflow_over_ocrmypdf"]
        lines += [
            "",
            f"On the same {comparison['pages']} pages ({comparison['documents']} documents), "
            f"faxflow (cleanup, OCR, extraction and validation, {report['cores']} workers) ran at "
            f"{comparison['faxflow_pps']:.3f} pages/s, raw Tesseract at "
            f"{comparison['raw_pps']:.3f} and OCRmyPDF at {comparison['ocrmypdf_pps']:.3f}: "
            f"faxflow is **{ratio:.1f}×** OCRmyPDF (target ≥ {TARGET_SPEEDUP_OVER_OCRMYPDF}×: "
            f"{_mark(ratio >= TARGET_SPEEDUP_OVER_OCRMYPDF)}) and "
            f"{comparison['faxflow_over_raw']:.1f}× raw full-page Tesseract.",
        ]
    lines += ["", "Share of faxflow's time per stage (all documents, summed over workers):", ""]
    total = sum(report["stages"].values()) or 1.0
    lines += ["| stage | seconds | share |", "|---|---:|---:|"]
    for stage, seconds in report["stages"].items():
        lines.append(f"| {stage} | {seconds:.1f} | {seconds / total:.0%} |")
    memory = report["memory"]
    peak = max(memory["long"]["peak_mb"], memory["short"]["peak_mb"])
    # "Flat" allows the long fax a quarter more than the short one plus 50 MB of slack.
    flat = memory["long"]["peak_mb"] <= 1.25 * memory["short"]["peak_mb"] + 50
    memory_ok = peak <= TARGET_PEAK_MB and flat
    lines += [
        "",
        "## Memory",
        "",
        "Peak resident memory of one process running the whole pipeline (a worker): on a "
        f"{memory['short']['pages']}-page fax: "
        f"{memory['short']['peak_mb']:.0f} MB; on a {memory['long']['pages']}-page fax: "
        f"{memory['long']['peak_mb']:.0f} MB. Target ≤ {TARGET_PEAK_MB:.0f} MB, flat in "
        f"page count: {_mark(memory_ok)}.",
        "",
        "## Accuracy",
        "",
        *accuracy_lines(report["accuracy"]),
    ]
    accuracy = report["accuracy"]
    precision = accuracy["auto_accept_precision"]
    lines += [
        "",
        f"Form type right on {accuracy['form_type_accuracy']:.1%} of documents. "
        f"Auto-accept precision: "
        + (
            f"{precision:.2%} (target ≥ {TARGET_PRECISION:.1%}: "
            f"{_mark(precision >= TARGET_PRECISION)})"
            if precision is not None
            else "no document was auto-accepted"
        )
        + f"; accepted share {accuracy['accepted_share']:.1%}.",
        "",
        "| form | documents | accuracy | text | checkboxes |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {form} | {row['documents']} | {row['accuracy']:.1%} | {row['text']:.1%} | "
            f"{row['checkbox']:.1%} |"
            for form, row in accuracy.get("by_form", {}).items()
        ),
        "",
        "Auto-accept with the stored thresholds (`validate/thresholds.json`), as routed when "
        "the documents were processed: precision is the share of right fields in accepted "
        f"documents (target ≥ {TARGET_PRECISION:.1%}).",
        "",
        "| group | documents | accepted | share | fields | precision |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {row['group']} | {row['documents']} | {row['accepted']} | "
            f"{row['accepted'] / row['documents']:.1%} | {row['fields']} | "
            + (f"{row['precision']:.2%}" if row["precision"] is not None else "—")
            + " |"
            for row in accuracy.get("auto_accept", [])
        ),
        "",
        "Weakest fields of the tune split (the locked split is measured only, never read "
        "field by field):",
        "",
        "| form | field | accuracy |",
        "|---|---|---:|",
    ]
    for row in accuracy["weakest"]:
        lines.append(f"| {row['form']} | {row['field']} | {row['accuracy']:.1%} |")
    if report.get("confident_errors"):
        lines += confident_errors_lines(report["confident_errors"])
    if report.get("field_automation"):
        target = get_settings().target_accuracy
        lines += field_automation_lines(report["field_automation"], target)
    lines += pack_lines(report.get("packs"))
    if report.get("ocr"):
        lines += ["", "## OCR quality on real documents", "", report["ocr"]]
    airflow = report.get("airflow") or {}
    lines += airflow_lines(airflow, airflow.get("cli"))
    lines += ["", "![benchmarks](benchmarks.png)", ""]
    (docs / "benchmarks.md").write_text("\n".join(lines), encoding="utf-8")
    (docs / "benchmarks.json").write_text(json.dumps(report, indent=2), encoding="utf-8")


def _pct(value: dict[str, Any]) -> str:
    accuracy = value.get("accuracy")
    return "—" if accuracy is None else f"{accuracy:.1%}"


def _confident(value: dict[str, Any]) -> str:
    return f"{_pct(value)} of {value['total']}" if value["total"] else "— (none)"


def target_checks(locked: dict[str, Any]) -> list[tuple[str, float | None, float]]:
    """(what, measured, target) for every accuracy target, on the locked split."""
    checks: list[tuple[str, float | None, float]] = []

    def check(what: str, number: dict[str, Any], target: float) -> None:
        checks.append((what, number["accuracy"], target))

    for writing, row in locked.get("by_writing", {}).items():
        if writing == "typed":
            for profile, cell in row["by_profile"].items():
                target = TARGET_TYPED.get(profile, TARGET_TYPED_DEFAULT)
                check(f"typed, {profile}: fields", cell["field_accuracy"], target)
        else:
            check(f"{writing}: fields", row["field_accuracy"], TARGET_HAND_PRINTED)
        check(
            f"{writing}: fields at confidence ≥ 0.95", row["confident_precision"], TARGET_CONFIDENT
        )
    for mark, row in locked.get("by_mark", {}).items():
        check(f"mark {mark}: checkboxes", row["checkbox_accuracy"], TARGET_CHECKBOX)
    for style, row in [
        *((f"mark {m}", r) for m, r in locked.get("by_mark", {}).items()),
        *locked.get("by_trait", {}).items(),
    ]:
        check(f"{style}: fields at confidence ≥ 0.95", row["confident_precision"], TARGET_CONFIDENT)
    return checks


def accuracy_lines(accuracy: dict[str, Any]) -> list[str]:
    """The accuracy section: targets on the locked split, then each split by writing
    style and profile, mark style and trait."""
    splits = accuracy["splits"]
    lines: list[str] = []
    locked = splits.get(TARGETED_SPLIT)
    if locked is not None:
        lines += [
            f"Targets count on the **{TARGETED_SPLIT}** split ({locked['documents']} documents):"
            " fonts, hand-printed faces, name locales and seeds no change was tuned on"
            " (`samples/splits.yaml`). A target with nothing measured (no field read that"
            " sure, say) is not met.",
            "",
            "| target | measured | target | |",
            "|---|---:|---:|---|",
        ]
        for what, measured, target in target_checks(locked):
            shown = "—" if measured is None else f"{measured:.1%}"
            ok = measured is not None and measured >= target
            lines.append(f"| {what} | {shown} | ≥ {target:.1%} | {_mark(ok)} |")
        lines.append("")
    for split, data in splits.items():
        lines += [
            f"### Split `{split}`: {data['documents']} documents, "
            f"{_pct(data['field_accuracy'])} of fields right",
            "",
            "| writing / profile | documents | fields right | text | checkboxes "
            "| right at confidence ≥ 0.95 |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for writing, row in data["by_writing"].items():
            groups = [
                (f"**{writing}**", row),
                *((f"{writing} / {p}", c) for p, c in row["by_profile"].items()),
            ]
            for label, cell in groups:
                lines.append(
                    f"| {label} | {cell['documents']} | {_pct(cell['field_accuracy'])} | "
                    f"{_pct(cell['text_accuracy'])} | {_pct(cell['checkbox_accuracy'])} | "
                    f"{_confident(cell['confident_precision'])} |"
                )
        lines += [
            "",
            "| mark style / trait | documents | checkboxes | fields right "
            "| right at confidence ≥ 0.95 |",
            "|---|---:|---:|---:|---:|",
        ]
        for label, cell in [
            *((f"mark {m}", c) for m, c in data["by_mark"].items()),
            *((t, c) for t, c in data["by_trait"].items()),
        ]:
            lines.append(
                f"| {label} | {cell['documents']} | {_pct(cell['checkbox_accuracy'])} | "
                f"{_pct(cell['field_accuracy'])} | {_confident(cell['confident_precision'])} |"
            )
        lines.append("")
    lines += [
        "Both splits together, by profile:",
        "",
        "| profile | documents | fields | accuracy | checkboxes |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {profile} | {row['documents']} | {row['fields']} | {row['accuracy']:.1%} | "
            f"{row['checkbox']:.1%} |"
            for profile, row in accuracy["by_profile"].items()
        ),
    ]
    return lines


def draw_chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    speed = report["speed"]
    left.barh([r["engine"] for r in speed], [r["pages_per_second"] for r in speed])
    left.set_xlabel("pages per second")
    left.set_title("Speed")
    splits = report["accuracy"]["splits"]
    labels = sorted({w for data in splits.values() for w in data["by_writing"]})
    width = 0.8 / max(1, len(splits))
    for number, (split, data) in enumerate(splits.items()):
        values = [
            (data["by_writing"].get(w, {}).get("field_accuracy", {}).get("accuracy") or 0.0)
            for w in labels
        ]
        right.bar([i + number * width for i in range(len(labels))], values, width, label=split)
    right.set_xticks([i + width * (len(splits) - 1) / 2 for i in range(len(labels))], labels)
    right.axhline(TARGET_TYPED_DEFAULT, linestyle="--", linewidth=1)
    right.axhline(TARGET_HAND_PRINTED, linestyle=":", linewidth=1)
    right.set_ylim(0, 1)
    right.set_ylabel("field accuracy")
    right.set_title("Accuracy by split and writing style")
    right.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def accuracy_summary(results: Path, truth: Path) -> dict[str, Any]:
    from samples.evaluate import evaluate

    report = evaluate(results, truth)
    by_profile = {}
    for profile in report.profiles:
        documents = sum(1 for d in report.documents if d.profile == profile)
        fields = report.field_accuracy(profile=profile)
        by_profile[profile] = {
            "documents": documents,
            "fields": fields.total,
            "accuracy": fields.value,
            "checkbox": report.field_accuracy(profile=profile, kind="checkbox").value,
            "text": report.field_accuracy(profile=profile, kind="text").value,
        }
    weakest: list[dict[str, Any]] = []
    for form_type in report.form_types:
        for name, accuracy in report.per_field(form_type, split="tune").items():
            weakest.append({"form": form_type, "field": name, "accuracy": accuracy.value})
    weakest.sort(key=lambda row: row["accuracy"])
    precision = report.auto_accept_precision
    by_form = {
        form_type: {
            "documents": sum(1 for d in report.documents if d.form_type == form_type),
            "accuracy": report.field_accuracy(form_type=form_type).value,
            "text": report.field_accuracy(form_type=form_type, kind="text").value,
            "checkbox": report.field_accuracy(form_type=form_type, kind="checkbox").value,
        }
        for form_type in report.form_types
    }
    return {
        "by_profile": by_profile,
        "by_form": by_form,
        "auto_accept": auto_accept_groups(report),
        "overall": report.field_accuracy().value,
        "checkbox": report.field_accuracy(kind="checkbox").value,
        "form_type_accuracy": report.form_type_accuracy.value,
        "auto_accept_precision": precision.value if precision.total else None,
        "accepted_share": report.accepted_share,
        "status_counts": report.status_counts,
        "weakest": weakest[:15],
        "splits": {split: report.style_breakdown(split) for split in report.splits},
    }


def field_automation_summary(
    results: Path, truth: Path, settings: Settings | None = None
) -> list[dict[str, Any]]:
    """Field-level routing at the target accuracy, per split and writing (the issue's
    targets count on the locked split, typed and hand-printed apart), per form and per
    form and profile: share of fields accepted without a person, their precision, and
    share of documents with no field for a person (the rule of ``validate.routing``, with
    the thresholds in force; fields are scored by ``samples.evaluate``)."""
    from samples.evaluate import load_truth
    from validate.calibrate import field_groups, field_numbers, load_samples

    settings = settings or get_settings()
    docs, _ = load_samples(results, truth, settings)
    thresholds = settings.confidence_thresholds
    styles = {stem: _split_and_writing(data) for stem, data in load_truth(truth).items()}
    by_style = {
        style: [d for d in docs if styles.get(d.stem) == style]
        for style in sorted({s for s in styles.values() if s is not None})
    }
    rows = [
        field_numbers("all", docs, thresholds, settings),
        *(
            field_numbers(f"{split} / {writing}", of_style, thresholds, settings)
            for (split, writing), of_style in by_style.items()
            if of_style
        ),
        *field_groups(docs, thresholds, settings),
    ]
    return [row.as_dict() | {"group": row.label} for row in rows]


def confident_errors_by_kind(
    results: Path, truth: Path, settings: Settings | None = None
) -> list[dict[str, Any]]:
    """Fields read at confidence >= 0.95, and how many of them are wrong, per split,
    writing and routing kind (a field's kind, or its blank bucket): counts only, so the
    locked split says which *kind* of reading is confidently wrong without showing one
    error. Rows with no field that sure are left out."""
    from samples.evaluate import HIGH_CONFIDENCE, load_truth
    from validate.calibrate import load_samples

    docs, _ = load_samples(results, truth, settings or get_settings())
    styles = {stem: _split_and_writing(data) for stem, data in load_truth(truth).items()}
    counts: dict[tuple[str, str, str], list[int]] = {}
    for doc in docs:
        style = styles.get(doc.stem)
        if style is None:
            continue
        for _, kind, confidence, correct in doc.confidences:
            if correct is None or confidence < HIGH_CONFIDENCE:
                continue
            tally = counts.setdefault((*style, kind), [0, 0])
            tally[0] += 1
            tally[1] += not correct
    return [
        {"split": split, "writing": writing, "kind": kind, "confident": n, "wrong": wrong}
        for (split, writing, kind), (n, wrong) in sorted(counts.items())
    ]


def confident_errors_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The markdown section of :func:`confident_errors_by_kind`: one row per routing kind,
    a column per split and writing."""
    columns = sorted({(r["split"], r["writing"]) for r in rows})
    cells = {(r["split"], r["writing"], r["kind"]): r for r in rows}

    def cell(split: str, writing: str, kind: str) -> str:
        row = cells.get((split, writing, kind))
        return "" if row is None else f"{row['wrong']} of {row['confident']}"

    return [
        "",
        "### Where confidence ≥ 0.95 is wrong, by kind",
        "",
        "Fields read at confidence ≥ 0.95: wrong of all, per routing kind (a field's kind, "
        "or the blank bucket of a reading of nothing). Counts only: the locked split is not "
        "read error by error.",
        "",
        "| kind | " + " | ".join(f"{split} / {writing}" for split, writing in columns) + " |",
        "|---|" + "---:|" * len(columns),
        *(
            f"| {kind} | " + " | ".join(cell(*column, kind) for column in columns) + " |"
            for kind in sorted({r["kind"] for r in rows})
        ),
    ]


def _split_and_writing(truth: dict[str, Any]) -> tuple[str, str] | None:
    """(split, writing) of a generated document's truth: ``("locked", "typed")``; None
    for a truth without a split (the classic generator)."""
    split = truth.get("split")
    style = truth.get("writing")
    writing = style.get("writing") if isinstance(style, dict) else None
    if not isinstance(split, str) or not isinstance(writing, str):
        return None
    return split, writing


def field_automation_lines(rows: list[dict[str, Any]], target: float) -> list[str]:
    """The markdown section of :func:`field_automation_summary`."""

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.1%}"

    return [
        "",
        f"## Field automation at the target ({target:.1%})",
        "",
        "Each field is auto-accepted or sent to a person (field-level routing). Targets: "
        f"auto-accepted fields ≥ {TARGET_PRECISION:.1%} right; ≥ 90 % of fields automated on "
        "typed forms, ≥ 75 % on hand-printed ones; ≥ 50 % of typed documents need no person.",
        "",
        "| group | documents | fully automated | fields | automated | precision |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {r['group']} | {r['documents']} | {r['fully_automated']} "
            f"({pct(r['documents_share'])}) | {r['fields']} | {pct(r['automated_share'])} | "
            f"{pct(r['precision'])} |"
            for r in rows
        ),
    ]


def auto_accept_groups(report: EvalReport) -> list[dict[str, Any]]:
    """Per form, and per form and profile: documents the pipeline accepted (the status it
    gave them when it ran, with the thresholds in force) and how many of their fields
    are right."""
    groups: dict[str, list[DocumentScore]] = {}
    for doc in report.documents:
        for label in (doc.form_type, f"{doc.form_type} / {doc.profile}", f"split {doc.split}"):
            groups.setdefault(label, []).append(doc)
    rows = []
    for label in ["all", *sorted(groups)]:
        docs = report.documents if label == "all" else groups[label]
        accepted = [d for d in docs if d.status == Status.ACCEPTED.value]
        fields = sum(d.accuracy.total for d in accepted)
        correct = sum(d.accuracy.correct for d in accepted)
        rows.append(
            {
                "group": label,
                "documents": len(docs),
                "accepted": len(accepted),
                "fields": fields,
                "correct": correct,
                "precision": correct / fields if fields else None,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument(
        "--count",
        type=int,
        default=int(os.environ.get("BENCH_COUNT", str(DEFAULT_COUNT))),
        help="documents per split (tune and locked) in the evaluation set, each spread over "
        "forms and profiles (BENCH_COUNT)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=int(os.environ.get("BENCH_SEED", str(DEFAULT_SEED))),
        help="seed of the evaluation set (BENCH_SEED); a new one gives documents no "
        "change was tuned on",
    )
    parser.add_argument(
        "--compare",
        type=int,
        default=int(os.environ.get("BENCH_COMPARE", "6")),
        help="documents run through raw Tesseract and OCRmyPDF as well",
    )
    parser.add_argument(
        "--long-pages",
        type=int,
        default=200,
        help="pages of the long fax in the memory-scaling test",
    )
    parser.add_argument(
        "--airflow",
        action=argparse.BooleanOptionalAction,
        default=os.environ.get("BENCH_AIRFLOW", "1") != "0",
        help="measure the Airflow path too: make up's stacks (LocalExecutor and Celery), "
        "latency and Celery throughput on the comparison documents, some 10 minutes "
        "(BENCH_AIRFLOW=0 skips it)",
    )
    parser.add_argument(
        "--airflow-only",
        action="store_true",
        help="only the Airflow section, on the comparison documents of a --count set: "
        "replaces that section of docs/benchmarks.md and its key in benchmarks.json",
    )
    parser.add_argument(
        "--pack-count",
        type=int,
        default=int(os.environ.get("BENCH_PACK_COUNT", str(DEFAULT_PACK_COUNT))),
        help="generated copies of each form pack that is not built in, found under "
        "FAXFLOW_FORMS_DIR or forms/ (BENCH_PACK_COUNT; 0 skips the section)",
    )
    parser.add_argument("--docs", type=Path, default=PROJECT_ROOT / "docs")
    args = parser.parse_args(argv)
    if args.airflow_only:
        return airflow_only(args)
    cores = os.cpu_count() or 1
    work, settings = _scratch()
    console.print(f"generating {args.count} documents per split (seed {args.seed}) in {work} …")
    inputs = generate_set(work / "set", count=args.count, seed=args.seed)

    console.print("faxflow, every core …")
    speed_all, stages = run_faxflow(inputs, work / "results", settings, workers=cores)
    subset = _comparison_subset(inputs, args.compare)
    console.print(f"faxflow, one worker, {len(subset)} documents …")
    speed_one, _ = run_faxflow(
        subset,
        work / "results-one",
        settings.model_copy(update={"database_url": f"sqlite:///{work / 'one.db'}"}),
        workers=1,
    )
    console.print("faxflow, every core, comparison subset …")
    speed_subset_run, _ = run_faxflow(
        subset,
        work / "results-subset",
        settings.model_copy(update={"database_url": f"sqlite:///{work / 'subset.db'}"}),
        workers=cores,
    )
    speed_subset = SpeedRow(
        f"{speed_subset_run.engine}, comparison subset",
        speed_subset_run.documents,
        speed_subset_run.pages,
        speed_subset_run.seconds,
    )
    pngs_dir = work / "raw"
    pngs_dir.mkdir()
    pngs = _page_pngs(subset, pngs_dir, settings)
    console.print(f"raw Tesseract on the same {len(pngs)} pages …")
    raw = run_raw_tesseract(pngs, workers=cores)
    console.print("OCRmyPDF on the same pages …")
    ocrmypdf_dir = work / "ocrmypdf"
    ocrmypdf_dir.mkdir()
    ocrmypdf = run_ocrmypdf(subset, ocrmypdf_dir, workers=cores, pages=len(pngs))

    console.print("memory: 2-page against 200-page fax …")
    fax_fine = [p for p in inputs if "fax_fine" in p.name and p.suffix == ".tif"]
    short = next(p for p in fax_fine if p.name.startswith("cdc_pui_2020"))
    long_doc = long_fax(
        next(p for p in fax_fine if p.name.startswith("mdhhs")), work / "long.tif", args.long_pages
    )
    memory = {
        "short": measure_memory(short, work / "mem-short"),
        "long": measure_memory(long_doc, work / "mem-long"),
    }
    console.print(f"form packs, {args.pack_count} copies each …")
    packs = bench_packs(work, settings, count=args.pack_count, seed=args.seed, workers=cores)
    ocr_summary = _ocr_quality(work)
    airflow = (
        airflow_section(subset, speed_subset_run, short, work, workers=cores)
        if args.airflow
        else None
    )

    speed_rows = [speed_all, speed_one, speed_subset, raw] + ([ocrmypdf] if ocrmypdf else [])
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "cores": cores,
        "memory_gb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
        "seed": args.seed,
        "count": args.count,
        "documents": len(inputs),
        "pages": speed_all.pages,
        "speed": [{**asdict(row), "pages_per_second": row.pages_per_second} for row in speed_rows],
        "stages": stages,
        "memory": memory,
        "accuracy": accuracy_summary(work / "results", work / "set" / "truth"),
        "field_automation": field_automation_summary(work / "results", work / "set" / "truth"),
        "confident_errors": confident_errors_by_kind(work / "results", work / "set" / "truth"),
        "packs": packs,
        "ocr": ocr_summary,
        "airflow": airflow,
    }
    if ocrmypdf is not None:
        report["comparison"] = {
            "documents": len(subset),
            "pages": len(pngs),
            "faxflow_pps": speed_subset.pages_per_second,
            "raw_pps": raw.pages_per_second,
            "ocrmypdf_pps": ocrmypdf.pages_per_second,
            "faxflow_over_ocrmypdf": speed_subset.pages_per_second / ocrmypdf.pages_per_second
            if ocrmypdf.pages_per_second
            else 0.0,
            "faxflow_over_raw": speed_subset.pages_per_second / raw.pages_per_second
            if raw.pages_per_second
            else 0.0,
        }
    args.docs.mkdir(parents=True, exist_ok=True)
    write_report(report, args.docs)
    draw_chart(report, args.docs / "benchmarks.png")
    console.print((args.docs / "benchmarks.md").read_text(encoding="utf-8"))
    shutil.rmtree(work, ignore_errors=True)
    return 0


def _scratch() -> tuple[Path, Settings]:
    """A scratch folder for one bench run and settings that keep everything in it."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    work = Path(tempfile.mkdtemp(prefix="faxflow-bench-"))
    # Workers and the loader resolve page images against FAXFLOW_VAR_DIR: point it here.
    os.environ["FAXFLOW_VAR_DIR"] = str(work / "var")
    get_settings.cache_clear()
    return work, Settings(var_dir=work / "var", database_url=f"sqlite:///{work / 'bench.db'}")


def airflow_section(
    documents: list[Path], cli: SpeedRow, fax: Path, work: Path, *, workers: int
) -> dict[str, Any]:
    """The Airflow path (``faxflow.bench_airflow``) on the documents the CLI read as
    ``cli``, with the CLI's row kept beside it."""
    from PIL import Image

    from faxflow.bench_airflow import measure_airflow_path

    with Image.open(fax) as image:
        pages = int(getattr(image, "n_frames", 1))
    # Another file than any of ``documents`` (the same fax again would be a duplicate).
    probe = long_fax(fax, work / "latency-probe.tif", pages, description="latency probe")
    measured = measure_airflow_path(documents, probe, work)
    measured["cli"] = {**asdict(cli), "pages_per_second": cli.pages_per_second, "workers": workers}
    return measured


def airflow_only(args: argparse.Namespace) -> int:
    """``--airflow-only``: a ``--count`` set, the CLI on its comparison documents, the
    Airflow path on the same ones; only that section of the report is replaced."""
    from faxflow.bench_airflow import airflow_lines, replace_section

    cores = os.cpu_count() or 1
    work, settings = _scratch()
    try:
        console.print(f"generating {args.count} documents per split (seed {args.seed}) …")
        inputs = generate_set(work / "set", count=args.count, seed=args.seed)
        subset = _comparison_subset(inputs, args.compare)
        console.print(f"faxflow CLI, {cores} workers, {len(subset)} documents …")
        cli, _ = run_faxflow(subset, work / "results", settings, workers=cores)
        fax_fine = [p for p in inputs if "fax_fine" in p.name and p.suffix == ".tif"]
        short = next(p for p in fax_fine if p.name.startswith("cdc_pui_2020"))
        measured = airflow_section(subset, cli, short, work, workers=cores)
        measured.update(date=time.strftime("%Y-%m-%d"), seed=args.seed, count=args.count)
        markdown = args.docs / "benchmarks.md"
        lines = airflow_lines(measured, measured["cli"])
        lines.insert(
            3,
            f"Measured on {measured['date']} by `python -m faxflow.bench --airflow-only "
            f"--count {args.count} --seed {args.seed} --compare {args.compare}`.\n",
        )
        markdown.write_text(
            replace_section(markdown.read_text(encoding="utf-8"), lines), encoding="utf-8"
        )
        report_json = args.docs / "benchmarks.json"
        report = json.loads(report_json.read_text(encoding="utf-8"))
        report["airflow"] = measured
        report_json.write_text(json.dumps(report, indent=2), encoding="utf-8")
        console.print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _comparison_subset(inputs: list[Path], count: int) -> list[Path]:
    """A few documents of every profile and both forms, for the slow comparison engines."""
    by_group: dict[str, list[Path]] = {}
    for path in inputs:
        form, profile = path.stem.split("-")[:2]
        by_group.setdefault(f"{form}-{profile}", []).append(path)
    chosen: list[Path] = []
    while len(chosen) < count and any(by_group.values()):
        for group in sorted(by_group):
            if by_group[group] and len(chosen) < count:
                chosen.append(by_group[group].pop(0))
    return chosen


def _ocr_quality(work: Path) -> str:
    """The OCR measurement of ``faxflow ocr measure`` on ../shared/realdata, as Markdown."""
    realdata = Path(os.environ.get("FAXFLOW_SHARED_DIR", PROJECT_ROOT.parent / "shared"))
    if not (realdata / "realdata").is_dir():
        return "(skipped: ../shared/realdata is absent)"
    target = work / "ocr.md"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("faxflow")), "ocr", "measure", "--out", str(target)],
        capture_output=True,
        text=True,
        timeout=7200,
        check=False,
    )
    if done.returncode != 0 or not target.exists():
        return f"(faxflow ocr measure failed with exit code {done.returncode})"
    text = target.read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.startswith("# "))


if __name__ == "__main__":
    raise SystemExit(main())
