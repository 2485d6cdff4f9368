"""Generate filled, degraded sample documents with their ground truth.

Layout of an output folder::

    OUT/docs/<form_type>-<profile>-<NNNN>.tif|.pdf   the document a health centre would send
    OUT/truth/<same stem>.json                        what is really on it

A truth file holds ``document``, ``form_type``, ``record_type``, ``profile``, ``seed``,
``page_count``, ``rotations`` (degrees each page was turned clockwise, for orientation
tests) and ``record`` (every schema property, in the spec's normal forms); a document of a
split (``tune`` or ``locked``, :mod:`samples.splits`) also ``split`` and ``writing`` (typed
or hand-printed, its face, block capitals, overflow, drift, mark style).

A form pack (:mod:`faxflow.packs`) that is not built in is filled the way a PDF form filler
fills it, through the blank's own widgets with values drawn from its schema
(:mod:`samples.pack_fill`); its pages are then degraded exactly as the built-in forms' are
(fax header, cover sheet, a turned page). Its truth file has the same keys; its
``record_type`` is the pack's name and its writing ``typed``, mark ``widget``. A Japanese
pack's copy is written in a hand of its split instead (typed or hand-printed, in the
split's Japanese faces; :mod:`samples.pack_jp`), recorded as its writing.

Everything is deterministic for a seed: document ``i`` of a run with seed ``S`` draws from
generators seeded with ``(S, i)``, so one document can be regenerated alone. A split's run
seed is moved into the split's own seed range first, so the splits never share a seed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from faxflow.errors import ConfigError
from faxflow.model import RECORD_TYPE_BY_FORM, FormType
from faxflow.packs import FormPack, load_pack
from faxflow.schemas import schema_errors, violations
from samples.degrade import (
    PROFILES,
    SCAN_DPI_CHOICES,
    DegradedPage,
    check_profile,
    degrade_page,
    fax_header,
    file_suffix,
    is_fax,
    write_document,
)
from samples.people import PersonMaker, ValueOptions, make_record
from samples.render import Hand, fill_pages, load_font
from samples.splits import CLASSIC, draw_style, get_split

FORMS = (FormType.CDC_PUI_2020, FormType.MDHHS_DHS1171)
COVER_FONTS = (
    ("dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf"),
    ("liberation/LiberationSans-Regular.ttf", "liberation/LiberationSans-Bold.ttf"),
    ("liberation/LiberationSerif-Regular.ttf", "liberation/LiberationSerif-Bold.ttf"),
)
RENDER_DPI = {"fax": 200, "scan": 300}  # fax pages end at 204 dpi; scans at up to 300
PACK_WRITING = {"writing": "typed", "mark": "widget"}
"""How a pack's copies are written: typed by a PDF form filler, boxes as the widgets draw
them (no split styles: those are the built-in forms' hand and marks)."""


@dataclass(frozen=True, slots=True)
class SampleSpec:
    """Which document to make: form, profile, its number in the run and the run's seed.
    ``pack``: the folder of the form's pack when it is not a built-in form (a path, not
    the loaded pack: specs go to worker processes)."""

    form_type: FormType | str
    profile: str
    index: int
    seed: int  # the document seed (for a split: already in the split's seed range)
    split: str = CLASSIC
    pack: Path | None = None

    @property
    def stem(self) -> str:
        return f"{self.form_type}-{self.profile}-{self.index:04d}"

    def rng(self, purpose: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.index, purpose])

    def person_seed(self) -> int:
        return int(self.rng(0).integers(0, 2**31 - 1))


@dataclass(frozen=True, slots=True)
class GeneratedDocument:
    spec: SampleSpec
    document: Path
    truth: Path
    page_count: int
    fields_filled: int
    fields_total: int


def plan(
    count: int,
    seed: int,
    *,
    profiles: Sequence[str] = PROFILES,
    forms: Sequence[FormType | FormPack] = FORMS,
    start: int = 0,
    split: str = CLASSIC,
) -> list[SampleSpec]:
    """``count`` documents spread evenly over every (form, profile) pair, in turn, numbered
    from ``start`` (so a second run can add to a set without clashing stems). With a
    ``split``, the documents use its styles and its seed range. A form is a built-in
    :class:`FormType` or a form pack that is not built in."""
    if count < 1:
        raise ConfigError("--count must be at least 1")
    if split != CLASSIC:
        seed = get_split(split).document_seed(seed)
    for profile in profiles:
        check_profile(profile)
    for form in forms:
        if isinstance(form, FormPack) and form.builtin:
            raise ConfigError(f"{form.name} is a built-in form: give its FormType")
    pairs = [(f, p) for p in profiles for f in forms]
    specs = []
    for offset in range(count):
        form, profile = pairs[offset % len(pairs)]
        if isinstance(form, FormPack):
            spec = SampleSpec(form.name, profile, start + offset, seed, split, form.folder)
        else:
            spec = SampleSpec(form, profile, start + offset, seed, split)
        specs.append(spec)
    return specs


