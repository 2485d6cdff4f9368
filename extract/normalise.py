"""Normalisers: OCR text → the spec's normal forms (``shared/spec/README.md``).

Every function is total: it takes any string (or None) and returns the normal form or
``None`` when the text does not hold a value of that kind. None of them raises, whatever
the input (a property test feeds them hostile strings); the one exception is a broken
shipped data file (``rules/email_domains.txt``), a deployment error that raises
TemplateError on first use rather than quietly switching e-mail repair off.

OCR confuses letters and digits (``O``/``0``, ``l``/``1``, ``S``/``5``, ``B``/``8``); the
numeric normalisers undo that only inside tokens that already look numeric, so month
names and words are never rewritten.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
from collections.abc import Callable, Iterable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from extract.template import FieldKind
from faxflow.errors import TemplateError

MAX_INPUT = 400  # longer "values" are not field values; truncating keeps regexes cheap

# Letters OCR produces where a digit was written.
_DIGIT_LOOKALIKES = str.maketrans(
    {
        "O": "0", "o": "0", "Q": "0", "D": "0", "U": "0",
        "l": "1", "I": "1", "i": "1", "|": "1", "!": "1", "L": "1", "J": "1",
        "]": "1", "[": "1",
        "S": "5", "s": "5", "$": "5",
        "B": "8", "&": "8",
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


_FINAL_ABBREVIATION = re.compile(r"(?<=\s)[A-Za-z]{1,4}\.$")


def normalise_free_text(text: str | None) -> str | None:
    """:func:`normalise_text`, keeping the full stop of an abbreviation that ends a value
    of several words ('Hamilton County Health Dept.'), as written: edge trimming would
    take it for a speck. A stop after a longer word, or a lone word, is still trimmed."""
    cleaned = normalise_text(text)
    written = collapse_space(text)
    if cleaned is None or written is None or _FINAL_ABBREVIATION.search(written) is None:
        return cleaned
    return cleaned + "." if written == cleaned + "." else cleaned


def _is_debris(token: str) -> bool:
    """An edge token that is OCR debris: no letter or digit, or one glued to symbols."""
    alnum = sum(ch.isalnum() for ch in token)
    return alnum == 0 or (alnum == 1 and len(token) > 1 and not token.endswith("."))


def normalise_name(text: str | None) -> str | None:
    """A person's name: like free text, without stray digits or symbols at the edges."""
    cleaned = normalise_text(text)
    if cleaned is None:
        return None
    # No name has an underscore: one between two words is the writing line read in the gap.
    cleaned = " ".join(cleaned.replace("_", " ").split())
    cleaned = cleaned.strip("0123456789()[]{}<>/\\+&%" + _EDGE_NOISE)
    if not any(ch.isalpha() for ch in cleaned):
        return None
    words = [_name_case(word) for word in cleaned.split(" ")]
    for index, word in enumerate(words):
        inner = 0 < index < len(words) - 1
        letter = _INITIAL_SHAPES.get(word.rstrip(".").upper(), word.rstrip("."))
        if len(letter) == 2 and letter.isalpha() and letter[0].lower() == letter[1].lower():
            letter = letter[0]  # one initial read twice, in two sizes ('Zz.', 'Cc.')
        if inner and len(letter) == 1 and letter.isalpha():
            # An initial in capitals, its full stop only where one was read: the writer
            # may have left it out ('Jacob Q Ross'), and a stop is no case or space.
            words[index] = letter.upper() + ("." if word.endswith(".") else "")
        elif (
            len(word) > 2
            and word.endswith(".")
            and word[:-1].isalpha()
            and word[:-1].lower() not in NAME_ABBREVIATIONS
            and index < len(words) - 1
        ):
            words[index] = word[:-1]  # a speck after a whole name word ('James. Mcbride')
    return " ".join(words)


_INITIAL_SHAPES = {"0": "O", "1": "I", "5": "S", "8": "B"}  # digits read for an initial
NAME_ABBREVIATIONS = frozenset({"jr", "sr", "st", "dr", "mr", "mrs", "ms", "mx", "rev", "prof"})


NAME_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "da", "di", "du", "del", "la", "le", "bin", "ibn", "al"}
)


def _name_case(word: str) -> str:
    """A name word OCR read all lower-case ('wilson', the initial 'i.') gets its capital
    back: small print loses the height difference of c/o/s/w/z and fax noise the rest.
    Particles ('van', 'de') stay as they are; mixed case is kept as written.

    A word printed in block capitals ('ROSS', 'O'BRIEN', 'SMITH-JONES') is given name
    case, the spec's normal form: people print names in capitals because forms ask them
    to, and the letters stay the ones written. Roman numerals ('III') stay capitals;
    where the capitals hid an inner one ('MCDONALD'), only the first is known."""
    letters = word.rstrip(".")
    if letters.isalpha() and letters.islower() and letters not in NAME_PARTICLES:
        return word[:1].upper() + word[1:]
    if is_block_capital_word(word.rstrip(".,;:")):
        return capitalised_parts(word)
    return word


