"""Where values are written on the blank forms, worked out from the forms themselves.

Deliberately independent of ``extract/templates/*/template.yaml``: positions come from the
blank PDF's own structure — its text layer (labels and the ``____`` runs printed for
answers), drawn check boxes (CDC: 10 pt squares; DHS-1171: Webdings box glyphs), the
comb ticks drawn for digit boxes, and the AcroForm widget rectangles of the DHS-1171. If an
extraction template puts a field in the wrong place, the evaluation shows it as errors
instead of sharing the mistake.

All boxes are PDF points with the origin at the top-left of the page (y grows downwards).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pdfplumber
from pypdf import PdfReader

from faxflow.errors import TemplateError
from faxflow.model import FormType
from faxflow.settings import DEFAULT_TEMPLATES_DIR

Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class TextSlot:
    """A line or box to write free text into; text sits on ``box``'s bottom edge."""

    page: int
    box: Box


@dataclass(frozen=True, slots=True)
class DateSlot:
    """A printed ``__/__/____`` answer: month, day and year written between the slashes."""

    page: int
    parts: tuple[Box, Box, Box]


@dataclass(frozen=True, slots=True)
class CombSlot:
    """Digit boxes, one character per cell, in reading order."""

    page: int
    cells: tuple[Box, ...]


@dataclass(frozen=True, slots=True)
class CheckSlot:
    """One check box."""

    page: int
    box: Box


Slot = TextSlot | DateSlot | CombSlot | CheckSlot


@dataclass(frozen=True, slots=True)
class FieldPlaces:
    """Everywhere one field is written: text places (several when the form asks twice)
    or one check box per option value (keys are ``str(value)``)."""

    slots: tuple[TextSlot | DateSlot | CombSlot, ...] = ()
    options: dict[str, CheckSlot] = field(default_factory=dict)


FormLayout = dict[str, FieldPlaces]


def blank_pdf(form_type: FormType, templates_dir: Path = DEFAULT_TEMPLATES_DIR) -> Path:
    path = templates_dir / form_type.value / "blank.pdf"
    if not path.is_file():
        raise TemplateError(f"blank form {path} is missing; it ships with the repository")
    return path


# --------------------------------------------------------------------------------------
# Reading one page's structure
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    box: Box


@dataclass(frozen=True, slots=True)
class _Run:
    """A run of printed ``_`` (and ``/``) characters on one line: an answer line."""

    box: Box
    parts: tuple[Box, ...]  # pieces between slashes; one piece for a plain line