def generate_document(spec: SampleSpec, out: Path) -> GeneratedDocument:
    """Make one document and its truth file under ``out``."""
    if spec.pack is not None:
        return _generate_pack_document(spec, out)
    form_type = FormType(spec.form_type)
    split = None if spec.split == CLASSIC else get_split(spec.split)
    values = None if split is None else ValueOptions(split.values, split.spec.name_locales)
    record = make_record(form_type, spec.person_seed(), values)
    record_type = RECORD_TYPE_BY_FORM[form_type]
    problems = schema_errors(record_type, record)
    if problems:  # a generator bug, never user input
        raise ConfigError(f"generated record breaks the schema: {problems[:3]}")
    extras = _extras(spec, record)
    fax = is_fax(spec.profile)
    dpi = RENDER_DPI["fax" if fax else "scan"]
    hand_rng = spec.rng(1)
    style = None if split is None else draw_style(split, spec.rng(6))
    hand = None
    if split is not None and style is not None:
        hand = Hand.for_style(style, split.styles.date_styles, hand_rng)
    pages = fill_pages(form_type, record, extras, dpi=dpi, rng=hand_rng, hand=hand)
    # The classic generator's truth files keep their old keys (samples/set is unchanged).
    writing = None if style is None else style.as_truth()
    return _write(spec, out, pages, record, str(record_type), writing, dpi=dpi)


@cache
def _pack(folder: Path) -> FormPack:
    """A pack loaded once per process (a worker makes many copies of it)."""
    return load_pack(folder)


def _generate_pack_document(spec: SampleSpec, out: Path) -> GeneratedDocument:
    """One filled copy of a form pack's blank, degraded like the built-in forms' pages."""
    from samples.pack_fill import draw_record, filled_pages

    assert spec.pack is not None  # generate_document sends only pack specs here
    pack = _pack(spec.pack)
    record = draw_record(pack, spec.rng(0))
    problems = violations(pack.schema, record)
    if problems:  # a generator bug or a schema it cannot draw from, never user input
        raise ConfigError(f"record drawn for {pack.name} breaks its schema: {problems[:3]}")
    dpi = RENDER_DPI["fax" if is_fax(spec.profile) else "scan"]
    pages, hand = filled_pages(pack, record, dpi=dpi, rng=spec.rng(6), split=spec.split)
    writing = None if spec.split == CLASSIC else hand or PACK_WRITING
    # a pack's record type is its form's name (faxflow.model.record_type_of)
    return _write(spec, out, pages, record, pack.name, writing, dpi=dpi)


def _write(
    spec: SampleSpec,
    out: Path,
    pages: list[np.ndarray],
    record: dict[str, Any],
    record_type: str,
    writing: dict[str, Any] | None,
    *,
    dpi: int,
) -> GeneratedDocument:
    """Add the cover sheet, degrade the pages, write the document and its truth file."""
    if spec.profile == "with_cover":
        pages.insert(0, cover_sheet(spec, dpi=dpi, pages=len(pages) + 1))
    degraded = _degrade(spec, pages, dpi=dpi)
    docs, truths = out / "docs", out / "truth"
    try:
        docs.mkdir(parents=True, exist_ok=True)
        truths.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {docs} and {truths}: {exc.strerror}") from exc
    document = write_document(
        degraded, spec.profile, docs / f"{spec.stem}{file_suffix(spec.profile)}"
    )
    truth = {
        "document": document.name,
        "form_type": str(spec.form_type),
        "record_type": record_type,
        "profile": spec.profile,
        "seed": spec.seed,
        "page_count": len(degraded),
        "rotations": [page.turned for page in degraded],  # clockwise turn of each page
        **({} if writing is None else {"split": spec.split, "writing": writing}),
        "record": record,
    }
    truth_path = truths / f"{spec.stem}.json"
    truth_path.write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    filled = sum(1 for v in record.values() if v not in (None, [], False))
    return GeneratedDocument(spec, document, truth_path, len(degraded), filled, len(record))


