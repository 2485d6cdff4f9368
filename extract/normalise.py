"""Normalisers: OCR text → the spec's normal forms (``shared/spec/README.md``).

Every function is total: it takes any string (or None) and returns the normal form or
``None`` when the text does not hold a value of that kind. None of them raises, whatever
the input (a property test feeds them hostile strings).

OCR confuses letters and digits (``O``/``0``, ``l``/``1``, ``S``/``5``, ``B``/``8``); the
numeric normalisers undo that only inside tokens that already look numeric, so month
names and words are never rewritten.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from extract.template import FieldKind

MAX_INPUT = 400  # longer "values" are not field values; truncating keeps regexes cheap

# Letters OCR produces where a digit was written.
_DIGIT_LOOKALIKES = str.maketrans(
    {
        "O": "0", "o": "0", "Q": "0", "D": "0", "U": "0",
        "l": "1", "I": "1", "i": "1", "|": "1", "!": "1", "L": "1", "J": "1",
        "S": "5", "s": "5", "$": "5",
        "B": "8",
        "Z": "2", "z": "2",
        "G": "6", "b": "6",
        "g": "9", "q": "9",
        "T": "7",
        "A": "4",
    }
)  # fmt: skip

_SHORT_LOOKALIKES = set("OoQDlIi|!SZBG")
_SPACE = re.compile(r"\s+")
_EDGE_NOISE = " \t\n\r_|~`'\".,;:-—–=*#^"


def _clip(text: object) -> str:
    if not isinstance(text, str):
        return ""
    return text[:MAX_INPUT]


def collapse_space(text: str | None) -> str | None:
    """Inner white space collapsed to one space, trimmed; None when nothing is left."""
    cleaned = _SPACE.sub(" ", _clip(text)).strip()
    return cleaned or None


ASCII_DIGITS = frozenset("0123456789")


def digits_in(text: str | None) -> str:
    """The digits of ``text`` after undoing OCR letter/digit confusions in numeric tokens."""
    out = []
    for token in re.split(r"[\s/().,\-]+", _clip(text)):
        if not token:
            continue
        real_digits = sum(ch in ASCII_DIGITS for ch in token)
        mostly_digits = real_digits and real_digits >= len(token) / 2
        lone_lookalike = not real_digits and len(token) <= 2 and set(token) <= _SHORT_LOOKALIKES
        if mostly_digits or lone_lookalike:
            token = token.translate(_DIGIT_LOOKALIKES)
        # ASCII only: str.isdigit() also accepts '²', full-width and Arabic-Indic digits,
        # which are no phone, SSN or ZIP digits.
        out.append("".join(ch for ch in token if ch in ASCII_DIGITS))
    return "".join(out)


# --------------------------------------------------------------------------------------
# Free text, names, e-mail
# --------------------------------------------------------------------------------------


def normalise_text(text: str | None) -> str | None:
    """Free text as written: white space collapsed, OCR edge noise (rules, bars, a stray
    bracket or quote glued to a letter at either end) trimmed."""
    cleaned = collapse_space(text)
    if cleaned is None:
        return None
    tokens = cleaned.split(" ")
    while tokens and _is_debris(tokens[0]):
        tokens.pop(0)
    while tokens and _is_debris(tokens[-1]):
        tokens.pop()
    cleaned = " ".join(tokens).strip(_EDGE_NOISE + "‘’“”")
    cleaned = collapse_space(cleaned) or ""
    return cleaned if any(ch.isalnum() for ch in cleaned) else None


def _is_debris(token: str) -> bool:
    """An edge token that is OCR debris: no letter or digit, or one glued to symbols."""
    alnum = sum(ch.isalnum() for ch in token)
    return alnum == 0 or (alnum == 1 and len(token) > 1 and not token.endswith("."))


def normalise_name(text: str | None) -> str | None:
    """A person's name: like free text, without stray digits or symbols at the edges."""
    cleaned = normalise_text(text)
    if cleaned is None:
        return None
    cleaned = cleaned.strip("0123456789()[]{}<>/\\+&%" + _EDGE_NOISE)
    return cleaned if any(ch.isalpha() for ch in cleaned) else None


_EMAIL = re.compile(r"^[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}$")


def normalise_email(text: str | None) -> str | None:
    """Lower-cased address without spaces; None unless it looks like name@host.tld."""
    cleaned = _SPACE.sub("", _clip(text)).strip(_EDGE_NOISE).lower()
    cleaned = cleaned.replace(",", ".").replace("(at)", "@").replace("[at]", "@")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)
    return cleaned if _EMAIL.match(cleaned) else None


# --------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------


def normalise_phone(text: str | None) -> str | None:
    """Ten digits; a leading US country code 1 is dropped."""
    digits = digits_in(text)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) == 10 else None