class _Page:
    """Words, answer lines, check boxes and comb ticks of one blank page."""

    def __init__(self, page: Any, number: int) -> None:
        self.number = number
        self.width = float(page.width)
        self.height = float(page.height)
        self.words = [
            _Word(w["text"], (w["x0"], w["top"], w["x1"], w["bottom"]))
            for w in page.extract_words(keep_blank_chars=False, use_text_flow=False)
        ]
        self.runs = list(_answer_runs(page.chars))
        self.boxes = [
            (o["x0"], o["top"], o["x1"], o["bottom"])
            for o in page.rects
            if 7 <= o["width"] <= 13 and 7 <= o["height"] <= 13
        ] + [
            (c["x0"], c["top"], c["x1"], c["bottom"])
            for c in page.chars
            if c["text"] == "F" and "Webdings" in c["fontname"]
        ]
        self.ticks = [
            (ln["x0"], ln["top"], ln["bottom"])
            for ln in page.lines
            if abs(ln["x1"] - ln["x0"]) < 0.5 and 8 <= ln["bottom"] - ln["top"] <= 20
        ]
        self.bases = [
            (ln["x0"], ln["x1"], ln["top"])
            for ln in page.lines
            if abs(ln["bottom"] - ln["top"]) < 0.5 and ln["x1"] - ln["x0"] > 10
        ]
        self.frames = [
            (o["x0"], o["top"], o["x1"], o["bottom"])
            for o in page.rects
            if o["width"] > 30 and 6 <= o["height"] <= 30
        ]

    # -- anchors ---------------------------------------------------------------------------

    def phrase(self, phrase: str, nth: int = 0) -> Box:
        """Box of the ``nth`` occurrence of ``phrase`` (words on one line, in order)."""
        tokens = phrase.split()
        found = 0
        for i in range(len(self.words) - len(tokens) + 1):
            window = self.words[i : i + len(tokens)]
            if not _tokens_match(tokens, [w.text for w in window]):
                continue
            if max(w.box[1] for w in window) - min(w.box[1] for w in window) > 3:
                continue
            if found == nth:
                return (
                    window[0].box[0],
                    min(w.box[1] for w in window),
                    window[-1].box[2],
                    max(w.box[3] for w in window),
                )
            found += 1
        raise TemplateError(f"label {phrase!r} (#{nth + 1}) not found on page {self.number}")

    # -- slots -----------------------------------------------------------------------------

    def line_right(self, label: Box, *, dated: bool) -> _Run:
        """First answer run to the right of ``label`` on its line."""
        same = [
            r
            for r in self.runs
            if abs(_mid_y(r.box) - _mid_y(label)) < 5
            and r.box[0] >= label[0]
            and r.box[0] - label[2] < 200
            and (len(r.parts) == 3) == dated
        ]
        if not same:
            raise TemplateError(f"no answer line right of a label on page {self.number}")
        return min(same, key=lambda r: r.box[0])

    def line_below(self, label: Box, *, dated: bool, reach: float = 34.0) -> _Run:
        """Nearest answer run under ``label`` (the answer line printed below a question)."""
        below = [
            r
            for r in self.runs
            if label[1] < r.box[1] <= label[3] + reach
            and r.box[0] < label[2] + 10
            and r.box[2] > label[0] - 10
            and (len(r.parts) == 3) == dated
        ]
        if not below:
            raise TemplateError(f"no answer line below a label on page {self.number}")
        return min(below, key=lambda r: (r.box[1], abs(r.box[0] - label[0])))

    def frame_right(self, label: Box) -> Box:
        """A drawn answer box to the right of ``label`` on its line."""
        right = [
            f for f in self.frames if f[0] >= label[2] - 2 and f[1] <= label[3] and f[3] >= label[1]
        ]
        if not right:
            raise TemplateError(f"no answer box right of a label on page {self.number}")
        return min(right, key=lambda f: f[0])

    def box_left_of(self, word: Box) -> Box | None:
        """The check box printed just left of an option label."""
        close = [
            b
            for b in self.boxes
            if word[0] - 16 <= b[2] <= word[0] + 2 and b[1] < word[3] and b[3] > word[1]
        ]
        return min(close, key=lambda b: abs(_mid_y(b) - _mid_y(word))) if close else None

    def option_box(self, anchor: Box, option: str, *, width: float) -> Box:
        """The box of ``option`` answering the question at ``anchor``: with ``width`` 0
        the option on the anchor's own line (a table row), else the nearest one below the
        question within ``width`` points of its left edge (its column)."""
        best: tuple[float, Box] | None = None
        tokens = option.split()
        for i in range(len(self.words) - len(tokens) + 1):
            window = self.words[i : i + len(tokens)]
            if not _tokens_match(tokens, [w.text for w in window]):
                continue
            word = window[0].box
            dy = word[1] - anchor[1]
            if width == 0:  # a table row: the options are on the label's line
                if not (abs(dy) < 4 and anchor[0] < word[0] <= anchor[0] + 480):
                    continue
            elif not (-3 <= dy <= 56 and anchor[0] - 25 <= word[0] <= anchor[0] + width):
                continue
            box = self.box_left_of(word)
            if box is None:
                continue
            score = abs(dy) * 3 + max(0.0, word[0] - anchor[0]) * 0.05
            if best is None or score < best[0]:
                best = (score, box)
        if best is None:
            raise TemplateError(f"option {option!r} not found on page {self.number}")
        return best[1]

    def comb_below(self, label: Box, *, cells: int, reach: float = 30.0) -> tuple[Box, ...]:
        """Digit cells drawn under ``label``: spaces between tick marks that share a base
        line (the gaps holding a printed dash have no base line and are skipped)."""
        ticks = sorted(
            t
            for t in self.ticks
            if label[3] - 2 <= t[1] <= label[3] + reach and label[0] - 6 <= t[0] <= label[0] + 200
        )
        found: list[Box] = []
        for (xa, top, bottom), (xb, _, _) in itertools.pairwise(ticks):
            if not 7 <= xb - xa <= 20:
                continue
            if any(
                b0 <= xa + 1 and b1 >= xb - 1 and abs(y - bottom) < 2.5 for b0, b1, y in self.bases
            ):
                found.append((xa, top, xb, bottom))
        if len(found) < cells:
            raise TemplateError(f"found {len(found)} of {cells} digit boxes on page {self.number}")
        return tuple(found[:cells])


