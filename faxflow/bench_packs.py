"""``make bench``'s form-pack section: a few generated copies of every form pack that is not
built in, processed and scored like the main evaluation set.

Packs are found under ``FAXFLOW_FORMS_DIR``, else the repository's ``forms/`` folder. Each
pack gets ``count`` copies (``faxflow samples generate --form NAME``: typed into its blank's
widgets, values drawn from its schema), spread over the degradation profiles, from the
*locked* split's seed range (a pack's copies carry no split styles; the seeds are ones no
change was tuned on). No pack found, or a count of 0, gives a section that says it was
skipped and why.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from faxflow.settings import PROJECT_ROOT, Settings, get_settings

DEFAULT_PACK_COUNT = 5  # copies per pack: one per profile, about a minute a pack
PACK_SPLIT = "locked"
FORMS_ENV = "FAXFLOW_FORMS_DIR"


def forms_dir(settings: Settings) -> Path:
    """Where the bench looks for packs: the settings' folder, else the repository's."""
    return settings.forms_dir if settings.forms_dir is not None else PROJECT_ROOT / "forms"


@contextmanager
def _forms_env(folder: Path) -> Iterator[None]:
    """``FAXFLOW_FORMS_DIR`` set for the section: the loader and the scorer read settings
    from the environment (``get_settings``); restored afterwards, so the rest of the bench
    classifies against the built-in forms only, as before."""
    before = os.environ.get(FORMS_ENV)
    os.environ[FORMS_ENV] = str(folder)
    get_settings.cache_clear()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(FORMS_ENV, None)
        else:
            os.environ[FORMS_ENV] = before
        get_settings.cache_clear()


def bench_packs(
    work: Path, settings: Settings, *, count: int, seed: int, workers: int
) -> dict[str, Any]:
    """Generate, process and score ``count`` copies of each pack; per pack the numbers of
    ``samples.evaluate`` (aggregates only: the copies are of the locked split's seeds)."""
    from faxflow.bench import run_faxflow
    from faxflow.packs import find_packs
    from samples.evaluate import evaluate
    from samples.generate import generate, plan

    folder = forms_dir(settings)
    if count < 1:
        return {"skipped": "BENCH_PACK_COUNT is 0"}
    if not folder.is_dir():
        return {"skipped": f"no form packs: {folder} is not a folder"}
    with_packs = settings.model_copy(update={"forms_dir": folder})
    packs = [pack for pack in find_packs(with_packs).values() if not pack.builtin]
    if not packs:
        return {"skipped": f"no form packs under {folder}"}
    out: dict[str, Any] = {"folder": str(folder), "count": count, "seed": seed, "packs": {}}
    with _forms_env(folder):
        for pack in packs:
            base = work / "packs" / pack.name
            specs = plan(count, seed, forms=[pack], split=PACK_SPLIT)
            generate(base / "set", specs, workers=workers)
            inputs = sorted((base / "set" / "docs").iterdir())
            run_settings = with_packs.model_copy(
                update={"database_url": f"sqlite:///{base / 'bench.db'}"}
            )
            speed, _ = run_faxflow(inputs, base / "results", run_settings, workers=workers)
            report = evaluate(base / "results", base / "set" / "truth")
            out["packs"][pack.name] = {
                "title": pack.title,
                "documents": len(report.documents),
                "pages": speed.pages,
                "seconds": speed.seconds,
                "field_accuracy": report.field_accuracy().as_dict(),
                "text_accuracy": report.field_accuracy(kind="text").as_dict(),
                "checkbox_accuracy": report.field_accuracy(kind="checkbox").as_dict(),
                "confident_precision": report.confident_precision().as_dict(),
                "form_type_accuracy": report.form_type_accuracy.as_dict(),
                "status_counts": report.status_counts,
                "by_profile": {
                    profile: report.field_accuracy(profile=profile).as_dict()
                    for profile in report.profiles
                },
            }
    return out


def _pct(number: dict[str, Any]) -> str:
    accuracy = number.get("accuracy")
    return "—" if accuracy is None else f"{accuracy:.1%}"


def pack_lines(section: dict[str, Any] | None) -> list[str]:
    """The markdown section of :func:`bench_packs`."""
    if not section:
        return []
    lines = ["", "## Form packs", ""]
    if "skipped" in section:
        return [*lines, f"Skipped: {section['skipped']}."]
    lines += [
        f"Every form pack under `{section['folder']}` that is not built in: "
        f"{section['count']} generated copies each (`faxflow samples generate --form NAME`, "
        f"the {PACK_SPLIT} split's seeds, seed {section['seed']}), typed into the blank's "
        "widgets with values drawn from the pack's schema, spread over the profiles.",
        "",
        "| pack | documents | form right | fields right | text | checkboxes "
        "| right at confidence ≥ 0.95 | accepted |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in section["packs"].items():
        confident = row["confident_precision"]
        lines.append(
            f"| {name} | {row['documents']} | {_pct(row['form_type_accuracy'])} | "
            f"{_pct(row['field_accuracy'])} ({row['field_accuracy']['correct']} of "
            f"{row['field_accuracy']['total']}) | {_pct(row['text_accuracy'])} | "
            f"{_pct(row['checkbox_accuracy'])} | {_pct(confident)} of {confident['total']} | "
            f"{row['status_counts']['accepted']} |"
        )
    return lines