def normalise_ssn(text: str | None) -> str | None:
    """Nine digits."""
    digits = digits_in(text)
    return digits if len(digits) == 9 else None


def normalise_zip(text: str | None) -> str | None:
    """``12345`` or ``12345-6789``."""
    digits = digits_in(text)
    if len(digits) == 5:
        return digits
    if len(digits) == 9:
        return f"{digits[:5]}-{digits[5:]}"
    return None


def normalise_integer(text: str | None) -> int | None:
    """The first whole number in the text (``"45 yrs"`` → 45)."""
    for token in re.split(r"[^0-9A-Za-z|!$]+", _clip(text)):
        digits = digits_in(token)
        if digits and len(digits) <= 9:
            return int(digits)
    return None


_MONEY = re.compile(r"-?\d{1,3}(?:[, ]\d{3})+(?:\.\d{1,2})?|-?\d+(?:\.\d{1,2})?")


def normalise_money(text: str | None) -> float | None:
    """Dollars as a number: ``"$1,250.00"`` → 1250.0, ``"S 40"`` → 40.0."""
    raw = _clip(text).strip()
    if not raw:
        return None
    raw = re.sub(r"^[\s$Ss§]+(?=[\dOolI])", "", raw)  # a dollar sign OCR'd as S or §
    raw = re.sub(r"(?<=\d)[Oo]|[Oo](?=\d)", "0", raw)
    raw = re.sub(r"(?<=\d)[lI|]|[lI|](?=\d)", "1", raw)
    raw = raw.replace("$", "").replace(" .", ".").replace(". ", ".")
    found = _MONEY.search(raw)
    if found is None:
        return None
    number = found.group(0).replace(",", "").replace(" ", "")
    try:
        value = float(number)
    except ValueError:
        return None
    # The schema's minimum is 0: a minus sign is a stray stroke or a misread, not a debt.
    return value if 0 <= value < 1e12 else None


# --------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_WORDS = sorted(MONTHS, key=len, reverse=True)


def pivot_year(year: int, *, today: date | None = None) -> int:
    """A two-digit year in the last hundred years up to next year (``61`` → 1961)."""
    if year >= 100:
        return year
    now = today or date.today()
    century = now.year // 100 * 100
    candidate = century + year
    return candidate if candidate <= now.year + 1 else candidate - 100


def _make_date(year: int, month: int, day: int) -> str | None:
    year = pivot_year(year)
    if not 1900 <= year <= 2100:
        return None
    if month > 12 and day <= 12:  # written D/M/Y: unambiguous only when the day is > 12
        month, day = day, month
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _month_from_word(word: str) -> int | None:
    word = word.lower().strip(".")
    if len(word) < 3:
        return None
    if word in MONTHS:
        return MONTHS[word]
    close = difflib.get_close_matches(word, _MONTH_WORDS, n=1, cutoff=0.75)
    return MONTHS[close[0]] if close else None


_NUMERIC_DATE = re.compile(r"(\d{1,4})\s*[/\-.\s]\s*(\d{1,2})\s*[/\-.\s]\s*(\d{2,4})")


def normalise_date(text: str | None) -> str | None:
    """ISO ``YYYY-MM-DD`` from MM/DD/YYYY, M/D/YY, 3-4-2020, 2020-03-04, "March 4, 2020",
    "4 Mar 2020", 03042020 and OCR-garbled variants; None when no valid date is there."""
    raw = collapse_space(_clip(text).replace("_", " "))  # rule debris between parts
    if raw is None:
        return None
    worded = _worded_date(raw)
    if worded is not None:
        return worded
    numeric = _numeric_date(raw)
    if numeric is not None:
        return numeric
    digits = digits_in(raw)
    if len(digits) == 8:  # MMDDYYYY or YYYYMMDD written without separators
        if digits[:2] in ("19", "20") and int(digits[4:6]) <= 12:
            return _make_date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        return _make_date(int(digits[4:]), int(digits[:2]), int(digits[2:4]))
    if len(digits) == 6:  # MMDDYY
        return _make_date(int(digits[4:]), int(digits[:2]), int(digits[2:4]))
    return None


def _numeric_date(raw: str) -> str | None:
    tokens = re.split(r"(\s*[/\-.]\s*|\s+)", raw)
    # Undo letter/digit confusions token by token, keeping the separators.
    fixed = "".join(
        digits_in(tok) if i % 2 == 0 and any(c.isdigit() for c in raw) else tok
        for i, tok in enumerate(tokens)
    )
    for found in _NUMERIC_DATE.finditer(fixed):
        first, second, third = found.groups()
        if len(first) == 4:  # ISO order
            if len(third) > 2:
                continue
            result = _make_date(int(first), int(second), int(third))
        elif len(first) <= 2 and len(third) in (2, 4):
            result = _make_date(int(third), int(first), int(second))
        else:
            continue
        if result is not None:
            return result
    return None