def _tokens_match(tokens: Sequence[str], words: Sequence[str]) -> bool:
    """Exact words, except the last may run on into printed underscores ("specify:___")."""
    for k, (token, word) in enumerate(zip(tokens, words, strict=True)):
        if word == token:
            continue
        if k == len(tokens) - 1 and word.startswith(token) and word[len(token) :][:1] in "_":
            continue
        return False
    return True


def _mid_y(box: Box) -> float:
    return (box[1] + box[3]) / 2


def _answer_runs(chars: Iterable[dict[str, Any]]) -> Iterator[_Run]:
    """Group printed ``_``/``/`` characters into runs on one line, split at slashes."""
    marks = sorted((c for c in chars if c["text"] in "_/"), key=lambda c: c["bottom"])
    lines: list[list[dict[str, Any]]] = []
    for char in marks:
        if lines and char["bottom"] - lines[-1][0]["bottom"] < 2:
            lines[-1].append(char)
        else:
            lines.append([char])
    for line in lines:
        run: list[dict[str, Any]] = []
        for char in sorted(line, key=lambda c: c["x0"]):
            if run and char["x0"] - run[-1]["x1"] > 2:
                yield from _close_run(run)
                run = []
            run.append(char)
        yield from _close_run(run)


def _close_run(run: list[dict[str, Any]]) -> Iterator[_Run]:
    if not run or all(c["text"] == "/" for c in run):
        return
    top = min(c["top"] for c in run)
    bottom = max(c["bottom"] for c in run)
    parts: list[Box] = []
    piece: list[dict[str, Any]] = []
    for char in [*run, None]:
        if char is None or char["text"] == "/":
            if piece:
                parts.append((piece[0]["x0"], top, piece[-1]["x1"], bottom))
            piece = []
        else:
            piece.append(char)
    if len(parts) >= 1:
        yield _Run(box=(run[0]["x0"], top, run[-1]["x1"], bottom), parts=tuple(parts))


# --------------------------------------------------------------------------------------
# CDC 2019-nCoV PUI and Case Report Form
# --------------------------------------------------------------------------------------

YES_NO_UNK = {"yes": "Yes", "no": "No", "unknown": "Unknown"}
YES_NO_UNK_SHORT = {"yes": "Yes", "no": "No", "unknown": "Unk"}