def is_block_capital_word(core: str) -> bool:
    """A word of two or more capitals, its parts joined by ' or - ('ROSS', 'O'BRIEN',
    'SMITH-JONES'), that is no Roman numeral ('III' stays as written). A single capital
    is an initial or a direction, written so on purpose."""
    return len(core) > 1 and bool(_BLOCK_CAPITALS.fullmatch(core)) and not _ROMAN.fullmatch(core)


def capitalised_parts(word: str) -> str:
    """``word`` in small letters with a capital at the start of each part: 'EDWARD' →
    'Edward', 'O'NEIL' → 'O'Neil', 'SMITH-JONES' → 'Smith-Jones'."""
    return _PART_START.sub(lambda m: m.group(0).upper(), word.lower())


_BLOCK_CAPITALS = re.compile(r"[A-Z]+(?:['\-][A-Z]+)*")
_ROMAN = re.compile(r"I{2,3}|IV|VI{0,3}|IX")  # generation suffixes: 'John Smith III'
_PART_START = re.compile(r"(?:^|(?<=['\-]))[a-z]")


_EMAIL = re.compile(r"^[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}$")


_PHONE_LIKE = re.compile(r"^[()\-.]*(?:\d[()\-.]*){7,}$")


def normalise_email(text: str | None) -> str | None:
    """Lower-cased address without spaces; None unless it looks like name@host.tld.

    A well-formed address with a real top-level domain is valid and kept as read. Only a
    domain that is not (a garbled TLD: ``gmail.corn``) is repaired
    (:func:`repair_email_domain`), and an ``@`` read as a letter before a known domain is
    given back (:func:`_with_lost_at`); the part before the ``@`` is kept as read, since
    nothing says what it should have been.
    """
    tokens = _clip(text).split()
    # A neighbouring phone number read into the zone ('3125270625 martin82@...'): no
    # address part is seven or more bare digits.
    while len(tokens) > 1 and "@" not in tokens[0] and _PHONE_LIKE.match(tokens[0]):
        tokens.pop(0)
    joined = _joined_address(tokens).strip(_EDGE_NOISE)
    # One letter read twice, small then capital ('jJamessal', 'mMdhhs'): nobody writes an
    # address so, and OCR does when the first glyph's edge reads as a letter of its own.
    if len(joined) > 2 and joined[0].islower() and joined[1] == joined[0].upper():
        joined = joined[1:]
    cleaned = joined.lower()
    cleaned = cleaned.replace(",", ".").replace("(at)", "@").replace("[at]", "@")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)
    if "@" not in cleaned:
        cleaned = _with_lost_at(_clip(text)) or cleaned
    if not _EMAIL.match(cleaned):
        return None
    if valid_email_address(cleaned):
        return cleaned  # a well-formed address is kept as written ('gmall.com' may be real)
    local, domain = cleaned.rsplit("@", 1)
    return f"{local}@{repair_email_domain(domain)}"


def valid_email_address(text: str) -> bool:
    """A well-formed address (lower case, as :func:`normalise_email` gives it) whose
    domain is well-formed with a real top-level domain: valid, so never repaired."""
    if not _EMAIL.match(text):
        return False
    domain = text.rsplit("@", 1)[1]
    tld = domain.rpartition(".")[2]
    return bool(_DOMAIN.match(domain)) and (tld in _REAL_TLDS or len(tld) == 2)


_AT_LOOKALIKES = ("(a", "G", "Q", "©", "®", "&", "g", "q")
_DOMAIN_TAIL = re.compile(r"([a-z0-9\-]+)\s*[.,]\s*([a-z]{2,})\W*$")


def _with_lost_at(text: str) -> str | None:
    """An address whose ``@`` OCR read as a letter ('malienGoutlook. com',
    'Oliver68Gexample.org', 'cdiaz(aexample.org'): the text ends with a known domain and
    one @-shaped glyph stands just before it (the longest known domain the text ends with
    decides). Without such a glyph, nothing tells where the name part ends ('angelasang
    yahoo.com' is angelasan@ or angelasang@)."""
    squeezed = text.strip(_EDGE_NOISE)
    tail = _DOMAIN_TAIL.search(squeezed.lower())
    if tail is None:
        return None
    known = known_email_domains()
    run, tld = tail.group(1), tail.group(2)
    for domain in sorted(known, key=len, reverse=True):
        stem, _, domain_tld = domain.rpartition(".")
        if domain_tld != tld or not run.endswith(stem) or "." in stem:
            continue
        before = squeezed[: tail.start(1) + len(run) - len(stem)]
        head = before.rstrip()
        glyph = next((g for g in _AT_LOOKALIKES if head.endswith(g)), None)
        if glyph is None or len(head) <= len(glyph):
            return None
        if glyph in ("g", "q") and head != before:
            return None  # a lower-case g or q before a gap may end the name ('doug yahoo.com')
        local = re.sub(r"\s+", "", head[: -len(glyph)]).lower()
        return f"{local}@{domain}"
    return None