def _degrade(spec: SampleSpec, pages: list[np.ndarray], *, dpi: int) -> list[DegradedPage]:
    rng = spec.rng(2)
    out = []
    scan_dpi = int(rng.choice(SCAN_DPI_CHOICES))
    turned_page = -1
    if spec.profile == "scan_rotated":
        # Turn a page that carries answers: page 1 of either form (or a random one).
        turned_page = 0 if rng.random() < 0.7 else int(rng.integers(len(pages)))
    for number, page in enumerate(pages, start=1):
        if is_fax(spec.profile):
            # A fresh generator with the same seed: one sender, date and number on every page.
            header = fax_header(spec.rng(3), page=number)
            out.append(degrade_page(page, profile=spec.profile, dpi=dpi, rng=rng, header=header))
        else:
            profile = "scan_rotated" if number - 1 == turned_page else "scan_grey"
            out.append(degrade_page(page, profile=profile, dpi=dpi, rng=rng, scan_dpi=scan_dpi))
    return out


def _extras(spec: SampleSpec, record: dict[str, Any]) -> dict[str, Any]:
    """Answers the schema does not score but a real applicant fills in (the signature, the
    other members' marital status and citizenship), so pages look lived-in."""
    if spec.form_type is not FormType.MDHHS_DHS1171:
        return {}
    rng = spec.rng(4)
    extras: dict[str, Any] = {}
    if record["signature_date"] and record["applicant_full_name"]:
        extras["signature"] = record["applicant_full_name"]
    for index, _member in enumerate(record["household_members"]):
        extras[f"household_members[{index}].marital_status"] = str(
            rng.choice(["never_married", "married", "divorced"], p=[0.7, 0.2, 0.1])
        )
        extras[f"household_members[{index}].us_citizen"] = bool(rng.random() < 0.9)
    return extras


def cover_sheet(spec: SampleSpec, *, dpi: int, pages: int) -> np.ndarray:
    """A plain fax cover sheet (synthetic sender, recipient and numbers)."""
    rng = spec.rng(5)
    maker = PersonMaker(int(rng.integers(0, 2**31 - 1)))
    width, height = round(8.5 * dpi), round(11 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    px = dpi / 72
    regular, bold = COVER_FONTS[int(rng.integers(len(COVER_FONTS)))]
    title = ("FAX", "FACSIMILE", "Fax Transmittal")[int(rng.integers(3))]
    draw.text((72 * px, 60 * px), title, font=load_font(bold, round(40 * px)), fill=0)
    draw.line([(72 * px, 125 * px), (540 * px, 125 * px)], fill=0, width=max(2, round(2 * px)))
    to = (
        "MDHHS Local Office"
        if spec.form_type is FormType.MDHHS_DHS1171
        else "State Health Dept - Epidemiology"
    )
    when = date(2020, 1, 1) + timedelta(days=int(rng.integers(0, 360)))
    rows = [
        ("To:", to),
        ("From:", f"{maker.fake.first_name()} {maker.fake.last_name()}"),
        ("Fax:", f"({rng.integers(200, 990)}) 555-01{int(rng.integers(0, 100)):02d}"),
        ("Phone:", f"({rng.integers(200, 990)}) 555-01{int(rng.integers(0, 100)):02d}"),
        ("Date:", when.strftime("%m/%d/%Y")),
        ("Pages:", f"{pages} (including cover)"),
        ("Re:", "Application" if spec.form_type is FormType.MDHHS_DHS1171 else "Case report"),
    ]
    font = load_font(regular, round(14 * px))
    for i, (label, value) in enumerate(rows):
        y = (160 + i * 30) * px
        draw.text((72 * px, y), label, font=font, fill=0)
        draw.text((170 * px, y), value, font=font, fill=0)
    small = load_font(regular, round(10 * px))
    notice = (
        "CONFIDENTIALITY NOTICE: This facsimile contains confidential information intended",
        "only for the recipient named above. If you received it in error, notify the sender",
        "by telephone and destroy all copies.",
    )
    for i, line in enumerate(notice):
        draw.text((72 * px, (620 + i * 14) * px), line, font=small, fill=0)
    return np.asarray(image)


def generate(
    out: Path,
    specs: Sequence[SampleSpec],
    *,
    workers: int = 1,
    progress: Callable[[GeneratedDocument], None] | None = None,
) -> list[GeneratedDocument]:
    """Generate every document of ``specs`` into ``out``; ``workers`` > 1 uses that many
    processes. Each document depends only on its own spec, so the files are the same
    whatever the number of workers. Returned in ``specs`` order."""
    if workers <= 1 or len(specs) <= 1:
        made = []
        for spec in specs:
            made.append(generate_document(spec, out))
            if progress is not None:
                progress(made[-1])
        return made
    done: dict[int, GeneratedDocument] = {}
    with ProcessPoolExecutor(max_workers=min(workers, len(specs))) as pool:
        futures = {pool.submit(generate_document, spec, out): i for i, spec in enumerate(specs)}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            if progress is not None:
                progress(done[futures[future]])
    return [done[i] for i in range(len(specs))]