# field -> (page, label, occurrence, how): "line" = answer line right of the label,
# "date" = date line right of or below it, "below"/"date_below" = under the label,
# "frame" = drawn answer box right of the label.
_CDC_TEXT: tuple[tuple[str, int, str, int, str], ...] = (
    ("cdc_ncov_id", 1, "CDC 2019-nCoV ID:", 0, "frame"),
    ("cdc_ncov_id", 1, "CDC 2019-nCoV ID:", 1, "line"),
    ("cdc_ncov_id", 2, "CDC 2019-nCoV ID:", 0, "frame"),
    ("patient_first_name", 1, "Patient first name", 0, "line"),
    ("patient_last_name", 1, "Patient last name", 0, "line"),
    ("date_of_birth", 1, "Date of birth (MM/DD/YYYY):", 0, "date"),
    ("date_of_birth", 1, "Date of birth (MM/DD/YYYY):", 1, "date"),
    ("reporting_jurisdiction", 1, "Reporting jurisdiction:", 0, "line"),
    ("reporting_health_department", 1, "Reporting health department:", 0, "line"),
    ("contact_id", 1, "Contact ID", 0, "line"),
    ("case_state_local_id", 1, "Case state/local ID:", 0, "line"),
    ("nndss_case_id", 1, "NNDSS loc. rec. ID/Case ID", 0, "line"),
    ("interviewer_last_name", 1, "Name of interviewer: Last", 0, "line"),
    ("interviewer_first_name", 1, "First", 0, "line"),
    ("interviewer_affiliation", 1, "Affiliation/Organization:", 0, "line"),
    ("interviewer_telephone", 1, "Telephone", 0, "line"),
    ("interviewer_email", 1, "Email", 0, "line"),
    ("report_date_pui", 1, "Report date of PUI to CDC (MM/DD/YYYY):", 0, "date_below"),
    ("report_date_case", 1, "Report date of case to CDC (MM/DD/YYYY):", 0, "date_below"),
    ("county_of_residence", 1, "County of residence:", 0, "line"),
    ("state_of_residence", 1, "State of residence:", 0, "line"),
    ("race_other_specify", 1, "Other, specify:", 0, "line"),
    ("age", 1, "Age:", 0, "line"),
    ("age_units", 1, "Age units(yr/mo/day):", 0, "line"),
    ("first_positive_specimen_date", 1, "collection (MM/DD/YYYY):", 0, "date_below"),
    ("admission_date", 1, "If yes, admission date", 0, "date_below"),
    ("discharge_date", 1, "If yes, discharge date", 0, "date_below"),
    ("mechanical_ventilation_days", 1, "If yes, total days with MV (days)", 0, "below"),
    ("date_of_death", 1, "Date of death (MM/DD/YYYY):", 0, "date_below"),
    ("onset_date", 1, "date (MM/DD/YYYY):", 0, "date_below"),
    ("symptom_resolution_date", 1, "If symptomatic, date of symptom resolution", 0, "date_below"),
)

