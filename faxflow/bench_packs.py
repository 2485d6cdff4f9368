"""``make bench``'s form-pack section: a few generated copies of every form pack that is not
built in, processed and scored like the main evaluation set.

Packs are found under ``FAXFLOW_FORMS_DIR``, else the repository's ``forms/`` folder. Each
pack gets ``count`` copies (``faxflow samples generate --form NAME``: typed into its blank's
widgets, values drawn from its schema), spread over the degradation profiles, from the
*locked* split's seed range (a pack's copies carry no split styles; the seeds are ones no
change was tuned on). No pack found, or a count of 0, gives a section that says it was
skipped and why.

A Japanese pack (``samples.pack_jp.is_japanese``) is measured on both splits,
``japanese_count`` copies each (``BENCH_JP_COUNT``, default 4: the first four profiles),
written by the split's Japanese hands (typed or hand-printed): accuracy per
split, per writing and per field, era dates right where their digits were read
(:func:`era_date_scores`), and the seconds a Japanese page costs against an English pack's
page of the same run (the issue's target: at most twice). The tune split's numbers may be
tuned on; the locked split's are reported as aggregates only.

``python -m faxflow.bench_packs`` runs this section alone and prints it (``--help``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faxflow.settings import PROJECT_ROOT, Settings, get_settings

if TYPE_CHECKING:
    from faxflow.packs import FormPack
    from samples.evaluate import EvalReport

DEFAULT_PACK_COUNT = 5  # copies per pack: one per profile, about a minute a pack
PACK_SPLIT = "locked"
JAPANESE_SPLITS = ("locked", "tune")
DEFAULT_JAPANESE_COUNT = 4  # copies per split of a Japanese pack (BENCH_JP_COUNT)
JAPANESE_PAGE_TARGET = 2.0  # a Japanese page costs at most twice an English one (#23)
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
    work: Path,
    settings: Settings,
    *,
    count: int,
    seed: int,
    workers: int,
    japanese_count: int | None = None,
) -> dict[str, Any]:
    """Generate, process and score ``count`` copies of each pack; per pack the numbers of
    ``samples.evaluate`` (aggregates only: the copies are of the locked split's seeds; a
    Japanese pack's also of the tune split's, module docstring)."""
    from faxflow.packs import find_packs
    from samples.pack_jp import is_japanese

    folder = forms_dir(settings)
    if count < 1:
        return {"skipped": "BENCH_PACK_COUNT is 0"}
    if not folder.is_dir():
        return {"skipped": f"no form packs: {folder} is not a folder"}
    with_packs = settings.model_copy(update={"forms_dir": folder})
    packs = [pack for pack in find_packs(with_packs).values() if not pack.builtin]
    if not packs:
        return {"skipped": f"no form packs under {folder}"}
    if japanese_count is None:
        japanese_count = int(os.environ.get("BENCH_JP_COUNT", str(DEFAULT_JAPANESE_COUNT)))
    out: dict[str, Any] = {"folder": str(folder), "count": count, "seed": seed, "packs": {}}
    out["japanese_count"] = japanese_count
    with _forms_env(folder):
        # One copy processed first and thrown away: the first document of a process pays
        # its start (imports, templates, models), which would weigh on one pack's seconds
        # per page and so on the Japanese page's cost against the English one.
        _run(packs[0], work / "warm-up", with_packs, 1, seed, PACK_SPLIT, workers)
        for pack in packs:
            base = work / "packs" / pack.name
            if is_japanese(pack):
                if japanese_count > 0:
                    out["packs"][pack.name] = _japanese_row(
                        pack, base, with_packs, japanese_count, seed, workers
                    )
                continue
            report, speed = _run(pack, base, with_packs, count, seed, PACK_SPLIT, workers)
            out["packs"][pack.name] = {"title": pack.title, **_numbers(report, speed)}
    out["japanese_page_cost"] = _page_cost(out["packs"])
    return out


def _run(
    pack: FormPack, base: Path, settings: Settings, count: int, seed: int, split: str,
    workers: int,
) -> tuple[EvalReport, Any]:  # fmt: skip
    """Generate ``count`` copies of ``pack`` in ``split`` under ``base``, process, score."""
    from faxflow.bench import run_faxflow
    from samples.evaluate import evaluate
    from samples.generate import generate, plan

    specs = plan(count, seed, forms=[pack], split=split)
    generate(base / "set", specs, workers=workers)
    inputs = sorted((base / "set" / "docs").iterdir())
    run_settings = settings.model_copy(update={"database_url": f"sqlite:///{base / 'bench.db'}"})
    speed, _ = run_faxflow(inputs, base / "results", run_settings, workers=workers)
    return evaluate(base / "results", base / "set" / "truth"), speed


def _numbers(report: EvalReport, speed: Any, **filters: str | None) -> dict[str, Any]:
    """One run's numbers: the pack table's columns and accuracy by profile."""
    return {
        "documents": len(report.group(**filters)),
        "pages": speed.pages,
        "seconds": speed.seconds,
        "field_accuracy": report.field_accuracy(**filters).as_dict(),
        "text_accuracy": report.field_accuracy(kind="text", **filters).as_dict(),
        "checkbox_accuracy": report.field_accuracy(kind="checkbox", **filters).as_dict(),
        "confident_precision": report.confident_precision(**filters).as_dict(),
        "form_type_accuracy": report.form_type_accuracy.as_dict(),
        "status_counts": report.status_counts,
        "by_profile": {
            profile: report.field_accuracy(profile=profile, **filters).as_dict()
            for profile in report.profiles
        },
    }


def _japanese_row(
    pack: FormPack, base: Path, settings: Settings, count: int, seed: int, workers: int
) -> dict[str, Any]:
    """A Japanese pack on each split: the locked split's numbers are the row's own (the
    pack table), each split's by writing, per field and for era dates below them."""
    splits: dict[str, Any] = {}
    for split in JAPANESE_SPLITS:
        folder = base / split
        report, speed = _run(pack, folder, settings, count, seed, split, workers)
        splits[split] = {
            **_numbers(report, speed),
            "by_writing": {
                writing: report.field_accuracy(writing=writing).as_dict()
                for writing in report.writings()
            },
            "per_field": {
                name: accuracy.as_dict() for name, accuracy in report.per_field(pack.name).items()
            },
            "era_dates": era_date_scores(
                pack, folder / "results", folder / "set" / "truth"
            ).as_dict(),
        }
    return {"title": pack.title, "japanese": True, **splits[PACK_SPLIT], "splits": splits}