_LAST_WORD = re.compile(r"[A-Za-z]+$")
_NAME_BEFORE_AT = re.compile(r"^[A-Za-z]+(?=@|$)")
MIN_GAP_WORD = 3
"""Words either side of a gap in the name part this long leave the gap unresolved."""


def _joined_address(tokens: list[str]) -> str:
    """The pieces of an address OCR read with gaps, joined. A gap before a real TLD is a
    full stop too small for the fax ('gmail com' → 'gmail.com': the only valid reading);
    a gap inside a word or beside an initial is OCR's ('mat thew', 't smith', 'mail .com').
    A gap between two words of the name part stays: 'shawn fleming@' may have been
    shawn.fleming, shawn_fleming, shawn-fleming or shawnfleming, and the repair policy adds
    no character the writer may not have written, so the address is left unread for a
    person (it fails the format)."""
    from extract.names import load_names  # names reads word lists that import this module

    joined = tokens[0] if tokens else ""
    for token in tokens[1:]:
        gap = ""
        if "@" in joined:
            tld = token.strip(_EDGE_NOISE).lower()
            if joined[-1:].isalpha() and tld in _REAL_TLDS:
                gap = "."
        else:
            left, right = _LAST_WORD.search(joined), _NAME_BEFORE_AT.match(token)
            if (
                left is not None
                and right is not None
                and min(len(left.group()), len(right.group())) >= MIN_GAP_WORD
                and not load_names().known((left.group() + right.group()).lower())
            ):
                gap = " "
        joined += gap + token
    return joined


EMAIL_DOMAINS_FILE = Path(__file__).resolve().parent / "rules" / "email_domains.txt"
_DOMAIN = re.compile(
    r"^[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,}$"
)

# The TLDs a garbled one is repaired to: the generic ones of Mailcheck's default list, and .io.
TLD_REPAIRS = ("com", "org", "net", "edu", "gov", "mil", "us", "uk", "io", "info", "biz")
# Real TLDs a misread of one of TLD_REPAIRS could look like, so they are never "repaired"
# (.new is not a garbled .net). Two-letter TLDs are all taken as real country codes. The
# real .cam is deliberately absent: on a US form it is far likelier a misread .com.
_OTHER_REAL_TLDS = {
    "aero", "app", "art", "asia", "bid", "bio", "blog", "car", "care", "cat", "club", "coop",
    "dev", "email", "gop", "goo", "got", "inc", "ink", "int", "jobs", "law", "life", "live",
    "llc", "ltd", "med", "mobi", "moe", "moi", "museum", "name", "nec", "new", "news", "one",
    "online", "ooo", "pro", "shop", "site", "store", "tech", "tel", "top", "travel", "vip",
    "win", "xyz",
}  # fmt: skip
_REAL_TLDS = frozenset(TLD_REPAIRS) | frozenset(_OTHER_REAL_TLDS)
_TLD_DEBRIS = 3  # characters of OCR debris tolerated after a TLD (".comeee")