# field -> (page, question label, {value: option label}, column width in points)
_CDC_CHOICES: tuple[tuple[str, int, str, dict[str, str], float], ...] = (
    (
        "case_status",
        1,
        "What is the current status of this person?",
        {"pui": "Patient under investigation", "lab_confirmed": "Laboratory-confirmed case"},
        60,
    ),
    (
        "ethnicity",
        1,
        "Ethnicity:",
        {
            "hispanic_latino": "Hispanic/Latino",
            "non_hispanic_latino": "Non-Hispanic/",
            "not_specified": "Not specified",
        },
        40,
    ),
    (
        "sex",
        1,
        "Sex:",
        {"male": "Male", "female": "Female", "unknown": "Unknown", "other": "Other"},
        40,
    ),
    (
        "race",
        1,
        "Race (check all that apply):",
        {
            "asian": "Asian",
            "black": "Black",
            "white": "White",
            "american_indian_alaska_native": "American Indian/Alaska Native",
            "native_hawaiian_pacific_islander": "Native Hawaiian/Other Pacific Islander",
            "unknown": "Unknown",
            "other": "Other, specify:",
        },
        240,
    ),
    ("hospitalized", 1, "Was the patient hospitalized?", YES_NO_UNK, 100),
    ("pneumonia", 1, "Did the patient develop pneumonia?", YES_NO_UNK, 100),
    ("ards", 1, "Did the patient have acute", YES_NO_UNK, 100),
    ("other_diagnosis", 1, "Did the patient have another", YES_NO_UNK, 100),
    ("abnormal_chest_xray", 1, "Did the patient have an abnormal", YES_NO_UNK, 100),
    ("icu", 1, "Was the patient admitted to an", YES_NO_UNK, 100),
    ("mechanical_ventilation", 1, "Did the patient receive mechanical", YES_NO_UNK, 100),
    ("ecmo", 1, "Did the patient receive ECMO?", YES_NO_UNK, 100),
    ("died", 1, "Did the patient die as a result of this", YES_NO_UNK, 100),
    (
        "symptom_status",
        1,
        "Symptoms present",
        {"symptomatic": "Symptomatic", "asymptomatic": "Asymptomatic", "unknown": "Unknown"},
        40,
    ),
    ("healthcare_worker", 1, "Is the patient a health care worker", YES_NO_UNK, 0),
    ("healthcare_facility_china", 1, "Does the patient have a history", YES_NO_UNK, 0),
    ("symptom_fever", 2, "Fever", YES_NO_UNK_SHORT, 0),
    ("symptom_subjective_fever", 2, "Subjective fever", YES_NO_UNK_SHORT, 0),
    ("symptom_chills", 2, "Chills", YES_NO_UNK_SHORT, 0),
    ("symptom_myalgia", 2, "Muscle aches (myalgia)", YES_NO_UNK_SHORT, 0),
    ("symptom_rhinorrhea", 2, "Runny nose (rhinorrhea)", YES_NO_UNK_SHORT, 0),
    ("symptom_sore_throat", 2, "Sore throat", YES_NO_UNK_SHORT, 0),
    ("symptom_cough", 2, "Cough (new onset", YES_NO_UNK_SHORT, 0),
    ("symptom_shortness_of_breath", 2, "Shortness of breath", YES_NO_UNK_SHORT, 0),
    ("symptom_nausea_vomiting", 2, "Nausea or vomiting", YES_NO_UNK_SHORT, 0),
    ("symptom_headache", 2, "Headache", YES_NO_UNK_SHORT, 0),
    ("symptom_abdominal_pain", 2, "Abdominal pain", YES_NO_UNK_SHORT, 0),
    ("symptom_diarrhea", 2, "Diarrhea", YES_NO_UNK_SHORT, 0),
    ("condition_chronic_lung_disease", 2, "Chronic Lung Disease", YES_NO_UNK, 0),
    ("condition_diabetes", 2, "Diabetes Mellitus", YES_NO_UNK, 0),
    ("condition_cardiovascular_disease", 2, "Cardiovascular disease", YES_NO_UNK, 0),
    ("condition_chronic_renal_disease", 2, "Chronic Renal disease", YES_NO_UNK, 0),
    ("condition_chronic_liver_disease", 2, "Chronic Liver disease", YES_NO_UNK, 0),
    ("condition_immunocompromised", 2, "Immunocompromised Condition", YES_NO_UNK, 0),
    ("condition_neurologic", 2, "Neurologic/neurodevelopmental", YES_NO_UNK, 0),
    ("condition_other_chronic_disease", 2, "Other chronic diseases", YES_NO_UNK, 0),
    ("condition_pregnant", 2, "If female, currently pregnant", YES_NO_UNK, 0),
    ("condition_current_smoker", 2, "Current smoker", YES_NO_UNK, 0),
    ("condition_former_smoker", 2, "Former smoker", YES_NO_UNK, 0),
)


def _cdc_layout(pages: dict[int, _Page]) -> FormLayout:
    places: dict[str, list[TextSlot | DateSlot | CombSlot]] = {}
    for name, number, label, nth, how in _CDC_TEXT:
        page = pages[number]
        anchor = page.phrase(label, nth)
        slot: TextSlot | DateSlot
        if how == "frame":
            slot = TextSlot(number, page.frame_right(anchor))
        elif how == "line":
            slot = TextSlot(number, page.line_right(anchor, dated=False).box)
        elif how == "below":
            slot = TextSlot(number, page.line_below(anchor, dated=False).box)
        else:
            if how == "date":
                run = page.line_right(anchor, dated=True)
            else:
                run = page.line_below(anchor, dated=True)
            a, b, c = run.parts[:3]
            slot = DateSlot(number, (a, b, c))
        places.setdefault(name, []).append(slot)
    layout: FormLayout = {name: FieldPlaces(slots=tuple(s)) for name, s in places.items()}
    for name, number, question, options, width in _CDC_CHOICES:
        page = pages[number]
        anchor = page.phrase(question)
        span = max(width, anchor[2] - anchor[0] + 10) if width else 0
        layout[name] = FieldPlaces(
            options={
                value: CheckSlot(number, page.option_box(anchor, label, width=span))
                for value, label in options.items()
            }
        )
    return layout