_WORDED = re.compile(
    r"(?P<m1>[A-Za-z]{3,9})\.?\s*(?P<d1>[0-9OolI]{1,2})(?:st|nd|rd|th)?\s*[,.]?\s*(?P<y1>[0-9OolI]{2,4})"
    r"|(?P<d2>[0-9OolI]{1,2})(?:st|nd|rd|th)?\s*[-\s]?\s*(?P<m2>[A-Za-z]{3,9})\.?\s*[-,]?\s*(?P<y2>[0-9OolI]{2,4})"
)


def _worded_date(raw: str) -> str | None:
    for found in _WORDED.finditer(raw):
        word = found.group("m1") or found.group("m2")
        month = _month_from_word(word or "")
        if month is None:
            continue
        day_text = found.group("d1") or found.group("d2") or ""
        year_text = found.group("y1") or found.group("y2") or ""
        day, year = digits_in(day_text), digits_in(year_text)
        if not day or len(year) not in (2, 4):
            continue
        result = _make_date(int(year), month, int(day))
        if result is not None:
            return result
    return None


# --------------------------------------------------------------------------------------
# States
# --------------------------------------------------------------------------------------

STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin",
    "WY": "Wyoming", "DC": "District of Columbia", "PR": "Puerto Rico", "GU": "Guam",
    "VI": "Virgin Islands", "AS": "American Samoa", "MP": "Northern Mariana Islands",
}  # fmt: skip
_STATE_BY_NAME = {name.lower(): code for code, name in STATES.items()}
_STATE_BY_NAME.update({"washington dc": "DC", "washington d.c.": "DC", "d.c.": "DC"})
_CODE_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "l": "I", "|": "I", "5": "S", "8": "B"})


def normalise_state(text: str | None) -> str | None:
    """Two-letter USPS code from a code (``mi``, ``M.I.``) or a name (``Michigan``)."""
    cleaned = normalise_text(text)
    if cleaned is None:
        return None
    squeezed = re.sub(r"[^A-Za-z0-9|]", "", cleaned)
    if len(squeezed) == 2:
        code = squeezed.translate(_CODE_LOOKALIKES).upper()
        if code in STATES:
            return code
    name = re.sub(r"[^a-z. ]", "", cleaned.lower()).strip(" .")
    name = _SPACE.sub(" ", name)
    if name in _STATE_BY_NAME:
        return _STATE_BY_NAME[name]
    if len(name) >= 4:
        close = difflib.get_close_matches(name, list(_STATE_BY_NAME), n=1, cutoff=0.8)
        if close:
            return _STATE_BY_NAME[close[0]]
    return None


# --------------------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------------------

NORMALISERS: dict[FieldKind, Callable[[str | None], Any]] = {
    FieldKind.TEXT: normalise_text,
    FieldKind.NAME: normalise_name,
    FieldKind.DATE: normalise_date,
    FieldKind.INTEGER: normalise_integer,
    FieldKind.PHONE: normalise_phone,
    FieldKind.SSN: normalise_ssn,
    FieldKind.ZIP: normalise_zip,
    FieldKind.STATE: normalise_state,
    FieldKind.EMAIL: normalise_email,
    FieldKind.MONEY: normalise_money,
}

STRICT_KINDS = frozenset(
    {
        FieldKind.DATE,
        FieldKind.INTEGER,
        FieldKind.PHONE,
        FieldKind.SSN,
        FieldKind.ZIP,
        FieldKind.STATE,
        FieldKind.EMAIL,
        FieldKind.MONEY,
    }
)
"""Kinds with a pattern: text that normalises to None did not fit (a doubtful read)."""


def normalise(kind: FieldKind | str, text: str | None) -> Any:
    """The normal form of ``text`` read from a field of ``kind`` (None when it does not fit).
    Checkbox kinds are decided from ink, not text, so they normalise to None here."""
    try:
        field_kind = FieldKind(kind)
    except ValueError:
        return None
    normaliser = NORMALISERS.get(field_kind)
    if normaliser is None:
        return None
    try:
        return normaliser(text)
    except (ValueError, OverflowError, RecursionError):  # pragma: no cover - belt and braces
        return None


def snap_to_choices(text: str | None, choices: list[str]) -> str | None:
    """A free-text answer to a question with fixed answers (``age_units``: yr/mo/day) as
    one of ``choices``: exact, then the closest spelling, then a unique first letter."""
    cleaned = (normalise_text(text) or "").lower()
    if not cleaned or not choices:
        return None
    lowered = {c.lower(): c for c in choices}
    if cleaned in lowered:
        return lowered[cleaned]
    close = difflib.get_close_matches(cleaned, list(lowered), n=1, cutoff=0.5)
    if close:
        return lowered[close[0]]
    initial = [c for c in choices if c[:1].lower() == cleaned[:1]]
    return initial[0] if len(initial) == 1 else None