def load_email_domains(path: Path) -> frozenset[str]:
    """The domains listed in ``path`` (one a line, ``#`` comments); a line that is not a
    lower-case domain, or repeats one, raises TemplateError naming the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"cannot read e-mail domain list {path}: {exc}") from exc
    domains: set[str] = set()
    for number, line in enumerate(lines, start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if not _DOMAIN.match(entry):
            raise TemplateError(
                f"e-mail domain list {path} line {number}: {entry!r} is not a lower-case domain"
            )
        if entry in domains:
            raise TemplateError(f"e-mail domain list {path} line {number}: {entry} repeats")
        domains.add(entry)
    if not domains:
        raise TemplateError(f"e-mail domain list {path} lists no domain")
    return frozenset(domains)


@cache
def known_email_domains() -> frozenset[str]:
    """The shipped list (``extract/rules/email_domains.txt``), read once per process."""
    return load_email_domains(EMAIL_DOMAINS_FILE)


def repair_email_domain(domain: str, known: frozenset[str] | None = None) -> str:
    """``domain`` snapped to the unique closest known domain, else with its TLD repaired.

    Closeness is an OCR-weighted edit cost (:func:`ocr_edit_cost`) within a budget of one
    edit per seven characters, never more than 2. A domain whose TLD is real (``.com``,
    ``.de``) was probably read right apart from look-alike letters, so only look-alike
    edits may reach a known domain; one whose TLD is garbled (``.orc``) may also take a
    plain edit. A domain equally close to two known ones is left alone.
    """
    known = known_email_domains() if known is None else known
    if domain in known:
        return domain
    stem, _, tld = domain.rpartition(".")
    real_tld = tld in _REAL_TLDS or len(tld) == 2
    snapped = _closest(domain, known, plain_cost=math.inf if real_tld else 1.0)
    if snapped is None and real_tld and len(stem) >= MIN_STEM_FOR_PLAIN_EDIT:
        snapped = _closest_stem(stem, tld, known)
    if snapped is not None or real_tld:
        return snapped or domain
    repaired_tld = _repair_tld(tld)
    if repaired_tld is None:
        return domain
    repaired = f"{stem}.{repaired_tld}"
    return _closest(repaired, known, plain_cost=math.inf) or repaired


def _closest(
    text: str, candidates: Iterable[str], *, plain_cost: float, max_cost: float | None = None
) -> str | None:
    """The unique cheapest candidate costing at most ``max_cost`` (by default one edit per
    seven characters of the candidate, at most 2), or None."""
    scored = sorted(
        (ocr_edit_cost(text, candidate, plain_cost=plain_cost), candidate)
        for candidate in candidates
        if abs(len(candidate) - len(text)) <= 4  # each edit costs >= 0.5, the budget is 2
    )
    if not scored:
        return None
    best_cost, best = scored[0]
    if best_cost > (min(2.0, len(best) / 7) if max_cost is None else max_cost):
        return None
    if len(scored) > 1 and scored[1][0] <= best_cost:
        return None  # a tie is a guess
    return best


MIN_STEM_FOR_PLAIN_EDIT = 5
"""A known domain with the same real TLD may also be one plain edit away when the name
before the TLD has this many characters ('yahvo.com', 'outlogk.com', 'wexample.org'):
shorter names are too often another real domain ('aon.com', 'love.com')."""


def _closest_stem(stem: str, tld: str, known: frozenset[str]) -> str | None:
    """The known domain with the same ``tld`` whose name is one edit (look-alikes half
    of one) from ``stem``, when no other is within half an edit of it."""
    scored = sorted(
        (ocr_edit_cost(stem, other, plain_cost=1.0), other)
        for candidate in known
        for other, _, other_tld in [candidate.rpartition(".")]
        if other_tld == tld and "." not in other and abs(len(other) - len(stem)) <= 1
    )
    if not scored or scored[0][0] > 1.0:
        return None
    if len(scored) > 1 and scored[1][0] < scored[0][0] + LOOKALIKE_COST:
        return None  # 'imail' is one edit from mail, gmail and ymail: a guess
    return f"{scored[0][1]}.{tld}"


def _repair_tld(tld: str) -> str | None:
    """A garbled TLD of three or more letters as one of TLD_REPAIRS: one edit away
    (``cam``, ``corn``, ``orc``), or followed by a little debris (``comeee``)."""
    if len(tld) < 3:
        return None
    near = _closest(tld, TLD_REPAIRS, plain_cost=1.0, max_cost=1.0)
    if near is not None:
        return near
    prefixed = sorted(
        (t for t in TLD_REPAIRS if tld.startswith(t) and len(tld) - len(t) <= _TLD_DEBRIS),
        key=len,
    )
    return prefixed[-1] if prefixed else None


# Pairs OCR mistakes for each other (both ways), each costing half an edit.
_LOOKALIKE_PAIRS = (
    ("i", "l"), ("i", "1"), ("l", "1"), ("i", "j"), ("o", "0"), ("o", "a"), ("a", "e"),
    ("c", "e"), ("c", "o"), ("e", "o"), ("g", "q"), ("g", "y"), ("g", "9"), ("q", "9"),
    ("n", "m"), ("n", "h"), ("b", "h"), ("u", "v"), ("s", "5"), ("z", "2"), ("t", "f"),
    ("rn", "m"), ("in", "m"), ("ni", "m"), ("ri", "n"), ("cl", "d"), ("vv", "w"),
)  # fmt: skip
_LOOKALIKE = frozenset(_LOOKALIKE_PAIRS) | frozenset((b, a) for a, b in _LOOKALIKE_PAIRS)
_SPLIT_LOOKALIKES = tuple((a, b) for a, b in _LOOKALIKE if len(a) > 1 or len(b) > 1)
LOOKALIKE_COST = 0.5


def ocr_edit_cost(read: str, truth: str, *, plain_cost: float = 1.0) -> float:
    """Edit cost from ``read`` to ``truth`` where OCR-shaped edits are cheap.

    A look-alike substitution (``l``/``i``, ``g``/``q``, ``rn``/``m``) and dropping or adding
    the second of a doubled letter (``outlok``) cost :data:`LOOKALIKE_COST`; any other
    insertion, deletion or substitution costs ``plain_cost`` (``math.inf`` forbids them).
    """
    rows, cols = len(read) + 1, len(truth) + 1
    cost = [[math.inf] * cols for _ in range(rows)]
    cost[0][0] = 0.0
    for i in range(rows):
        for j in range(cols):
            here = cost[i][j]
            if i > 0:
                doubled = i > 1 and read[i - 2] == read[i - 1]
                here = min(here, cost[i - 1][j] + (LOOKALIKE_COST if doubled else plain_cost))
            if j > 0:
                doubled = j > 1 and truth[j - 2] == truth[j - 1]
                here = min(here, cost[i][j - 1] + (LOOKALIKE_COST if doubled else plain_cost))
            if i > 0 and j > 0:
                a, b = read[i - 1], truth[j - 1]
                step = 0.0 if a == b else LOOKALIKE_COST if (a, b) in _LOOKALIKE else plain_cost
                here = min(here, cost[i - 1][j - 1] + step)
            for a, b in _SPLIT_LOOKALIKES:
                if (
                    i >= len(a)
                    and j >= len(b)
                    and read.endswith(a, 0, i)
                    and truth.endswith(b, 0, j)
                ):
                    here = min(here, cost[i - len(a)][j - len(b)] + LOOKALIKE_COST)
            cost[i][j] = here
    return cost[-1][-1]


# --------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------


def normalise_phone(text: str | None) -> str | None:
    """Ten digits; a leading US country code 1 is dropped."""
    digits = digits_in(text)
    if len(digits) not in (10, 11):
        # A 7 read as '/' ('(312) 9/2-4007'), when that makes the number whole.
        digits = digits_in(_SLASH_SEVEN.sub("7", _clip(text)))
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


_THOUSANDS = re.compile(r"(?<=\d)\s*[,;:]+\s*(?=\d{3}(?:\D|$))")
_COMMA_CENTS = re.compile(r"(?<=\d)[,;:]\s?(\d{2})\s*$")
_POINT_THOUSANDS = re.compile(r"[1-9]\d{0,2}\.\d{3}")
_ZERO_CENTS = re.compile(r"\s*00\s*")
_MONEY = re.compile(r"-?\d{1,3}(?:[, ]\d{3})+(?:\.\d{1,2})?|-?\d+(?:\.\d{1,2})?")


def normalise_money(text: str | None) -> float | None:
    """Dollars as a number: ``"$1,250.00"`` → 1250.0, ``"S 40"`` → 40.0."""
    _, found = _money_match(text)
    if found is None:
        return None
    number = found.group(0).replace(",", "").replace(" ", "")
    try:
        value = float(number)
    except ValueError:
        return None
    # The schema's minimum is 0: a minus sign is a stray stroke or a misread, not a debt.
    return value if 0 <= value < 1e12 else None


def money_leaves_digits(text: str | None) -> bool:
    """Whether the amount :func:`normalise_money` takes from ``text`` leaves digits of it
    out: ``'1,403 42'`` (a decimal point the fax lost) gives 1403 and drops the 42, which
    the writer wrote, so the amount is not sure."""
    raw, found = _money_match(text)
    if found is None:
        return False
    before, after = raw[: found.start()], raw[found.end() :]
    if "." not in found.group(0) and _ZERO_CENTS.fullmatch(after):
        after = ""  # '956 00': no cents, with or without the lost point
    return any(ch.isdigit() for ch in before + after)


def _money_match(text: str | None) -> tuple[str, re.Match[str] | None]:
    """``text`` with a dollar amount's look-alikes and separators mended, and the amount
    found in it (None when there is none)."""
    raw = _clip(text).strip()
    if not raw:
        return raw, None
    raw = re.sub(r"^[\s$Ss§]+(?=[\dOolI])", "", raw)  # a dollar sign OCR'd as S or §
    raw = re.sub(r"(?<=\d)[Oo]|[Oo](?=\d)", "0", raw)
    raw = re.sub(r"(?<=\d)[lI|\]\[]|[lI|\]\[](?=\d)", "1", raw)  # '45]' is 451
    raw = re.sub(r"(?<=\d)B|B(?=\d)", "8", raw)
    raw = raw.replace("$", "").replace(" .", ".").replace(". ", ".")
    # A thousands comma a fax turned into ';', ':' or ', ' ('1;:760.00', '1, 834').
    raw = _THOUSANDS.sub(",", raw)
    if "." not in raw:
        # Cents after a comma ('3496, 21'): two digits are never a thousands group.
        raw = _COMMA_CENTS.sub(r".\1", raw)
    elif _POINT_THOUSANDS.fullmatch(raw):
        raw = raw.replace(".", ",")  # '4.545': three digits after a point are thousands
    return raw, _MONEY.search(raw)


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
    if year > date.today().year:  # no form reports the future: a misread digit
        year = _repair_year(year)
        if year > date.today().year + 1:
            return None  # and no repair makes it past: say so rather than guess
    if not 1900 <= year <= 2100:
        year = _repair_year(year)
        if not 1900 <= year <= 2100:
            return None
    # A month of 60-99 is no day either, so it is a misread 0 ('95/06' is 05/06), not
    # D/M/Y; only then may a month over 12 be a day written first (D/M/Y, unambiguous
    # only when that day is over 12).
    month = _repair_part(month, 12)
    if month > 12 and day <= 12:
        month, day = day, month
    month, day = _repair_part(month, 12), _repair_part(day, 31)
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


# Typewriter and monospace fonts print 0 with a dot or slash inside, which OCR reads as
# 8, 9 or 6; faxes thin the 1's foot into a 4 or 7. A date part that cannot be right is
# repaired with these, and only then.
_ZERO_LOOKALIKES = frozenset("869")
_ONE_LOOKALIKES = frozenset("47")


def _repair_part(value: int, highest: int) -> int:
    """A month (``highest`` 12) or day (31) over its range whose tens digit is a
    misread 0 ('89' -> 9), or a month whose tens digit is a misread 1 ('41' -> 11)."""
    text = f"{value:02d}"
    if value > highest and len(text) == 2 and text[0] in _ZERO_LOOKALIKES and text[1] != "0":
        return int(text[1])
    if highest == 12 and value > highest and len(text) == 2 and text[0] in _ONE_LOOKALIKES:
        # Month '41' -> 11, a 1 whose foot a fax thinned. Months only: a month of 40-79
        # has no other reading, while a day of 41 may as well be a misread 01 or 14.
        as_one = int("1" + text[1])
        return as_one if as_one <= highest else value
    return value


def _repair_year(year: int) -> int:
    """A four-digit year in the future or before 1900 with misread 0s or 1s ('2820',
    '2614', '4955', '2075'), repaired to the latest year not in the future; unchanged
    if none."""
    text = str(year)
    if len(text) != 4:
        return year
    this_year = date.today().year
    options = [
        c + ("0" if c in _ZERO_LOOKALIKES else "") + ("1" if c in _ONE_LOOKALIKES else "")
        for c in text
    ]
    candidates = {
        int("".join(choice)) for choice in itertools.product(*(sorted(set(o)) for o in options))
    }
    plausible = [c for c in candidates if 1900 <= c <= this_year]
    return max(plausible) if plausible else year


def _month_from_word(word: str) -> int | None:
    word = word.lower().strip(".")
    if len(word) < 3:
        return None
    if word in MONTHS:
        return MONTHS[word]
    close = difflib.get_close_matches(word, _MONTH_WORDS, n=1, cutoff=0.75)
    return MONTHS[close[0]] if close else None


# A comma between parts is a separator too: a printed slash taken away with the form leaves
# a sliver OCR reads as one ('7,20, 2020').
_NUMERIC_DATE = re.compile(r"(\d{1,4})\s*[/\-.,\s]\s*(\d{1,2})\s*[/\-.,\s]\s*(\d{2,4})")


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
    tokens = re.split(r"(\s*[/\-.,]\s*|\s+)", raw)
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


# A digit of a day or year may be read as a look-alike, and a day or year split by a
# gap ('November i 7, 1996', 'August 14, 1 953').
_DAY = r"[0-9OolIi\]](?:[0-9OolIi\]]| [0-9OolIi\]](?=,))?"
_YEAR = r"[0-9OolI](?: ?[0-9OolI]){1,3}"
_WORDED = re.compile(
    rf"(?P<m1>[A-Za-z]{{3,9}})\.?\s*(?P<d1>{_DAY})(?:st|nd|rd|th)?\s*[,.]?\s*(?P<y1>{_YEAR})"
    rf"|(?P<d2>{_DAY})(?:st|nd|rd|th)?\s*[-\s]?\s*(?P<m2>[A-Za-z]{{3,9}})\.?\s*[-,]?\s*"
    rf"(?P<y2>{_YEAR})"
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
    # The freely associated states have USPS codes too, and their citizens live and apply
    # for benefits in the US (validation accepts them: validate.rules.US_STATE_CODES).
    "FM": "Federated States of Micronesia", "MH": "Marshall Islands", "PW": "Palau",
}  # fmt: skip
_STATE_BY_NAME = {name.lower(): code for code, name in STATES.items()}
_STATE_BY_NAME.update({"washington dc": "DC", "washington d.c.": "DC", "d.c.": "DC"})
_CODE_LOOKALIKES = str.maketrans(
    {
        "0": "O", "Q": "O", "1": "I", "l": "I", "5": "S", "8": "B",
        "|": "I", "!": "I", "[": "I", "]": "I", "{": "I", "}": "I",
    }
)  # fmt: skip


def is_state(text: str) -> bool:
    """Whether ``text`` is a USPS state code or a state's name exactly as written (case
    and white space aside): 'MI', 'mi', 'New York'; not 'Ml' or 'Tilinois'."""
    cleaned = " ".join(text.split()).strip(".,")
    return cleaned.upper() in STATES or cleaned.lower() in _STATE_BY_NAME


def normalise_state(text: str | None) -> str | None:
    """Two-letter USPS code from a code (``mi``, ``M.I.``) or a name (``Michigan``)."""
    cleaned = normalise_text(text)
    if cleaned is None:
        return None
    squeezed = re.sub(r"[^A-Za-z0-9|]", "", cleaned)
    if len(squeezed) == 2:
        for code in (squeezed.upper(), squeezed.translate(_CODE_LOOKALIKES).upper()):
            if code in STATES:  # 'il' is IL, though 'l' alone may be an I ('Ml')
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
# Identifiers (case numbers: MI840800474, WI-20-72386, OH440185110-09 ...)
# --------------------------------------------------------------------------------------

# Digits OCR produces where a letter of an ID's letter prefix was written.
_LETTER_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"})
_PREFIX_DEBRIS = re.compile(r"^((?=[0-9]*[A-Za-z|!\[\]])[A-Za-z0-9|!\[\]]{1,3})[.,](?=\d{4,}$)")
_ID_SEPARATORS = re.compile(r"(?<=[A-Za-z0-9])[\s.:;,_\-]+(?=[A-Za-z0-9])")
_MAX_PREFIX = 3
_LETTER_START = re.compile(r"^[A-Za-z]{1,3}[0-9|!\[\]]")
_SLASH_SEVEN = re.compile(r"(?<=\d)/ ?(?=\d)")
_DOUBLED_I = re.compile(r"^([A-Za-z])[1l|]I(?=\d)")
_VALID_ID = re.compile(r"^(?:[A-Z]{1,3}|[A-Z]{0,3}[0-9]+)(?:-(?:[A-Z]{1,3}|[A-Z]{0,3}[0-9]+))*$")


def normalise_identifier(text: str | None) -> str | None:
    """An ID (case, record or contact number) with OCR's separator and look-alike errors
    undone; no format is assumed, since IDs differ by jurisdiction and year.

    - spaces inside the ID go (``IN303 794493``), except one between a letter prefix
      and the number, which people write (``IN 987934``); with ``-`` as separator anywhere, other
      separator runs between letters and digits become ``-`` (``MI. 20-27516``);
    - in a segment made of a 1-3 letter prefix and digits, digit look-alikes in the prefix
      become letters when the prefix holds a real letter or becomes a USPS state code
      (``0H784159066``, ``M1840800474``), and look-alike letters between digits become
      digits (``OH83837G444``);
    - a two-letter segment of a multi-part ID that is a state code is upper-cased (``Mi-20``).

    Text holding a word (three or more letters, no digit) or not of these shapes is
    returned as :func:`normalise_text` gives it.
    """
    cleaned = _settled_text(text)
    if cleaned is None:
        return None
    if _LETTER_START.match(cleaned):
        # A 7 read as '/' in the digits of a lettered ID ('IN2/8922161-07'); a slash
        # has no place there, while a number-only ID may be written '2020/0042'.
        cleaned = _SLASH_SEVEN.sub("7", cleaned)
    tokens = cleaned.split(" ")
    if any(_is_word(token) for token in tokens):
        return cleaned
    spaced_prefix = 0
    if "-" in cleaned:
        cleaned = _ID_SEPARATORS.sub("-", cleaned)
    else:
        # A point or comma a fax left between a short prefix and the digits (1L.913027447).
        cleaned = _PREFIX_DEBRIS.sub(r"\1", cleaned)
        tokens = cleaned.split(" ")
        if all(_is_ascii_alnum(token) for token in tokens):
            if len(tokens) == 2 and len(tokens[0]) <= _MAX_PREFIX < len(tokens[1]):
                spaced_prefix = len(tokens[0])
            cleaned = "".join(tokens)
    fixed_id = cleaned if valid_identifier(cleaned) else _fixed_segments(cleaned)
    if spaced_prefix and _is_spaced_shape(fixed_id, spaced_prefix):
        # People write a space between a letter prefix and the number ('IN 987934'): it
        # is the writer's, kept as written. A space among digits is OCR's ('IN303 794493').
        return f"{fixed_id[:spaced_prefix]} {fixed_id[spaced_prefix:]}"
    return fixed_id


def _fixed_segments(cleaned: str) -> str:
    """Each ``-``-separated part repaired (:func:`_fix_id_segment`)."""
    segments = cleaned.split("-")
    fixed = [
        _fix_id_segment(segment, first=index == 0, last=index == len(segments) - 1)
        for index, segment in enumerate(segments)
    ]
    return "-".join(fixed)


def _is_spaced_shape(identifier: str, prefix: int) -> bool:
    """Whether ``identifier`` is capital letters up to ``prefix``, then digits only."""
    head, number = identifier[:prefix], identifier[prefix:]
    return head.isascii() and head.isalpha() and head.isupper() and number.isdigit()


def valid_identifier(value: str) -> bool:
    """An ID of capitals and digits in ``-``-separated parts, each letters (one to three)
    or digits after at most three letters, with a digit somewhere: 'M-2020-0042',
    'OHD123456', 'MI840800474'. Small letters, symbols and letters among digits make no
    valid ID ('Mj-20-39864', 'OH83837G444'): only those are repaired."""
    return bool(_VALID_ID.match(value)) and any(ch.isdigit() for ch in value)


def _settled_text(text: str | None) -> str | None:
    """normalise_text applied until nothing changes: one pass can leave new edge debris
    (``0\\x08.`` -> ``0\\x08``), and an ID normalised twice must not change."""
    cleaned = normalise_text(text)
    while cleaned is not None:
        again = normalise_text(cleaned)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


def _is_word(token: str) -> bool:
    letters = sum(ch.isalpha() for ch in token)
    return letters >= 3 and not any(ch.isdigit() for ch in token)


def _is_ascii_alnum(text: str) -> bool:
    return text.isascii() and text.isalnum()


def _fix_id_segment(segment: str, *, first: bool, last: bool) -> str:
    """One ``-``-free part of an ID, repaired when it has a known shape (see above)."""
    if first and len(segment) <= _MAX_PREFIX and not last:
        # A bar, bracket or exclamation mark in a short leading part is an I ('M|-20',
        # '[L-20', 'M!-20'), when that makes it a state code.
        state = _state_code(segment)
        if state is not None and not _is_ascii_alnum(segment):
            return state
    if first:
        # One I read twice, as a one and an I ('M1I163173111' for MI163173111): a digit
        # between a letter and an I is no digit of the number.
        segment = _DOUBLED_I.sub(r"\1I", segment)
    if not _is_ascii_alnum(segment):
        return segment
    for size in range(1, min(_MAX_PREFIX, len(segment) - 1) + 1):
        prefix, digits = segment[:size], segment[size:]
        letters = _id_prefix(prefix) if _is_digit_run(digits) else None
        if letters is None:
            continue
        if not prefix.isalpha() and _is_digit_run(segment) and letters not in STATES:
            continue  # 2O45 is 2045 (O is also a digit look-alike), 1L911 is IL911
        # A lone letter then a look-alike digit that together make a state code: the
        # digit belongs to the prefix (M1840800474 is MI840800474), if digits remain.
        if first and len(prefix) == 1 and prefix.isalpha() and (len(digits) >= 4 or not last):
            state = _state_code(prefix + digits[0].translate(_LETTER_LOOKALIKES))
            if state is not None:
                letters, digits = state, digits[1:]
        return letters + digits.translate(_DIGIT_LOOKALIKES)
    if _is_digit_run(segment):
        return segment.translate(_DIGIT_LOOKALIKES)
    if not (first and last) and len(segment) == 2 and any(ch.isalpha() for ch in segment):
        return _state_code(segment.translate(_LETTER_LOOKALIKES)) or segment
    return segment


def _is_digit_run(text: str) -> bool:
    """Digits, perhaps with look-alike letters between them (at most one in three)."""
    if not text or not (text[0].isdigit() and text[-1].isdigit()):
        return False
    letters = [ch for ch in text if not ch.isdigit()]
    return len(letters) * 3 <= len(text) and all(ch in _DIGIT_LOOKALIKE_LETTERS for ch in letters)


_DIGIT_LOOKALIKE_LETTERS = frozenset(chr(code) for code in _DIGIT_LOOKALIKES if chr(code).isalpha())


def _id_prefix(prefix: str) -> str | None:
    """The letters of an ID prefix, or None when it is no letter prefix: digit look-alikes
    are read as letters only if a real letter is there or the result is a state code."""
    if not all(ch.isalpha() or ch in "015826" for ch in prefix):
        return None
    letters = prefix.translate(_LETTER_LOOKALIKES)
    state = _state_code(letters)
    if state is not None:
        return state
    return letters if any(ch.isalpha() for ch in prefix) else None


def _state_code(letters: str) -> str | None:
    """``letters`` as a USPS code (``Mi``, ``Ml`` -> ``MI``), or None."""
    if len(letters) != 2:
        return None
    for candidate in (letters.upper(), letters.translate(_CODE_LOOKALIKES).upper()):
        if candidate in STATES:
            return candidate
    return None


# --------------------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------------------

NORMALISERS: dict[FieldKind, Callable[[str | None], Any]] = {
    FieldKind.TEXT: normalise_free_text,
    FieldKind.NAME: normalise_name,
    FieldKind.DATE: normalise_date,
    FieldKind.INTEGER: normalise_integer,
    FieldKind.PHONE: normalise_phone,
    FieldKind.SSN: normalise_ssn,
    FieldKind.ZIP: normalise_zip,
    FieldKind.STATE: normalise_state,
    FieldKind.EMAIL: normalise_email,
    FieldKind.MONEY: normalise_money,
    FieldKind.IDENTIFIER: normalise_identifier,
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
        FieldKind.ERA_DATE,
        FieldKind.JP_POSTAL,
        FieldKind.JP_PHONE,
        FieldKind.KATAKANA,
        FieldKind.PREFECTURE,
        FieldKind.BANK_ACCOUNT,
        FieldKind.MY_NUMBER,
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
        # The Japanese kinds' normalisers build on this module's digits_in.
        from extract.japanese import JP_NORMALISERS

        normaliser = JP_NORMALISERS.get(field_kind)
    if normaliser is None:
        return None
    try:
        return normaliser(text)
    except (ValueError, OverflowError, RecursionError):  # pragma: no cover - belt and braces
        return None


def snap_to_choices(text: str | None, choices: list[str], *, initials: bool = True) -> str | None:
    """A free-text answer to a question with fixed answers (``age_units``: yr/mo/day) as
    one of ``choices``: exact, then the closest spelling, then (with ``initials``) a
    unique first letter."""
    cleaned = (normalise_text(text) or "").lower()
    if not cleaned or not choices:
        return None
    lowered = {c.lower(): c for c in choices}
    if cleaned in lowered:
        return lowered[cleaned]
    close = difflib.get_close_matches(cleaned, list(lowered), n=1, cutoff=0.5)
    if close:
        return lowered[close[0]]
    if not initials:
        return None
    initial = [c for c in choices if c[:1].lower() == cleaned[:1]]
    return initial[0] if len(initial) == 1 else None