# --------------------------------------------------------------------------------------
# MDHHS DHS-1171 Assistance Application
# --------------------------------------------------------------------------------------

MEMBER_PREFIXES = ("second", "third", "fourth", "fifth", "sixth")
MEMBER_PAGES = (5, 6, 7, 8, 9)
MARITAL = ("married", "never_married", "divorced", "widowed", "separated")


@dataclass(frozen=True, slots=True)
class _Widget:
    name: str
    page: int
    box: Box


def _widgets(path: Path) -> dict[tuple[int, str], _Widget]:
    reader = PdfReader(path)
    found: dict[tuple[int, str], _Widget] = {}
    for number, page in enumerate(reader.pages, start=1):
        height = float(page.mediabox.height)
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Widget":
                continue
            name = annot.get("/T") or annot.get("/Parent", {}).get("/T")
            if not name:
                continue
            x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
            box = (min(x0, x1), height - max(y0, y1), max(x0, x1), height - min(y0, y1))
            found[(number, str(name))] = _Widget(str(name), number, box)
    return found


def _dhs_layout(pages: dict[int, _Page], path: Path) -> FormLayout:
    widgets = _widgets(path)

    def w(page: int, name: str) -> Box:
        try:
            return widgets[(page, name)].box
        except KeyError:
            raise TemplateError(f"widget {name!r} missing on page {page} of {path}") from None

    def text(page: int, name: str) -> FieldPlaces:
        return FieldPlaces(slots=(TextSlot(page, _on_printed_line(pages[page], w(page, name))),))

    def comb(page: int, names: Sequence[str]) -> FieldPlaces:
        return FieldPlaces(slots=(CombSlot(page, tuple(w(page, n) for n in names)),))

    def checks(page: int, mapping: dict[str, str]) -> FieldPlaces:
        return FieldPlaces(options={v: CheckSlot(page, w(page, n)) for v, n in mapping.items()})

    p2, p3, p4 = pages[2], pages[3], pages[4]
    layout: FormLayout = {
        "applying_food_assistance": checks(2, {"True": "applying_for_food_assistance"}),
        "applying_child_care": FieldPlaces(
            options={"True": CheckSlot(2, _box_before(p2, "Child Development and Care"))}
        ),
        "applying_cash_assistance": FieldPlaces(
            options={"True": CheckSlot(2, _box_before(p2, "Cash Assistance (FIP"))}
        ),
        "living_situation": FieldPlaces(
            options={
                "house": CheckSlot(3, w(3, "homeless_no")),
                "homeless": CheckSlot(3, w(3, "homeless_yes")),
                "other": CheckSlot(3, _box_before(p3, "Other")),
            }
        ),
        "residential_street": text(3, "residential_address_street_address"),
        "residential_city": text(3, "residential_address_city"),
        "residential_state": text(3, "residential_address_state"),
        "residential_zip": text(3, "residential_address_zip"),
        "residential_county": text(3, "residential_address_county"),
        "mailing_street": text(3, "mailing_address_street_address"),
        "mailing_city": text(3, "mailing_address_city"),
        "mailing_state": text(3, "mailing_address_state"),
        "mailing_zip": text(3, "mailing_address_zip"),
        "mailing_county": text(3, "mailing_address_county"),
        "home_phone": comb(3, [f"phone_number_{i}" for i in range(10)]),
        "cell_phone": FieldPlaces(
            slots=(CombSlot(3, p3.comb_below(p3.phrase("Cell phone"), cells=10)),)
        ),
        "work_phone": FieldPlaces(
            slots=(CombSlot(3, p3.comb_below(p3.phrase("Work phone"), cells=10)),)
        ),
        "email": text(3, "email"),
        "total_cash_assets": FieldPlaces(slots=(_dollar_line(p4, w(4, "total_money")),)),
        "monthly_gross_income": FieldPlaces(
            slots=(_dollar_line(p4, w(4, "monthly_gross_income")),)
        ),
        "applicant_full_name": text(4, "primary_member_full_name"),
        "applicant_birth_date": text(4, "primary_member_birthday"),
        "applicant_sex": checks(
            4, {"male": "primary_member_sex_male", "female": "primary_member_sex_female"}
        ),
        "applicant_ssn": comb(4, [f"primary_member_ssn_{i}" for i in range(9)]),
        "applicant_marital_status": checks(
            4, {m: f"primary_member_marital_status_{m}" for m in MARITAL}
        ),
        "applicant_us_citizen": checks(
            4, {"True": "primary_member_citizen_yes", "False": "primary_member_citizen_no"}
        ),
        "signature_date": text(21, "signature_date"),
        "signature": text(21, "signature"),  # not scored: the applicant signs beside the date
    }
    for index, (prefix, page) in enumerate(zip(MEMBER_PREFIXES, MEMBER_PAGES, strict=True)):
        key = f"household_members[{index}]."
        member = f"{prefix}_member"
        marital = {m: f"{member}_marital_status_{m}" for m in MARITAL}
        if (page, marital["never_married"]) not in widgets:  # the form misnames one
            marital["never_married"] = f"{prefix}_marital_status_never_married"
        layout[key + "full_name"] = text(page, f"{member}_full_name")
        layout[key + "birth_date"] = text(page, f"{member}_birthday")
        layout[key + "relationship"] = text(page, f"{member}_relationship")
        layout[key + "sex"] = checks(
            page, {"male": f"{member}_sex_male", "female": f"{member}_sex_female"}
        )
        layout[key + "ssn"] = comb(page, [f"{member}_ssn_{i}" for i in range(9)])
        layout[key + "marital_status"] = checks(page, marital)
        layout[key + "us_citizen"] = checks(
            page, {"True": f"{member}_citizen_yes", "False": f"{member}_citizen_no"}
        )
    return layout