def _page_cost(rows: dict[str, Any]) -> dict[str, Any] | None:
    """Seconds per page of the Japanese packs against the other packs of the run."""

    def per_page(runs: list[dict[str, Any]]) -> float | None:
        pages = sum(run["pages"] for run in runs)
        return sum(run["seconds"] for run in runs) / pages if pages else None

    japanese = [
        run for row in rows.values() if row.get("japanese") for run in row["splits"].values()
    ]
    english = [row for row in rows.values() if not row.get("japanese")]
    if not japanese:
        return None
    jp, en = per_page(japanese), per_page(english)
    ratio = jp / en if jp is not None and en else None
    return {"japanese": jp, "english": en, "ratio": ratio, "target": JAPANESE_PAGE_TARGET}


def _digit_runs(text: str) -> list[int]:
    """The numbers written in ``text``, an era's first year written 元 counting as 1."""
    folded = unicodedata.normalize("NFKC", text).replace("元", " 1 ")
    return [int(run) for run in re.findall(r"\d+", folded)]


def era_date_scores(pack: FormPack, results: Path, truths: Path) -> Any:
    """Era dates right where their digits were read: of the era-date fields whose truth
    holds a date and whose reading shows the written year, month and day digits (the
    field's raw text; without one, the value's own era year, month and day), how many
    have the right date. A date read with the right digits in the wrong era counts
    against it; a date whose digits were misread is not counted (that is an OCR slip, the
    field accuracy has it)."""
    from samples.evaluate import Accuracy
    from samples.pack_jp import date_parts, era_and_year

    eras = [spec for spec in pack.template.fields if str(spec.kind) == "era_date"]
    right = total = 0
    for truth_path in sorted(truths.glob("*.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        path = results / truth_path.name
        result = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        record, fields = result.get("record") or {}, result.get("fields") or {}
        for spec in eras:
            want = truth["record"].get(spec.name)
            have = record.get(spec.name)
            if not want:
                continue
            written = _digit_runs(" ".join(date_parts(spec, want)[1:]))
            raw = (fields.get(spec.name) or {}).get("raw_text")
            if isinstance(raw, str):
                read = _digit_runs(raw) == written
            else:
                read = _same_era_digits(have, want, era_and_year)
            if read:
                total += 1
                right += have == want
    return Accuracy(right, total)


def _same_era_digits(have: Any, want: str, era_and_year: Any) -> bool:
    """Whether ``have`` (ISO, maybe None) shows ``want``'s era year, month and day."""
    from datetime import date

    try:
        got, wanted = date.fromisoformat(str(have)), date.fromisoformat(want)
        got_year, wanted_year = era_and_year(got)[1], era_and_year(wanted)[1]
    except ValueError:
        return False
    return (got_year, got.month, got.day) == (wanted_year, wanted.month, wanted.day)


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
        "widgets with values drawn from the pack's schema, spread over the profiles "
        "(a Japanese pack's written on the rendered blank in the split's Japanese hands, "
        "below).",
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
    return lines + japanese_lines(section)


def _count(number: dict[str, Any]) -> str:
    return f"{_pct(number)} ({number['correct']} of {number['total']})"


def japanese_lines(section: dict[str, Any]) -> list[str]:
    """The Japanese packs' numbers: per split and writing, era dates, page cost, fields."""
    rows = {name: row for name, row in section["packs"].items() if row.get("japanese")}
    if not rows:
        return []
    lines = [
        "",
        "### Japanese packs",
        "",
        f"{section['japanese_count']} copies per split (`BENCH_JP_COUNT`; the row above is the "
        "locked split's), written in "
        "the split's Japanese faces (`samples/splits.yaml`, `jp_*`), typed or hand-printed. "
        "Era dates: right where the year, month and day digits were read (right digits in the "
        "wrong era count as wrong).",
        "",
        "| pack | split | documents | fields right | typed | hand-printed | era dates | s / page |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in rows.items():
        for split, run in row["splits"].items():
            writing = run["by_writing"]
            per_page = run["seconds"] / run["pages"] if run["pages"] else 0.0
            lines.append(
                f"| {name} | {split} | {run['documents']} | {_count(run['field_accuracy'])} | "
                f"{_count(writing['typed']) if 'typed' in writing else '—'} | "
                f"{_count(writing['hand_printed']) if 'hand_printed' in writing else '—'} | "
                f"{_count(run['era_dates'])} | {per_page:.2f} |"
            )
    cost = section.get("japanese_page_cost") or {}
    if cost.get("ratio") is not None:
        verdict = "met" if cost["ratio"] <= cost["target"] else "missed"
        lines += [
            "",
            f"A Japanese page took {cost['japanese']:.2f} s, an English pack's "
            f"{cost['english']:.2f} s: {cost['ratio']:.2f}x (target ≤ {cost['target']:.0f}x, "
            f"{verdict}).",
        ]
    for name, row in rows.items():
        splits = list(row["splits"])
        lines += [
            "",
            f"Per field, {name}:",
            "",
            f"| field | {' | '.join(splits)} |",
            f"|---|{'---:|' * len(splits)}",
        ]
        fields = dict.fromkeys(f for run in row["splits"].values() for f in run["per_field"])
        for field in fields:
            cells = [
                _count(row["splits"][split]["per_field"][field])
                if field in row["splits"][split]["per_field"]
                else "—"
                for split in splits
            ]
            lines.append(f"| {field} | {' | '.join(cells)} |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the form-pack section alone and print it (``python -m faxflow.bench_packs``)."""
    parser = argparse.ArgumentParser(prog="python -m faxflow.bench_packs", description=main.__doc__)
    parser.add_argument(
        "--count",
        type=int,
        default=int(os.environ.get("BENCH_PACK_COUNT", str(DEFAULT_PACK_COUNT))),
        help="copies per pack (and per split for a Japanese pack; BENCH_PACK_COUNT)",
    )
    parser.add_argument(
        "--japanese-count",
        type=int,
        default=None,
        help=f"copies per split of a Japanese pack (BENCH_JP_COUNT, {DEFAULT_JAPANESE_COUNT})",
    )
    parser.add_argument("--seed", type=int, default=20261127, help="run seed (as make bench)")
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    parser.add_argument(
        "--forms", type=Path, default=None, help="folder of packs (default FAXFLOW_FORMS_DIR)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the section here")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    work = Path(tempfile.mkdtemp(prefix="faxflow-bench-packs-"))
    # workers and the loader resolve page images against FAXFLOW_VAR_DIR (as faxflow.bench)
    os.environ["FAXFLOW_VAR_DIR"] = str(work / "var")
    get_settings.cache_clear()
    settings = get_settings().model_copy(update={"var_dir": work / "var"})
    if args.forms is not None:
        settings = settings.model_copy(update={"forms_dir": args.forms})
    section = bench_packs(
        work,
        settings,
        count=args.count,
        seed=args.seed,
        workers=args.workers,
        japanese_count=args.japanese_count,
    )
    if args.json is not None:
        args.json.write_text(json.dumps(section, indent=2, ensure_ascii=False), encoding="utf-8")
    sys.stdout.write("\n".join(pack_lines(section)) + "\n")  # markdown, unwrapped
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