def _on_printed_line(page: _Page, widget: Box) -> Box:
    """Widgets are drawn loosely; where a printed ``____`` answer line runs through one,
    people write on that line, so the slot becomes the line."""
    x0, top, x1, bottom = widget
    for run in page.runs:
        overlap = min(x1, run.box[2]) - max(x0, run.box[0])
        if overlap > 0.5 * (x1 - x0) and top - 2 <= run.box[3] <= bottom + 2:
            return (x0, run.box[1], x1, run.box[3])
    return widget


def _box_before(page: _Page, label: str) -> Box:
    anchor = page.phrase(label)
    near = [
        b
        for b in page.boxes
        if b[2] <= anchor[0] + 1 and anchor[0] - b[2] < 90 and abs(_mid_y(b) - _mid_y(anchor)) < 12
    ]
    if not near:
        raise TemplateError(f"no check box before {label!r} on page {page.number}")
    return max(near, key=lambda b: b[2])


def _dollar_line(page: _Page, widget: Box) -> TextSlot:
    """The answer line after the printed ``$`` in a widget's band."""
    dollars = [
        w for w in page.words if w.text.startswith("$") and abs(_mid_y(w.box) - _mid_y(widget)) < 10
    ]
    if not dollars:
        return TextSlot(page.number, widget)
    sign = dollars[-1].box
    return TextSlot(page.number, (sign[2] + 2, widget[1], widget[2], sign[3] + 1))


# --------------------------------------------------------------------------------------


@cache
def form_layout(form_type: FormType, templates_dir: Path = DEFAULT_TEMPLATES_DIR) -> FormLayout:
    """Every field's places on the blank form (cached per process)."""
    path = blank_pdf(form_type, templates_dir)
    with pdfplumber.open(path) as pdf:
        wanted = (1, 2) if form_type is FormType.CDC_PUI_2020 else (2, 3, 4, *MEMBER_PAGES, 21)
        pages = {n: _Page(pdf.pages[n - 1], n) for n in wanted}
    if form_type is FormType.CDC_PUI_2020:
        return _cdc_layout(pages)
    if form_type is FormType.MDHHS_DHS1171:
        return _dhs_layout(pages, path)
    raise TemplateError(f"no sample layout for form type {form_type.value}")
